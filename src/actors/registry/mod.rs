//! The directory: room names to room actors, accounts to their sessions and
//! rooms, and every open connection. It starts a room actor for every room
//! at start-up and for each new one, routes joins and leaves (so it always
//! knows an online account's rooms), delivers whispers, and stops everything
//! at shutdown.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use serde_json::{json, Value};

use super::room::{self, AddMember, AttachSession, DetachSession, JoinInfo, RemoveMember, Room};
use super::session::{BeginShutdown, Close, Session};
use super::{ConnInfo, Env, SessionHandle, UserRef};
use crate::cluster::wire::Event;
use crate::error::{ErrorCode, Failure};
use crate::model::{username_key, AccountId, RoomId, SessionId};
use crate::store::rooms;

mod cluster;
mod peers;
mod room_admin;
mod room_set;
mod users;

use room_set::RoomSet;

pub use cluster::{BusState, FromCluster, WhoLocal};
pub use room_admin::{RoomChanged, RoomDeleted};
pub use users::*;

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

/// Taken before a login or resume reads anything: the close epoch now.
/// A ban, a global kick or a password change that closes the account's
/// sessions after this moment also refuses the login that holds this
/// ticket, so no login in flight outlives it (see [`LoggedIn`]).
#[derive(Message)]
#[rtype(result = "LoginTicket")]
pub struct TakeLoginTicket;

#[derive(Debug, Clone, Copy)]
pub struct LoginTicket(u64);

/// Close one connection after sending `event`: a login refused by
/// [`LoggedIn`] sends it after its reply is queued, so the request still
/// gets its one reply before the close.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseSession {
    pub session: SessionId,
    pub event: crate::protocol::Outgoing,
}

/// A connection logged in as `user`, whose rooms are `rooms`. Refused
/// (`Err` with the event the account's other sessions got) when the
/// account's sessions were closed after `ticket` was taken: the login then
/// answers its request and sends [`CloseSession`] with that event.
#[derive(Message)]
#[rtype(result = "Result<(), Refused>")]
pub struct LoggedIn {
    pub session: SessionId,
    pub user: UserRef,
    pub rooms: Vec<String>,
    pub ticket: LoginTicket,
    /// An IRC guest: refused while the account is online on any node, so
    /// two people never share a guest's name. Decided here because the
    /// registry sees every login of this node one at a time.
    pub exclusive: bool,
}

/// Why [`LoggedIn`] refused a session.
#[derive(Debug)]
pub enum Refused {
    /// The account's sessions were closed after the ticket: the event they
    /// got, which this one gets too.
    Closed(crate::protocol::Outgoing),
    /// An exclusive login of an account that is online.
    InUse,
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
    /// The account is muted: the room does not announce it.
    pub quiet: bool,
}

#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct Leave {
    pub user: UserRef,
    pub session: SessionId,
    pub room: String,
    pub quiet: bool,
}

/// `rooms`: one page of the rooms whose name contains `query`, sorted by
/// name, after `after`; and the name to pass as `after` for the next page.
#[derive(Message)]
#[rtype(result = "(Vec<Value>, Option<String>)")]
pub struct ListRooms {
    pub query: Option<String>,
    pub after: Option<String>,
    pub limit: usize,
}

/// How many rooms there are (for `/metrics`).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct RoomCount;

/// A room's counts changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomStats {
    pub name: String,
    pub members: usize,
    pub online: usize,
}

/// `who`: every account with a logged-in session (on any node); with
/// connections for moderators.
#[derive(Message)]
#[rtype(result = "Result<Vec<Value>, Failure>")]
pub struct Who {
    pub with_connections: bool,
}

/// Graceful stop: `shutdown` to every connection, which then reads no more
/// requests. Returns the sessions, for the server to drain and close.
#[derive(Message)]
#[rtype(result = "Vec<Addr<Session>>")]
pub struct Shutdown {
    pub reason: String,
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
    rooms: RoomSet,
}

struct RoomEntry {
    id: RoomId,
    addr: Addr<Room>,
    capacity: i32,
    /// "" when the room has none.
    topic: String,
    members: usize,
    online: usize,
}

