//! The IRC gateway (issue 19; `../shared/PROTOCOL.md`, "IRC gateway").
//!
//! - [`line`]: one IRC line, bytes to [`line::Line`] and server lines back
//!   to bytes; pure, no networking, a fuzz target.
//! - [`conn`]: one connection: IRC lines in, the same requests every
//!   transport makes to the same Session; typed events and replies out,
//!   as IRC lines (`render`), with the connection's own IRC state (`state`:
//!   CAP, registration, what each request in flight was).

pub mod conn;
pub mod line;
mod render;
mod state;
