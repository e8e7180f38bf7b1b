//! # modchat
//!
//! A moderated chat server. See README.md for running it and DEVELOPING.md
//! for who owns what.
//!
//! ## Layout
//!
//! - [`store`]: the only place SQL lives; both backends behind one connection.
//! - [`model`]: ids and roles shared by everything.

pub mod actors;
pub mod auth;
pub mod commands;
pub mod config;
pub mod error;
pub mod model;
pub mod protocol;
pub mod server;
pub mod store;
pub mod transport;
pub mod validate;
