//! What a connection sends: a frame the transport writes. A reply is JSON
//! already (only the session that asked gets it); an event keeps its typed
//! [`Event`] beside the JSON it was encoded to once for every recipient, so
//! a transport that speaks another protocol (the IRC gateway) renders the
//! event itself instead of reading JSON back.

use std::sync::Arc;

use bytes::Bytes;

use super::{encode, Event};

/// An event and its JSON, shared by every session it goes to.
#[derive(Debug)]
pub struct Encoded {
    pub event: Event,
    pub json: Bytes,
}

/// One frame of a connection's outbound queue.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A reply (`ok` or `error`), or anything else only JSON has.
    Json(Bytes),
    Event(Arc<Encoded>),
}

impl Outgoing {
    /// The frame as the JSON transports write it.
    pub fn json(&self) -> &Bytes {
        match self {
            Outgoing::Json(b) => b,
            Outgoing::Event(e) => &e.json,
        }
    }

    /// What it counts against the outbound cap: its JSON's length.
    pub fn len(&self) -> usize {
        self.json().len()
    }

    pub fn is_empty(&self) -> bool {
        self.json().is_empty()
    }

    /// The typed event, for a transport that renders events itself.
    pub fn event(&self) -> Option<&Event> {
        match self {
            Outgoing::Json(_) => None,
            Outgoing::Event(e) => Some(&e.event),
        }
    }
}

impl From<Bytes> for Outgoing {
    fn from(b: Bytes) -> Outgoing {
        Outgoing::Json(b)
    }
}

impl Event {
    /// The event as a frame for every recipient: encoded to JSON once.
    pub fn frame(self) -> Outgoing {
        let json = encode(&self);
        Outgoing::Event(Arc::new(Encoded { event: self, json }))
    }
}
