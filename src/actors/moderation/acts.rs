//! The privileged actions: each writes its state change and its record in
//! one transaction, then updates the actor's state and tells those affected.

use actix::prelude::*;
use chrono::TimeDelta;
use diesel::Connection;
use serde_json::{Map, Value};

use super::{Moderation, Sanction, GLOBAL};
use crate::actors::registry::{CloseUser, IsOnline, KickFromRoom, KickUser, RoleChanged};
use crate::actors::room::{Broadcast, Room};
use crate::actors::UserRef;
use crate::cluster::wire::Event as Wire;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{AccountId, MessageId, ModAction, Role, RoomId, RoomRole};
use crate::protocol::Event;
use crate::store::accounts::Account;
use crate::store::moderation::{self as records, BanRow, MuteRow, NewAction};
use crate::store::{self, chat_log, rooms, DbConn, StoreError};

/// A room an action is about.
#[derive(Clone)]
pub struct RoomTarget {
    pub id: RoomId,
    pub name: String,
    pub addr: Addr<Room>,
}

pub enum Act {
    Kick {
        target: Account,
        reason: Option<String>,
        room: Option<RoomTarget>,
    },
    Mute {
        target: Account,
        duration_s: Option<i64>,
        reason: Option<String>,
        room: Option<RoomTarget>,
    },
    Unmute {
        target: Account,
        room: Option<RoomTarget>,
    },
    /// With `room`, a room ban: `room_roles.rs`.
    Ban {
        target: Account,
        duration_s: Option<i64>,
        reason: Option<String>,
        room: Option<RoomTarget>,
    },
    Unban {
        target: Account,
        room: Option<RoomTarget>,
    },
    /// Names an op, or makes one a member again: `room_roles.rs`.
    SetRoomRole {
        target: Account,
        room: RoomTarget,
        role: RoomRole,
    },
    DeleteMessage {
        id: MessageId,
        author: Option<AccountId>,
        room: RoomTarget,
    },
    SetRole {
        target: Account,
        role: Role,
    },
    FilterAdd {
        word: String,
    },
    FilterRemove {
        word: String,
    },
    /// The room's topic ("" clears it): `room_acts.rs`.
    SetTopic {
        room: RoomTarget,
        topic: String,
    },
    /// The room's capacity: `room_acts.rs`.
    SetCapacity {
        room: RoomTarget,
        capacity: i32,
    },
    /// Deletes the room: `room_acts.rs`.
    DeleteRoom {
        room: RoomTarget,
    },
}

type Done = ResponseActFuture<Moderation, Result<Map<String, Value>, Failure>>;

fn ready(r: Result<Map<String, Value>, Failure>) -> Done {
    Box::pin(fut::ready(r))
}

impl Moderation {
    pub(super) fn perform(&mut self, by: UserRef, act: Act, ctx: &mut Context<Self>) -> Done {
        tracing::info!(by = %by.name, action = act.action().as_str(), "moderation");
        match act {
            Act::Kick {
                target,
                reason,
                room,
            } => self.kick(by, target, reason, room),
            Act::Mute {
                target,
                duration_s,
                reason,
                room,
            } => self.mute(by, target, duration_s, reason, room, ctx),
            Act::Unmute { target, room } => self.unmute(by, target, room),
            Act::Ban {
                target,
                duration_s,
                reason,
                room: None,
            } => self.ban(by, target, duration_s, reason, ctx),
            Act::Ban {
                target,
                duration_s,
                reason,
                room: Some(room),
            } => self.room_ban(by, target, duration_s, reason, room),
            Act::Unban { target, room: None } => self.unban(by, target),
            Act::Unban {
                target,
                room: Some(room),
            } => self.room_unban(by, target, room),
            Act::SetRoomRole { target, room, role } => self.set_room_role(by, target, room, role),
            Act::DeleteMessage { id, author, room } => self.delete_message(by, id, author, room),
            Act::SetRole { target, role } => self.set_role(by, target, role),
            Act::FilterAdd { word } => self.filter_change(by, word, true),
            Act::FilterRemove { word } => self.filter_change(by, word, false),
            Act::SetTopic { room, topic } => self.set_topic(by, room, topic),
            Act::SetCapacity { room, capacity } => self.set_capacity(by, room, capacity),
            Act::DeleteRoom { room } => self.delete_room(by, room),
        }
    }

