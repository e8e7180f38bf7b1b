//! What the chat client knows: its rooms with their lines, members and
//! unread counts, the last whisperer, the latency. Frames from the server
//! come in through [`Chat::on_frame`]; both the full-screen view and the
//! plain line mode show this one model.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Local};
use serde_json::{json, Value};

/// Lines kept per room; older ones are dropped (`/history` fetches them
/// again).
const KEEP: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    Mine,
    /// An emote in a room (`/me waves`), anyone's: `* alice waves`.
    Action,
    WhisperIn,
    WhisperOut,
    /// Joins, leaves, renames: quiet.
    Event,
    /// Moderation, announcements, results of commands.
    Notice,
    Error,
}

#[derive(Debug, Clone)]
pub struct Line {
    /// Local time, `HH:MM`.
    pub time: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub text: String,
    /// The message id, for history paging and deletes.
    pub id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub role: String,
    pub online: bool,
}

#[derive(Debug, Default)]
pub struct Room {
    pub name: String,
    pub lines: VecDeque<Line>,
    pub unread: usize,
    pub members: Vec<Member>,
}

/// The model.
#[derive(Debug, Default)]
pub struct Chat {
    pub me: String,
    pub role: String,
    pub rooms: Vec<Room>,
    pub current: Option<usize>,
    /// Lines that belong to no room (whispers, notices) also go to the
    /// current room; with no room they are kept here.
    pub lobby: VecDeque<Line>,
    pub last_whisper_from: Option<String>,
    pub latency_ms: Option<i64>,
    /// Requests sent, by id, to make sense of their replies.
    pub pending: HashMap<u64, Value>,
    /// New lines since the last call of [`Chat::take_new`], with their room
    /// (for the plain line mode).
    new: Vec<(Option<String>, Line)>,
    /// Texts the server answered `rate_limited`, and the texts typed after
    /// them, in order: sent again one at a time once the wait is over,
    /// never dropped (a 40-line paste arrives whole).
    pub held: VecDeque<Value>,
    /// When the next held text may go; `None` while none waits.
    pub held_until: Option<std::time::Instant>,
    /// The held text sent and not answered yet.
    held_out: Option<Value>,
    /// A text the server refused for what it is (too long, ...): given
    /// back to the input, so nothing typed is lost.
    pub give_back: Option<String>,
}

/// Whether a request carries a text that must not be dropped.
fn is_text(req: &Value) -> bool {
    matches!(req["type"].as_str(), Some("say" | "whisper"))
}

fn now() -> String {
    Local::now().format("%H:%M").to_string()
}

/// `HH:MM` local, from a wire timestamp.
pub fn local_hm(at: &Value) -> String {
    at.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(now)
}

