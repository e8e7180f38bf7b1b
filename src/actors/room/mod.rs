//! One actor per room: its members (loaded from the database when the actor
//! starts), their live sessions, and the fan-out of the room's events. Rooms
//! run side by side; a busy room does not hold up the others.
//!
//! Started and addressed by the registry. Membership changes come through
//! the registry (which keeps each online account's room list), messages
//! straight from the session that resolved the room there.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix::prelude::*;

use super::chat_log::{log_then, Ack, Committed};
use super::registry::RoomStats;
use super::{Env, SessionHandle};
use crate::cluster::wire::Event as Wire;
use crate::error::{ErrorCode, Failure};
use crate::model::{AccountId, Role, RoomId, RoomRole, SessionId};
use crate::protocol::events::{Event, LeftReason};
use crate::protocol::Outgoing;
use crate::store::chat_log::{self, Kind, NewChatLog};
use crate::store::{self, room_bans, rooms};

mod admin;
mod messages;
mod ordered;
mod sequence;

pub use admin::*;
pub use messages::*;
use sequence::{Entry, Sequence};

/// The writer committed a message of this room.
#[derive(Message)]
#[rtype(result = "()")]
struct MessageCommitted {
    from: String,
    session: SessionId,
    text: String,
    action: bool,
    result: Result<Committed, Failure>,
    reply: Ack,
}

// ---- The actor ------------------------------------------------------------

struct Member {
    name: String,
    role: Role,
    room_role: RoomRole,
    sessions: Vec<SessionHandle>,
    /// Has sessions on other nodes of the cluster.
    elsewhere: bool,
}

impl Member {
    fn new(name: String, role: Role, room_role: RoomRole) -> Member {
        Member {
            name,
            role,
            room_role,
            sessions: Vec::new(),
            elsewhere: false,
        }
    }

    fn online(&self) -> bool {
        self.elsewhere || !self.sessions.is_empty()
    }
}

pub struct Room {
    env: Arc<Env>,
    id: RoomId,
    name: Arc<str>,
    capacity: i32,
    /// "" when the room has none.
    topic: String,
    members: HashMap<AccountId, Member>,
    /// Joins whose database write is under way: they hold a seat.
    joining: HashSet<AccountId>,
    loaded: bool,
    /// In a cluster: messages in id order, whichever node committed them.
    seq: Option<Sequence>,
    /// A read of the chat log for a gap is armed or running.
    filling: bool,
}

impl Room {
    pub fn new(env: Arc<Env>, room: &rooms::Room) -> Room {
        Room {
            env,
            id: room.id,
            name: Arc::from(room.name.as_str()),
            capacity: room.capacity,
            topic: room.topic.clone(),
            members: HashMap::new(),
            joining: HashSet::new(),
            loaded: false,
            seq: None,
            filling: false,
        }
    }

    /// Loads the members; until it succeeds the mailbox waits, and on a
    /// database failure it tries again a second later.
    fn load(&mut self, ctx: &mut Context<Self>) {
        let id = self.id;
        let sequenced = self.env.cluster.is_some();
        let fut = self.env.db.run(move |c| {
            let members = rooms::members_of(c, id)?;
            let newest = match sequenced {
                true => Some(chat_log::room_newest(c, id)?),
                false => None,
            };
            Ok::<_, store::StoreError>((members, newest))
        });
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok((list, newest)) => {
                for m in list {
                    act.members
                        .entry(m.account_id)
                        .or_insert_with(|| Member::new(m.username, m.role, m.room_role));
                }
                if act.seq.is_none() {
                    act.seq = newest.map(Sequence::new);
                }
                act.loaded = true;
                act.report(ctx);
            }
            Err(e) => {
                tracing::warn!(room = %act.name, error = %e, "cannot load members; retrying");
                ctx.run_later(std::time::Duration::from_secs(1), |act, ctx| act.load(ctx));
            }
        }));
    }

    fn online_count(&self) -> usize {
        self.members.values().filter(|m| m.online()).count()
    }

    /// Tells the registry the counts `rooms` shows.
    fn report(&self, _ctx: &mut Context<Self>) {
        self.env.registry.do_send(RoomStats {
            name: self.name.to_string(),
            members: self.members.len(),
            online: self.online_count(),
        });
    }

    /// Sends `frame` to every session in the room except `skip`.
    fn fan_out(&self, frame: &Outgoing, skip: Option<SessionId>) {
        for m in self.members.values() {
            for s in &m.sessions {
                if Some(s.id) != skip {
                    s.out.push(frame.clone());
                }
            }
        }
    }

    /// Sends `frame` to one member's sessions (but `skip`).
    fn tell_member(&self, account: AccountId, frame: &Outgoing, skip: Option<SessionId>) {
        if let Some(m) = self.members.get(&account) {
            for s in &m.sessions {
                if Some(s.id) != skip {
                    s.out.push(frame.clone());
                }
            }
        }
    }

    /// Sends `frame` to every session of every member but `account`.
    fn fan_out_others(&self, frame: &Outgoing, account: AccountId) {
        for (id, m) in &self.members {
            if *id != account {
                for s in &m.sessions {
                    s.out.push(frame.clone());
                }
            }
        }
    }

    fn views(&self) -> Vec<MemberView> {
        let mut v: Vec<MemberView> = self
            .members
            .values()
            .map(|m| MemberView {
                name: m.name.clone(),
                role: m.role,
                room_role: m.room_role,
                online: m.online(),
            })
            .collect();
        v.sort_by_key(|m| m.name.to_ascii_lowercase());
        v
    }

    fn not_loaded() -> Failure {
        Failure::new(ErrorCode::Unavailable)
    }
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(1024);
        self.load(ctx);
    }
}

