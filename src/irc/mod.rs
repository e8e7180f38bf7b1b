//! The IRC gateway (issue 19; `../shared/PROTOCOL.md`, "IRC gateway").
//!
//! - [`line`]: one IRC line, bytes to [`line::Line`] and server lines back
//!   to bytes; pure, no networking, a fuzz target.

pub mod line;
