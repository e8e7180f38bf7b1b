//! The directory: room names to room actors, accounts to their sessions and
//! rooms, and every open connection. It starts a room actor for every room
//! at start-up and for each new one, routes joins and leaves (so it always
//! knows an online account's rooms), delivers whispers, and stops everything
//! at shutdown.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use actix::prelude::*;
use serde_json::{json, Value};

use super::chat_log::{log_then, Ack, Committed};
use super::room::{self, AddMember, AttachSession, DetachSession, JoinInfo, RemoveMember, Room};
use super::session::{BeginShutdown, Close, Session, UserChanged};
use super::{ConnInfo, Env, SessionHandle, UserRef};
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{username_key, AccountId, RoomId, SessionId};
use crate::protocol::events;
use crate::store::chat_log::{Kind, NewChatLog};
use crate::store::{self, rooms};

// ---- The Registry's API ---------------------------------------------------

/// A connection opened.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connected {
    pub handle: SessionHandle,
    pub info: ConnInfo,
}

/// A connection closed (logged in or not).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnected {
    pub session: SessionId,
}

/// A connection logged in as `user`, whose rooms are `rooms`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LoggedIn {
    pub session: SessionId,
    pub user: UserRef,
    pub rooms: Vec<String>,
}

/// A connection logged out; it stays open.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LoggedOut {
    pub session: SessionId,
}

/// The room actor for a name, if the room exists.
#[derive(Message)]
#[rtype(result = "Option<RoomRef>")]
pub struct GetRoom(pub String);

/// A live room: its stored id and its actor.
#[derive(Clone)]
pub struct RoomRef {
    pub id: RoomId,
    pub addr: Addr<Room>,
}

/// A room was created (and stored, with its creator as member).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomCreated {
    pub room: rooms::Room,
    pub creator: UserRef,
}

#[derive(Message)]
#[rtype(result = "Result<JoinInfo, Failure>")]
pub struct Join {
    pub user: UserRef,
    pub session: SessionId,
    pub room: String,
}

#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct Leave {
    pub user: UserRef,
    pub session: SessionId,
    pub room: String,
}

/// `rooms`: every room with its counts.
#[derive(Message)]
#[rtype(result = "Vec<Value>")]
pub struct ListRooms;

/// A room's counts changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomStats {
    pub name: String,
    pub members: usize,
    pub online: usize,
}

/// `who`: every account with a logged-in session; with connections for
/// moderators.
#[derive(Message)]
#[rtype(result = "Vec<Value>")]
pub struct Who {
    pub with_connections: bool,
}

/// `whisper` to an online user: logged, delivered, acknowledged.
/// `user_offline` when the name has no logged-in session.
#[derive(Message)]
#[rtype(result = "Result<Committed, Failure>")]
pub struct Whisper {
    pub from: UserRef,
    pub session: SessionId,
    pub to: String,
    pub text: String,
}

/// An account was renamed (already stored).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Renamed {
    pub account: AccountId,
    pub session: SessionId,
    pub new: String,
}

/// Graceful stop: `shutdown` to every connection, which then reads no more
/// requests. Returns the sessions, for the server to drain and close.
#[derive(Message)]
#[rtype(result = "Vec<Addr<Session>>")]
pub struct Shutdown {
    pub reason: String,
}

/// Send an event to every session of an account.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendToUser {
    pub account: AccountId,
    pub frame: bytes::Bytes,
}

/// Send `event` to every session of an account and close them (ban).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseUser {
    pub account: AccountId,
    pub event: bytes::Bytes,
    pub reason: &'static str,
}

/// Global kick: each of the account's rooms shows it leaving, then every
/// session gets `event` and is closed. Memberships stay.
#[derive(Message)]
#[rtype(result = "()")]
pub struct KickUser {
    pub account: AccountId,
    pub by: String,
    pub event: bytes::Bytes,
}

/// Room kick whose membership row is already deleted.
#[derive(Message)]
#[rtype(result = "()")]
pub struct KickFromRoom {
    pub account: AccountId,
    pub room: String,
    pub by: String,
}

/// An account's role changed (already stored): its sessions act on it at
/// once and get `role_changed`; its rooms show the new role.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoleChanged {
    pub account: AccountId,
    pub name: String,
    pub role: crate::model::Role,
    pub by: String,
}