pub struct Registry {
    env: Arc<Env>,
    conns: HashMap<SessionId, Conn>,
    users: HashMap<AccountId, OnlineUser>,
    names: HashMap<String, AccountId>,
    rooms: HashMap<String, RoomEntry>,
    room_ids: HashMap<RoomId, String>,
    initial_rooms: Vec<rooms::Room>,
    /// In a cluster: the other nodes and their online accounts.
    peers: peers::Peers,
    /// Bumped at every close of an account's sessions (ban, global kick,
    /// password change), here or on another node.
    close_epoch: u64,
    /// The epoch of each account's latest close, with its event and when:
    /// a login whose ticket is older is refused with that event.
    closed: HashMap<AccountId, (u64, crate::protocol::Outgoing, std::time::Instant)>,
    /// Every connection's login deadline, in the order they opened (all
    /// take the same time, so the queue is sorted): one timer for the
    /// earliest instead of a timer per connection, because an actix
    /// context polls every timer it holds each time the actor runs, and
    /// the registry runs for nearly every request.
    login_deadlines: std::collections::VecDeque<(std::time::Instant, SessionId)>,
    /// The timer for the earliest login deadline is armed.
    login_timer: bool,
}

/// Closes older than this are forgotten: no login takes that long.
const CLOSE_MEMORY: std::time::Duration = std::time::Duration::from_secs(600);

impl Registry {
    /// `initial_rooms`: every stored room, loaded before the server starts.
    /// Build it inside `Registry::create`, whose context gives the address
    /// that `env` holds.
    pub fn new(env: Arc<Env>, initial_rooms: Vec<rooms::Room>) -> Registry {
        Registry {
            env,
            conns: HashMap::new(),
            login_deadlines: Default::default(),
            login_timer: false,
            users: HashMap::new(),
            names: HashMap::new(),
            rooms: HashMap::new(),
            room_ids: HashMap::new(),
            initial_rooms,
            peers: peers::Peers::default(),
            close_epoch: 0,
            closed: HashMap::new(),
        }
    }

    /// Every session of the account (here) is closed with `event`, and
    /// every login of it in flight will be.
    pub(super) fn close_account(
        &mut self,
        account: AccountId,
        event: crate::protocol::Outgoing,
        reason: &'static str,
    ) {
        self.mark_closed(account, event.clone());
        for s in self.sessions_of(account) {
            s.addr.do_send(Close::with_event(event.clone(), reason));
            // gone from `who` and the rooms now, not when the session has
            // stopped: a `who` after the ban's `ok` must not list it
            self.detach(s.id);
        }
    }

    pub(super) fn mark_closed(&mut self, account: AccountId, event: crate::protocol::Outgoing) {
        self.close_epoch += 1;
        let now = std::time::Instant::now();
        if self.closed.len() >= 4096 {
            self.closed
                .retain(|_, (_, _, at)| now.duration_since(*at) < CLOSE_MEMORY);
        }
        self.closed.insert(account, (self.close_epoch, event, now));
    }

    fn start_room(&mut self, room: &rooms::Room) -> Addr<Room> {
        let addr = Room::new(self.env.clone(), room).start();
        self.room_ids.insert(room.id, room.name.clone());
        // members with sessions on other nodes (none at start-up)
        for account in self.peers.accounts() {
            addr.do_send(room::RemotePresence {
                account,
                online: true,
            });
        }
        self.rooms.insert(
            room.name.clone(),
            RoomEntry {
                id: room.id,
                addr: addr.clone(),
                capacity: room.capacity,
                topic: room.topic.clone(),
                members: 0,
                online: 0,
            },
        );
        addr
    }

    fn room_by_id(&self, id: RoomId) -> Option<&RoomEntry> {
        self.room_ids.get(&id).and_then(|n| self.rooms.get(n))
    }

    /// A membership ended (stored already): the room shows it.
    fn member_left(&mut self, room: &str, account: AccountId, why: room::Departure, quiet: bool) {
        if let Some(e) = self.rooms.get(room) {
            e.addr.do_send(RemoveMember {
                account,
                why,
                requester: None,
                stored: true,
                quiet,
            });
        }
        if let Some(u) = self.users.get_mut(&account) {
            u.rooms.remove(room);
        }
    }

    /// A room exists (created here or on another node): its actor, and the
    /// creator's sessions here in it.
    fn room_created(&mut self, room: &rooms::Room, creator: &UserRef) {
        // a join racing the creation may have started the room already;
        // a deleted room of that name whose deletion is still on its way
        // is forgotten first
        if let Some(old) = self.rooms.get(&room.name).map(|e| e.id) {
            if old != room.id {
                self.forget_room(old, None);
            }
        }
        let addr = match self.rooms.get(&room.name) {
            Some(e) => e.addr.clone(),
            None => self.start_room(room),
        };
        let sessions = self.sessions_of(creator.id);
        if let Some(u) = self.users.get_mut(&creator.id) {
            u.rooms.insert(room.name.clone());
        }
        for handle in sessions {
            addr.do_send(AttachSession {
                account: creator.id,
                handle,
            });
        }
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
            self.publish(Event::Offline { account });
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
        if self.env.cluster.is_some() {
            self.publish(Event::Hello);
            self.start_heartbeat(ctx);
        }
    }
}

