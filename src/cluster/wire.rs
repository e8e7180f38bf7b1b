//! What nodes say to each other over NATS: typed, versioned messages, JSON
//! on the wire. A node ignores an envelope whose `v` it does not know, so a
//! rolling upgrade that adds a version can run old and new nodes side by
//! side for as long as the new ones still speak the old version too.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::actors::UserRef;
use crate::model::{AccountId, MessageId, Role, RoomId, RoomRole};
use crate::protocol::Event as ProtocolEvent;

/// The wire version of [`Envelope`] and everything in it.
/// 2: protocol events travel typed ([`crate::protocol::Event`]) instead of
/// as encoded frames.
pub const VERSION: u32 = 2;

/// One message between nodes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    /// The sending node's name.
    pub node: String,
    /// The sending process's incarnation (random at start): a node that
    /// restarts under the same name is a new incarnation, whose presence
    /// starts empty.
    pub inc: u64,
    /// When it was sent (milliseconds since the epoch), for the lag metric.
    pub sent_ms: i64,
    pub event: Event,
}

/// A user as events carry it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    pub id: AccountId,
    pub name: String,
    pub role: Role,
}

impl From<&UserRef> for User {
    fn from(u: &UserRef) -> User {
        User {
            id: u.id,
            name: u.name.clone(),
            role: u.role,
        }
    }
}

impl From<User> for UserRef {
    fn from(u: User) -> UserRef {
        UserRef {
            id: u.id,
            name: u.name,
            role: u.role,
        }
    }
}

/// Why a membership ended, as [`Event::Left`] carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Departure {
    Left,
    Kicked {
        by: String,
    },
    /// A room ban.
    Banned {
        by: String,
    },
}

/// Everything one node tells the others. Protocol events that only need
/// delivering (`kicked`, `muted`, `message_deleted`, ...) travel as the
/// typed event the origin built; each node encodes it for its sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A node connected (at start, and after each reconnect to NATS): the
    /// others answer with their [`Event::Snapshot`].
    Hello,
    /// Once a second; a node not heard from for three seconds is gone, and
    /// its sessions with it.
    Heartbeat,
    /// The node is stopping (SIGTERM): it is gone at once.
    Bye,
    /// Every account with a logged-in session on the sender, replacing what
    /// the receiver knew of that node.
    Snapshot { online: Vec<AccountId> },
    /// The first session of an account on the sender logged in.
    Online { account: AccountId },
    /// The last session of an account on the sender went.
    Offline { account: AccountId },
    /// A committed room message. `prev` is the id of the room's message
    /// before it (0: none), read under the room's row lock in the commit's
    /// transaction, so each node delivers a room's messages in id order
    /// and can tell a gap (filled from the chat log) from a quiet room.
    Message {
        room: RoomId,
        id: MessageId,
        prev: MessageId,
        from: String,
        text: String,
        /// An emote.
        #[serde(default)]
        action: bool,
        at: NaiveDateTime,
    },
    RoomCreated {
        id: RoomId,
        name: String,
        capacity: i32,
        creator: User,
    },
    /// A stored membership (`join`).
    Joined {
        room: RoomId,
        user: User,
        /// A muted account's join: shown to its own sessions only.
        #[serde(default)]
        quiet: bool,
        /// The member's stored room role (absent: `member`).
        #[serde(default)]
        room_role: Option<RoomRole>,
    },
    /// A membership ended and is already deleted (`leave`, room kick).
    Left {
        room: RoomId,
        account: AccountId,
        why: Departure,
        #[serde(default)]
        quiet: bool,
    },
    /// Deliver a frame to every session of an account.
    ToUser {
        account: AccountId,
        event: ProtocolEvent,
    },
    /// Deliver a frame to every session of an account, then close them
    /// (ban).
    CloseUser {
        account: AccountId,
        event: ProtocolEvent,
        reason: String,
    },
    /// Global kick: each room shows the account leaving, its sessions get
    /// the frame and close.
    KickUser {
        account: AccountId,
        by: String,
        event: ProtocolEvent,
    },
    RoleChanged {
        account: AccountId,
        name: String,
        role: Role,
        by: Option<String>,
    },
    /// A rename, with the account's rooms, whose members on every node see
    /// it.
    Renamed {
        account: AccountId,
        old: String,
        new: String,
        rooms: Vec<String>,
    },
    /// A committed whisper, for the recipient's sessions and the sender's
    /// other sessions on every node.
    Whisper {
        to: AccountId,
        from: AccountId,
        event: ProtocolEvent,
    },
    /// A committed announcement, for every logged-in session.
    Announcement { event: ProtocolEvent },
    /// An event for every session in a room (`message_deleted`,
    /// `topic_changed`, ...).
    RoomEvent { room: RoomId, event: ProtocolEvent },
    /// A member's room role changed (already stored): each node's room
    /// shows the new role and sends `event` (`room_role_changed`).
    RoomRoleChanged {
        room: RoomId,
        account: AccountId,
        room_role: RoomRole,
        event: ProtocolEvent,
    },
    /// Mutes, bans or the word filter changed (already stored): reload them.
    PolicyChanged,
    /// A room's topic or capacity changed (already stored): every node's
    /// room uses it from now on, and a new topic is shown to its members
    /// (`topic_changed`).
    RoomChanged {
        room: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity: Option<i32>,
        by: Option<String>,
    },
    /// A room was deleted (already stored): every node's members get
    /// `room_deleted`, and every node forgets the room (its name is free).
    RoomDeleted { room: RoomId, by: Option<String> },
}

/// `who`, asked of every node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoRequest {
    pub v: u32,
    /// The asking node, which answers for itself.
    pub node: String,
}

/// One node's answer to [`WhoRequest`]: its logged-in accounts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoReply {
    pub v: u32,
    pub node: String,
    pub users: Vec<WhoUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoUser {
    pub id: AccountId,
    pub name: String,
    pub role: Role,
    pub rooms: Vec<String>,
    pub connections: Vec<WhoConn>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoConn {
    pub addr: String,
    pub transport: String,
    pub since: NaiveDateTime,
}
