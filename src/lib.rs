//! # modchat
//!
//! A moderated chat server with an audit trail in SQL. README.md says how
//! to run it; DEVELOPING.md who owns which state.
//!
//! ## Layout
//!
//! - [`server`]: wires the actors and transports, and stops them in order.
//! - [`transport`]: bytes to frames and back (TCP lines; HTTP health check).
//! - [`protocol`]: request parsing, reply and event encoding, line framing.
//! - [`commands`]: THE command registry, one handler per request type.
//! - [`actors`]: Session, Room, Registry, Moderation, ChatLogWriter.
//! - [`store`]: the only place SQL lives; both backends behind one connection.
//! - [`auth`]: bcrypt off the event loop, hashed login tokens.
//! - [`client`]: `modchat chat`, the terminal client.
//! - [`cluster`]: the NATS link between the nodes of a cluster.
//! - [`config`], [`error`], [`model`], [`validate`]: the shared vocabulary;
//!   [`metrics`]: what `GET /metrics` shows.
//! - [`fuzzing`]: the fuzz targets' bodies, replayed by `tests/fuzz_replay.rs`.

// No panics on a connection's path: unwrap is for tests only.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod actors;
pub mod auth;
pub mod client;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod error;
pub mod fuzzing;
pub mod irc;
pub mod metrics;
pub mod model;
pub mod names;
pub mod net;
pub mod protocol;
pub mod server;
pub mod store;
pub mod text;
pub mod transport;
pub mod validate;