/// Has the account with this name (any letter case) a logged-in session?
#[derive(Message)]
#[rtype(result = "bool")]
pub struct OnlineByName(pub String);

/// Has the account a logged-in session?
#[derive(Message)]
#[rtype(result = "bool")]
pub struct IsOnline(pub AccountId);

/// `announce`: logged as an announcement, then sent to every logged-in
/// session.
#[derive(Message)]
#[rtype(result = "Result<Committed, Failure>")]
pub struct Announce {
    pub from: UserRef,
    pub text: String,
}

#[derive(Message)]
#[rtype(result = "()")]
struct AnnouncementCommitted {
    from: String,
    text: String,
    result: Result<Committed, Failure>,
    reply: Ack,
}

#[derive(Message)]
#[rtype(result = "()")]
struct WhisperCommitted {
    from: UserRef,
    session: SessionId,
    to: AccountId,
    to_name: String,
    text: String,
    result: Result<Committed, Failure>,
    reply: Ack,
}

// ---- The actor ------------------------------------------------------------

struct Conn {
    handle: SessionHandle,
    info: ConnInfo,
    account: Option<AccountId>,
}

struct OnlineUser {
    name: String,
    role: crate::model::Role,
    sessions: Vec<SessionId>,
    rooms: BTreeSet<String>,
}

struct RoomEntry {
    id: RoomId,
    addr: Addr<Room>,
    capacity: i32,
    members: usize,
    online: usize,
}

pub struct Registry {
    env: Arc<Env>,
    conns: HashMap<SessionId, Conn>,
    users: HashMap<AccountId, OnlineUser>,
    names: HashMap<String, AccountId>,
    rooms: HashMap<String, RoomEntry>,
    initial_rooms: Vec<rooms::Room>,
}

impl Registry {
    /// `initial_rooms`: every stored room, loaded before the server starts.
    /// Build it inside `Registry::create`, whose context gives the address
    /// that `env` holds.
    pub fn new(env: Arc<Env>, initial_rooms: Vec<rooms::Room>) -> Registry {
        Registry {
            env,
            conns: HashMap::new(),
            users: HashMap::new(),
            names: HashMap::new(),
            rooms: HashMap::new(),
            initial_rooms,
        }
    }

    fn start_room(&mut self, room: &rooms::Room) -> Addr<Room> {
        let addr = Room::new(self.env.clone(), room).start();
        self.rooms.insert(
            room.name.clone(),
            RoomEntry {
                id: room.id,
                addr: addr.clone(),
                capacity: room.capacity,
                members: 0,
                online: 0,
            },
        );
        addr
    }

    fn sessions_of(&self, account: AccountId) -> Vec<SessionHandle> {
        self.users
            .get(&account)
            .map(|u| {
                u.sessions
                    .iter()
                    .filter_map(|s| self.conns.get(s).map(|c| c.handle.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn detach(&mut self, session: SessionId) {
        let Some(conn) = self.conns.get_mut(&session) else {
            return;
        };
        let Some(account) = conn.account.take() else {
            return;
        };
        let Some(user) = self.users.get_mut(&account) else {
            return;
        };
        user.sessions.retain(|s| *s != session);
        for r in &user.rooms {
            if let Some(e) = self.rooms.get(r) {
                e.addr.do_send(DetachSession { account, session });
            }
        }
        if user.sessions.is_empty() {
            let key = username_key(&user.name);
            self.users.remove(&account);
            self.names.remove(&key);
        }
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4096);
        for r in std::mem::take(&mut self.initial_rooms) {
            self.start_room(&r);
        }
    }
}

impl Handler<Connected> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Connected, _ctx: &mut Context<Self>) {
        self.conns.insert(
            msg.handle.id,
            Conn {
                handle: msg.handle,
                info: msg.info,
                account: None,
            },
        );
    }
}

impl Handler<Disconnected> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Disconnected, _ctx: &mut Context<Self>) {
        self.detach(msg.session);
        self.conns.remove(&msg.session);
    }
}