impl Handler<AttachSession> for Room {
    type Result = ();
    fn handle(&mut self, msg: AttachSession, ctx: &mut Context<Self>) {
        let Some(m) = self.members.get_mut(&msg.account) else {
            return;
        };
        if m.sessions.iter().any(|s| s.id == msg.handle.id) {
            return;
        }
        let was = m.online();
        if m.sessions.is_empty() {
            // most members have one session: room for exactly it (a first
            // push makes room for 4, 120 bytes per member for nothing)
            m.sessions.reserve_exact(1);
        }
        m.sessions.push(msg.handle);
        if !was {
            self.presence_changed(msg.account, true, ctx);
        }
    }
}

impl Handler<DetachSession> for Room {
    type Result = ();
    fn handle(&mut self, msg: DetachSession, ctx: &mut Context<Self>) {
        let Some(m) = self.members.get_mut(&msg.account) else {
            return;
        };
        let was = m.online();
        m.sessions.retain(|s| s.id != msg.session);
        if was && !m.online() {
            self.presence_changed(msg.account, false, ctx);
        }
    }
}

impl Handler<RemotePresence> for Room {
    type Result = ();
    fn handle(&mut self, msg: RemotePresence, ctx: &mut Context<Self>) {
        let Some(m) = self.members.get_mut(&msg.account) else {
            return;
        };
        let was = m.online();
        m.elsewhere = msg.online;
        if was != m.online() {
            self.presence_changed(msg.account, msg.online, ctx);
        }
    }
}

impl Room {
    /// `online` / `offline` to the others: the member's first session (on
    /// any node) came, or its last went.
    fn presence_changed(&self, account: AccountId, online: bool, ctx: &mut Context<Self>) {
        let Some(m) = self.members.get(&account) else {
            return;
        };
        let count = self.online_count();
        let (room, user) = (self.name.to_string(), m.name.clone());
        let ev = if online {
            Event::Online {
                room,
                user,
                online: count,
            }
        } else {
            Event::Offline {
                room,
                user,
                online: count,
            }
        }
        .frame();
        self.fan_out_others(&ev, account);
        self.report(ctx);
    }
}

