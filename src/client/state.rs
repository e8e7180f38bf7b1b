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
    /// owner, op or member
    pub room_role: String,
    pub online: bool,
}

/// A room, or a whisper conversation (named `@NAME`: no room name holds
/// an `@`).
#[derive(Debug, Default)]
pub struct Room {
    pub name: String,
    pub lines: VecDeque<Line>,
    pub unread: usize,
    pub members: Vec<Member>,
    pub topic: String,
    /// How far the account has read here (the server's marker, or the
    /// last `mark_read` sent): unread counts survive a restart.
    pub read_up_to: Option<i64>,
    /// A conversation's history was asked for.
    pub fetched: bool,
}

impl Room {
    /// The other account of a whisper conversation.
    pub fn partner(&self) -> Option<&str> {
        self.name.strip_prefix('@')
    }
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
    /// History pages since the last [`Chat::take_backlog`], oldest first:
    /// older than what is shown, so the plain mode prints them and the
    /// full-screen view does not count them as new.
    backlog: Vec<(String, Line)>,
    /// The login's own `rooms` (read markers, topics) is still to be
    /// answered on this connection: not printed as a `/rooms` is.
    login_rooms: bool,
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

/// `HH:MM` today, else `Mon 7 Dec HH:MM`, local, from a wire timestamp.
pub fn local_time(at: &Value) -> String {
    let Some(t) = at
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Local))
    else {
        return s(&json!({"t": at}), "t");
    };
    if t.date_naive() == Local::now().date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%a %-d %b %H:%M").to_string()
    }
}

/// `HH:MM` local, from a wire timestamp.
pub fn local_hm(at: &Value) -> String {
    at.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(now)
}

fn s(v: &Value, k: &str) -> String {
    text_of(&v[k])
}

