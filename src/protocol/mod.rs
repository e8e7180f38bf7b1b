//! The wire protocol: parsing request lines, encoding replies and events.
//! Transports hand this module bytes and get bytes back; no chat logic here.

mod args;
pub mod events;
pub mod framing;
mod outgoing;
pub use events::Event;
pub use outgoing::{Encoded, Outgoing, Reply};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};

pub use args::Args;

use crate::error::{ErrorCode, Failure};

/// The protocol version `version` reports.
pub const PROTOCOL_VERSION: u32 = 1;

/// A request that could be read: its type, its `id` (echoed as `re`), and
/// its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub ty: String,
    pub re: Value,
    pub args: Args,
}

/// A line that could not become a request: the reply it gets.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub ty: Option<String>,
    pub re: Value,
    pub failure: Failure,
}

/// Nesting deeper than this is refused (serde_json itself stops at 128).
pub fn parse_request(line: &[u8]) -> Result<Request, Box<Unreadable>> {
    let unreadable = |ty, re, failure| Box::new(Unreadable { ty, re, failure });
    let text = std::str::from_utf8(line).map_err(|_| {
        unreadable(
            None,
            Value::Null,
            Failure::msg(ErrorCode::BadJson, "not valid UTF-8"),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        unreadable(
            None,
            Value::Null,
            Failure::msg(ErrorCode::BadJson, format!("not JSON: {e}")),
        )
    })?;
    let Value::Object(mut map) = value else {
        return Err(unreadable(
            None,
            Value::Null,
            Failure::msg(ErrorCode::BadJson, "not a JSON object"),
        ));
    };
    let re = match map.remove("id") {
        None | Some(Value::Null) => Value::Null,
        Some(v @ (Value::String(_) | Value::Number(_)))
            if v.is_string() || v.is_i64() || v.is_u64() =>
        {
            v
        }
        Some(_) => {
            let ty = map.get("type").and_then(Value::as_str).map(str::to_owned);
            return Err(unreadable(
                ty,
                Value::Null,
                Failure::bad_field("id", "must be a string or an integer"),
            ));
        }
    };
    let ty = match map.remove("type") {
        Some(Value::String(t)) => t,
        Some(_) => {
            return Err(unreadable(
                None,
                re,
                Failure::bad_field("type", "must be a string"),
            ))
        }
        None => {
            return Err(unreadable(
                None,
                re,
                Failure::bad_field("type", "is required"),
            ))
        }
    };
    Ok(Request {
        ty,
        re,
        args: Args(map),
    })
}

/// One JSON object, serialized once; the transport adds the framing.
pub fn encode<T: Serialize>(value: &T) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(v) => Bytes::from(v),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize an outgoing frame");
            Bytes::from_static(br#"{"type":"error","for":null,"re":null,"code":"internal","message":"A server fault; it has been logged."}"#)
        }
    }
}

/// `{"type":"ok","for":..,"re":..,<fields>}`
pub fn ok_reply(for_: &str, re: &Value, fields: &Map<String, Value>) -> Bytes {
    encode(&OkReply { for_, re, fields })
}

/// An `ok` serialized from borrowed fields (a reply keeps them for other
/// protocols' writers, so they are not moved into a new map): the same
/// bytes as inserting `type`, `for`, `re` and then the fields into one map,
/// a field of one of those names taking its place.
struct OkReply<'a> {
    for_: &'a str,
    re: &'a Value,
    fields: &'a Map<String, Value>,
}

impl Serialize for OkReply<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        const FRONT: [&str; 3] = ["type", "for", "re"];
        let (ok, for_) = (Value::from("ok"), Value::from(self.for_));
        let front = [&ok, &for_, self.re];
        let mut m = s.serialize_map(Some(self.fields.len() + 3))?;
        for (k, v) in FRONT.iter().zip(front) {
            m.serialize_entry(k, self.fields.get(*k).unwrap_or(v))?;
        }
        for (k, v) in self.fields {
            if !FRONT.contains(&k.as_str()) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// `{"type":"error","for":..,"re":..,"code":..,"message":..,<extra>}`
pub fn error_reply(for_: Option<&str>, re: &Value, f: &Failure) -> Bytes {
    let mut m = Map::with_capacity(f.extra.len() + 5);
    m.insert("type".into(), "error".into());
    m.insert("for".into(), for_.map_or(Value::Null, Value::from));
    m.insert("re".into(), re.clone());
    m.insert("code".into(), f.code.as_str().into());
    m.insert("message".into(), f.message.clone().into());
    for (k, v) in &f.extra {
        m.insert(k.clone(), v.clone());
    }
    encode(&m)
}

/// Builds a `Map` from `key => value` pairs.
#[macro_export]
macro_rules! fields {
    () => { ::serde_json::Map::new() };
    ($($k:literal => $v:expr),+ $(,)?) => {{
        let mut m = ::serde_json::Map::new();
        $( m.insert($k.to_owned(), ::serde_json::json!($v)); )+
        m
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed `ok` writes what inserting into one map wrote.
    #[test]
    fn ok_reply_bytes() {
        let by_map = |for_: &str, re: &Value, fields: &Map<String, Value>| {
            let mut m = Map::new();
            m.insert("type".into(), "ok".into());
            m.insert("for".into(), for_.into());
            m.insert("re".into(), re.clone());
            m.extend(fields.clone());
            encode(&m)
        };
        let cases = [
            fields!(),
            fields!("id" => 7, "at" => "2026-11-21T10:00:00.123Z"),
            fields!("user" => serde_json::json!({"name": "a"}), "re" => "x", "type" => "odd"),
        ];
        for f in &cases {
            for re in [Value::Null, Value::from(3), Value::from("r")] {
                assert_eq!(ok_reply("say", &re, f), by_map("say", &re, f));
            }
        }
    }
}
