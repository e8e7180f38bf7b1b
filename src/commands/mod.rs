//! THE command registry: every request type the server knows, with who may
//! send it. Adding a command is one handler and one line in [`COMMANDS`];
//! login state and role are checked here, centrally, before the handler
//! runs. Handlers are async functions from a [`Ctx`] snapshot of the session
//! and the request's fields to a reply; a change to the session's own state
//! comes back as an [`Effect`] that the session applies.

mod account;
pub mod authority;
mod chat;
mod history;
mod info;
mod moderation;
mod read;
mod room_admin;
mod rooms;
pub use rooms::MAX_ROOM_STATES;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::actors::{Env, UserRef};
use crate::error::{ErrorCode, Failure};
use crate::model::{Role, SessionId};
use crate::protocol::Args;

/// Who may send a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Before and after login.
    Anyone,
    /// Only before login (`login`, `resume`): `already_logged_in` after.
    LoggedOut,
    /// After login: `not_logged_in` before.
    LoggedIn,
    /// After login, and what it does depends on the sender's role (`who`
    /// shows connections to moderators, `history` lets them read any room).
    RoleAware,
    /// After login, with at least this role: `forbidden` below it.
    AtLeast(Role),
}

impl Access {
    /// Whether the session reads the sender's role from the store before
    /// this command, rather than trusting its own copy: a role changed from
    /// the console (`modchat-admin user set-role`) must count at the very
    /// next request that depends on it. Only privileged and role-aware
    /// commands pay for the query; `say` and `whisper` do not.
    pub fn reads_stored_role(self) -> bool {
        matches!(self, Access::RoleAware | Access::AtLeast(_))
    }

    pub fn check(self, user: Option<&UserRef>) -> Result<(), Failure> {
        match (self, user) {
            (Access::Anyone, _) => Ok(()),
            (Access::LoggedOut, None) => Ok(()),
            (Access::LoggedOut, Some(_)) => Err(Failure::new(ErrorCode::AlreadyLoggedIn)),
            (Access::LoggedIn | Access::RoleAware | Access::AtLeast(_), None) => {
                Err(Failure::new(ErrorCode::NotLoggedIn))
            }
            (Access::LoggedIn | Access::RoleAware, Some(_)) => Ok(()),
            (Access::AtLeast(min), Some(u)) if u.role >= min => Ok(()),
            (Access::AtLeast(_), Some(u)) => {
                tracing::warn!(user = %u.name, role = %u.role, "refused a privileged command");
                Err(Failure::new(ErrorCode::Forbidden))
            }
        }
    }
}

/// A snapshot of the session a request came from.
pub struct Ctx {
    pub env: Arc<Env>,
    pub session: SessionId,
    pub ip: String,
    pub user: Option<UserRef>,
    pub token_hash: Option<String>,
    /// Logged in as an IRC guest: no rooms of its own, no role, no
    /// history of whispers (the next guest of the name would read them).
    pub guest: bool,
    /// Fire once the request may let the connection's next one start
    /// (`say`, when its text is queued for the chat log).
    pub queued: crate::actors::session::Release,
}

impl Ctx {
    /// The logged-in user; `Access` has already made sure there is one.
    pub fn user(&self) -> Result<&UserRef, Failure> {
        self.user
            .as_ref()
            .ok_or_else(|| Failure::new(ErrorCode::NotLoggedIn))
    }
}

/// A change to the session's own state, applied by the session.
pub enum Effect {
    None,
    /// Already registered with the registry by the handler.
    LoggedIn {
        user: UserRef,
        /// None for an IRC guest.
        token_hash: Option<String>,
        guest: bool,
    },
    LoggedOut,
    Renamed(String),
    /// A guest registered its own name: a guest no more.
    Registered,
}

/// The `ok` reply's fields, and the effect on the session.
pub struct Reply {
    pub fields: Map<String, Value>,
    pub effect: Effect,
}

impl Reply {
    pub fn fields(fields: Map<String, Value>) -> Outcome {
        Ok(Reply {
            fields,
            effect: Effect::None,
        })
    }
    pub fn empty() -> Outcome {
        Reply::fields(Map::new())
    }
}

pub type Outcome = Result<Reply, Failure>;
pub type Run = fn(Ctx, Args) -> Pin<Box<dyn Future<Output = Outcome>>>;