impl Handler<LoggedIn> for Registry {
    type Result = ();
    fn handle(&mut self, msg: LoggedIn, _ctx: &mut Context<Self>) {
        let Some(conn) = self.conns.get_mut(&msg.session) else {
            return;
        };
        conn.account = Some(msg.user.id);
        let handle = conn.handle.clone();
        let user = self.users.entry(msg.user.id).or_insert_with(|| OnlineUser {
            name: msg.user.name.clone(),
            role: msg.user.role,
            sessions: Vec::new(),
            rooms: msg.rooms.iter().cloned().collect(),
        });
        user.name = msg.user.name.clone();
        user.role = msg.user.role;
        user.sessions.push(msg.session);
        // the stored list is the truth at login
        user.rooms = msg.rooms.into_iter().collect();
        self.names.insert(username_key(&msg.user.name), msg.user.id);
        for r in &user.rooms {
            if let Some(e) = self.rooms.get(r) {
                e.addr.do_send(AttachSession {
                    account: msg.user.id,
                    handle: handle.clone(),
                });
            }
        }
    }
}

impl Handler<LoggedOut> for Registry {
    type Result = ();
    fn handle(&mut self, msg: LoggedOut, _ctx: &mut Context<Self>) {
        self.detach(msg.session);
    }
}

impl Handler<GetRoom> for Registry {
    type Result = Option<RoomRef>;
    fn handle(&mut self, msg: GetRoom, _ctx: &mut Context<Self>) -> Self::Result {
        self.rooms.get(&msg.0).map(|e| RoomRef {
            id: e.id,
            addr: e.addr.clone(),
        })
    }
}

impl Handler<RoomCreated> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoomCreated, _ctx: &mut Context<Self>) {
        let addr = self.start_room(&msg.room);
        let sessions = self.sessions_of(msg.creator.id);
        if let Some(u) = self.users.get_mut(&msg.creator.id) {
            u.rooms.insert(msg.room.name.clone());
        }
        for handle in sessions {
            addr.do_send(AttachSession {
                account: msg.creator.id,
                handle,
            });
        }
    }
}

impl Handler<Join> for Registry {
    type Result = ResponseActFuture<Self, Result<JoinInfo, Failure>>;
    fn handle(&mut self, msg: Join, _ctx: &mut Context<Self>) -> Self::Result {
        let Some(entry) = self.rooms.get(&msg.room) else {
            return Box::pin(fut::ready(Err(Failure::new(ErrorCode::NoSuchRoom))));
        };
        let req = AddMember {
            user: msg.user.clone(),
            sessions: self.sessions_of(msg.user.id),
            requester: msg.session,
        };
        Box::pin(
            entry
                .addr
                .send(req)
                .into_actor(self)
                .map(move |res, act, _ctx| {
                    let info = res.map_err(|_| Failure::new(ErrorCode::Internal))??;
                    if let Some(u) = act.users.get_mut(&msg.user.id) {
                        u.rooms.insert(msg.room);
                    }
                    Ok(info)
                }),
        )
    }
}

impl Handler<Leave> for Registry {
    type Result = ResponseActFuture<Self, Result<(), Failure>>;
    fn handle(&mut self, msg: Leave, _ctx: &mut Context<Self>) -> Self::Result {
        let Some(entry) = self.rooms.get(&msg.room) else {
            return Box::pin(fut::ready(Err(Failure::new(ErrorCode::NotInRoom))));
        };
        let req = RemoveMember {
            account: msg.user.id,
            why: room::Departure::Left,
            requester: Some(msg.session),
            stored: false,
        };
        Box::pin(
            entry
                .addr
                .send(req)
                .into_actor(self)
                .map(move |res, act, _ctx| {
                    res.map_err(|_| Failure::new(ErrorCode::Internal))??;
                    if let Some(u) = act.users.get_mut(&msg.user.id) {
                        u.rooms.remove(&msg.room);
                    }
                    Ok(())
                }),
        )
    }
}

impl Handler<ListRooms> for Registry {
    type Result = Vec<Value>;
    fn handle(&mut self, _: ListRooms, _ctx: &mut Context<Self>) -> Self::Result {
        let mut names: Vec<&String> = self.rooms.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let e = &self.rooms[n];
                json!({"name": n, "members": e.members, "online": e.online, "capacity": e.capacity})
            })
            .collect()
    }
}

impl Handler<RoomStats> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoomStats, _ctx: &mut Context<Self>) {
        if let Some(e) = self.rooms.get_mut(&msg.name) {
            e.members = msg.members;
            e.online = msg.online;
        }
    }
}