impl Handler<AddMember> for Room {
    type Result = ResponseActFuture<Self, Result<JoinInfo, Failure>>;
    fn handle(&mut self, msg: AddMember, _ctx: &mut Context<Self>) -> Self::Result {
        if !self.loaded {
            return Box::pin(fut::ready(Err(Self::not_loaded())));
        }
        let info = |act: &Room, room_role: RoomRole| JoinInfo {
            name: act.name.to_string(),
            capacity: act.capacity,
            topic: act.topic.clone(),
            members: act.views(),
            room_role,
        };
        if let Some(m) = self.members.get(&msg.user.id) {
            return Box::pin(fut::ready(Ok(info(self, m.room_role))));
        }
        if self.joining.contains(&msg.user.id) {
            return Box::pin(fut::ready(Ok(info(self, RoomRole::Member))));
        }
        if !msg.stored && self.members.len() + self.joining.len() >= self.capacity.max(0) as usize {
            return Box::pin(fut::ready(Err(self.full())));
        }
        self.joining.insert(msg.user.id);
        let (room_id, account) = (self.id, msg.user.id);
        let db = self.env.db.clone();
        let (stored, clustered) = (msg.stored, self.env.cluster.is_some());
        let stored_role = msg.room_role;
        let write = async move {
            if stored {
                return Ok(Ok((rooms::Added::Added, stored_role)));
            }
            db.run(move |c| rooms::join_unless_banned(c, room_id, account, clustered, store::now()))
                .await
        };
        Box::pin(write.into_actor(self).map(move |res, act, ctx| {
            act.joining.remove(&msg.user.id);
            let room_role = match res.map_err(Failure::from)? {
                Err(ban) => return Err(banned_from_room(&act.name, &ban)),
                Ok((rooms::Added::Full, _)) => return Err(act.full()),
                Ok((rooms::Added::Added | rooms::Added::Already, role)) => role,
            };
            if let Some(m) = act.members.get(&msg.user.id) {
                // shown already (another node's event came first)
                return Ok(info(act, m.room_role));
            }
            let mut m = Member::new(msg.user.name.clone(), msg.user.role, room_role);
            m.sessions = msg.sessions;
            m.elsewhere = msg.elsewhere;
            act.members.insert(msg.user.id, m);
            let members = act.members.len();
            let ev = Event::Joined {
                room: act.name.to_string(),
                user: msg.user.name.clone(),
                room_role,
                members,
            }
            .frame();
            if msg.quiet {
                act.tell_member(msg.user.id, &ev, msg.requester);
            } else {
                act.fan_out(&ev, msg.requester);
            }
            act.report(ctx);
            Ok(info(act, room_role))
        }))
    }
}

/// `banned_from_room {until, reason}`: a `join` while a room ban lasts.
fn banned_from_room(room: &str, ban: &room_bans::RoomBanRow) -> Failure {
    let message = match &ban.until {
        Some(u) => format!("banned from {room} until {}", store::fmt_time(u)),
        None => format!("banned from {room} until further notice"),
    };
    Failure::msg(ErrorCode::BannedFromRoom, message)
        .with("until", ban.until.as_ref().map(store::fmt_time))
        .with("reason", ban.reason.clone())
}

impl Room {
    fn full(&self) -> Failure {
        Failure::msg(
            ErrorCode::RoomFull,
            format!("room {} is full (capacity {})", self.name, self.capacity),
        )
    }
}

impl Handler<RemoveMember> for Room {
    type Result = ResponseActFuture<Self, Result<(), Failure>>;
    fn handle(&mut self, msg: RemoveMember, _ctx: &mut Context<Self>) -> Self::Result {
        if !self.loaded {
            return Box::pin(fut::ready(Err(Self::not_loaded())));
        }
        if !self.members.contains_key(&msg.account) {
            return Box::pin(fut::ready(Err(Failure::new(ErrorCode::NotInRoom))));
        }
        let (room_id, account) = (self.id, msg.account);
        let db = self.env.db.clone();
        let stored = msg.stored;
        let write = async move {
            if stored {
                Ok(true)
            } else {
                db.run(move |c| rooms::remove_member(c, room_id, account))
                    .await
            }
        };
        Box::pin(write.into_actor(self).map(move |res, act, ctx| {
            res.map_err(Failure::from)?;
            let Some(gone) = act.members.remove(&msg.account) else {
                return Ok(());
            };
            let members = act.members.len();
            let (reason, by) = match &msg.why {
                Departure::Left => (LeftReason::Left, None),
                Departure::Kicked { by } => (LeftReason::Kicked, Some(by.clone())),
                Departure::Banned { by } => (LeftReason::Banned, Some(by.clone())),
            };
            let ev = Event::Left {
                room: act.name.to_string(),
                user: gone.name.clone(),
                members,
                reason,
                by,
            }
            .frame();
            if !msg.quiet {
                act.fan_out(&ev, None);
            }
            // the member's own other sessions learn it too
            for s in &gone.sessions {
                if Some(s.id) != msg.requester {
                    s.out.push(ev.clone());
                }
            }
            act.report(ctx);
            Ok(())
        }))
    }
}

