//! The acts on a room's people (issue 18): room bans (`ban` / `unban` with
//! `room`) and room roles (`set_room_role`). Each writes its change and its
//! record (with the room's id) in one transaction, then tells the Registry,
//! which shows it here and on every other node. Rank is checked by the
//! handler (`commands/moderation.rs`, with `commands::authority`) before
//! the act comes here; what can only be known in the transaction (the
//! target still a member, not the owner) is checked again there.

use actix::prelude::*;
use chrono::TimeDelta;
use serde_json::{Map, Value};

use super::acts::RoomTarget;
use super::Moderation;
use crate::actors::registry::{KickFromRoom, RoomRoleChanged};
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{ModAction, RoomRole};
use crate::protocol::Event;
use crate::store::accounts::Account;
use crate::store::moderation::{self as records, NewAction};
use crate::store::room_bans::{self, RoomBanRow};
use crate::store::{self, rooms};

type Done = ResponseActFuture<Moderation, Result<Map<String, Value>, Failure>>;

/// What a transaction here found that refuses the act.
enum Refused {
    NotInRoom,
    Owner,
    NotBanned,
}

impl Moderation {
    /// `ban` with `room`: stored in `room_bans`; the target leaves the room
    /// (its membership deleted in the ban's transaction) and its sessions
    /// get `banned {.., room}` and stay connected. Someone not in the room
    /// may be banned from it beforehand.
    pub(super) fn room_ban(
        &mut self,
        by: UserRef,
        target: Account,
        duration_s: Option<i64>,
        reason: Option<String>,
        room: RoomTarget,
    ) -> Done {
        let at = store::now();
        let until = duration_s.map(|d| at + TimeDelta::seconds(d));
        let row = RoomBanRow {
            account_id: target.id,
            room_id: room.id,
            until,
            reason: reason.clone(),
            actor_id: Some(by.id),
            created_at: at,
        };
        let rec = NewAction::new(ModAction::Ban, at)
            .target(target.id)
            .actor(by.id)
            .room(Some(room.id))
            .reason(reason.clone())
            .until(until);
        let (rid, tid) = (room.id, target.id);
        let write = self.commit(move |c| {
            // serialized with joins of the room (see `lock_for_membership`)
            rooms::lock_for_membership(c, rid)?;
            room_bans::put(c, &row)?;
            let was_member = rooms::remove_member(c, rid, tid)?;
            records::record(c, &rec)?;
            Ok(was_member)
        });
        Box::pin(write.map(move |res, act, _| {
            let was_member = res?;
            if was_member {
                act.registry.do_send(KickFromRoom {
                    account: target.id,
                    room: room.name.clone(),
                    by: by.name.clone(),
                    banned: true,
                });
            }
            let until_text = until.as_ref().map(store::fmt_time);
            act.tell(
                target.id,
                Event::Banned {
                    by: Some(by.name),
                    until: until_text.clone(),
                    reason,
                    room: Some(room.name),
                },
            );
            Ok(fields!("until" => until_text))
        }))
    }

    /// `unban` with `room`: `not_banned` unless a room ban is in force.
    pub(super) fn room_unban(&mut self, by: UserRef, target: Account, room: RoomTarget) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::Unban, at)
            .target(target.id)
            .actor(by.id)
            .room(Some(room.id));
        let (rid, tid) = (room.id, target.id);
        let write = self.commit(move |c| {
            if room_bans::room_ban_of(c, tid, rid, at)?.is_none() {
                // an expired ban still stored is cleared, but was not in force
                room_bans::delete(c, tid, rid)?;
                return Ok(Err(Refused::NotBanned));
            }
            room_bans::delete(c, tid, rid)?;
            records::record(c, &rec)?;
            Ok(Ok(()))
        });
        Box::pin(write.map(move |res, _act, _| match res? {
            Ok(()) => Ok(Map::new()),
            Err(_) => Err(Failure::msg(
                ErrorCode::NotBanned,
                format!("{} is not banned from {}", target.username, room.name),
            )),
        }))
    }

    /// `set_room_role`: op or member, for a member who is not the owner.
    pub(super) fn set_room_role(
        &mut self,
        by: UserRef,
        target: Account,
        room: RoomTarget,
        role: RoomRole,
    ) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::SetRoomRole, at)
            .target(target.id)
            .actor(by.id)
            .room(Some(room.id))
            .detail(role.as_str());
        let (rid, tid) = (room.id, target.id);
        let write = self.commit(move |c| {
            match rooms::room_role_of(c, rid, tid)? {
                None => return Ok(Err(Refused::NotInRoom)),
                Some(RoomRole::Owner) => return Ok(Err(Refused::Owner)),
                Some(_) => {}
            }
            rooms::set_room_role(c, rid, tid, role)?;
            records::record(c, &rec)?;
            Ok(Ok(()))
        });
        Box::pin(write.map(move |res, act, _| {
            match res? {
                Ok(()) => {}
                Err(Refused::NotInRoom) => {
                    return Err(Failure::msg(
                        ErrorCode::NotInRoom,
                        format!("{} is not in {}", target.username, room.name),
                    ))
                }
                Err(Refused::Owner | Refused::NotBanned) => {
                    return Err(crate::commands::authority::refuse(
                        &by.name,
                        &target.username,
                        "the owner's room role cannot be changed",
                    ))
                }
            }
            act.registry.do_send(RoomRoleChanged {
                room: room.id,
                account: target.id,
                room_role: role,
                event: Event::RoomRoleChanged {
                    room: room.name,
                    user: target.username,
                    room_role: role,
                    by: Some(by.name),
                },
            });
            Ok(Map::new())
        }))
    }
}
