//! The acts on a room itself (issue 18): `set_topic`, `set_capacity`,
//! `delete_room`. Each writes the room's row and its record in one
//! transaction, then tells the Registry, which applies it here and on every
//! other node. Rank (`Power::Moderate`, `Power::Own`) is checked by the
//! handler (`commands/room_admin.rs`) before the act comes here.

use actix::prelude::*;
use serde_json::{Map, Value};

use super::acts::RoomTarget;
use super::Moderation;
use crate::actors::registry::{RoomChanged, RoomDeleted};
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::model::ModAction;
use crate::store::moderation::{self as records, NewAction};
use crate::store::{self, rooms, DbConn, StoreError};

type Done = ResponseActFuture<Moderation, Result<Map<String, Value>, Failure>>;

fn no_such_room(room: &RoomTarget) -> Failure {
    Failure::msg(ErrorCode::NoSuchRoom, format!("no room {}", room.name))
}

impl Moderation {
    /// Runs `f` in one transaction on the blocking pool: `false` from it
    /// (the room is gone) is `no_such_room`.
    fn room_commit(
        &self,
        room: &RoomTarget,
        f: impl FnOnce(&mut DbConn) -> Result<bool, StoreError> + Send + 'static,
    ) -> impl ActorFuture<Moderation, Output = Result<(), Failure>> {
        let missing = no_such_room(room);
        self.commit(f).map(move |r, _, _| match r {
            Ok(true) => Ok(()),
            Ok(false) => Err(missing),
            Err(e) => Err(e),
        })
    }

    pub(super) fn set_topic(&mut self, by: UserRef, room: RoomTarget, topic: String) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::SetTopic, at)
            .actor(by.id)
            .room(Some(room.id))
            .detail(topic.clone());
        let (id, t, who) = (room.id, topic.clone(), by.id);
        let write = self.room_commit(&room, move |c| {
            if !rooms::set_topic(c, id, &t, Some(who), at)? {
                return Ok(false);
            }
            records::record(c, &rec)?;
            Ok(true)
        });
        Box::pin(write.map(move |res, act, _| {
            res?;
            act.registry.do_send(RoomChanged {
                room: room.id,
                topic: Some(topic),
                capacity: None,
                by: Some(by.name),
            });
            Ok(Map::new())
        }))
    }

    pub(super) fn set_capacity(&mut self, by: UserRef, room: RoomTarget, capacity: i32) -> Done {
        let rec = NewAction::new(ModAction::SetCapacity, store::now())
            .actor(by.id)
            .room(Some(room.id))
            .detail(capacity.to_string());
        let id = room.id;
        let write = self.room_commit(&room, move |c| {
            if !rooms::set_capacity(c, id, capacity)? {
                return Ok(false);
            }
            records::record(c, &rec)?;
            Ok(true)
        });
        Box::pin(write.map(move |res, act, _| {
            res?;
            act.registry.do_send(RoomChanged {
                room: room.id,
                topic: None,
                capacity: Some(capacity),
                by: Some(by.name),
            });
            Ok(Map::new())
        }))
    }

    /// The room's row stays (its chat log and records name its id); its
    /// memberships, room bans and room mutes go in the same transaction as
    /// the record. The `ok` waits until this node's registry has forgotten
    /// the room, so the name is free at once.
    pub(super) fn delete_room(&mut self, by: UserRef, room: RoomTarget) -> Done {
        let at = store::now();
        let rec = NewAction::new(ModAction::DeleteRoom, at)
            .actor(by.id)
            .room(Some(room.id));
        let id = room.id;
        let write = self.room_commit(&room, move |c| {
            if !rooms::mark_deleted(c, id, at)? {
                return Ok(false);
            }
            records::record(c, &rec)?;
            Ok(true)
        });
        Box::pin(write.then(move |res, act, _| {
            let registry = act.registry.clone();
            if res.is_ok() {
                // the room's mutes are deleted with it
                act.mutes.retain(|(_, r), _| *r != id);
                act.policy_changed();
            }
            async move {
                res?;
                registry
                    .send(RoomDeleted {
                        room: id,
                        by: Some(by.name),
                    })
                    .await
                    .map_err(crate::commands::internal)?;
                Ok(Map::new())
            }
            .into_actor(act)
        }))
    }
}
