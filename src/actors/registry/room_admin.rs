//! A room's topic and capacity changes and its deletion (issue 18), as the
//! registry applies them: to its own room list (what `rooms` shows), to the
//! room actor, and, for a change made on this node, to the other nodes of
//! a cluster. The change is stored and recorded already (by the Moderation
//! actor).

use actix::prelude::*;

use super::Registry;
use crate::actors::room::{Deleted, Reconfigure};
use crate::cluster::wire::Event;
use crate::model::RoomId;
use crate::store::{self, rooms};

/// A room's topic or capacity changed (stored and recorded already): the
/// room uses it from now on, here and on every other node; a new topic is
/// shown to the room's members.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomChanged {
    pub room: RoomId,
    pub topic: Option<String>,
    pub capacity: Option<i32>,
    pub by: Option<String>,
}

/// A room was deleted (stored and recorded already: its memberships, room
/// bans and room mutes are gone): its members get `room_deleted`, the room
/// leaves the room list and every online account's rooms, and its actor
/// stops, here and on every other node. Answered once this node has
/// forgotten it, so a `create_room` of the same name right after the
/// deletion's `ok` makes a new room.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RoomDeleted {
    pub room: RoomId,
    pub by: Option<String>,
}

impl Registry {
    /// Applies a topic or capacity change to this node's room.
    pub(super) fn room_changed_here(
        &mut self,
        room: RoomId,
        topic: Option<String>,
        capacity: Option<i32>,
        by: Option<String>,
        quiet: bool,
    ) {
        let Some(e) = self.room_ids.get(&room).and_then(|n| self.rooms.get_mut(n)) else {
            return;
        };
        if e.id != room {
            return;
        }
        if let Some(t) = &topic {
            e.topic = t.clone();
        }
        if let Some(c) = capacity {
            e.capacity = c;
        }
        e.addr.do_send(Reconfigure {
            topic,
            capacity,
            by,
            quiet,
        });
    }

    /// Forgets a deleted room on this node: its members' sessions get
    /// `room_deleted`, its actor stops, and its name is free.
    pub(super) fn forget_room(&mut self, room: RoomId, by: Option<String>) {
        let Some(name) = self.room_ids.remove(&room) else {
            return;
        };
        // the name may already belong to a new room
        if self.rooms.get(&name).is_none_or(|e| e.id != room) {
            return;
        }
        let Some(e) = self.rooms.remove(&name) else {
            return;
        };
        for u in self.users.values_mut() {
            u.rooms.remove(&name);
        }
        e.addr.do_send(Deleted { by });
    }

    /// After the link to the other nodes was down: the rooms as stored.
    /// Rooms created elsewhere meanwhile are started, topics and capacities
    /// changed meanwhile are taken (a missed topic is shown), and rooms
    /// deleted meanwhile are forgotten.
    pub(super) fn reload_rooms(&mut self, ctx: &mut Context<Self>) {
        let known: Vec<RoomId> = self.room_ids.keys().copied().collect();
        let load = self.env.db.run(move |c| {
            let all = rooms::all(c)?;
            let mut gone = Vec::new();
            for id in known {
                if all.iter().any(|r| r.id == id) {
                    continue;
                }
                // not listed: deleted, or created after the list was read
                if rooms::find_by_id(c, id)?.is_none_or(|r| r.deleted_at.is_some()) {
                    gone.push(id);
                }
            }
            Ok::<_, store::StoreError>((all, gone))
        });
        ctx.spawn(load.into_actor(self).map(|res, act, _ctx| match res {
            Ok((all, gone)) => {
                for id in gone {
                    act.forget_room(id, None);
                }
                for r in all {
                    match act.rooms.get(&r.name).map(|e| e.id) {
                        None => {
                            act.start_room(&r);
                        }
                        Some(id) if id == r.id => {
                            act.room_changed_here(r.id, Some(r.topic), Some(r.capacity), None, true)
                        }
                        Some(old) => {
                            act.forget_room(old, None);
                            act.start_room(&r);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot reload the rooms"),
        }));
    }
}

impl Handler<RoomChanged> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoomChanged, _ctx: &mut Context<Self>) {
        self.publish(Event::RoomChanged {
            room: msg.room,
            topic: msg.topic.clone(),
            capacity: msg.capacity,
            by: msg.by.clone(),
        });
        self.room_changed_here(msg.room, msg.topic, msg.capacity, msg.by, false);
    }
}

impl Handler<RoomDeleted> for Registry {
    type Result = ();
    fn handle(&mut self, msg: RoomDeleted, _ctx: &mut Context<Self>) {
        self.publish(Event::RoomDeleted {
            room: msg.room,
            by: msg.by.clone(),
        });
        self.forget_room(msg.room, msg.by);
    }
}