impl Handler<Connected> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Connected, ctx: &mut Context<Self>) {
        let id = msg.handle.id;
        self.conns.insert(
            id,
            Conn {
                handle: msg.handle,
                info: msg.info,
                account: None,
            },
        );
        // The login deadline: idle connections that never log in would
        // otherwise hold a descriptor each for the whole idle timeout.
        let timeout = std::time::Duration::from_secs(self.env.config.limits.login_timeout_s);
        self.login_deadlines
            .push_back((std::time::Instant::now() + timeout, id));
        self.arm_login_timer(ctx);
    }
}

impl Registry {
    /// Arms the one timer for the earliest login deadline, unless it is.
    fn arm_login_timer(&mut self, ctx: &mut Context<Self>) {
        let Some(&(first, _)) = self.login_deadlines.front() else {
            return;
        };
        if self.login_timer {
            return;
        }
        self.login_timer = true;
        let wait = first.saturating_duration_since(std::time::Instant::now());
        ctx.run_later(wait, |act, ctx| {
            act.login_timer = false;
            let now = std::time::Instant::now();
            while let Some(&(at, id)) = act.login_deadlines.front() {
                if at > now {
                    break;
                }
                act.login_deadlines.pop_front();
                if let Some(c) = act.conns.get(&id).filter(|c| c.account.is_none()) {
                    c.handle
                        .addr
                        .do_send(super::session::Close::because("not logged in in time"));
                }
            }
            act.arm_login_timer(ctx);
        });
    }
}

impl Handler<Disconnected> for Registry {
    type Result = ();
    fn handle(&mut self, msg: Disconnected, _ctx: &mut Context<Self>) {
        self.detach(msg.session);
        self.conns.remove(&msg.session);
    }
}

impl Handler<CloseSession> for Registry {
    type Result = ();
    fn handle(&mut self, msg: CloseSession, _ctx: &mut Context<Self>) {
        if let Some(conn) = self.conns.get(&msg.session) {
            conn.handle
                .addr
                .do_send(Close::with_event(msg.event, "closed during login"));
        }
    }
}

impl Handler<TakeLoginTicket> for Registry {
    type Result = MessageResult<TakeLoginTicket>;
    fn handle(&mut self, _: TakeLoginTicket, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(LoginTicket(self.close_epoch))
    }
}

impl Handler<LoggedIn> for Registry {
    type Result = Result<(), Refused>;
    fn handle(&mut self, msg: LoggedIn, _ctx: &mut Context<Self>) -> Self::Result {
        if let Some((epoch, event, _)) = self.closed.get(&msg.user.id) {
            if *epoch > msg.ticket.0 {
                return Err(Refused::Closed(event.clone()));
            }
        }
        if msg.exclusive && self.online_anywhere(msg.user.id) {
            return Err(Refused::InUse);
        }
        // the connection closed while logging in: nothing to attach
        let Some(conn) = self.conns.get_mut(&msg.session) else {
            return Ok(());
        };
        conn.account = Some(msg.user.id);
        let handle = conn.handle.clone();
        if !self.users.contains_key(&msg.user.id) {
            self.publish(Event::Online {
                account: msg.user.id,
            });
        }
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
        Ok(())
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
        self.publish(Event::RoomCreated {
            id: msg.room.id,
            name: msg.room.name.clone(),
            capacity: msg.room.capacity,
            creator: (&msg.creator).into(),
        });
        self.room_created(&msg.room, &msg.creator);
    }
}

impl Handler<Join> for Registry {
    type Result = ResponseActFuture<Self, Result<JoinInfo, Failure>>;
    fn handle(&mut self, msg: Join, _ctx: &mut Context<Self>) -> Self::Result {
        if self.rooms.contains_key(&msg.room) {
            return self.join_known(msg);
        }
        // Not known here, but perhaps just created: its row is committed
        // before its actor starts, so a `join` right after `room_exists`
        // (two users creating the same room at once) looks in the store.
        let name = msg.room.clone();
        let lookup = self.env.db.run(move |c| rooms::find(c, &name));
        Box::pin(
            lookup
                .into_actor(self)
                .then(move |found, act, _ctx| match found {
                    Ok(Some(room)) => {
                        if !act.rooms.contains_key(&room.name) {
                            act.start_room(&room);
                        }
                        act.join_known(msg)
                    }
                    Ok(None) => Box::pin(fut::ready(Err(Failure::new(ErrorCode::NoSuchRoom)))),
                    Err(e) => Box::pin(fut::ready(Err(Failure::from(e)))),
                }),
        )
    }
}