impl Handler<Who> for Registry {
    type Result = Vec<Value>;
    fn handle(&mut self, msg: Who, _ctx: &mut Context<Self>) -> Self::Result {
        let mut users: Vec<&OnlineUser> = self.users.values().collect();
        users.sort_by_key(|u| username_key(&u.name));
        users
            .into_iter()
            .map(|u| {
                let mut v = json!({"name": u.name, "role": u.role.as_str(), "rooms": u.rooms});
                if msg.with_connections {
                    let conns: Vec<Value> = u
                        .sessions
                        .iter()
                        .filter_map(|s| self.conns.get(s))
                        .map(|c| json!({"addr": c.info.addr, "transport": c.info.transport, "since": store::fmt_time(&c.info.since)}))
                        .collect();
                    v["connections"] = Value::Array(conns);
                }
                v
            })
            .collect()
    }
}

impl Handler<Whisper> for Registry {
    type Result = ResponseFuture<Result<Committed, Failure>>;
    fn handle(&mut self, msg: Whisper, ctx: &mut Context<Self>) -> Self::Result {
        let Some(&to) = self.names.get(&username_key(&msg.to)) else {
            return Box::pin(async { Err(Failure::new(ErrorCode::UserOffline)) });
        };
        if to == msg.from.id {
            return Box::pin(async { Err(Failure::new(ErrorCode::CannotWhisperSelf)) });
        }
        let to_name = self
            .users
            .get(&to)
            .map(|u| u.name.clone())
            .unwrap_or(msg.to);
        let (from, session, text) = (msg.from.clone(), msg.session, msg.text.clone());
        let row = NewChatLog {
            kind: Kind::Whisper.as_str(),
            room_id: None,
            sender_id: Some(msg.from.id),
            sender_name: msg.from.name,
            recipient_id: Some(to),
            text: msg.text,
            at: store::now(),
        };
        let me = ctx.address().recipient();
        Box::pin(log_then(
            &self.env.chat_log,
            row,
            me,
            move |result, reply| WhisperCommitted {
                from,
                session,
                to,
                to_name,
                text,
                result,
                reply,
            },
        ))
    }
}

impl Handler<WhisperCommitted> for Registry {
    type Result = ();
    fn handle(&mut self, msg: WhisperCommitted, _ctx: &mut Context<Self>) {
        if let Ok(c) = &msg.result {
            let ev = events::event(
                "whisper",
                fields!("id" => c.id, "from" => &msg.from.name, "to" => &msg.to_name, "text" => &msg.text, "at" => store::fmt_time(&c.at)),
            );
            let mut targets = self.sessions_of(msg.to);
            targets.extend(
                self.sessions_of(msg.from.id)
                    .into_iter()
                    .filter(|s| s.id != msg.session),
            );
            for s in targets {
                s.out.push(ev.clone());
            }
        }
        let _ = msg.reply.send(msg.result);
    }
}

impl Handler<Renamed> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Renamed, _ctx: &mut Context<Self>) {
        let Some(user) = self.users.get_mut(&msg.account) else {
            return;
        };
        let old = std::mem::replace(&mut user.name, msg.new.clone());
        let my_rooms = user.rooms.clone();
        self.names.remove(&username_key(&old));
        self.names.insert(username_key(&msg.new), msg.account);
        for r in &my_rooms {
            if let Some(e) = self.rooms.get(r) {
                e.addr.do_send(room::UpdateMember {
                    account: msg.account,
                    name: Some(msg.new.clone()),
                    role: None,
                });
            }
        }
        for s in self.sessions_of(msg.account) {
            if s.id != msg.session {
                s.addr.do_send(UserChanged {
                    name: Some(msg.new.clone()),
                    role: None,
                });
            }
        }
        let ev = events::event("renamed", fields!("old" => old, "new" => &msg.new));
        let mut told: Vec<AccountId> = Vec::new();
        for (id, u) in &self.users {
            if *id == msg.account || !u.rooms.is_disjoint(&my_rooms) {
                told.push(*id);
            }
        }
        for id in told {
            for s in self.sessions_of(id) {
                if s.id != msg.session {
                    s.out.push(ev.clone());
                }
            }
        }
    }
}

impl Handler<Shutdown> for Registry {
    type Result = Vec<Addr<Session>>;
    fn handle(&mut self, msg: Shutdown, _ctx: &mut Context<Self>) -> Self::Result {
        let ev = events::event("shutdown", fields!("reason" => msg.reason));
        self.conns
            .values()
            .map(|c| {
                c.handle.addr.do_send(BeginShutdown { event: ev.clone() });
                c.handle.addr.clone()
            })
            .collect()
    }
}