/// A value as text: a string as it is, null as nothing, else its JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Chat {
    /// The room shown (not a conversation).
    pub fn room_name(&self) -> Option<&str> {
        self.current
            .map(|i| &self.rooms[i])
            .filter(|r| r.partner().is_none())
            .map(|r| r.name.as_str())
    }

    /// The whisper conversation shown, if one is.
    pub fn partner(&self) -> Option<&str> {
        self.current.and_then(|i| self.rooms[i].partner())
    }

    /// What is shown: `lobby` or `@bob`.
    pub fn view_name(&self) -> Option<&str> {
        self.current.map(|i| self.rooms[i].name.as_str())
    }

    /// Every room and conversation, in the order of the list (Alt-1…9).
    pub fn views(&self) -> Vec<String> {
        self.rooms.iter().map(|r| r.name.clone()).collect()
    }

    /// Authors and ids of the messages shown, for `/delete NAME`.
    pub fn messages_shown(&self) -> Vec<(String, i64)> {
        let Some(i) = self.current else {
            return Vec::new();
        };
        self.rooms[i]
            .lines
            .iter()
            .filter(|l| matches!(l.kind, Kind::Message | Kind::Mine | Kind::Action))
            .filter_map(|l| Some((l.from.clone()?, l.id?)))
            .collect()
    }

    /// The oldest message id shown in the current room.
    pub fn oldest_id(&self) -> Option<i64> {
        self.current
            .and_then(|i| self.rooms[i].lines.iter().find_map(|l| l.id))
    }

    /// The rooms joined (not the conversations).
    pub fn joined(&self) -> Vec<String> {
        self.rooms
            .iter()
            .filter(|r| r.partner().is_none())
            .map(|r| r.name.clone())
            .collect()
    }

    fn room_index(&self, name: &str) -> Option<usize> {
        self.rooms.iter().position(|r| r.name == name)
    }

    /// The room's place in the list, added when new: rooms first, then
    /// the conversations.
    fn ensure_room(&mut self, name: &str) -> usize {
        if let Some(i) = self.room_index(name) {
            return i;
        }
        let room = Room {
            name: name.to_owned(),
            ..Room::default()
        };
        let at = if room.partner().is_some() {
            self.rooms.len()
        } else {
            self.rooms
                .iter()
                .position(|r| r.partner().is_some())
                .unwrap_or(self.rooms.len())
        };
        self.rooms.insert(at, room);
        if let Some(c) = self.current.as_mut().filter(|c| **c >= at) {
            *c += 1;
        }
        at
    }

    /// Shows the room or conversation `i`: its lines are read.
    fn show(&mut self, i: usize) {
        self.current = Some(i);
        self.rooms[i].unread = 0;
    }

    pub fn switch(&mut self, name: &str) {
        if let Some(i) = self.room_index(name) {
            self.show(i);
        }
    }

    /// Opens the whisper conversation with `name` (its history on the
    /// first visit). Returns the request for that history, if due.
    pub fn query(&mut self, name: &str) -> Option<Value> {
        let i = match self.dm_index(name) {
            Some(i) => i,
            None => self.ensure_room(&format!("@{name}")),
        };
        self.show(i);
        self.history_due()
    }

    /// `/topic`: the room's topic, as a notice.
    pub fn show_topic(&mut self) {
        let Some(i) = self.current else { return };
        let r = &self.rooms[i];
        let text = if r.topic.is_empty() {
            format!("#{} has no topic (owners and ops: /topic TEXT)", r.name)
        } else {
            format!("the topic of #{}: {}", r.name, r.topic)
        };
        self.notice(Kind::Notice, text);
    }

    /// Closes the conversation shown.
    pub fn close(&mut self) {
        if let Some(i) = self.current.filter(|&i| self.rooms[i].partner().is_some()) {
            self.rooms.remove(i);
            self.after_removal();
        }
    }

    /// After a room or conversation left the list: the first one is shown.
    fn after_removal(&mut self) {
        self.current = None;
        if !self.rooms.is_empty() {
            self.show(0);
        }
    }

    /// The conversation shown, never fetched: its history.
    pub fn history_due(&mut self) -> Option<Value> {
        let i = self.current?;
        let r = &mut self.rooms[i];
        let with = r.partner()?.to_owned();
        if r.fetched {
            return None;
        }
        r.fetched = true;
        Some(json!({"type": "history", "with": with, "limit": 50}))
    }

    /// A `mark_read` for the view shown, when a message newer than its
    /// marker is on screen (the caller knows it is at the bottom).
    pub fn read_marks(&mut self) -> Option<Value> {
        let i = self.current?;
        let r = &mut self.rooms[i];
        let dm = r.partner().is_some();
        // a whisper's copy in a room is no position in that room
        let newest = r
            .lines
            .iter()
            .rev()
            .filter(|l| dm || !matches!(l.kind, Kind::WhisperIn | Kind::WhisperOut))
            .find_map(|l| l.id)?;
        if r.read_up_to.is_some_and(|m| m >= newest) {
            return None;
        }
        r.read_up_to = Some(newest);
        Some(match r.partner() {
            Some(with) => json!({"type": "mark_read", "with": with, "message_id": newest}),
            None => json!({"type": "mark_read", "room": r.name, "message_id": newest}),
        })
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
        self.show(i);
    }

    /// Adds a line to a room (or, for `None`, to the current view).
    pub fn push(&mut self, room: Option<&str>, line: Line) {
        self.add(room, line, true);
    }

    /// The conversation with `name` (any letter case), if listed.
    fn dm_index(&self, name: &str) -> Option<usize> {
        self.rooms
            .iter()
            .position(|r| r.partner().is_some_and(|p| p.eq_ignore_ascii_case(name)))
    }

    /// A whisper: into its conversation, and shown where the user is too
    /// (as irssi shows a query's line in the active window), so it is
    /// seen; the conversation keeps it, and its unread count, for later.
    fn whisper_line(&mut self, with: &str, line: Line) {
        let view = match self.dm_index(with) {
            Some(i) => self.rooms[i].name.clone(),
            None => format!("@{with}"),
        };
        let here = self.view_name() == Some(view.as_str());
        if !here {
            self.add(None, line.clone(), false);
        }
        self.add(Some(&view), line, true);
    }

    /// [`Chat::push`]; `record`: also a new line for the plain mode (each
    /// line is printed once even when it shows in two places).
    fn add(&mut self, room: Option<&str>, line: Line, record: bool) {
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
                if record {
                    self.new.push((label, line.clone()));
                }
                if r.lines.len() >= KEEP {
                    r.lines.pop_front();
                }
                let counts = matches!(line.kind, Kind::Message | Kind::WhisperIn)
                    || (line.kind == Kind::Action && line.from.as_deref() != Some(&*self.me));
                // a line that copies a whisper into another view is not
                // news there
                let counts = counts && (record || r.partner().is_some());
                let after_marker = match (line.id, r.read_up_to) {
                    (Some(id), Some(m)) => id > m,
                    _ => true,
                };
                r.lines.push_back(line);
                if Some(i) != self.current && counts && after_marker {
                    r.unread += 1;
                }
            }
            None => {
                if record {
                    self.new.push((label, line.clone()));
                }
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

    pub fn take_backlog(&mut self) -> Vec<(String, Line)> {
        std::mem::take(&mut self.backlog)
    }

    /// Applies a frame; returns follow-up requests to send.
    pub fn on_frame(&mut self, v: &Value) -> Vec<Value> {
        let ty = v["type"].as_str().unwrap_or_default();
        if ty == "ok" || ty == "error" {
            let req = match v["re"].as_u64() {
                Some(id) => self.pending.remove(&id),
                // a line the server could not read has no id to answer:
                // the oldest text out is the one (texts go one at a time)
                None if v["code"] == "line_too_long" => self.oldest_text_out(),
                None => None,
            }
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
                self.on_error(&req, v);
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

    /// A refusal, said in words; a text refused for what it is or for who
    /// sent it (too long, muted, a filtered word) comes back to the input
    /// line, so nothing typed is lost.
    fn on_error(&mut self, req: &Value, v: &Value) {
        let code = s(v, "code");
        let what = s(v, "for");
        let reason = v["reason"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let until = match &v["until"] {
            Value::String(_) => format!(" until {}", local_time(&v["until"])),
            _ => " until lifted".into(),
        };
        let text = match code.as_str() {
            "muted" => {
                let room = v["room"]
                    .as_str()
                    .map(|r| format!(" in #{r}"))
                    .unwrap_or_default();
                format!("not sent: you are muted{room}{until}{reason}")
            }
            "blocked" => {
                let left = v["strikes_left"].as_i64().unwrap_or(0);
                if left > 0 {
                    format!(
                        "not sent: it contains a word the filter blocks. {left} more and you are muted for 10 minutes"
                    )
                } else {
                    "not sent: it contains a word the filter blocks; you are muted for 10 minutes"
                        .to_owned()
                }
            }
            "banned_from_room" => {
                format!("you are banned from #{}{until}{reason}", s(req, "room"))
            }
            "bad_request" | "line_too_long" if is_text(req) => {
                format!("not sent: {}", s(v, "message"))
            }
            _ => format!("{what}: {} ({code})", s(v, "message")),
        };
        let give_back = is_text(req)
            && matches!(
                code.as_str(),
                "bad_request" | "line_too_long" | "muted" | "blocked"
            );
        let text = if give_back {
            format!("{text} (your text is back in the input line)")
        } else {
            text
        };
        self.notice(Kind::Error, text);
        if give_back {
            self.give_back = Some(s(req, "text"));
        }
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

    fn oldest_text_out(&mut self) -> Option<Value> {
        let id = self
            .pending
            .iter()
            .filter(|(_, r)| is_text(r))
            .map(|(id, _)| *id)
            .min()?;
        self.pending.remove(&id)
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
        // unread counts from the read markers, and the conversations
        // (the login's own `rooms` names its limit and is not printed)
        follow.push(json!({"type": "rooms"}));
        self.login_rooms = true;
        follow.push(json!({"type": "conversations"}));
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
                let i = self.ensure_room(&name);
                self.rooms[i].topic = s(&v["room"], "topic");
                if let Some(m) = v["room"]["last_read"].as_i64() {
                    self.rooms[i].read_up_to = Some(m);
                }
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
                self.remove_room(&name);
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
                let to = s(req, "to");
                let line = Line {
                    time: local_hm(&v["at"]),
                    kind: Kind::WhisperOut,
                    from: Some(to.clone()),
                    text: if req["action"].as_bool() == Some(true) {
                        format!("* {} {}", self.me, s(req, "text"))
                    } else {
                        s(req, "text")
                    },
                    id: v["id"].as_i64(),
                };
                self.whisper_line(&to, line);
                // answering is reading: the conversation is read up to here
                if let (Some(i), Some(id)) = (self.dm_index(&to), v["id"].as_i64()) {
                    let r = &mut self.rooms[i];
                    r.unread = 0;
                    if r.read_up_to.is_none_or(|m| m < id) {
                        r.read_up_to = Some(id);
                        follow.push(json!({"type": "mark_read", "with": to, "message_id": id}));
                    }
                }
            }
            "history" => match req["with"].as_str() {
                Some(with) => self.add_history(&format!("@{with}"), v),
                None => self.add_history(&s(req, "room"), v),
            },
            "members" => {
                if let Some(ms) = v["members"].as_array() {
                    self.set_members(&s(req, "room"), ms);
                }
            }
            "rooms" => {
                let listed = v["rooms"].as_array().cloned().unwrap_or_default();
                for r in &listed {
                    self.room_listed(r);
                }
                // the login's own listing (the first `rooms` answered on
                // this connection: replies come in request order)
                if std::mem::take(&mut self.login_rooms) {
                    return follow;
                }
                if listed.is_empty() {
                    self.notice(Kind::Notice, "no rooms yet: /create ROOM");
                } else {
                    self.notice(Kind::Notice, format!("{} rooms:", listed.len()));
                }
                for r in &listed {
                    let n = r["members"].as_u64().unwrap_or(0);
                    let topic = r["topic"]
                        .as_str()
                        .filter(|t| !t.is_empty())
                        .map(|t| format!(" — {t}"))
                        .unwrap_or_default();
                    let mine = if self.room_index(&s(r, "name")).is_some() {
                        " (joined)"
                    } else {
                        ""
                    };
                    self.notice(
                        Kind::Notice,
                        format!(
                            "  #{}{mine}: {n} member{}, {} online{topic}",
                            s(r, "name"),
                            if n == 1 { "" } else { "s" },
                            s(r, "online")
                        ),
                    );
                }
                if v["next"].is_string() {
                    self.notice(Kind::Notice, "  … more: /rooms shows the first 500");
                }
            }
            "conversations" => {
                // after a restart, /r answers the newest conversation with
                // whispers not read yet (the list is newest first)
                if self.last_whisper_from.is_none() {
                    self.last_whisper_from = v["conversations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["unread"].as_u64().unwrap_or(0) > 0)
                        .map(|c| s(c, "with"));
                }
                for c in v["conversations"].as_array().into_iter().flatten() {
                    let i = self.ensure_room(&format!("@{}", s(c, "with")));
                    let r = &mut self.rooms[i];
                    r.read_up_to = c["last_read"].as_i64().or(r.read_up_to);
                    if Some(i) != self.current {
                        r.unread = c["unread"].as_u64().unwrap_or(0) as usize;
                    }
                }
            }
            "set_topic" | "set_room_role" | "delete_message" | "mark_read" | "set_capacity" => {
                // the room's event says it, to everyone at once
            }
            "announce" => self.notice(Kind::Notice, "announcement sent"),
            "room_bans" => {
                let room = s(req, "room");
                let bans = v["bans"].as_array().cloned().unwrap_or_default();
                if bans.is_empty() {
                    self.notice(Kind::Notice, format!("nobody is banned from #{room}"));
                } else {
                    self.notice(Kind::Notice, format!("banned from #{room}:"));
                }
                for b in &bans {
                    let until = match &b["until"] {
                        Value::String(_) => format!("until {}", local_time(&b["until"])),
                        _ => "until lifted".into(),
                    };
                    let reason = b["reason"]
                        .as_str()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    let by = b["by"].as_str().unwrap_or("someone gone");
                    self.notice(
                        Kind::Notice,
                        format!("  {} {until}, by {by}{reason}", s(b, "user")),
                    );
                }
            }
            "filter_list" => {
                let words: Vec<String> = v["words"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text_of)
                    .collect();
                self.notice(
                    Kind::Notice,
                    if words.is_empty() {
                        "the word filter is empty".to_owned()
                    } else {
                        format!("filtered words ({}): {}", words.len(), words.join(", "))
                    },
                );
            }
            "filter_add" => {
                self.notice(Kind::Notice, format!("filter: {:?} added", s(req, "word")))
            }
            "filter_remove" => self.notice(
                Kind::Notice,
                format!("filter: {:?} removed", s(req, "word")),
            ),
            "set_role" => self.notice(
                Kind::Notice,
                format!("{}'s role is now {}", s(req, "user"), s(req, "role")),
            ),
            "modlog" => {
                let entries = v["entries"].as_array().cloned().unwrap_or_default();
                if entries.is_empty() {
                    self.notice(Kind::Notice, "no moderation records");
                }
                // newest first on the wire; oldest first on screen, as chat
                // reads, each at its own time
                for e in entries.iter().rev() {
                    self.push(
                        None,
                        Line {
                            time: local_hm(&e["at"]),
                            kind: Kind::Notice,
                            from: None,
                            text: modlog_line(e),
                            id: None,
                        },
                    );
                }
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
                let until = match &v["until"] {
                    Value::String(_) => format!(" until {}", local_time(&v["until"])),
                    _ if matches!(what.as_str(), "mute" | "ban") => " until lifted".into(),
                    _ => String::new(),
                };
                let room = req["room"]
                    .as_str()
                    .map(|r| format!(" in #{r}"))
                    .unwrap_or_default();
                self.notice(
                    Kind::Notice,
                    format!("{what} {}{room}: done{until}", s(req, "user")),
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
                room_role: s(m, "room_role"),
                online: m["online"].as_bool().unwrap_or(false),
            })
            .collect();
    }

    /// A `rooms` entry: for a room joined, its topic and read state.
    fn room_listed(&mut self, r: &Value) {
        let Some(i) = self.room_index(&s(r, "name")) else {
            return;
        };
        let current = self.current == Some(i);
        let room = &mut self.rooms[i];
        room.topic = s(r, "topic");
        if let Some(m) = r["last_read"].as_i64() {
            room.read_up_to = Some(room.read_up_to.map_or(m, |k| k.max(m)));
        }
        if let (Some(n), false) = (r["unread"].as_u64(), current) {
            room.unread = n as usize;
        }
    }

    /// A room left (or deleted, or one we were put out of): gone from the
    /// list; if it was shown, the first one left is.
    fn remove_room(&mut self, name: &str) {
        if let Some(i) = self.room_index(name) {
            let shown = self.current == Some(i);
            self.rooms.remove(i);
            match self.current {
                _ if shown => self.after_removal(),
                Some(c) if c > i => self.current = Some(c - 1),
                _ => {}
            }
        }
    }

    fn add_history(&mut self, room: &str, v: &Value) {
        let i = self.ensure_room(room);
        let me = self.me.clone();
        let r = &mut self.rooms[i];
        let partner = r.partner().map(str::to_owned);
        let known: std::collections::HashSet<i64> = r.lines.iter().filter_map(|l| l.id).collect();
        let older: Vec<Line> = v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["id"].as_i64().is_some_and(|id| !known.contains(&id)))
            .map(|m| {
                let from = s(m, "from");
                let deleted = m["deleted"].as_bool() == Some(true);
                let (kind, who, text) = match &partner {
                    // a conversation's lines read as its whispers do
                    Some(p) => (
                        if from == me {
                            Kind::WhisperOut
                        } else {
                            Kind::WhisperIn
                        },
                        p.clone(),
                        body(m),
                    ),
                    None => (room_kind(m, from == me), from, s(m, "text")),
                };
                Line {
                    time: local_hm(&m["at"]),
                    kind,
                    text: if deleted {
                        "(message deleted)".into()
                    } else {
                        text
                    },
                    from: Some(who),
                    id: m["id"].as_i64(),
                }
            })
            .collect();
        // history is older than what is shown: put it in front, in order
        let name = r.name.clone();
        let mut kept = Vec::new();
        for l in older.into_iter().rev() {
            if r.lines.len() >= KEEP {
                break;
            }
            kept.push((name.clone(), l.clone()));
            r.lines.push_front(l);
        }
        self.backlog.extend(kept.into_iter().rev());
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
                let line = Line {
                    time: local_hm(&v["at"]),
                    kind,
                    from: Some(who.clone()),
                    text: body(v),
                    id: v["id"].as_i64(),
                };
                self.whisper_line(&who, line);
            }
            "joined" => {
                let room_role = s(v, "room_role");
                self.member_update(&room, &user, |ms, u| {
                    if !ms.iter().any(|m| m.name == u) {
                        ms.push(Member {
                            name: u.to_owned(),
                            role: "user".into(),
                            room_role,
                            online: true,
                        });
                    }
                });
                self.event(&room, format!("{user} joined"));
            }
            // this account left (from another session, or was put out):
            // the room goes from the list
            "left" if user == self.me && !put_out(v) => self.remove_room(&room),
            "left" => {
                self.member_update(&room, &user, |ms, u| ms.retain(|m| m.name != u));
                let by = v["by"].as_str().unwrap_or("the system");
                let how = match v["reason"].as_str() {
                    Some("kicked") => format!("{user} was kicked by {by}"),
                    Some("banned") => format!("{user} was banned from #{room} by {by}"),
                    _ => format!("{user} left"),
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
                            room_role: "member".into(),
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
                let by = v["by"].as_str().unwrap_or("the console");
                let who = if user == self.me { "you are" } else { "is" };
                let who = if user == self.me {
                    who.to_owned()
                } else {
                    format!("{user} {who}")
                };
                self.notice(Kind::Notice, format!("{who} now {role} (by {by})"));
            }
            "room_role_changed" => {
                let rr = s(v, "room_role");
                self.member_update(&room, &user, |ms, u| {
                    for m in ms.iter_mut().filter(|m| m.name == u) {
                        m.room_role = rr.clone();
                    }
                });
                let what = match rr.as_str() {
                    "op" => "an op",
                    "owner" => "the owner",
                    _ => "a plain member",
                };
                self.event(
                    &room,
                    format!("{user} is now {what} of #{room} (by {})", s(v, "by")),
                );
            }
            "topic_changed" => {
                let topic = s(v, "topic");
                if let Some(i) = self.room_index(&room) {
                    self.rooms[i].topic = topic.clone();
                }
                let by = v["by"].as_str().unwrap_or("the console");
                if topic.is_empty() {
                    self.event(&room, format!("{by} cleared the topic"));
                } else {
                    self.event(&room, format!("{by} set the topic: {topic}"));
                }
            }
            "room_deleted" => {
                self.remove_room(&room);
                let by = v["by"].as_str().unwrap_or("the console");
                self.notice(Kind::Notice, format!("#{room} was deleted by {by}"));
            }
            "read" => {
                let id = v["id"].as_i64();
                let view = match v["with"].as_str() {
                    Some(w) => format!("@{w}"),
                    None => room.clone(),
                };
                if let (Some(i), Some(id)) = (self.room_index(&view), id) {
                    // read on another device: as far as it reached
                    let r = &mut self.rooms[i];
                    r.read_up_to = Some(r.read_up_to.map_or(id, |m| m.max(id)));
                    let newest = r.lines.iter().rev().find_map(|l| l.id);
                    if newest.is_some_and(|n| n <= id) {
                        r.unread = 0;
                    }
                }
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
                // put out of a room: the room leaves the list
                if matches!(ty, "kicked" | "banned") && !room.is_empty() {
                    self.remove_room(&room);
                }
                let by = match &v["by"] {
                    Value::String(b) => b.clone(),
                    _ => "the system".into(),
                };
                let in_room = v["room"]
                    .as_str()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default();
                let until = match &v["until"] {
                    Value::String(_) => format!(" until {}", local_time(&v["until"])),
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

    /// A quiet line in a room still listed (never one that brings back a
    /// room this account has left).
    fn event(&mut self, room: &str, text: String) {
        if self.room_index(room).is_none() {
            return;
        }
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

/// A `left` that put someone out: for this account, its own `kicked` or
/// `banned` event says why.
fn put_out(v: &Value) -> bool {
    matches!(v["reason"].as_str(), Some("kicked" | "banned"))
}

/// One `modlog` entry as a line, for a notice at the entry's own time:
/// `ban dave in #lounge by mira until 11:03: flooding`, with what the act
/// set (`set_room_role dave (op)`, `filter_add (frob)`) and the day when it
/// is not today.
fn modlog_line(e: &Value) -> String {
    let action = s(e, "action");
    let by = match (e["by"].as_str(), action.as_str()) {
        (Some(b), _) => b.to_owned(),
        // no actor: the filter's own mute, or a change made at the console
        (None, "set_role" | "set_password") => "the console".into(),
        (None, _) => "the system".into(),
    };
    let room = e["room"]
        .as_str()
        .map(|r| format!(" in #{r}"))
        .unwrap_or_default();
    let until = match &e["until"] {
        Value::String(_) => format!(" until {}", local_time(&e["until"])),
        _ => String::new(),
    };
    let reason = e["reason"]
        .as_str()
        .filter(|r| !r.is_empty())
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let target = e["target"]
        .as_str()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let detail = match &e["detail"] {
        Value::Null => String::new(),
        d => format!(" ({})", text_of(d)),
    };
    let day = local_time(&e["at"]);
    let day = match day.rsplit_once(' ') {
        // not today: the day, as the time column has only the hour
        Some((day, _)) => format!("{day}: "),
        None => String::new(),
    };
    format!("{day}{action}{target}{detail}{room} by {by}{until}{reason}")
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
        // a line the server could not read at all: no id in the answer
        c.give_back = None;
        c.pending.insert(9, say("😀 x 5000"));
        c.on_frame(
            &json!({"type": "error", "re": null, "code": "line_too_long",
            "message": "line longer than 16384 bytes; discarded"}),
        );
        assert_eq!(c.give_back.as_deref(), Some("😀 x 5000"));
        assert!(!c.holding(), "the next text would wait forever");
        c.pending.insert(2, say("in flight"));
        c.pending.insert(3, json!({"type": "ping"}));
        c.resend_held();
        assert_eq!(c.held_due(), [say("in flight")]);
        assert!(c.pending.contains_key(&3));
    }
    fn logged_in_to(rooms: &[&str]) -> Chat {
        let mut c = Chat::default();
        c.pending.insert(1, json!({"type": "login"}));
        let follow = c.on_frame(&json!({"type": "ok", "re": 1,
            "user": {"name": "bob", "role": "user"}, "rooms": rooms}));
        assert!(
            follow.contains(&json!({"type": "conversations"})),
            "{follow:?}"
        );
        c
    }

    /// Issue 20: unread counts come from the read markers at login, a
    /// conversation is a view of its own, and what is shown gets marked.
    #[test]
    fn read_markers_and_conversations() {
        let mut c = logged_in_to(&["lobby", "dev"]);
        c.pending.insert(2, json!({"type": "rooms"}));
        c.on_frame(&json!({"type": "ok", "re": 2, "rooms": [
            {"name": "dev", "members": 2, "online": 1, "topic": "builds", "unread": 4, "last_read": 10},
            {"name": "lobby", "members": 2, "online": 1, "topic": "", "unread": 9, "last_read": 3}]}));
        // nothing printed for the login's own listing; lobby is shown
        assert!(!c
            .lobby
            .iter()
            .chain(c.rooms[0].lines.iter())
            .any(|l| l.text.contains("#dev:")));
        assert_eq!((c.rooms[0].unread, c.rooms[1].unread), (0, 4));
        assert_eq!(c.rooms[1].topic, "builds");
        c.pending.insert(3, json!({"type": "conversations"}));
        c.on_frame(&json!({"type": "ok", "re": 3, "conversations": [
            {"with": "alice", "last_id": 30, "unread": 2, "last_read": 20}]}));
        assert_eq!(c.views(), ["lobby", "dev", "@alice"]);
        assert_eq!(c.rooms[2].unread, 2);
        assert_eq!(c.last_whisper_from.as_deref(), Some("alice"));
        // a new room goes before the conversations
        c.pending.insert(4, json!({"type": "join", "room": "art"}));
        c.on_frame(&json!({"type": "ok", "re": 4, "room": {"name": "art", "topic": "", "last_read": null}, "members": []}));
        assert_eq!(c.views(), ["lobby", "dev", "art", "@alice"]);
        assert_eq!(c.room_name(), Some("art"));
        // opening the conversation asks for its history once
        assert_eq!(
            c.query("Alice"),
            Some(json!({"type": "history", "with": "alice", "limit": 50}))
        );
        assert_eq!((c.partner(), c.room_name()), (Some("alice"), None));
        assert_eq!(c.rooms[3].unread, 0);
        c.pending
            .insert(5, json!({"type": "history", "with": "alice", "limit": 50}));
        c.on_frame(&json!({"type": "ok", "re": 5, "messages": [
            {"id": 29, "from": "bob", "to": "alice", "text": "hi", "action": false, "at": "2026-12-06T10:00:00Z"},
            {"id": 30, "from": "alice", "to": "bob", "text": "waves", "action": true, "at": "2026-12-06T10:01:00Z"}]}));
        let kinds: Vec<Kind> = c.rooms[3].lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [Kind::WhisperOut, Kind::WhisperIn]);
        assert_eq!(c.rooms[3].lines[1].text, "* alice waves");
        assert_eq!(c.query("alice"), None);
        assert_eq!(
            c.read_marks(),
            Some(json!({"type": "mark_read", "with": "alice", "message_id": 30}))
        );
        assert_eq!(c.read_marks(), None);
        // a whisper while in a room: in its conversation (counted) and
        // shown where the user is (not counted there)
        c.switch("lobby");
        c.on_frame(
            &json!({"type": "whisper", "id": 31, "from": "alice", "to": "bob",
            "text": "psst", "action": false, "at": "2026-12-06T10:02:00Z"}),
        );
        assert_eq!(c.rooms[3].unread, 1);
        assert_eq!(c.rooms[0].unread, 0);
        assert!(c.rooms[0].lines.iter().any(|l| l.text == "psst"));
        // read on another device
        c.on_frame(&json!({"type": "read", "with": "alice", "id": 31}));
        assert_eq!(c.rooms[3].unread, 0);
        // in a conversation, a line whispers; /leave closes it
        c.switch("@alice");
        c.close();
        assert_eq!(c.views(), ["lobby", "dev", "art"]);
        assert_eq!(c.room_name(), Some("lobby"));
    }

    /// Issue 20: a room's events say what happened; put out of a room, it
    /// leaves the list and what is shown has no stale count.
    #[test]
    fn room_events() {
        let mut c = logged_in_to(&["lobby", "dev"]);
        c.on_frame(
            &json!({"type": "topic_changed", "room": "lobby", "topic": "say hi", "by": "alice"}),
        );
        assert_eq!(c.rooms[0].topic, "say hi");
        assert!(c.rooms[0]
            .lines
            .iter()
            .any(|l| l.text == "alice set the topic: say hi"));
        c.on_frame(&json!({"type": "left", "room": "lobby", "user": "dave", "reason": "banned", "by": "alice"}));
        assert!(c.rooms[0]
            .lines
            .iter()
            .any(|l| l.text == "dave was banned from #lobby by alice"));
        c.on_frame(
            &json!({"type": "message", "room": "dev", "id": 5, "from": "alice",
            "text": "x", "action": false, "at": "2026-12-06T10:00:00Z"}),
        );
        assert_eq!(c.rooms[1].unread, 1);
        c.on_frame(&json!({"type": "banned", "room": "lobby", "by": "alice", "until": null, "reason": "spam"}));
        assert_eq!(c.views(), ["dev"]);
        assert_eq!((c.room_name(), c.rooms[0].unread), (Some("dev"), 0));
        assert!(c.rooms[0].lines.iter().any(|l| l
            .text
            .contains("you are banned in lobby by alice until lifted: spam")));
        c.on_frame(
            &json!({"type": "role_changed", "user": "bob", "role": "moderator", "by": null}),
        );
        assert!(c.rooms[0]
            .lines
            .iter()
            .any(|l| l.text == "you are now moderator (by the console)"));
        c.on_frame(&json!({"type": "room_deleted", "room": "dev", "by": "mo"}));
        assert!(c.views().is_empty() && c.current.is_none());
    }

    /// Issue 20: a muted text says until when, in local time, and comes
    /// back to the input line.
    #[test]
    fn a_muted_text_comes_back_with_the_local_end() {
        let mut c = logged_in_to(&["lobby"]);
        c.pending.insert(7, say("hello?"));
        c.on_frame(
            &json!({"type": "error", "re": 7, "code": "muted", "message": "you are muted",
            "until": "2030-01-02T03:04:00.000Z", "reason": "spam", "room": null}),
        );
        let want = local_time(&json!("2030-01-02T03:04:00.000Z"));
        assert!(!want.contains("2030") && !want.contains('T'), "{want}");
        let last = c.rooms[0].lines.back().expect("a line").text.clone();
        assert!(
            last.starts_with(&format!("not sent: you are muted until {want}: spam")),
            "{last}"
        );
        assert_eq!(c.give_back.as_deref(), Some("hello?"));
    }

    /// Issue 20: a modlog entry says what the act set, and who: the
    /// console for a role changed there.
    #[test]
    fn modlog_lines() {
        let today = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let e = json!({"action": "set_role", "target": "mira", "by": null, "room": null,
            "reason": null, "until": null, "detail": "admin", "at": today});
        assert_eq!(modlog_line(&e), "set_role mira (admin) by the console");
        let e = json!({"action": "filter_add", "target": null, "by": "mira", "room": null,
            "reason": null, "until": null, "detail": "frob", "at": "2020-01-02T10:00:00.000Z"});
        let line = modlog_line(&e);
        assert!(line.ends_with(": filter_add (frob) by mira"), "{line}");
        assert!(line.contains("Jan"), "{line}");
    }
}
