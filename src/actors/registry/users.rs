//! What the registry does for and to one user: texts addressed to users
//! (whispers, announcements) and what renames, role changes and moderation
//! do to an account's sessions and rooms.

use actix::prelude::*;

use super::{Registry, RoomSet};
use crate::actors::chat_log::{log_then, Ack, Committed};
use crate::actors::room;
use crate::actors::session::{Close, UserChanged};
use crate::actors::UserRef;
use crate::cluster::wire::Event as Wire;
use crate::error::{ErrorCode, Failure};
use crate::model::{username_key, AccountId, SessionId};
use crate::protocol::Event;
use crate::store;
use crate::store::chat_log::{Kind, NewChatLog};

/// `whisper` to an online user: logged, delivered, acknowledged.
/// `user_offline` when the name has no logged-in session.
#[derive(Message)]
#[rtype(result = "Result<Committed, Failure>")]
pub struct Whisper {
    pub from: UserRef,
    pub session: SessionId,
    /// The recipient, as [`OnlineByName`] found it.
    pub to: OnlineAccount,
    pub text: String,
    /// An emote.
    pub action: bool,
}

/// An account was renamed (already stored).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Renamed {
    pub account: AccountId,
    pub session: SessionId,
    pub new: String,
}

/// Send an event to every session of an account.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendToUser {
    pub account: AccountId,
    pub event: Event,
    /// Also on the other nodes of a cluster; `false` for what every node
    /// does by itself (a mute's timer running out).
    pub everywhere: bool,
    /// Not to this session (on this node): the one whose request caused
    /// it and got its `ok` (`read` after `mark_read`).
    pub except: Option<SessionId>,
}

/// Send `event` to every session of an account and close them (ban).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseUser {
    pub account: AccountId,
    pub event: Event,
    pub reason: &'static str,
    /// Also on the other nodes of a cluster; `false` for what every node
    /// finds by itself (the console's password change).
    pub everywhere: bool,
}

/// Global kick: each of the account's rooms shows it leaving, then every
/// session gets `event` and is closed. Memberships stay.
#[derive(Message)]
#[rtype(result = "()")]
pub struct KickUser {
    pub account: AccountId,
    pub by: String,
    pub event: Event,
}

/// Room kick or room ban whose membership row is already deleted.
#[derive(Message)]
#[rtype(result = "()")]
pub struct KickFromRoom {
    pub account: AccountId,
    pub room: String,
    pub by: String,
    /// A room ban: the room shows `left` with reason `banned`.
    pub banned: bool,
}

/// A member's room role changed (already stored): the room shows it, on
/// every node, and its sessions get `event` (`room_role_changed`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomRoleChanged {
    pub room: crate::model::RoomId,
    pub account: AccountId,
    pub room_role: crate::model::RoomRole,
    pub event: Event,
}

/// An account's role changed (already stored): its sessions act on it at
/// once and get `role_changed`; its rooms show the new role.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoleChanged {
    pub account: AccountId,
    pub name: String,
    pub role: crate::model::Role,
    /// `None`: the console (`modchat-admin user set-role`).
    pub by: Option<String>,
    /// Also on the other nodes of a cluster (`false`: each node finds the
    /// console's record itself).
    pub everywhere: bool,
}

/// The account with this name (any letter case), if it has a logged-in
/// session (on any node of a cluster).
#[derive(Message)]
#[rtype(result = "Option<OnlineAccount>")]
pub struct OnlineByName(pub String);

/// An online account, with its name as registered.
#[derive(Debug, Clone)]
pub struct OnlineAccount {
    pub id: AccountId,
    pub name: String,
}

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
    action: bool,
    result: Result<Committed, Failure>,
    reply: Ack,
}

