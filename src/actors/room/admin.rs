//! What a room's operators change about the room itself (issue 18): its
//! topic and capacity, and its deletion. The change is stored already (by
//! the Moderation actor, with its record); the registry tells the room
//! here, on every node of a cluster.

use actix::prelude::*;

use super::Room;
use crate::protocol::events::Event;

/// The room's topic or capacity changed (stored already). A new topic is
/// shown to every member's sessions (`topic_changed`), unless `quiet` (a
/// node catching up after an outage); a new capacity counts for later
/// joins (members above it stay).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Reconfigure {
    pub topic: Option<String>,
    pub capacity: Option<i32>,
    pub by: Option<String>,
    pub quiet: bool,
}

/// The room was deleted (stored already: its memberships are gone): every
/// member's sessions get `room_deleted`, then the actor stops.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Deleted {
    pub by: Option<String>,
}

impl Handler<Reconfigure> for Room {
    type Result = ();
    fn handle(&mut self, msg: Reconfigure, _ctx: &mut Context<Self>) {
        if let Some(c) = msg.capacity {
            self.capacity = c;
        }
        if let Some(topic) = msg.topic {
            let changed = topic != self.topic;
            self.topic = topic;
            // a node catching up after an outage shows only a topic it
            // missed, without the `by` it cannot know
            if !msg.quiet || changed {
                let by = if msg.quiet { None } else { msg.by };
                let ev = Event::TopicChanged {
                    room: self.name.to_string(),
                    topic: self.topic.clone(),
                    by,
                };
                self.fan_out(&ev.frame(), None);
            }
        }
    }
}

impl Handler<Deleted> for Room {
    type Result = ();
    fn handle(&mut self, msg: Deleted, ctx: &mut Context<Self>) {
        let ev = Event::RoomDeleted {
            room: self.name.to_string(),
            by: msg.by,
        }
        .frame();
        self.fan_out(&ev, None);
        self.members.clear();
        ctx.stop();
    }
}
