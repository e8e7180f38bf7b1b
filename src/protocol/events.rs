//! Events: what the server sends unasked. Every event of the contract is one
//! variant of [`Event`]; rooms, the registry and moderation build an
//! `Event`, the JSON encoder here turns it into the frame every recipient
//! gets (serialized once, the same bytes for all), and a cluster's wire
//! carries the typed value. A writer for another protocol (the IRC gateway)
//! matches on it: adding a variant makes the compiler point at every writer.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::encode;
use crate::model::{MessageId, Role, RoomRole};

/// Why a member left a room, as `left` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftReason {
    Left,
    Kicked,
    Banned,
    /// The room was deleted.
    Deleted,
}

/// The two targets of a read marker: a room, or a whisper conversation
/// with another account. Serialized as the one field `room` or `with`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadTarget {
    Room(String),
    With(String),
}

/// Every event of the contract ("Events" in PROTOCOL.md), with its fields
/// in the order the JSON shows them. Times are already formatted (RFC 3339
/// with milliseconds), as every recipient gets the same text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Message {
        room: String,
        id: MessageId,
        from: String,
        text: String,
        /// An emote (`/me waves`).
        action: bool,
        at: String,
    },
    Whisper {
        id: MessageId,
        from: String,
        to: String,
        text: String,
        action: bool,
        at: String,
    },
    Joined {
        room: String,
        user: String,
        room_role: RoomRole,
        members: usize,
    },
    Left {
        room: String,
        user: String,
        members: usize,
        reason: LeftReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The first session of a member came.
    Online {
        room: String,
        user: String,
        online: usize,
    },
    /// The last session of a member went.
    Offline {
        room: String,
        user: String,
        online: usize,
    },
    Kicked {
        /// `None`: the system or the console.
        by: Option<String>,
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
    Muted {
        by: Option<String>,
        until: Option<String>,
        reason: Option<String>,
        room: Option<String>,
    },
    Unmuted {
        by: Option<String>,
        room: Option<String>,
    },
    /// Without `room` the session is closed after it; with `room` (a room
    /// ban) it stays connected.
    Banned {
        by: Option<String>,
        until: Option<String>,
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
    RoleChanged {
        user: String,
        role: Role,
        by: Option<String>,
    },
    RoomRoleChanged {
        room: String,
        user: String,
        room_role: RoomRole,
        by: Option<String>,
    },
    TopicChanged {
        room: String,
        topic: String,
        by: Option<String>,
    },
    RoomDeleted {
        room: String,
        by: Option<String>,
    },
    MessageDeleted {
        room: String,
        id: MessageId,
        by: Option<String>,
    },
    /// To the account's other sessions: it read up to `id`.
    Read {
        #[serde(flatten)]
        target: ReadTarget,
        id: MessageId,
    },
    Announcement {
        id: MessageId,
        from: String,
        text: String,
        at: String,
    },
    Renamed {
        old: String,
        new: String,
    },
    Shutdown {
        reason: String,
    },
}

impl Event {
    /// Every event's `type`, as [`Event::name`] gives them (checked by a
    /// test), for the docs test and other protocols' writers.
    pub const NAMES: &'static [&'static str] = &[
        "message",
        "whisper",
        "joined",
        "left",
        "online",
        "offline",
        "kicked",
        "muted",
        "unmuted",
        "banned",
        "role_changed",
        "room_role_changed",
        "topic_changed",
        "room_deleted",
        "message_deleted",
        "read",
        "announcement",
        "renamed",
        "shutdown",
    ];

    /// The JSON frame (without the transport's framing).
    pub fn to_json(&self) -> Bytes {
        encode(self)
    }

    /// The `type` the JSON carries, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Message { .. } => "message",
            Event::Whisper { .. } => "whisper",
            Event::Joined { .. } => "joined",
            Event::Left { .. } => "left",
            Event::Online { .. } => "online",
            Event::Offline { .. } => "offline",
            Event::Kicked { .. } => "kicked",
            Event::Muted { .. } => "muted",
            Event::Unmuted { .. } => "unmuted",
            Event::Banned { .. } => "banned",
            Event::RoleChanged { .. } => "role_changed",
            Event::RoomRoleChanged { .. } => "room_role_changed",
            Event::TopicChanged { .. } => "topic_changed",
            Event::RoomDeleted { .. } => "room_deleted",
            Event::MessageDeleted { .. } => "message_deleted",
            Event::Read { .. } => "read",
            Event::Announcement { .. } => "announcement",
            Event::Renamed { .. } => "renamed",
            Event::Shutdown { .. } => "shutdown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &Event) -> String {
        String::from_utf8(e.to_json().to_vec()).unwrap()
    }

    #[test]
    fn names_are_the_variants() {
        let samples = [
            Event::RoomRoleChanged {
                room: "r".into(),
                user: "u".into(),
                room_role: RoomRole::Op,
                by: None,
            },
            Event::TopicChanged {
                room: "r".into(),
                topic: "t".into(),
                by: None,
            },
            Event::RoomDeleted {
                room: "r".into(),
                by: None,
            },
            Event::Offline {
                room: "r".into(),
                user: "u".into(),
                online: 0,
            },
        ];
        for e in &samples {
            assert!(Event::NAMES.contains(&e.name()), "{}", e.name());
            let json = String::from_utf8(e.to_json().to_vec()).unwrap();
            assert!(
                json.starts_with(&format!(r#"{{"type":"{}""#, e.name())),
                "{json}"
            );
        }
        let mut names = Event::NAMES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 19, "one name per variant");
    }

    /// The frames as the server sent them before the enum, byte for byte
    /// (plus the fields the contract added: `action`, `room_role`).
    #[test]
    fn frames_keep_their_bytes() {
        let at = "2026-11-21T10:00:00.123Z".to_owned();
        let cases: Vec<(Event, &str)> = vec![
            (
                Event::Message {
                    room: "lobby".into(),
                    id: MessageId(7),
                    from: "alice".into(),
                    text: "hi".into(),
                    action: false,
                    at: at.clone(),
                },
                r#"{"type":"message","room":"lobby","id":7,"from":"alice","text":"hi","action":false,"at":"2026-11-21T10:00:00.123Z"}"#,
            ),
            (
                Event::Whisper {
                    id: MessageId(8),
                    from: "a".into(),
                    to: "b".into(),
                    text: "psst".into(),
                    action: true,
                    at: at.clone(),
                },
                r#"{"type":"whisper","id":8,"from":"a","to":"b","text":"psst","action":true,"at":"2026-11-21T10:00:00.123Z"}"#,
            ),
            (
                Event::Joined {
                    room: "r".into(),
                    user: "u".into(),
                    room_role: RoomRole::Owner,
                    members: 3,
                },
                r#"{"type":"joined","room":"r","user":"u","room_role":"owner","members":3}"#,
            ),
            (
                Event::Left {
                    room: "r".into(),
                    user: "u".into(),
                    members: 2,
                    reason: LeftReason::Left,
                    by: None,
                },
                r#"{"type":"left","room":"r","user":"u","members":2,"reason":"left"}"#,
            ),
            (
                Event::Left {
                    room: "r".into(),
                    user: "u".into(),
                    members: 2,
                    reason: LeftReason::Kicked,
                    by: Some("m".into()),
                },
                r#"{"type":"left","room":"r","user":"u","members":2,"reason":"kicked","by":"m"}"#,
            ),
            (
                Event::Online {
                    room: "r".into(),
                    user: "u".into(),
                    online: 1,
                },
                r#"{"type":"online","room":"r","user":"u","online":1}"#,
            ),
            (
                Event::Kicked {
                    by: Some("m".into()),
                    reason: None,
                    room: None,
                },
                r#"{"type":"kicked","by":"m","reason":null}"#,
            ),
            (
                Event::Kicked {
                    by: Some("m".into()),
                    reason: Some("x".into()),
                    room: Some("r".into()),
                },
                r#"{"type":"kicked","by":"m","reason":"x","room":"r"}"#,
            ),
            (
                Event::Muted {
                    by: None,
                    until: Some(at.clone()),
                    reason: Some("word filter".into()),
                    room: None,
                },
                r#"{"type":"muted","by":null,"until":"2026-11-21T10:00:00.123Z","reason":"word filter","room":null}"#,
            ),
            (
                Event::Unmuted {
                    by: Some("m".into()),
                    room: Some("r".into()),
                },
                r#"{"type":"unmuted","by":"m","room":"r"}"#,
            ),
            (
                Event::Banned {
                    by: Some("m".into()),
                    until: None,
                    reason: None,
                    room: None,
                },
                r#"{"type":"banned","by":"m","until":null,"reason":null}"#,
            ),
            (
                Event::RoleChanged {
                    user: "u".into(),
                    role: Role::Moderator,
                    by: None,
                },
                r#"{"type":"role_changed","user":"u","role":"moderator","by":null}"#,
            ),
            (
                Event::MessageDeleted {
                    room: "r".into(),
                    id: MessageId(9),
                    by: Some("m".into()),
                },
                r#"{"type":"message_deleted","room":"r","id":9,"by":"m"}"#,
            ),
            (
                Event::Read {
                    target: ReadTarget::With("bob".into()),
                    id: MessageId(9),
                },
                r#"{"type":"read","with":"bob","id":9}"#,
            ),
            (
                Event::Announcement {
                    id: MessageId(10),
                    from: "root".into(),
                    text: "hi".into(),
                    at: at.clone(),
                },
                r#"{"type":"announcement","id":10,"from":"root","text":"hi","at":"2026-11-21T10:00:00.123Z"}"#,
            ),
            (
                Event::Renamed {
                    old: "a".into(),
                    new: "b".into(),
                },
                r#"{"type":"renamed","old":"a","new":"b"}"#,
            ),
            (
                Event::Shutdown {
                    reason: "server stopping".into(),
                },
                r#"{"type":"shutdown","reason":"server stopping"}"#,
            ),
        ];
        for (event, _) in &cases {
            assert!(Event::NAMES.contains(&event.name()));
        }
        for (event, want) in cases {
            assert_eq!(json(&event), want);
            let back: Event = serde_json::from_str(want).unwrap();
            assert_eq!(back, event, "{want} reads back");
            assert_eq!(event.name(), want.split('"').nth(3).unwrap());
        }
    }
}