impl Handler<Whisper> for Registry {
    type Result = ResponseFuture<Result<Committed, Failure>>;
    fn handle(&mut self, msg: Whisper, ctx: &mut Context<Self>) -> Self::Result {
        let to = msg.to.id;
        // the recipient may have gone since `OnlineByName`
        if !self.online_anywhere(to) {
            return Box::pin(async { Err(Failure::new(ErrorCode::UserOffline)) });
        }
        if to == msg.from.id {
            return Box::pin(async { Err(Failure::new(ErrorCode::CannotWhisperSelf)) });
        }
        let (from, session, text, action) =
            (msg.from.clone(), msg.session, msg.text.clone(), msg.action);
        let to_name = msg.to.name;
        let row = NewChatLog {
            kind: Kind::Whisper.as_str(),
            room_id: None,
            sender_id: Some(msg.from.id),
            sender_name: msg.from.name,
            recipient_id: Some(to),
            text: msg.text,
            action,
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
                action,
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
            let event = Event::Whisper {
                id: c.id,
                from: msg.from.name.clone(),
                to: msg.to_name,
                text: msg.text,
                action: msg.action,
                at: store::fmt_time(&c.at),
            };
            let ev = event.frame();
            // a copy of the text for other nodes only when there are some
            if let (Some(_), Some(event)) = (&self.env.cluster, ev.event()) {
                self.publish(Wire::Whisper {
                    to: msg.to,
                    from: msg.from.id,
                    event: event.clone(),
                });
            }
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
        let Some(user) = self.users.get(&msg.account) else {
            return;
        };
        let (old, rooms) = (user.name.clone(), user.rooms.clone());
        self.publish(Wire::Renamed {
            account: msg.account,
            old: old.clone(),
            new: msg.new.clone(),
            rooms: rooms.iter().cloned().collect(),
        });
        self.renamed_here(msg.account, Some(msg.session), old, msg.new, &rooms);
    }
}

impl Registry {
    /// A rename, shown to this node's sessions: the account's own (but
    /// the one that asked, `session`) and those of its co-members in
    /// `rooms`.
    pub(super) fn renamed_here(
        &mut self,
        account: AccountId,
        session: Option<SessionId>,
        old: String,
        new: String,
        rooms: &RoomSet,
    ) {
        if let Some(user) = self.users.get_mut(&account) {
            user.name = new.clone();
            self.names.remove(&username_key(&old));
            self.names.insert(username_key(&new), account);
        }
        for r in rooms {
            if let Some(e) = self.rooms.get(r) {
                e.addr.do_send(room::UpdateMember {
                    account,
                    name: Some(new.clone()),
                    role: None,
                });
            }
        }
        for s in self.sessions_of(account) {
            if Some(s.id) != session {
                s.addr.do_send(UserChanged {
                    name: Some(new.clone()),
                    role: None,
                });
            }
        }
        let ev = Event::Renamed {
            old: old.to_owned(),
            new: new.clone(),
        }
        .frame();
        let mut told: Vec<AccountId> = Vec::new();
        for (id, u) in &self.users {
            if *id == account || !u.rooms.is_disjoint(rooms) {
                told.push(*id);
            }
        }
        for id in told {
            for s in self.sessions_of(id) {
                if Some(s.id) != session {
                    s.out.push(ev.clone());
                }
            }
        }
    }
}

impl Handler<SendToUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: SendToUser, _ctx: &mut Context<Self>) {
        let frame = msg.event.clone().frame();
        if msg.everywhere {
            self.publish(Wire::ToUser {
                account: msg.account,
                event: msg.event,
            });
        }
        for s in self.sessions_of(msg.account) {
            if Some(s.id) != msg.except {
                s.out.push(frame.clone());
            }
        }
    }
}

impl Handler<CloseUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: CloseUser, _ctx: &mut Context<Self>) {
        let frame = msg.event.clone().frame();
        if msg.everywhere {
            self.publish(Wire::CloseUser {
                account: msg.account,
                event: msg.event,
                reason: msg.reason.to_owned(),
            });
        }
        self.close_account(msg.account, frame, msg.reason);
    }
}

impl Handler<KickUser> for Registry {
    type Result = ();
    fn handle(&mut self, msg: KickUser, _ctx: &mut Context<Self>) {
        let frame = msg.event.clone().frame();
        self.publish(Wire::KickUser {
            account: msg.account,
            by: msg.by.clone(),
            event: msg.event,
        });
        self.kick_here(msg.account, msg.by, frame);
    }
}

impl Registry {
    /// A global kick on this node: its rooms show the account leaving, its
    /// sessions here close.
    pub(super) fn kick_here(
        &mut self,
        account: AccountId,
        by: String,
        event: crate::protocol::Outgoing,
    ) {
        self.mark_closed(account, event.clone());
        // in a cluster the account may have no session here but be a
        // member of rooms here: every room is told (rooms without it
        // ignore it)
        let kicked = room::MemberKicked { account, by };
        match (&self.env.cluster, self.users.get(&account)) {
            (None, Some(u)) => {
                for r in &u.rooms {
                    if let Some(e) = self.rooms.get(r) {
                        e.addr.do_send(kicked.clone());
                    }
                }
            }
            (None, None) => {}
            (Some(_), _) => {
                for e in self.rooms.values() {
                    e.addr.do_send(kicked.clone());
                }
            }
        }
        for s in self.sessions_of(account) {
            s.addr.do_send(Close::with_event(event.clone(), "kicked"));
            self.detach(s.id);
        }
    }
}

