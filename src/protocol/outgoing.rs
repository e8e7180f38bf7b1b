//! What a connection sends: a frame the transport writes. A reply is JSON
//! already (only the session that asked gets it); an event keeps its typed
//! [`Event`] beside the JSON it was encoded to once for every recipient, so
//! a transport that speaks another protocol (the IRC gateway) renders the
//! event itself instead of reading JSON back.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{encode, error_reply, ok_reply, Event};
use crate::error::Failure;

/// An event and its JSON, shared by every session it goes to.
#[derive(Debug)]
pub struct Encoded {
    pub event: Event,
    pub json: Bytes,
}

/// A request's one reply, typed (for a transport that renders replies in
/// its own protocol) beside its JSON.
#[derive(Debug)]
pub struct Reply {
    /// The request's `type` (`None`: it could not be read).
    pub for_: Option<String>,
    /// The request's `id`, echoed as `re`.
    pub re: Value,
    /// The `ok` fields, or the refusal.
    pub result: Result<Map<String, Value>, Failure>,
    pub json: Bytes,
}

/// One frame of a connection's outbound queue.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// JSON with nothing typed behind it.
    Json(Bytes),
    Reply(Arc<Reply>),
    Event(Arc<Encoded>),
    /// A line already in the connection's own protocol (an IRC gateway's
    /// numerics and CAP replies), written as it is.
    Line(Bytes),
}

impl Outgoing {
    /// The frame as the JSON transports write it.
    pub fn json(&self) -> &Bytes {
        match self {
            Outgoing::Json(b) | Outgoing::Line(b) => b,
            Outgoing::Reply(r) => &r.json,
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
            Outgoing::Event(e) => Some(&e.event),
            _ => None,
        }
    }

    /// A request's reply: `ok` with `fields`, or `error`.
    pub fn reply(
        for_: Option<&str>,
        re: &Value,
        result: Result<Map<String, Value>, Failure>,
    ) -> Outgoing {
        let json = match &result {
            Ok(fields) => ok_reply(for_.unwrap_or_default(), re, fields),
            Err(f) => error_reply(for_, re, f),
        };
        Outgoing::Reply(Arc::new(Reply {
            for_: for_.map(str::to_owned),
            re: re.clone(),
            result,
            json,
        }))
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
