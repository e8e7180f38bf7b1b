//! Events: what the server sends unasked. Each is serialized once and the
//! same bytes go to every recipient.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};

use super::encode;

/// `message`: the hot path, so a struct rather than a map.
#[derive(Serialize)]
pub struct MessageEvent<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub room: &'a str,
    pub id: i64,
    pub from: &'a str,
    pub text: &'a str,
    pub at: &'a str,
}

pub fn message(room: &str, id: i64, from: &str, text: &str, at: &str) -> Bytes {
    encode(&MessageEvent {
        ty: "message",
        room,
        id,
        from,
        text,
        at,
    })
}

/// Any other event: `{"type": ty, ..fields}`.
pub fn event(ty: &str, fields: Map<String, Value>) -> Bytes {
    let mut m = Map::with_capacity(fields.len() + 1);
    m.insert("type".into(), ty.into());
    m.extend(fields);
    encode(&m)
}