impl Handler<MemberKicked> for Room {
    type Result = ();
    fn handle(&mut self, msg: MemberKicked, _ctx: &mut Context<Self>) {
        let Some(m) = self.members.get_mut(&msg.account) else {
            return;
        };
        m.sessions.clear();
        m.elsewhere = false;
        let user = m.name.clone();
        let members = self.members.len();
        let ev = Event::Left {
            room: self.name.to_string(),
            user,
            members,
            reason: LeftReason::Kicked,
            by: Some(msg.by),
        }
        .frame();
        self.fan_out_others(&ev, msg.account);
        self.report(_ctx);
    }
}

impl Handler<PostMessage> for Room {
    type Result = ResponseFuture<Result<Committed, Failure>>;
    fn handle(&mut self, msg: PostMessage, ctx: &mut Context<Self>) -> Self::Result {
        if !self.loaded {
            return Box::pin(async { Err(Room::not_loaded()) });
        }
        if !self.members.contains_key(&msg.user.id) {
            return Box::pin(async { Err(Failure::new(ErrorCode::NotInRoom)) });
        }
        let from = msg.user.name.clone();
        let (session, text, action) = (msg.session, msg.text.clone(), msg.action);
        let row = NewChatLog {
            kind: Kind::Message.as_str(),
            room_id: Some(self.id),
            sender_id: Some(msg.user.id),
            sender_name: msg.user.name,
            recipient_id: None,
            text: msg.text,
            action,
            at: store::now(),
        };
        let room = ctx.address().recipient();
        let committed = log_then(&self.env.chat_log, row, room, move |result, reply| {
            MessageCommitted {
                from,
                session,
                text,
                action,
                result,
                reply,
            }
        });
        if let Some(q) = msg.queued {
            q.fire();
        }
        Box::pin(committed)
    }
}

impl Handler<MessageCommitted> for Room {
    type Result = ();
    fn handle(&mut self, msg: MessageCommitted, ctx: &mut Context<Self>) {
        let c = match msg.result {
            Ok(c) => c,
            Err(f) => {
                let _ = msg.reply.send(Err(f));
                return;
            }
        };
        match (&self.env.cluster, self.seq.is_some()) {
            (Some(cluster), true) => {
                cluster.publish(Wire::Message {
                    room: self.id,
                    id: c.id,
                    prev: c.prev,
                    from: msg.from.clone(),
                    text: msg.text.clone(),
                    action: msg.action,
                    at: c.at,
                });
                let entry = Entry {
                    prev: c.prev,
                    from: msg.from,
                    text: msg.text,
                    action: msg.action,
                    at: c.at,
                    deleted: false,
                    local: Some((msg.session, msg.reply, c)),
                };
                self.sequence(c.id, entry, ctx);
            }
            _ => {
                let ev = Event::Message {
                    room: self.name.to_string(),
                    id: c.id,
                    from: msg.from,
                    text: msg.text,
                    action: msg.action,
                    at: store::fmt_time(&c.at),
                }
                .frame();
                self.fan_out(&ev, Some(msg.session));
                let _ = msg.reply.send(Ok(c));
            }
        }
    }
}

impl Handler<ListMembers> for Room {
    type Result = Result<Vec<MemberView>, Failure>;
    fn handle(&mut self, _: ListMembers, _ctx: &mut Context<Self>) -> Self::Result {
        if !self.loaded {
            return Err(Self::not_loaded());
        }
        Ok(self.views())
    }
}

impl Handler<IsMember> for Room {
    type Result = bool;
    fn handle(&mut self, msg: IsMember, _ctx: &mut Context<Self>) -> bool {
        self.members.contains_key(&msg.0)
    }
}

impl Handler<UpdateMember> for Room {
    type Result = ();
    fn handle(&mut self, msg: UpdateMember, _ctx: &mut Context<Self>) {
        if let Some(m) = self.members.get_mut(&msg.account) {
            if let Some(n) = msg.name {
                m.name = n;
            }
            if let Some(r) = msg.role {
                m.role = r;
            }
        }
    }
}

impl Handler<RoomRoleSet> for Room {
    type Result = ();
    fn handle(&mut self, msg: RoomRoleSet, _ctx: &mut Context<Self>) {
        if let Some(m) = self.members.get_mut(&msg.account) {
            m.room_role = msg.room_role;
        }
        self.fan_out(&msg.event.frame(), None);
    }
}

impl Handler<Broadcast> for Room {
    type Result = ();
    fn handle(&mut self, msg: Broadcast, _ctx: &mut Context<Self>) {
        self.fan_out(&msg.0, None);
    }
}
