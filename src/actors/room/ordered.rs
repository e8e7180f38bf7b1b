//! A room's messages in id order in a cluster: what other nodes committed
//! (`Sequenced`), this node's own (from `MessageCommitted`), and what the
//! chat log has when a gap stays open or the link was down (`CatchUp`).
//! The ordering itself is [`super::sequence::Sequence`].

use std::collections::HashSet;

use actix::prelude::*;

use super::sequence::{Entry, Ready};
use super::{CatchUp, Member, Room, Sequenced};
use crate::model::{AccountId, MessageId};
use crate::protocol::Event;
use crate::store::{self, chat_log, rooms};

/// How long a message waits for a predecessor that has not come before
/// the room reads the gap from the chat log.
const GAP_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

impl Handler<Sequenced> for Room {
    type Result = ();
    fn handle(&mut self, msg: Sequenced, ctx: &mut Context<Self>) {
        let entry = Entry {
            prev: msg.prev,
            from: msg.from,
            text: msg.text,
            action: msg.action,
            at: msg.at,
            deleted: false,
            local: None,
        };
        self.sequence(msg.id, entry, ctx);
    }
}

impl Handler<CatchUp> for Room {
    type Result = ();
    fn handle(&mut self, msg: CatchUp, ctx: &mut Context<Self>) {
        self.fill(ctx);
        if !msg.members {
            return;
        }
        // memberships that changed while the link was down
        let id = self.id;
        let fut = self.env.db.run(move |c| rooms::members_of(c, id));
        ctx.spawn(fut.into_actor(self).map(|res, act, ctx| {
            let Ok(list) = res else { return };
            let stored: HashSet<AccountId> = list.iter().map(|m| m.account_id).collect();
            act.members.retain(|id, _| stored.contains(id));
            for m in list {
                act.members
                    .entry(m.account_id)
                    .or_insert_with(|| Member::new(m.username, m.role, m.room_role))
                    .room_role = m.room_role;
            }
            act.report(ctx);
        }));
    }
}

impl Room {
    /// Delivers what is ready of a sequenced room, and reads a gap from the
    /// chat log when one stays open.
    pub(super) fn sequence(&mut self, id: MessageId, entry: Entry, ctx: &mut Context<Self>) {
        let Some(seq) = &mut self.seq else { return };
        let ready = seq.offer(id, entry);
        let blocked = seq.blocked();
        for r in ready {
            match r {
                Ready::Deliver(id, mut e) => {
                    if !e.deleted {
                        // moved, not copied: the entry is done with them
                        let ev = Event::Message {
                            room: self.name.to_string(),
                            id,
                            from: std::mem::take(&mut e.from),
                            text: std::mem::take(&mut e.text),
                            action: e.action,
                            at: store::fmt_time(&e.at),
                        }
                        .frame();
                        self.fan_out(&ev, e.local.as_ref().map(|l| l.0));
                    }
                    if let Some((_, reply, c)) = e.local {
                        let _ = reply.send(Ok(c));
                    }
                }
                Ready::Duplicate(e) => {
                    if let Some((_, reply, c)) = e.local {
                        let _ = reply.send(Ok(c));
                    }
                }
            }
        }
        if blocked {
            self.wait_for_gap(ctx);
        }
    }

    /// A message waits for a predecessor: if it has not come in
    /// [`GAP_WAIT`], read the gap from the chat log.
    fn wait_for_gap(&mut self, ctx: &mut Context<Self>) {
        if self.filling {
            return;
        }
        self.filling = true;
        ctx.run_later(GAP_WAIT, |act, ctx| {
            act.filling = false;
            if act.seq.as_ref().is_some_and(|s| s.blocked()) {
                tracing::info!(room = %act.name, "a gap in the room's messages; reading it from the chat log");
                act.fill(ctx);
            }
        });
    }

    /// Reads the room's messages after the last delivered one from the chat
    /// log and delivers them (each row's predecessor is the row before it).
    fn fill(&mut self, ctx: &mut Context<Self>) {
        let Some(seq) = &self.seq else { return };
        let (room, after) = (self.id, seq.last());
        let fut = self
            .env
            .db
            .run(move |c| chat_log::room_after(c, room, after, 1000));
        self.filling = true;
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| {
            act.filling = false;
            let rows = match res {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(room = %act.name, error = %e, "cannot read the room's missed messages");
                    Vec::new()
                }
            };
            let full = rows.len() == 1000;
            let mut prev = after;
            for row in rows {
                let id = row.id;
                let entry = Entry {
                    prev,
                    from: row.sender_name,
                    text: row.text,
                    action: row.action,
                    at: row.at,
                    deleted: row.deleted_at.is_some(),
                    local: None,
                };
                prev = id;
                act.sequence(id, entry, ctx);
            }
            if full {
                act.fill(ctx);
            } else if act.seq.as_ref().is_some_and(|s| s.blocked()) {
                // the database did not answer: try again
                act.wait_for_gap(ctx);
            }
        }));
    }
}
