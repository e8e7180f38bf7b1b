//! The actors and what they own:
//!
//! - [`session::Session`], one per connection: its login state, request
//!   order, and its outbound queue.
//! - [`room::Room`], one per room: its members, their live sessions, fan-out.
//! - [`registry::Registry`]: the directory. Room names to room actors,
//!   accounts to their sessions, every open connection.
//! - [`moderation::Moderation`]: mutes, bans, the word filter, flood
//!   control; the only writer of moderation records.
//! - [`chat_log::ChatLogWriter`]: group commit of every text; nothing is
//!   delivered or acknowledged before its row is committed.
//!
//! Actors reach rooms through the registry, never by holding on to them.

pub mod chat_log;
pub mod moderation;
pub mod registry;
pub mod room;
pub mod session;

use std::sync::Arc;

use actix::Addr;
use chrono::NaiveDateTime;

use crate::auth::Passwords;
use crate::config::Config;
use crate::model::{AccountId, Role, SessionId};
use crate::store::Db;

pub use session::outbound::Outbound;

/// What every actor and command handler may use. Built once per server.
pub struct Env {
    pub config: Arc<Config>,
    pub db: Db,
    pub passwords: Passwords,
    pub registry: Addr<registry::Registry>,
    pub chat_log: Addr<chat_log::ChatLogWriter>,
    pub moderation: Addr<moderation::Moderation>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The NATS link, in a cluster (`[cluster] nats_url`).
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Connections open per client address (every transport), and the
    /// trusted proxies.
    pub admission: Arc<crate::transport::admission::Admission>,
}

/// A logged-in account as the actors pass it around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: AccountId,
    pub name: String,
    pub role: Role,
}

/// How to reach one connection: its queue for events, its actor for control.
#[derive(Clone)]
pub struct SessionHandle {
    pub id: SessionId,
    pub out: Outbound,
    pub addr: Addr<session::Session>,
}

/// What moderators see of a connection in `who`.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The peer's IP address, as login_events records it.
    pub ip: String,
    /// The peer's address and port.
    pub addr: String,
    pub transport: &'static str,
    pub since: NaiveDateTime,
}
