//! Transports turn bytes into [`Inbound`](crate::actors::session::Inbound)
//! frames and outbound frames into bytes. No chat logic lives here.

pub mod http;
pub mod lazy_read;
pub mod tcp;
pub mod tls;
pub mod web;
pub mod workers;
pub mod ws;