    /// Runs `f` in one transaction on the blocking pool.
    pub(super) fn commit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    ) -> impl ActorFuture<Moderation, Output = Result<T, Failure>> {
        self.db
            .run(move |c| c.transaction(f))
            .into_actor(self)
            .map(|r, _, _| r.map_err(Failure::from))
    }

    fn kick(
        &mut self,
        by: UserRef,
        target: Account,
        reason: Option<String>,
        room: Option<RoomTarget>,
    ) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::Kick, at)
            .target(target.id)
            .actor(by.id)
            .room(room.as_ref().map(|r| r.id))
            .reason(reason.clone());
        let registry = self.registry.clone();
        match room {
            Some(room) => {
                let (rid, tid) = (room.id, target.id);
                let write = self.commit(move |c| {
                    if !rooms::remove_member(c, rid, tid)? {
                        return Ok(false);
                    }
                    records::record(c, &rec)?;
                    Ok(true)
                });
                Box::pin(write.map(move |res, act, _| {
                    if !res? {
                        return Err(Failure::msg(
                            ErrorCode::NotInRoom,
                            format!("{} is not in {}", target.username, room.name),
                        ));
                    }
                    registry.do_send(KickFromRoom {
                        account: target.id,
                        room: room.name.clone(),
                        by: by.name.clone(),
                        banned: false,
                    });
                    act.tell(
                        target.id,
                        Event::Kicked {
                            by: Some(by.name.clone()),
                            reason,
                            room: Some(room.name.clone()),
                        },
                    );
                    Ok(Map::new())
                }))
            }
            None => {
                let db = self.db.clone();
                Box::pin(
                    async move {
                        if !registry.send(IsOnline(target.id)).await.unwrap_or(false) {
                            return Err(Failure::msg(
                                ErrorCode::UserOffline,
                                format!("{} is offline", target.username),
                            ));
                        }
                        db.run(move |c| records::record(c, &rec)).await?;
                        let event = Event::Kicked {
                            by: Some(by.name.clone()),
                            reason,
                            room: None,
                        };
                        registry.do_send(KickUser {
                            account: target.id,
                            by: by.name,
                            event,
                        });
                        Ok(Map::new())
                    }
                    .into_actor(self),
                )
            }
        }
    }

    fn mute(
        &mut self,
        by: UserRef,
        target: Account,
        duration_s: Option<i64>,
        reason: Option<String>,
        room: Option<RoomTarget>,
        ctx: &mut Context<Self>,
    ) -> Done {
        let at = store::now();
        let until = duration_s.map(|d| at + TimeDelta::seconds(d));
        let room_id = room.as_ref().map_or(GLOBAL, |r| r.id);
        let row = MuteRow {
            account_id: target.id,
            room_id,
            until,
            reason: reason.clone(),
            actor_id: Some(by.id),
            created_at: at,
        };
        let rec = NewAction::new(ModAction::Mute, at)
            .target(target.id)
            .actor(by.id)
            .room(room.as_ref().map(|r| r.id))
            .reason(reason.clone())
            .until(until);
        let write = self.commit(move |c| {
            records::put_mute(c, &row)?;
            records::record(c, &rec)
        });
        let _ = ctx;
        Box::pin(write.map(move |res, act, ctx| {
            res?;
            let room_name = room.map(|r| r.name);
            let s = Sanction {
                until,
                reason: reason.clone(),
                room: room_name.clone(),
            };
            let until_json = s.until_json();
            act.mutes.insert((target.id, room_id), s);
            act.policy_changed();
            if let Some(u) = until {
                act.arm_mute_timer(ctx, (target.id, room_id), u);
            }
            act.tell(
                target.id,
                Event::Muted {
                    by: Some(by.name),
                    until: until.as_ref().map(store::fmt_time),
                    reason,
                    room: room_name,
                },
            );
            Ok(fields!("until" => until_json))
        }))
    }

    fn unmute(&mut self, by: UserRef, target: Account, room: Option<RoomTarget>) -> Done {
        let room_id = room.as_ref().map_or(GLOBAL, |r| r.id);
        let now = store::now();
        if !self
            .mutes
            .get(&(target.id, room_id))
            .is_some_and(|s| s.active(now))
        {
            let where_ = room.map_or(String::new(), |r| format!(" in {}", r.name));
            return ready(Err(Failure::msg(
                ErrorCode::NotMuted,
                format!("{} is not muted{where_}", target.username),
            )));
        }
        let rec = NewAction::new(ModAction::Unmute, now)
            .target(target.id)
            .actor(by.id)
            .room(room.as_ref().map(|r| r.id));
        let write = self.commit(move |c| {
            records::delete_mute(c, target.id, room_id)?;
            records::record(c, &rec)
        });
        Box::pin(write.map(move |res, act, _| {
            res?;
            act.mutes.remove(&(target.id, room_id));
            act.policy_changed();
            act.tell(
                target.id,
                Event::Unmuted {
                    by: Some(by.name),
                    room: room.map(|r| r.name),
                },
            );
            Ok(Map::new())
        }))
    }

    fn ban(
        &mut self,
        by: UserRef,
        target: Account,
        duration_s: Option<i64>,
        reason: Option<String>,
        ctx: &mut Context<Self>,
    ) -> Done {
        let at = store::now();
        let until = duration_s.map(|d| at + TimeDelta::seconds(d));
        let row = BanRow {
            account_id: target.id,
            until,
            reason: reason.clone(),
            actor_id: Some(by.id),
            created_at: at,
        };
        let rec = NewAction::new(ModAction::Ban, at)
            .target(target.id)
            .actor(by.id)
            .reason(reason.clone())
            .until(until);
        let write = self.commit(move |c| {
            records::put_ban(c, &row)?;
            records::record(c, &rec)
        });
        let _ = ctx;
        Box::pin(write.map(move |res, act, ctx| {
            res?;
            let s = Sanction {
                until,
                reason: reason.clone(),
                room: None,
            };
            let until_json = s.until_json();
            act.bans.insert(target.id, s);
            act.policy_changed();
            if let Some(u) = until {
                act.arm_ban_timer(ctx, target.id, u);
            }
            let event = Event::Banned {
                by: Some(by.name),
                until: until.as_ref().map(store::fmt_time),
                reason,
                room: None,
            };
            act.registry.do_send(CloseUser {
                account: target.id,
                event,
                reason: "banned",
                everywhere: true,
            });
            Ok(fields!("until" => until_json))
        }))
    }

    fn unban(&mut self, by: UserRef, target: Account) -> Done {
        let now = store::now();
        if !self.bans.get(&target.id).is_some_and(|s| s.active(now)) {
            return ready(Err(Failure::msg(
                ErrorCode::NotBanned,
                format!("{} is not banned", target.username),
            )));
        }
        let rec = NewAction::new(ModAction::Unban, now)
            .target(target.id)
            .actor(by.id);
        let write = self.commit(move |c| {
            records::delete_ban(c, target.id)?;
            records::record(c, &rec)
        });
        Box::pin(write.map(move |res, act, _| {
            res?;
            act.bans.remove(&target.id);
            act.policy_changed();
            Ok(Map::new())
        }))
    }

    fn delete_message(
        &mut self,
        by: UserRef,
        id: MessageId,
        author: Option<AccountId>,
        room: RoomTarget,
    ) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::DeleteMessage, at)
            .target_opt(author)
            .actor(by.id)
            .room(Some(room.id))
            .detail(id.to_string());
        let by_id = by.id;
        let write = self.commit(move |c| {
            if !chat_log::mark_deleted(c, id, by_id, at)? {
                return Ok(false); // deleted already: nothing new to record
            }
            records::record(c, &rec)?;
            Ok(true)
        });
        Box::pin(write.map(move |res, act, _| {
            if res? {
                let event = Event::MessageDeleted {
                    room: room.name.clone(),
                    id,
                    by: Some(by.name),
                };
                let ev = event.clone().frame();
                if let Some(c) = &act.cluster {
                    c.publish(Wire::RoomEvent {
                        room: room.id,
                        event,
                    });
                }
                room.addr.do_send(Broadcast(ev));
            }
            Ok(Map::new())
        }))
    }

    fn set_role(&mut self, by: UserRef, target: Account, role: Role) -> Done {
        let (at, actor) = (store::now(), by.id);
        let write = self.commit(move |c| records::change_role(c, target.id, role, Some(actor), at));
        Box::pin(write.map(move |res, act, _| {
            res?;
            act.registry.do_send(RoleChanged {
                account: target.id,
                name: target.username,
                role,
                by: Some(by.name),
                everywhere: true,
            });
            Ok(Map::new())
        }))
    }

    fn filter_change(&mut self, by: UserRef, word: String, add: bool) -> Done {
        let Some(canon) = super::filter::canonical(&word) else {
            return ready(Err(Failure::bad_field(
                "word",
                "must contain a letter or digit",
            )));
        };
        if canon.chars().count() > 64 {
            return ready(Err(Failure::bad_field(
                "word",
                "must be at most 64 characters",
            )));
        }
        let at = store::now();
        let action = if add {
            ModAction::FilterAdd
        } else {
            ModAction::FilterRemove
        };
        let rec = NewAction::new(action, at)
            .actor(by.id)
            .detail(canon.clone());
        let w = canon.clone();
        let write = self.commit(move |c| {
            let changed = if add {
                records::add_word(c, &w, by.id, at)?
            } else {
                records::remove_word(c, &w)?
            };
            if changed {
                records::record(c, &rec)?;
            }
            Ok(changed)
        });
        Box::pin(write.map(move |res, act, _| {
            // removing a word that is not there changed nothing: saying
            // `ok` would tell an admin who mistyped it that it is gone
            if !res? && !add {
                return Err(Failure::msg(
                    ErrorCode::NotFiltered,
                    format!("{canon:?} is not in the filter"),
                ));
            }
            if add {
                act.filter.add(&canon);
            } else {
                act.filter.remove(&canon);
            }
            act.policy_changed();
            Ok(fields!("word" => canon))
        }))
    }
}

impl Act {
    /// The record this act writes: the compiler points here when an act
    /// is added.
    fn action(&self) -> ModAction {
        match self {
            Act::Kick { .. } => ModAction::Kick,
            Act::Mute { .. } => ModAction::Mute,
            Act::Unmute { .. } => ModAction::Unmute,
            Act::Ban { .. } => ModAction::Ban,
            Act::Unban { .. } => ModAction::Unban,
            Act::SetRoomRole { .. } => ModAction::SetRoomRole,
            Act::DeleteMessage { .. } => ModAction::DeleteMessage,
            Act::SetRole { .. } => ModAction::SetRole,
            Act::FilterAdd { .. } => ModAction::FilterAdd,
            Act::FilterRemove { .. } => ModAction::FilterRemove,
            Act::SetTopic { .. } => ModAction::SetTopic,
            Act::SetCapacity { .. } => ModAction::SetCapacity,
            Act::DeleteRoom { .. } => ModAction::DeleteRoom,
        }
    }
}