fn s(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Chat {
    pub fn room_name(&self) -> Option<&str> {
        self.current.map(|i| self.rooms[i].name.as_str())
    }

    /// The oldest message id shown in the current room.
    pub fn oldest_id(&self) -> Option<i64> {
        self.current
            .and_then(|i| self.rooms[i].lines.iter().find_map(|l| l.id))
    }

    pub fn joined(&self) -> Vec<String> {
        self.rooms.iter().map(|r| r.name.clone()).collect()
    }

    fn room_index(&self, name: &str) -> Option<usize> {
        self.rooms.iter().position(|r| r.name == name)
    }

    fn ensure_room(&mut self, name: &str) -> usize {
        if let Some(i) = self.room_index(name) {
            return i;
        }
        self.rooms.push(Room {
            name: name.to_owned(),
            ..Room::default()
        });
        self.rooms.len() - 1
    }

    pub fn switch(&mut self, name: &str) {
        if let Some(i) = self.room_index(name) {
            self.current = Some(i);
            self.rooms[i].unread = 0;
        }
    }

    /// Cycles through the rooms (Tab).
    pub fn next_room(&mut self, step: isize) {
        if self.rooms.is_empty() {
            return;
        }
        let n = self.rooms.len() as isize;
        let i = self
            .current
            .map_or(0, |c| (c as isize + step).rem_euclid(n)) as usize;
        self.current = Some(i);
        self.rooms[i].unread = 0;
    }

    /// Adds a line to a room (or, for `None`, to the current view).
    pub fn push(&mut self, room: Option<&str>, line: Line) {
        let idx = match room {
            Some(r) => Some(self.ensure_room(r)),
            None => self.current,
        };
        let label = idx.map(|i| self.rooms[i].name.clone());
        match idx {
            Some(i) => {
                let r = &mut self.rooms[i];
                // a message may come both as an event and in a history page
                // fetched around the same time: show it once
                if line.id.is_some() && r.lines.iter().rev().take(500).any(|l| l.id == line.id) {
                    return;
                }
                self.new.push((label, line.clone()));
                if r.lines.len() >= KEEP {
                    r.lines.pop_front();
                }
                let counts = matches!(line.kind, Kind::Message | Kind::WhisperIn)
                    || (line.kind == Kind::Action && line.from.as_deref() != Some(&*self.me));
                r.lines.push_back(line);
                if Some(i) != self.current && counts {
                    r.unread += 1;
                }
            }
            None => {
                self.new.push((label, line.clone()));
                if self.lobby.len() >= KEEP {
                    self.lobby.pop_front();
                }
                self.lobby.push_back(line);
            }
        }
    }

    pub fn notice(&mut self, kind: Kind, text: impl Into<String>) {
        self.push(
            None,
            Line {
                time: now(),
                kind,
                from: None,
                text: text.into(),
                id: None,
            },
        );
    }

    pub fn take_new(&mut self) -> Vec<(Option<String>, Line)> {
        std::mem::take(&mut self.new)
    }

    /// Applies a frame; returns follow-up requests to send.
    pub fn on_frame(&mut self, v: &Value) -> Vec<Value> {
        let ty = v["type"].as_str().unwrap_or_default();
        if ty == "ok" || ty == "error" {
            let req = v["re"]
                .as_u64()
                .and_then(|id| self.pending.remove(&id))
                .unwrap_or(Value::Null);
            let was_held = self.held_out.as_ref() == Some(&req) && is_text(&req);
            if was_held {
                self.held_out = None;
            }
            if ty == "error" && v["code"] == "rate_limited" && is_text(&req) {
                self.hold(req, v);
                return Vec::new();
            }
            let mut follow = if ty == "ok" {
                self.on_ok(&req, v)
            } else {
                let what = s(v, "for");
                let msg = s(v, "message");
                self.notice(Kind::Error, format!("{what}: {msg} ({})", s(v, "code")));
                if is_text(&req) && v["code"] == "bad_request" {
                    self.give_back = Some(s(&req, "text"));
                }
                Vec::new()
            };
            // the next held text, once the one before it is answered
            if self.held_until.is_none() && !self.text_in_flight() {
                follow.extend(self.next_held());
            }
            return follow;
        }
        self.on_event(ty, v);
        Vec::new()
    }

    /// A text refused with `rate_limited`: held at the front until
    /// `retry_after_ms`. Texts go one at a time, so the refused one is older
    /// than every text queued behind it.
    fn hold(&mut self, req: Value, v: &Value) {
        let wait = v["retry_after_ms"]
            .as_u64()
            .unwrap_or(1000)
            .clamp(50, 60_000);
        let until = std::time::Instant::now() + std::time::Duration::from_millis(wait);
        if self.held_until.is_none() && self.held.is_empty() {
            self.notice(
                Kind::Notice,
                format!("slow down: sending again in {:.1} s", wait as f64 / 1000.0),
            );
        }
        self.held_until = Some(self.held_until.map_or(until, |t| t.max(until)));
        self.held.push_front(req);
    }

    /// Whether a text typed now must queue: texts go one at a time, each
    /// after the answer to the one before, so a refused one sent again can
    /// never fall behind a later one the bucket let through.
    pub fn holding(&self) -> bool {
        !self.held.is_empty() || self.held_until.is_some() || self.text_in_flight()
    }

    fn text_in_flight(&self) -> bool {
        self.pending.values().any(is_text)
    }

    /// Queues a typed text behind the held ones.
    pub fn hold_typed(&mut self, req: Value) {
        self.held.push_back(req);
    }

    /// The wait is over: the first held text, to send now.
    pub fn held_due(&mut self) -> Vec<Value> {
        self.held_until = None;
        if self.text_in_flight() {
            return Vec::new();
        }
        self.next_held().into_iter().collect()
    }

    fn next_held(&mut self) -> Option<Value> {
        let next = self.held.pop_front()?;
        self.held_out = Some(next.clone());
        Some(next)
    }

    /// After a reconnect: the text that was out (texts go one at a time)
    /// has no answer coming; it goes again first (it may show twice, it is
    /// never lost).
    pub fn resend_held(&mut self) {
        self.held_out = None;
        let mut out: Vec<(u64, Value)> = Vec::new();
        self.pending.retain(|id, r| {
            if is_text(r) {
                out.push((*id, r.clone()));
                false
            } else {
                true
            }
        });
        out.sort_by_key(|(id, _)| *id);
        for (_, r) in out.into_iter().rev() {
            self.held.push_front(r);
        }
        if !self.held.is_empty() {
            self.held_until = Some(std::time::Instant::now());
        }
    }

    /// Nothing is waiting for an answer or to be sent again.
    pub fn idle(&self) -> bool {
        self.pending.is_empty() && !self.holding()
    }

    /// A `login` or `resume` reply: who we are, our rooms (and requests for
    /// their members and recent history).
    pub fn logged_in(&mut self, v: &Value) -> Vec<Value> {
        let mut follow = Vec::new();
        self.me = s(&v["user"], "name");
        self.role = s(&v["user"], "role");
        for r in v["rooms"].as_array().into_iter().flatten() {
            if let Some(name) = r.as_str() {
                self.ensure_room(name);
                follow.push(json!({"type": "members", "room": name}));
                follow.push(json!({"type": "history", "room": name, "limit": 50}));
            }
        }
        if self.current.is_none() && !self.rooms.is_empty() {
            self.current = Some(0);
        }
        let rooms = self.joined().join(", ");
        self.notice(
            Kind::Notice,
            format!(
                "logged in as {} ({}){}",
                self.me,
                self.role,
                if rooms.is_empty() {
                    ". You are in no room yet: /rooms lists them, /join ROOM or /create ROOM"
                        .to_owned()
                } else {
                    format!("; your rooms: {rooms}")
                }
            ),
        );
        follow
    }

    fn on_ok(&mut self, req: &Value, v: &Value) -> Vec<Value> {
        let mut follow = Vec::new();
        match req["type"].as_str().unwrap_or_default() {
            "login" | "resume" => follow = self.logged_in(v),
            "join" | "create_room" => {
                let name = s(&v["room"], "name");
                self.ensure_room(&name);
                self.switch(&name);
                if let Some(ms) = v["members"].as_array() {
                    self.set_members(&name, ms);
                } else {
                    follow.push(json!({"type": "members", "room": name}));
                }
                follow.push(json!({"type": "history", "room": name, "limit": 50}));
                self.notice(Kind::Event, format!("you joined {name}"));
            }
            "leave" => {
                let name = s(req, "room");
                if let Some(i) = self.room_index(&name) {
                    self.rooms.remove(i);
                    self.current = if self.rooms.is_empty() { None } else { Some(0) };
                }
                self.notice(Kind::Event, format!("you left {name}"));
            }
            "say" => {
                let room = s(req, "room");
                self.push(
                    Some(&room),
                    Line {
                        time: local_hm(&v["at"]),
                        kind: room_kind(req, true),
                        from: Some(self.me.clone()),
                        text: s(req, "text"),
                        id: v["id"].as_i64(),
                    },
                );
            }
            "whisper" => {
                let line = Line {
                    time: local_hm(&v["at"]),
                    kind: Kind::WhisperOut,
                    from: Some(s(req, "to")),
                    text: if req["action"].as_bool() == Some(true) {
                        format!("* {} {}", self.me, s(req, "text"))
                    } else {
                        s(req, "text")
                    },
                    id: v["id"].as_i64(),
                };
                self.push(None, line);
            }
            "history" => self.add_history(&s(req, "room"), v),
            "members" => {
                if let Some(ms) = v["members"].as_array() {
                    self.set_members(&s(req, "room"), ms);
                }
            }
            "rooms" => {
                let list: Vec<String> = v["rooms"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        let n = r["members"].as_u64().unwrap_or(0);
                        format!(
                            "{} ({n} member{}, {} online)",
                            s(r, "name"),
                            if n == 1 { "" } else { "s" },
                            s(r, "online")
                        )
                    })
                    .collect();
                self.notice(
                    Kind::Notice,
                    if list.is_empty() {
                        "no rooms yet: /create ROOM".to_owned()
                    } else {
                        format!("rooms: {}", list.join(", "))
                    },
                );
            }
            "who" => {
                let list: Vec<String> = v["users"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|u| {
                        let role = s(u, "role");
                        if role == "user" {
                            s(u, "name")
                        } else {
                            format!("{} ({role})", s(u, "name"))
                        }
                    })
                    .collect();
                self.notice(Kind::Notice, format!("online: {}", list.join(", ")));
            }
            "ping" => {
                if let Some(t) = v["t"].as_i64() {
                    self.latency_ms = Some(chrono::Utc::now().timestamp_millis() - t);
                }
            }
            "kick" | "mute" | "unmute" | "ban" | "unban" => {
                let what = s(req, "type");
                let until = v["until"]
                    .as_str()
                    .map(|_| format!(" until {}", local_hm(&v["until"])))
                    .unwrap_or_default();
                self.notice(
                    Kind::Notice,
                    format!("{what} {}: done{until}", s(req, "user")),
                );
            }
            _ => {}
        }
        follow
    }

    fn set_members(&mut self, room: &str, ms: &[Value]) {
        let i = self.ensure_room(room);
        self.rooms[i].members = ms
            .iter()
            .map(|m| Member {
                name: s(m, "name"),
                role: s(m, "role"),
                online: m["online"].as_bool().unwrap_or(false),
            })
            .collect();
    }

    fn add_history(&mut self, room: &str, v: &Value) {
        let i = self.ensure_room(room);
        let me = self.me.clone();
        let r = &mut self.rooms[i];
        let known: std::collections::HashSet<i64> = r.lines.iter().filter_map(|l| l.id).collect();
        let older: Vec<Line> = v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["id"].as_i64().is_some_and(|id| !known.contains(&id)))
            .map(|m| {
                let from = s(m, "from");
                Line {
                    time: local_hm(&m["at"]),
                    kind: room_kind(m, from == me),
                    text: if m["deleted"].as_bool() == Some(true) {
                        "(message deleted)".into()
                    } else {
                        s(m, "text")
                    },
                    from: Some(from),
                    id: m["id"].as_i64(),
                }
            })
            .collect();
        // history is older than what is shown: put it in front, in order
        for l in older.into_iter().rev() {
            if r.lines.len() >= KEEP {
                break;
            }
            r.lines.push_front(l);
        }
    }

    fn member_update(&mut self, room: &str, user: &str, f: impl FnOnce(&mut Vec<Member>, &str)) {
        if let Some(i) = self.room_index(room) {
            f(&mut self.rooms[i].members, user);
        }
    }

    fn on_event(&mut self, ty: &str, v: &Value) {
        let room = s(v, "room");
        let user = s(v, "user");
        match ty {
            "message" => {
                let from = s(v, "from");
                let kind = room_kind(v, from == self.me);
                self.push(
                    Some(&room),
                    Line {
                        time: local_hm(&v["at"]),
                        kind,
                        text: s(v, "text"),
                        from: Some(from),
                        id: v["id"].as_i64(),
                    },
                );
            }
            "whisper" => {
                let from = s(v, "from");
                let (kind, who) = if from == self.me {
                    (Kind::WhisperOut, s(v, "to"))
                } else {
                    self.last_whisper_from = Some(from.clone());
                    (Kind::WhisperIn, from)
                };
                self.push(
                    None,
                    Line {
                        time: local_hm(&v["at"]),
                        kind,
                        from: Some(who),
                        text: body(v),
                        id: v["id"].as_i64(),
                    },
                );
            }
            "joined" => {
                self.member_update(&room, &user, |ms, u| {
                    if !ms.iter().any(|m| m.name == u) {
                        ms.push(Member {
                            name: u.to_owned(),
                            role: "user".into(),
                            online: true,
                        });
                    }
                });
                self.event(&room, format!("{user} joined"));
            }
            "left" => {
                self.member_update(&room, &user, |ms, u| ms.retain(|m| m.name != u));
                let how = if s(v, "reason") == "kicked" {
                    format!("{user} was kicked by {}", s(v, "by"))
                } else {
                    format!("{user} left")
                };
                self.event(&room, how);
            }
            "online" | "offline" => {
                let on = ty == "online";
                self.member_update(&room, &user, |ms, u| {
                    match ms.iter_mut().find(|m| m.name == u) {
                        Some(m) => m.online = on,
                        // a member this list lost (a kick from the server
                        // shows `left` in each room; the membership stays):
                        // back when it comes online
                        None if on => ms.push(Member {
                            name: u.to_owned(),
                            role: "user".into(),
                            online: true,
                        }),
                        None => {}
                    }
                });
            }
            "renamed" => {
                let (old, new) = (s(v, "old"), s(v, "new"));
                for r in &mut self.rooms {
                    for m in r.members.iter_mut().filter(|m| m.name == old) {
                        m.name = new.clone();
                    }
                }
                self.notice(Kind::Event, format!("{old} is now known as {new}"));
            }
            "role_changed" => {
                let role = s(v, "role");
                for r in &mut self.rooms {
                    for m in r.members.iter_mut().filter(|m| m.name == user) {
                        m.role = role.clone();
                    }
                }
                if user == self.me {
                    self.role = role.clone();
                }
                self.notice(Kind::Notice, format!("{user} is now {role}"));
            }
            "message_deleted" => {
                let id = v["id"].as_i64();
                if let Some(i) = self.room_index(&room) {
                    for l in self.rooms[i].lines.iter_mut().filter(|l| l.id == id) {
                        l.text = "(message deleted)".into();
                    }
                }
            }
            "kicked" | "muted" | "unmuted" | "banned" => {
                let by = match &v["by"] {
                    Value::String(b) => b.clone(),
                    _ => "the system".into(),
                };
                let in_room = v["room"]
                    .as_str()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default();
                let until = match &v["until"] {
                    Value::String(_) => format!(" until {}", local_hm(&v["until"])),
                    _ if ty == "unmuted" || ty == "kicked" => String::new(),
                    _ => " until lifted".into(),
                };
                let reason = v["reason"]
                    .as_str()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                let what = match ty {
                    "kicked" => "you were kicked",
                    "muted" => "you are muted",
                    "unmuted" => "you may talk again",
                    _ => "you are banned",
                };
                self.notice(
                    Kind::Notice,
                    format!("{what}{in_room} by {by}{until}{reason}"),
                );
            }
            "announcement" => {
                self.notice(
                    Kind::Notice,
                    format!("announcement from {}: {}", s(v, "from"), s(v, "text")),
                );
            }
            "shutdown" => self.notice(Kind::Notice, format!("server: {}", s(v, "reason"))),
            _ => {}
        }
    }

    fn event(&mut self, room: &str, text: String) {
        self.push(
            Some(room),
            Line {
                time: now(),
                kind: Kind::Event,
                from: None,
                text,
                id: None,
            },
        );
    }
}

