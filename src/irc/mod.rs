//! The IRC gateway (issue 19; `../shared/PROTOCOL.md`, "IRC gateway").
//!
//! - [`line`]: one IRC line, bytes to [`line::Line`] and server lines back
//!   to bytes; pure, no networking, a fuzz target.
//! - [`conn`]: one connection: IRC lines in, the same requests every
//!   transport makes to the same Session; typed events and replies out,
//!   as IRC lines (`render`), with the connection's own IRC state (`state`:
//!   CAP, registration, what each request in flight was).
//!
//! One obvious place per IRC command: the reader's side of each group is a
//! child module of `conn` (`rooms_users.rs`: NAMES, LIST, TOPIC, WHO, WHOIS,
//! NICK, KICK, MODE; `history.rs`: CHATHISTORY, MARKREAD, REDACT, labels;
//! `modserv.rs`: ModServ; `register.rs`: REGISTER), and the writer's side of
//! its replies a child of `render` (`render_rooms.rs`, `render_history.rs`).
//! docs/irc.md is the reference.

pub mod conn;
mod control;
pub mod line;
mod render;
mod state;