pub struct Command {
    pub name: &'static str,
    pub access: Access,
    /// In a cluster: whether its effect other nodes must see, or it asks
    /// them. While this node cannot reach NATS such a command gets
    /// `unavailable` rather than a half-done result; reads of the shared
    /// database, logins and `ping` carry on.
    pub reach: Reach,
    /// Whether each use takes a token of the account's second bucket
    /// (`action_burst`, `action_per_s`): the acts that others see (joins,
    /// leaves, new rooms, renames) must not be a flood either.
    pub limit: Limit,
    /// One line for users; docs/protocol.md has the full story.
    pub summary: &'static str,
    pub run: Run,
}

/// See [`Command::reach`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    ThisNode,
    OtherNodes,
}

/// See [`Command::limit`]. `say` and `whisper` have their own bucket in
/// the Moderation actor's gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    None,
    Action,
}

/// An option of a `COMMANDS` line.
#[derive(Debug, Clone, Copy)]
enum Opt {
    Reach(Reach),
    Limit(Limit),
}

impl Command {
    const fn with(mut self, opt: Opt) -> Command {
        match opt {
            Opt::Reach(r) => self.reach = r,
            Opt::Limit(l) => self.limit = l,
        }
        self
    }
}

macro_rules! command {
    ($name:literal, $access:expr, $summary:literal, $f:path $(, $opt:expr)*) => {
        Command {
            name: $name,
            access: $access,
            reach: Reach::ThisNode,
            limit: Limit::None,
            summary: $summary,
            run: |ctx, args| Box::pin($f(ctx, args)),
        }
        $(.with($opt))*
    };
}

use Access::{Anyone, AtLeast, LoggedIn, LoggedOut, RoleAware};
const MODERATOR: Access = AtLeast(Role::Moderator);
const ADMIN: Access = AtLeast(Role::Admin);
const OTHER_NODES: Opt = Opt::Reach(Reach::OtherNodes);
const ACTION: Opt = Opt::Limit(Limit::Action);