impl Registry {
    /// `Join` of a room this registry has started.
    fn join_known(&mut self, msg: Join) -> ResponseActFuture<Self, Result<JoinInfo, Failure>> {
        let Some(entry) = self.rooms.get(&msg.room) else {
            return Box::pin(fut::ready(Err(Failure::new(ErrorCode::NoSuchRoom))));
        };
        let req = AddMember {
            user: msg.user.clone(),
            sessions: self.sessions_of(msg.user.id),
            requester: Some(msg.session),
            stored: false,
            elsewhere: self.peers.online(msg.user.id),
            quiet: msg.quiet,
            room_role: crate::model::RoomRole::Member,
        };
        let room_id = entry.id;
        Box::pin(
            entry
                .addr
                .send(req)
                .into_actor(self)
                .map(move |res, act, _ctx| {
                    let info = res.map_err(|_| Failure::new(ErrorCode::Internal))??;
                    act.publish(Event::Joined {
                        room: room_id,
                        user: (&msg.user).into(),
                        quiet: msg.quiet,
                        room_role: Some(info.room_role),
                    });
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
            // the code the contract gives `leave`; the words say why
            let f = Failure::msg(ErrorCode::NotInRoom, format!("no room {}", msg.room));
            return Box::pin(fut::ready(Err(f)));
        };
        let req = RemoveMember {
            account: msg.user.id,
            why: room::Departure::Left,
            requester: Some(msg.session),
            stored: false,
            quiet: msg.quiet,
        };
        let room_id = entry.id;
        Box::pin(
            entry
                .addr
                .send(req)
                .into_actor(self)
                .map(move |res, act, _ctx| {
                    res.map_err(|_| Failure::new(ErrorCode::Internal))??;
                    act.publish(Event::Left {
                        room: room_id,
                        account: msg.user.id,
                        why: crate::cluster::wire::Departure::Left,
                        quiet: msg.quiet,
                    });
                    if let Some(u) = act.users.get_mut(&msg.user.id) {
                        u.rooms.remove(&msg.room);
                    }
                    Ok(())
                }),
        )
    }
}

impl Handler<ListRooms> for Registry {
    type Result = MessageResult<ListRooms>;
    fn handle(&mut self, msg: ListRooms, _ctx: &mut Context<Self>) -> Self::Result {
        let mut names: Vec<&String> = self
            .rooms
            .keys()
            .filter(|n| msg.after.as_ref().is_none_or(|a| *n > a))
            .filter(|n| msg.query.as_ref().is_none_or(|q| n.contains(q.as_str())))
            .collect();
        names.sort_unstable();
        let more = names.len() > msg.limit;
        names.truncate(msg.limit);
        let next = if more {
            names.last().map(|n| (*n).clone())
        } else {
            None
        };
        let page = names
            .into_iter()
            .map(|n| {
                let e = &self.rooms[n];
                json!({"name": n, "members": e.members, "online": e.online, "capacity": e.capacity, "topic": e.topic})
            })
            .collect();
        MessageResult((page, next))
    }
}

impl Handler<RoomCount> for Registry {
    type Result = usize;
    fn handle(&mut self, _: RoomCount, _ctx: &mut Context<Self>) -> usize {
        self.rooms.len()
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
    type Result = ResponseActFuture<Self, Result<Vec<Value>, Failure>>;
    fn handle(&mut self, msg: Who, _ctx: &mut Context<Self>) -> Self::Result {
        self.who_everywhere(msg.with_connections)
    }
}

impl Handler<Shutdown> for Registry {
    type Result = Vec<Addr<Session>>;
    fn handle(&mut self, msg: Shutdown, _ctx: &mut Context<Self>) -> Self::Result {
        let ev = crate::protocol::Event::Shutdown {
            reason: msg.reason.to_owned(),
        }
        .frame();
        self.conns
            .values()
            .map(|c| {
                c.handle.addr.do_send(BeginShutdown { event: ev.clone() });
                c.handle.addr.clone()
            })
            .collect()
    }
}
