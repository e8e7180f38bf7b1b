//! What a connection sends: a frame the transport writes. A reply is JSON
//! already (only the session that asked gets it); an event keeps its typed
//! [`Event`] beside the JSON it was encoded to once for every recipient, so
//! a transport that speaks another protocol (the IRC gateway) renders the
//! event itself instead of reading JSON back.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{encode, error_reply, ok_reply, Event};
use crate::error::Failure;

/// An event and its JSON, shared by every session it goes to.
#[derive(Debug)]
pub struct Encoded {
    pub event: Event,
    pub json: Bytes,
    /// Another protocol's renderings of the event, made by the first
    /// connection that needs one and shared by the rest: a room message
    /// reaches every member as the same bytes, so a gateway need not
    /// render it again per receiver. Allocated only when a transport asks.
    renderings: OnceLock<Box<[OnceLock<Bytes>; RENDERINGS]>>,
}

/// How many renderings of one event [`Encoded::rendered`] keeps: a
/// transport's variants of a line (the IRC gateway's: by the three tags its
/// client may ask for).
pub const RENDERINGS: usize = 8;

impl Encoded {
    /// The rendering `variant` (below [`RENDERINGS`]) of this event, made
    /// by `render` the first time. `render` must give the same bytes for
    /// every connection that asks for that variant.
    pub fn rendered(&self, variant: usize, render: impl FnOnce() -> Bytes) -> Bytes {
        let all = self.renderings.get_or_init(Default::default);
        all[variant % RENDERINGS].get_or_init(render).clone()
    }
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
        Outgoing::Event(Arc::new(Encoded {
            event: self,
            json,
            renderings: OnceLock::new(),
        }))
    }
}