impl Handler<SendToUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: SendToUser, _ctx: &mut Context<Self>) {
        for s in self.sessions_of(msg.account) {
            s.out.push(msg.frame.clone());
        }
    }
}

impl Handler<CloseUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: CloseUser, _ctx: &mut Context<Self>) {
        for s in self.sessions_of(msg.account) {
            s.addr
                .do_send(Close::with_event(msg.event.clone(), msg.reason));
        }
    }
}

impl Handler<KickUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: KickUser, _ctx: &mut Context<Self>) {
        if let Some(u) = self.users.get(&msg.account) {
            for r in &u.rooms {
                if let Some(e) = self.rooms.get(r) {
                    e.addr.do_send(room::MemberKicked {
                        account: msg.account,
                        by: msg.by.clone(),
                    });
                }
            }
        }
        for s in self.sessions_of(msg.account) {
            s.addr
                .do_send(Close::with_event(msg.event.clone(), "kicked"));
        }
    }
}

impl Handler<KickFromRoom> for Registry {
    type Result = ();
    fn handle(&mut self, msg: KickFromRoom, _ctx: &mut Context<Self>) {
        if let Some(e) = self.rooms.get(&msg.room) {
            e.addr.do_send(RemoveMember {
                account: msg.account,
                why: room::Departure::Kicked { by: msg.by },
                requester: None,
                stored: true,
            });
        }
        if let Some(u) = self.users.get_mut(&msg.account) {
            u.rooms.remove(&msg.room);
        }
    }
}

impl Handler<RoleChanged> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoleChanged, _ctx: &mut Context<Self>) {
        if let Some(u) = self.users.get_mut(&msg.account) {
            u.role = msg.role;
        }
        // every room, not only an online user's (an offline member's rooms
        // are not known here): rooms without the account ignore it, and
        // role changes are rare
        for e in self.rooms.values() {
            e.addr.do_send(room::UpdateMember {
                account: msg.account,
                name: None,
                role: Some(msg.role),
            });
        }
        let ev = events::event(
            "role_changed",
            fields!("user" => &msg.name, "role" => msg.role.as_str(), "by" => &msg.by),
        );
        for s in self.sessions_of(msg.account) {
            s.addr.do_send(UserChanged {
                name: None,
                role: Some(msg.role),
            });
            s.out.push(ev.clone());
        }
    }
}

impl Handler<IsOnline> for Registry {
    type Result = bool;
    fn handle(&mut self, msg: IsOnline, _ctx: &mut Context<Self>) -> bool {
        self.users.contains_key(&msg.0)
    }
}

impl Handler<Announce> for Registry {
    type Result = ResponseFuture<Result<Committed, Failure>>;
    fn handle(&mut self, msg: Announce, ctx: &mut Context<Self>) -> Self::Result {
        let (from, text) = (msg.from.name.clone(), msg.text.clone());
        let row = NewChatLog {
            kind: Kind::Announcement.as_str(),
            room_id: None,
            sender_id: Some(msg.from.id),
            sender_name: msg.from.name,
            recipient_id: None,
            text: msg.text,
            at: store::now(),
        };
        let me = ctx.address().recipient();
        Box::pin(log_then(
            &self.env.chat_log,
            row,
            me,
            move |result, reply| AnnouncementCommitted {
                from,
                text,
                result,
                reply,
            },
        ))
    }
}

impl Handler<AnnouncementCommitted> for Registry {
    type Result = ();
    fn handle(&mut self, msg: AnnouncementCommitted, _ctx: &mut Context<Self>) {
        if let Ok(c) = &msg.result {
            let ev = events::event(
                "announcement",
                fields!("id" => c.id, "from" => &msg.from, "text" => &msg.text, "at" => store::fmt_time(&c.at)),
            );
            for c in self.conns.values().filter(|c| c.account.is_some()) {
                c.handle.out.push(ev.clone());
            }
        }
        let _ = msg.reply.send(msg.result);
    }
}

impl Handler<OnlineByName> for Registry {
    type Result = bool;
    fn handle(&mut self, msg: OnlineByName, _ctx: &mut Context<Self>) -> bool {
        self.names.contains_key(&username_key(&msg.0))
    }
}