pub static COMMANDS: &[Command] = &[
    command!("register", Anyone, "Create an account.", account::register),
    command!(
        "login",
        LoggedOut,
        "Log in with username and password.",
        account::login
    ),
    command!(
        "resume",
        LoggedOut,
        "Log in again with a token from login.",
        account::resume
    ),
    command!(
        "logout",
        LoggedIn,
        "Log this connection out.",
        account::logout
    ),
    command!(
        "rename",
        LoggedIn,
        "Change your username.",
        account::rename,
        OTHER_NODES,
        ACTION
    ),
    command!("rooms", LoggedIn, "List the rooms.", rooms::list),
    command!(
        "create_room",
        RoleAware,
        "Create a room and join it.",
        rooms::create,
        OTHER_NODES,
        ACTION
    ),
    command!(
        "join",
        LoggedIn,
        "Join a room.",
        rooms::join,
        OTHER_NODES,
        ACTION
    ),
    command!(
        "leave",
        LoggedIn,
        "Leave a room.",
        rooms::leave,
        OTHER_NODES,
        ACTION
    ),
    command!(
        "members",
        LoggedIn,
        "List a room's members.",
        rooms::members
    ),
    command!(
        "history",
        RoleAware,
        "Read a room's earlier messages, or a whisper conversation.",
        history::history
    ),
    command!(
        "say",
        LoggedIn,
        "Send a message to a room.",
        chat::say,
        OTHER_NODES
    ),
    command!(
        "whisper",
        LoggedIn,
        "Send a private message to a user.",
        chat::whisper,
        OTHER_NODES
    ),
    command!(
        "mark_read",
        LoggedIn,
        "Mark a room or a whisper conversation read up to a message.",
        read::mark_read,
        OTHER_NODES
    ),
    command!(
        "conversations",
        LoggedIn,
        "List your whisper conversations, newest first, with unread counts.",
        read::conversations
    ),
    command!(
        "room_bans",
        LoggedIn,
        "List a room's bans in force (its owner and ops, moderators, admins).",
        room_admin::room_bans
    ),
    command!(
        "who",
        RoleAware,
        "List the users online.",
        info::who,
        OTHER_NODES
    ),
    command!(
        "ping",
        Anyone,
        "Check the connection; echoes t.",
        info::ping
    ),
    command!(
        "version",
        Anyone,
        "The server's and the protocol's versions.",
        info::version
    ),
    command!(
        "kick",
        RoleAware,
        "Disconnect a user, or remove them from a room.",
        moderation::kick,
        OTHER_NODES
    ),
    command!(
        "mute",
        RoleAware,
        "Stop a user talking, everywhere or in a room.",
        moderation::mute,
        OTHER_NODES
    ),
    command!(
        "unmute",
        RoleAware,
        "Lift a mute.",
        moderation::unmute,
        OTHER_NODES
    ),
    command!(
        "ban",
        RoleAware,
        "Disconnect a user and refuse their logins, or keep them out of a room.",
        moderation::ban,
        OTHER_NODES
    ),
    command!(
        "unban",
        RoleAware,
        "Lift a ban.",
        moderation::unban,
        OTHER_NODES
    ),
    command!(
        "delete_message",
        RoleAware,
        "Hide a message from history.",
        moderation::delete_message,
        OTHER_NODES
    ),
    command!(
        "modlog",
        RoleAware,
        "Read the moderation record.",
        moderation::modlog
    ),
    command!(
        "set_room_role",
        RoleAware,
        "Make a room's member an op, or an op a member again.",
        moderation::set_room_role,
        OTHER_NODES
    ),
    command!(
        "set_role",
        ADMIN,
        "Make a user a user, moderator or admin.",
        moderation::set_role,
        OTHER_NODES
    ),
    command!(
        "announce",
        ADMIN,
        "Send a text to everyone online.",
        moderation::announce,
        OTHER_NODES
    ),
    command!(
        "filter_add",
        ADMIN,
        "Add a word to the filter.",
        moderation::filter_add,
        OTHER_NODES
    ),
    command!(
        "filter_remove",
        ADMIN,
        "Remove a word from the filter.",
        moderation::filter_remove,
        OTHER_NODES
    ),
    command!(
        "filter_list",
        MODERATOR,
        "List the filtered words.",
        moderation::filter_list
    ),
    command!(
        "set_topic",
        RoleAware,
        "Set a room's topic (its owner or ops, moderators).",
        room_admin::set_topic,
        OTHER_NODES,
        ACTION
    ),
    command!(
        "set_capacity",
        RoleAware,
        "Change how many members a room takes (its owner or ops, moderators).",
        room_admin::set_capacity,
        OTHER_NODES
    ),
    command!(
        "delete_room",
        RoleAware,
        "Delete a room; its name is free again (its owner, moderators).",
        room_admin::delete_room,
        OTHER_NODES,
        ACTION
    ),
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Commands only a gateway may hand its Session (`Frame::Request`): no
/// JSON line reaches them, and `help` does not list them.
pub static GATEWAY_COMMANDS: &[Command] = &[
    command!(
        "guest",
        LoggedOut,
        "Log in as an IRC guest (NICK and USER without an account).",
        account::guest,
        OTHER_NODES
    ),
    command!(
        "room_states",
        LoggedIn,
        "The stored state of up to 500 rooms (topic, setter, marker) for a JOIN burst.",
        rooms::states
    ),
];

/// [`find`], for a request a gateway made: its own commands too.
pub fn find_for_gateway(name: &str) -> Option<&'static Command> {
    find(name).or_else(|| GATEWAY_COMMANDS.iter().find(|c| c.name == name))
}

/// The refusal of what a guest may not do: its name, and with it whatever
/// the guest owns, is the next guest's of that name.
pub(crate) fn not_for_guests(what: &str) -> Failure {
    Failure::msg(
        ErrorCode::Forbidden,
        format!("guests cannot {what}: register an account"),
    )
}

/// The account called `name` (any letter case): `no_such_user` when there
/// is none, or when `name` could not be a username at all.
pub(crate) async fn account_named(
    ctx: &Ctx,
    name: &str,
) -> Result<crate::store::accounts::Account, Failure> {
    let unknown = || Failure::msg(ErrorCode::NoSuchUser, format!("no user {name}"));
    if crate::validate::username(name).is_err() {
        return Err(unknown());
    }
    let n = name.to_owned();
    ctx.env
        .db
        .run(move |c| crate::store::accounts::find_by_name(c, &n))
        .await?
        .ok_or_else(unknown)
}

/// A `Map` from a store failure, for `?` in handlers.
pub(crate) fn internal(why: impl std::fmt::Display) -> Failure {
    tracing::error!(error = %why, "internal failure");
    Failure::new(ErrorCode::Internal)
}