impl Handler<KickFromRoom> for Registry {
    type Result = ();
    fn handle(&mut self, msg: KickFromRoom, _ctx: &mut Context<Self>) {
        use crate::cluster::wire::Departure as WireDeparture;
        let (wire_why, why) = if msg.banned {
            (
                WireDeparture::Banned { by: msg.by.clone() },
                room::Departure::Banned { by: msg.by },
            )
        } else {
            (
                WireDeparture::Kicked { by: msg.by.clone() },
                room::Departure::Kicked { by: msg.by },
            )
        };
        if let Some(id) = self.rooms.get(&msg.room).map(|e| e.id) {
            self.publish(Wire::Left {
                room: id,
                account: msg.account,
                why: wire_why,
                quiet: false,
            });
        }
        self.member_left(&msg.room, msg.account, why, false);
    }
}

impl Handler<RoomRoleChanged> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoomRoleChanged, _ctx: &mut Context<Self>) {
        self.publish(Wire::RoomRoleChanged {
            room: msg.room,
            account: msg.account,
            room_role: msg.room_role,
            event: msg.event.clone(),
        });
        if let Some(e) = self.room_by_id(msg.room) {
            e.addr.do_send(room::RoomRoleSet {
                account: msg.account,
                room_role: msg.room_role,
                event: msg.event,
            });
        }
    }
}

impl Handler<RoleChanged> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoleChanged, _ctx: &mut Context<Self>) {
        if msg.everywhere {
            self.publish(Wire::RoleChanged {
                account: msg.account,
                name: msg.name.clone(),
                role: msg.role,
                by: msg.by.clone(),
            });
        }
        self.role_changed_here(msg.account, msg.name, msg.role, msg.by);
    }
}

impl Registry {
    pub(super) fn role_changed_here(
        &mut self,
        account: AccountId,
        name: String,
        role: crate::model::Role,
        by: Option<String>,
    ) {
        if let Some(u) = self.users.get_mut(&account) {
            u.role = role;
        }
        // every room, not only an online user's (an offline member's rooms
        // are not known here): rooms without the account ignore it, and
        // role changes are rare
        for e in self.rooms.values() {
            e.addr.do_send(room::UpdateMember {
                account,
                name: None,
                role: Some(role),
            });
        }
        let ev = Event::RoleChanged {
            user: name,
            role,
            by,
        }
        .frame();
        for s in self.sessions_of(account) {
            s.addr.do_send(UserChanged {
                name: None,
                role: Some(role),
            });
            s.out.push(ev.clone());
        }
    }
}

impl Handler<IsOnline> for Registry {
    type Result = bool;
    fn handle(&mut self, msg: IsOnline, _ctx: &mut Context<Self>) -> bool {
        self.online_anywhere(msg.0)
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
            action: false,
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
            let event = Event::Announcement {
                id: c.id,
                from: msg.from,
                text: msg.text,
                at: store::fmt_time(&c.at),
            };
            let ev = event.clone().frame();
            self.publish(Wire::Announcement { event });
            for c in self.conns.values().filter(|c| c.account.is_some()) {
                c.handle.out.push(ev.clone());
            }
        }
        let _ = msg.reply.send(msg.result);
    }
}

impl Handler<OnlineByName> for Registry {
    type Result = ResponseActFuture<Self, Option<OnlineAccount>>;
    fn handle(&mut self, msg: OnlineByName, _ctx: &mut Context<Self>) -> Self::Result {
        let here = self.names.get(&username_key(&msg.0)).and_then(|id| {
            self.users.get(id).map(|u| OnlineAccount {
                id: *id,
                name: u.name.clone(),
            })
        });
        if here.is_some() || self.env.cluster.is_none() {
            return Box::pin(fut::ready(here));
        }
        // not here: perhaps on another node
        let name = msg.0;
        let lookup = self
            .env
            .db
            .run(move |c| store::accounts::find_by_name(c, &name));
        Box::pin(lookup.into_actor(self).map(|found, act, _ctx| match found {
            Ok(Some(a)) if act.peers.online(a.id) => Some(OnlineAccount {
                id: a.id,
                name: a.username,
            }),
            _ => None,
        }))
    }
}