/// How a room message shows: an emote (`action`) as a sentence about its
/// author, as in irssi; otherwise mine or someone else's.
fn room_kind(m: &Value, mine: bool) -> Kind {
    if m["action"].as_bool() == Some(true) {
        Kind::Action
    } else if mine {
        Kind::Mine
    } else {
        Kind::Message
    }
}

/// A whisper's text as shown: an emote reads `* alice waves`.
fn body(m: &Value) -> String {
    if m["action"].as_bool() == Some(true) {
        format!("* {} {}", s(m, "from"), s(m, "text"))
    } else {
        s(m, "text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(text: &str) -> Value {
        json!({"type": "say", "room": "lobby", "text": text})
    }

    /// Texts refused with `rate_limited` wait and go again in order, one
    /// at a time, a text sent again and refused again first.
    #[test]
    fn refused_texts_are_held_in_order() {
        let mut c = Chat::default();
        let limited = |re: u64| {
            json!({"type": "error", "re": re, "code": "rate_limited", "message": "slow down",
                   "retry_after_ms": 200})
        };
        let ok =
            |re: u64| json!({"type": "ok", "re": re, "id": re, "at": "2026-12-06T10:00:00.000Z"});
        // "a" is out; "b" and "c", typed meanwhile, queue behind it
        c.pending.insert(1, say("a"));
        assert!(c.holding());
        c.hold_typed(say("b"));
        c.hold_typed(say("c"));
        // "a" refused: it goes first again, before what was typed after it
        assert!(c.on_frame(&limited(1)).is_empty());
        assert!(c.held_until.is_some());
        assert_eq!(c.held_due(), [say("a")]);
        c.pending.insert(2, say("a"));
        // refused again: still first
        c.on_frame(&limited(2));
        assert_eq!(c.held_due(), [say("a")]);
        c.pending.insert(3, say("a"));
        assert_eq!(c.on_frame(&ok(3)), [say("b")]);
        c.pending.insert(4, say("b"));
        assert_eq!(c.on_frame(&ok(4)), [say("c")]);
        c.pending.insert(5, say("c"));
        assert!(c.on_frame(&ok(5)).is_empty() && c.idle());
    }

    /// Issue 20: a member kicked from the server comes back to the list when
    /// it is online again.
    #[test]
    fn a_kicked_member_comes_back_online() {
        let mut c = Chat::default();
        c.pending
            .insert(1, json!({"type": "join", "room": "lobby"}));
        c.on_frame(&json!({"type": "ok", "re": 1, "room": {"name": "lobby"},
            "members": [{"name": "dave", "role": "user", "online": true}]}));
        c.on_frame(&json!({"type": "left", "room": "lobby", "user": "dave", "reason": "kicked", "by": "mod"}));
        assert!(c.rooms[0].members.is_empty());
        c.on_frame(&json!({"type": "online", "room": "lobby", "user": "dave"}));
        let names: Vec<&str> = c.rooms[0].members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["dave"]);
    }

    /// A text refused for what it is comes back; a reconnect sends the text
    /// that was out again.
    #[test]
    fn refused_text_comes_back_and_a_lost_one_goes_again() {
        let mut c = Chat::default();
        c.pending.insert(1, say("far too long"));
        c.on_frame(
            &json!({"type": "error", "re": 1, "code": "bad_request", "message": "text: too long"}),
        );
        assert_eq!(c.give_back.as_deref(), Some("far too long"));
        c.pending.insert(2, say("in flight"));
        c.pending.insert(3, json!({"type": "ping"}));
        c.resend_held();
        assert_eq!(c.held_due(), [say("in flight")]);
        assert!(c.pending.contains_key(&3));
    }
}
