//! What the registry does for and to one user: texts addressed to users
//! (whispers, announcements) and what renames, role changes and moderation
//! do to an account's sessions and rooms.

use actix::prelude::*;

use super::Registry;
use crate::actors::chat_log::{log_then, Ack, Committed};
use crate::actors::room::{self, RemoveMember};
use crate::actors::session::{Close, UserChanged};
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{username_key, AccountId, SessionId};
use crate::protocol::events;
use crate::store;
use crate::store::chat_log::{Kind, NewChatLog};

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
    /// `None`: the console (`modchat-admin user set-role`).
    pub by: Option<String>,
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
