//! The Room's API: the messages it accepts.

use actix::prelude::*;
use serde_json::json;

use crate::actors::chat_log::Committed;
use crate::actors::session::Release;
use crate::actors::{SessionHandle, UserRef};
use crate::error::Failure;
use crate::model::{AccountId, MessageId, Role, RoomRole, SessionId};
use crate::protocol::Event;

// ---- The Room's API -------------------------------------------------------

/// A logged-in session of a member: it receives the room's events from now on.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AttachSession {
    pub account: AccountId,
    pub handle: SessionHandle,
}

/// The session went away or logged out.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DetachSession {
    pub account: AccountId,
    pub session: SessionId,
}

/// Join: stores the membership (capacity permitting) and attaches all the
/// account's sessions. Joining again is `ok` and changes nothing.
#[derive(Message)]
#[rtype(result = "Result<JoinInfo, Failure>")]
pub struct AddMember {
    pub user: UserRef,
    pub sessions: Vec<SessionHandle>,
    /// The session that asked; it gets the reply instead of `joined`.
    pub requester: Option<SessionId>,
    /// Stored already, by another node of the cluster: only show it.
    pub stored: bool,
    /// The account has sessions on other nodes.
    pub elsewhere: bool,
    /// A muted account's join: `joined` goes to its own sessions only, so
    /// a muted user cannot talk through join/leave noise.
    pub quiet: bool,
    /// With `stored`: the room role the other node stored. A join made
    /// here reads its own (and refuses a room ban) from the database.
    pub room_role: RoomRole,
}

/// Why a membership ends.
#[derive(Debug, Clone)]
pub enum Departure {
    Left,
    Kicked {
        by: String,
    },
    /// A room ban (`ban` with `room`).
    Banned {
        by: String,
    },
}

/// Leave (or kick from the room): the membership ends and is deleted.
#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct RemoveMember {
    pub account: AccountId,
    pub why: Departure,
    /// The session that asked, if it is the member's own; it gets the reply
    /// instead of `left`.
    pub requester: Option<SessionId>,
    /// The membership row is already deleted (by the Moderation actor, in
    /// the transaction of its record).
    pub stored: bool,
    /// A muted account's leave: `left` goes to its own sessions only.
    pub quiet: bool,
}

/// A global kick: the room shows the member leaving (`left`, reason
/// `kicked`) and forgets its sessions, which are about to close; the
/// membership itself stays.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct MemberKicked {
    pub account: AccountId,
    pub by: String,
}

/// `say`: logged, then delivered to every session in the room but the
/// sender's, then acknowledged with the id.
#[derive(Message)]
#[rtype(result = "Result<Committed, Failure>")]
pub struct PostMessage {
    pub user: UserRef,
    pub session: SessionId,
    pub text: String,
    /// An emote (`/me waves`).
    pub action: bool,
    /// Fired once the text is queued for the chat log: the sender's next
    /// `say` may start (it will get a later id).
    pub queued: Option<Release>,
}

/// Another node's committed message of this room (cluster).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Sequenced {
    pub id: MessageId,
    pub prev: MessageId,
    pub from: String,
    pub text: String,
    pub action: bool,
    pub at: chrono::NaiveDateTime,
}

/// Whether an account has sessions on other nodes changed (cluster).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RemotePresence {
    pub account: AccountId,
    pub online: bool,
}

/// Deliver what the chat log has after the last message delivered here:
/// a node died between committing and publishing, or the link to the
/// other nodes was down and messages may have been missed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CatchUp {
    /// Reload the members too (their changes may have been missed).
    pub members: bool,
}

/// The members with their role and whether they are online.
#[derive(Message)]
#[rtype(result = "Result<Vec<MemberView>, Failure>")]
pub struct ListMembers;

#[derive(Message)]
#[rtype(result = "bool")]
pub struct IsMember(pub AccountId);

/// An account was renamed or given another role: show it so from now on.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UpdateMember {
    pub account: AccountId,
    pub name: Option<String>,
    pub role: Option<Role>,
}

/// A member's room role changed (already stored, here or on another
/// node): the room shows it from now on and sends `event`
/// (`room_role_changed`) to every session in it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomRoleSet {
    pub account: AccountId,
    pub room_role: RoomRole,
    pub event: Event,
}

/// Send these bytes to every session in the room.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Broadcast(pub crate::protocol::Outgoing);

#[derive(Debug, Clone)]
pub struct MemberView {
    pub name: String,
    pub role: Role,
    pub room_role: RoomRole,
    pub online: bool,
}

impl MemberView {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "role": self.role.as_str(),
            "room_role": self.room_role.as_str(),
            "online": self.online,
        })
    }
}

#[derive(Debug, Clone)]
pub struct JoinInfo {
    pub name: String,
    pub capacity: i32,
    /// "" when the room has none.
    pub topic: String,
    pub members: Vec<MemberView>,
    /// The joiner's room role.
    pub room_role: RoomRole,
}
