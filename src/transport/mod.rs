//! Transports turn bytes into [`Inbound`](crate::actors::session::Inbound)
//! frames and outbound frames into bytes. No chat logic lives here.

pub mod admission;
pub mod http;
pub mod http_conn;
pub mod lazy_read;
pub mod proxy;
pub mod tcp;
pub mod tls;
pub mod web;
pub mod workers;
pub mod writing;
pub mod ws;
