//! A room's messages in id order, in a cluster. Each node's writer commits
//! its own senders' messages, and the ids of one room are given in commit
//! order under the room's row lock (`insert_batch_sequenced`), so every
//! message knows its predecessor (`prev`). A node delivers a message once
//! its predecessor is delivered; one that arrives early waits here. A gap
//! that does not close by itself (its node died between commit and
//! publish, or NATS lost it) is filled from the chat log by the room.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::actors::chat_log::{Ack, Committed};
use crate::model::{MessageId, SessionId};

/// A committed message waiting for its turn.
pub struct Entry {
    pub prev: MessageId,
    pub from: String,
    pub text: String,
    pub action: bool,
    pub at: NaiveDateTime,
    /// Deleted before this node delivered it: it is skipped.
    pub deleted: bool,
    /// Sent from this node: the sender's session, which gets the `ok`
    /// instead of the event, once it is the message's turn.
    pub local: Option<(SessionId, Ack, Committed)>,
}

/// What to do with a message whose turn came.
pub enum Ready {
    Deliver(MessageId, Entry),
    /// Delivered already (it came twice, or from the chat log first): only
    /// its sender, if here, still needs the `ok`.
    Duplicate(Entry),
}

pub struct Sequence {
    last: MessageId,
    pending: BTreeMap<MessageId, Entry>,
}

impl Sequence {
    /// `last`: the room's newest message when the node started.
    pub fn new(last: MessageId) -> Sequence {
        Sequence {
            last,
            pending: BTreeMap::new(),
        }
    }

    /// The newest message delivered.
    pub fn last(&self) -> MessageId {
        self.last
    }

    /// Is a message waiting for one that has not come?
    pub fn blocked(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes a committed message; returns those now ready, in id order.
    pub fn offer(&mut self, id: MessageId, entry: Entry) -> Vec<Ready> {
        if id <= self.last {
            return vec![Ready::Duplicate(entry)];
        }
        if let Some(old) = self.pending.insert(id, entry) {
            // the same id twice: keep whichever knows its local sender
            let new = self.pending.get_mut(&id);
            if let (Some(new), true) = (new, old.local.is_some()) {
                if new.local.is_none() {
                    new.local = old.local;
                }
            }
        }
        let mut ready = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            let id = *entry.key();
            if id <= self.last {
                ready.push(Ready::Duplicate(entry.remove()));
            } else if entry.get().prev <= self.last {
                self.last = id;
                ready.push(Ready::Deliver(id, entry.remove()));
            } else {
                break;
            }
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: i64) -> MessageId {
        MessageId(id)
    }

    fn entry(prev: i64) -> Entry {
        Entry {
            prev: m(prev),
            from: "a".into(),
            text: "t".into(),
            action: false,
            at: NaiveDateTime::default(),
            deleted: false,
            local: None,
        }
    }

    fn delivered(r: Vec<Ready>) -> Vec<i64> {
        r.into_iter()
            .filter_map(|r| match r {
                Ready::Deliver(id, _) => Some(id.0),
                Ready::Duplicate(_) => None,
            })
            .collect()
    }

    #[test]
    fn an_early_message_waits_for_its_predecessor() {
        let mut s = Sequence::new(m(10));
        assert!(delivered(s.offer(m(15), entry(12))).is_empty());
        assert!(s.blocked());
        assert_eq!(delivered(s.offer(m(12), entry(10))), vec![12, 15]);
        assert!(!s.blocked());
        assert_eq!(s.last(), m(15));
    }

    #[test]
    fn duplicates_are_not_delivered_twice() {
        let mut s = Sequence::new(m(0));
        assert_eq!(delivered(s.offer(m(3), entry(0))), vec![3]);
        assert!(delivered(s.offer(m(3), entry(0))).is_empty());
        assert!(delivered(s.offer(m(2), entry(0))).is_empty());
        assert_eq!(delivered(s.offer(m(9), entry(3))), vec![9]);
    }
}
