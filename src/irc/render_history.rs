//! The writer's side of CHATHISTORY, MARKREAD and REDACT (docs/irc.md
//! sections 6, 8.4, 8.5), the `read` and `message_deleted` events, and
//! labeled-response (8.1): the output of a labeled command is gathered and
//! sent as one labeled line, a `labeled-response` batch or an `ACK`. A
//! child module of `render`, so it uses that module's helpers as they are.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use super::super::control::{self, ControlTx};
use super::super::line::write_line;
use super::super::state::{IrcState, Pending};
use super::{channel, message_tags, privmsg, Control, Out};
use crate::error::{ErrorCode, Failure};
use crate::protocol::events::ReadTarget;
use crate::protocol::{Event, Reply};

/// A CHATHISTORY, MARKREAD or REDACT target: `#room` or a nick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Room(String),
    With(String),
}

impl Target {
    /// `#room` (lower-cased) or a nick; `None` for what names no
    /// conversation (`*`, ModServ, `$$*`, an empty name).
    pub fn parse(s: &str) -> Option<Target> {
        if let Some(room) = s.strip_prefix('#') {
            return (!room.is_empty()).then(|| Target::Room(room.to_ascii_lowercase()));
        }
        let bad = s.is_empty()
            || s.eq_ignore_ascii_case("modserv")
            || s.starts_with(['*', '$', '&', '!', '+', '@', '~', ':']);
        (!bad).then(|| Target::With(s.to_owned()))
    }

    /// As IRC writes it.
    pub fn irc(&self) -> String {
        match self {
            Target::Room(r) => channel(r),
            Target::With(n) => n.clone(),
        }
    }

    /// `{room}` or `{with}` of a request.
    pub fn arg(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Target::Room(r) => m.insert("room".into(), r.clone().into()),
            Target::With(n) => m.insert("with".into(), n.clone().into()),
        };
        m
    }
}

/// What a history request in flight was.
#[derive(Debug, Clone)]
pub enum Hist {
    /// A CHATHISTORY page: ids above `gt` and below `lt` only.
    Page {
        sub: String,
        target: Target,
        gt: Option<i64>,
        lt: Option<i64>,
    },
    /// `AROUND timestamp=T`: the newest message at or before T, then the
    /// page around it.
    AroundAt {
        target: Target,
        at: DateTime<Utc>,
        limit: i64,
    },
    /// `BETWEEN` with one msgid and one timestamp: the msgid's time.
    Mixed {
        target: Target,
        id: i64,
        id_first: bool,
        at: DateTime<Utc>,
        limit: i64,
    },
    /// MARKREAD timestamp=T: the newest message at or before T.
    MarkFind { target: Target },
    /// `mark_read` of that message (`at`: its time).
    MarkSet { target: Target, at: String },
    /// The stored marker of a room (`rooms`).
    MarkGet { target: Target },
    /// The time of the marker's message.
    MarkAt { target: Target },
    /// A `read` event's message: its time.
    ReadAt { target: Target },
    /// REDACT: is the message that room's?
    RedactFind { room: String, msgid: i64 },
    /// REDACT: `delete_message`.
    RedactDo { room: String, msgid: i64 },
}

/// `YYYY-MM-DDThh:mm:ss.sssZ` (any RFC 3339 time is taken).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time as `history` takes it (no precision lost).
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An exclusive lower bound as `since` (inclusive): 1 ms later, as Ergo
/// rounds it; stored times have milliseconds.
pub fn after(t: DateTime<Utc>) -> String {
    fmt_time(t + TimeDelta::milliseconds(1))
}

// ---------------------------------------------------------------------------
// labeled-response

/// The labels of commands whose output is still being gathered.
#[derive(Debug, Default)]
pub struct Labels {
    /// Label and batch ids (one counter: short per-connection ids).
    next: u64,
    /// The label of the command the reader is acting on: requests made now
    /// are part of its output.
    pub current: Option<u64>,
    /// Requests in flight by `re`, to their label.
    by_re: HashMap<u64, u64>,
    open: HashMap<u64, Open>,
}

#[derive(Debug)]
struct Open {
    /// The client's label.
    tag: String,
    /// The reader's hold plus the replies awaited.
    holds: usize,
    /// The output so far, whole lines.
    buf: Vec<u8>,
}

impl Labels {
    /// A fresh id for a label or a batch.
    pub fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The reader starts a labeled command.
    pub fn open(&mut self, tag: String) -> u64 {
        let id = self.next_id();
        self.open.insert(
            id,
            Open {
                tag,
                holds: 1,
                buf: Vec::new(),
            },
        );
        self.current = Some(id);
        id
    }

    /// A request `re` is made now: its reply is the current label's.
    pub fn attach(&mut self, re: u64) {
        if let Some(id) = self.current {
            if let Some(o) = self.open.get_mut(&id) {
                o.holds += 1;
                self.by_re.insert(re, id);
            }
        }
    }

    fn of_re(&mut self, re: &Value) -> Option<u64> {
        re.as_u64().and_then(|r| self.by_re.remove(&r))
    }

    fn hold(&mut self, id: u64) {
        if let Some(o) = self.open.get_mut(&id) {
            o.holds += 1;
        }
    }

    /// Lines written by the reader: the current label's when there is one
    /// (then nothing is left to send now).
    pub fn capture(&mut self, buf: Vec<u8>) -> Vec<u8> {
        match self.current.and_then(|id| self.open.get_mut(&id)) {
            Some(o) => {
                o.buf.extend_from_slice(&buf);
                Vec::new()
            }
            None => buf,
        }
    }

    /// One hold of `id` ends; when it was the last, the labeled output.
    pub fn release(&mut self, id: u64, batch: bool, server: &str) -> Option<Vec<u8>> {
        let o = self.open.get_mut(&id)?;
        o.holds = o.holds.saturating_sub(1);
        if o.holds > 0 {
            return None;
        }
        let o = self.open.remove(&id)?;
        let batch_id = batch.then(|| self.next_id());
        Some(labeled(&o.tag, &o.buf, batch_id, server))
    }
}

/// The lines of `buf`, each with its `\r\n`.
fn lines(buf: &[u8]) -> Vec<&[u8]> {
    let mut v = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |i| i + 2);
        let (l, r) = rest.split_at(end);
        v.push(l);
        rest = r;
    }
    v
}

/// `@key=value` escaped as a tag value (IRCv3 message-tags).
fn tag_bytes(key: &str, value: &str) -> Vec<u8> {
    let mut t = format!("{key}=").into_bytes();
    for c in value.chars() {
        match c {
            ';' => t.extend_from_slice(b"\\:"),
            ' ' => t.extend_from_slice(b"\\s"),
            '\\' => t.extend_from_slice(b"\\\\"),
            '\r' => t.extend_from_slice(b"\\r"),
            '\n' => t.extend_from_slice(b"\\n"),
            c => t.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    t
}

/// `line` with one more tag in front of its others.
fn with_tag(line: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut v = vec![b'@'];
    v.extend_from_slice(&tag_bytes(key, value));
    match line.strip_prefix(b"@") {
        Some(rest) => {
            v.push(b';');
            v.extend_from_slice(rest);
        }
        None => {
            v.push(b' ');
            v.extend_from_slice(line);
        }
    }
    v
}

fn has_tag(line: &[u8], key: &str) -> bool {
    let Some(rest) = line.strip_prefix(b"@") else {
        return false;
    };
    let tags = rest.split(|b| *b == b' ').next().unwrap_or_default();
    tags.split(|b| *b == b';').any(|t| {
        let k = t.split(|b| *b == b'=').next().unwrap_or_default();
        k == key.as_bytes()
    })
}

/// The words of a line after its tags and source: `BATCH +7 chathistory`.
fn words(line: &[u8]) -> Vec<&str> {
    let text = std::str::from_utf8(line).unwrap_or_default().trim_end();
    let mut rest = text;
    if rest.starts_with('@') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    if rest.starts_with(':') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    rest.split(' ').collect()
}

/// A labeled command's output (docs/irc.md 8.1, Ergo's ResponseBuffer):
/// none: `ACK`; one line: it, labeled; one batch: its `BATCH +` labeled;
/// more: a `labeled-response` batch (without the batch cap: the lines as
/// they are, unlabeled).
fn labeled(tag: &str, buf: &[u8], batch_id: Option<u64>, server: &str) -> Vec<u8> {
    let ls = lines(buf);
    let mut out = Vec::new();
    match ls.as_slice() {
        [] => {
            let _ = write_line(&mut out, &[("label", tag)], Some(server), "ACK", &[]);
        }
        [one] => out = with_tag(one, "label", tag),
        [first, .., last] if one_batch(first, last) => {
            out = with_tag(first, "label", tag);
            for l in &ls[1..] {
                out.extend_from_slice(l);
            }
        }
        _ => match batch_id {
            Some(b) => {
                let b = b.to_string();
                let plus = format!("+{b}");
                let minus = format!("-{b}");
                let _ = write_line(
                    &mut out,
                    &[("label", tag)],
                    Some(server),
                    "BATCH",
                    &[&plus, "labeled-response"],
                );
                for l in &ls {
                    match has_tag(l, "batch") {
                        true => out.extend_from_slice(l),
                        false => out.extend_from_slice(&with_tag(l, "batch", &b)),
                    }
                }
                let _ = write_line(&mut out, &[], Some(server), "BATCH", &[&minus]);
            }
            None => out.extend_from_slice(buf),
        },
    }
    out
}

/// Whether `first` opens the batch `last` closes.
fn one_batch(first: &[u8], last: &[u8]) -> bool {
    let (f, l) = (words(first), words(last));
    match (f.as_slice(), l.as_slice()) {
        (["BATCH", open, ..], ["BATCH", close, ..]) => open
            .strip_prefix('+')
            .is_some_and(|o| Some(o) == close.strip_prefix('-')),
        _ => false,
    }
}

/// A reply, gathered into its command's labeled output when the command
/// had a label; `inner` renders it.
pub(super) fn labeled_reply(
    out: &mut Out<'_>,
    r: &Reply,
    st: &mut IrcState,
    ctl: &ControlTx,
    inner: fn(&mut Out<'_>, &Reply, &mut IrcState, &ControlTx),
) {
    let Some(id) = st.labels.of_re(&r.re) else {
        return inner(out, r, st, ctl);
    };
    let mut sub = Out {
        buf: Vec::new(),
        server: out.server,
        network: out.network,
    };
    // what the reply asks of the reader is part of the labeled output too
    let (tx, mut rx) = control::channel();
    inner(&mut sub, r, st, &tx);
    while let Some(c) = rx.try_recv() {
        st.labels.hold(id);
        let _ = ctl.send(Control::Labeled(id, Box::new(c)));
    }
    if let Some(o) = st.labels.open.get_mut(&id) {
        o.buf.extend_from_slice(&sub.buf);
    }
    let batch = st.has("batch");
    if let Some(done) = st.labels.release(id, batch, out.server) {
        out.buf.extend_from_slice(&done);
    }
}

// ---------------------------------------------------------------------------
// CHATHISTORY

/// One page as a `chathistory` batch (without the batch cap: the lines
/// alone): texts as PRIVMSG, emotes as CTCP ACTION, deleted ones left out.
pub fn page(
    out: &mut Out<'_>,
    st: &mut IrcState,
    me: &str,
    target: &Target,
    messages: &[Value],
    gt: Option<i64>,
    lt: Option<i64>,
) {
    let batch = st.has("batch").then(|| st.labels.next_id().to_string());
    let name = target.irc();
    if let Some(b) = &batch {
        let plus = format!("+{b}");
        let server = out.server;
        if let Err(e) = write_line(
            &mut out.buf,
            &[],
            Some(server),
            "BATCH",
            &[&plus, "chathistory", &name],
        ) {
            tracing::warn!(error = %e, "a BATCH line could not be written");
        }
    }
    for m in messages {
        let id = m["id"].as_i64().unwrap_or_default();
        if m["deleted"] == true || gt.is_some_and(|g| id <= g) || lt.is_some_and(|l| id >= l) {
            continue;
        }
        let from = m["from"].as_str().unwrap_or_default();
        let text = m["text"].as_str().unwrap_or_default();
        let at = m["at"].as_str().unwrap_or_default();
        let action = m["action"] == true;
        let to = match target {
            Target::Room(_) => name.clone(),
            Target::With(_) => m["to"].as_str().unwrap_or(me).to_owned(),
        };
        let id = id.to_string();
        let mut tags = message_tags(st, &id, at, from);
        if let Some(b) = &batch {
            tags.insert(0, ("batch", b.as_str()));
        }
        privmsg(out, &tags, from, "PRIVMSG", &to, text, action);
    }
    if let Some(b) = &batch {
        let minus = format!("-{b}");
        let server = out.server;
        let _ = write_line(&mut out.buf, &[], Some(server), "BATCH", &[&minus]);
    }
}

fn messages(fields: &Map<String, Value>) -> &[Value] {
    fields
        .get("messages")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// CHATHISTORY's refusals (docs/irc.md section 6).
fn history_error(out: &mut Out<'_>, sub: &str, target: &Target, f: &Failure) {
    const CMD: &str = "CHATHISTORY";
    let name = target.irc();
    match f.code {
        ErrorCode::NotInRoom | ErrorCode::NoSuchRoom | ErrorCode::NoSuchUser => out.fail(
            CMD,
            "INVALID_TARGET",
            &[sub, &name],
            "Messages could not be retrieved",
        ),
        // a guest's whisper history (docs/irc.md 3.6): the reason in words
        ErrorCode::Forbidden => out.fail(CMD, "INVALID_TARGET", &[sub, &name], &f.message),
        ErrorCode::BadRequest => out.fail(CMD, "INVALID_PARAMS", &[sub], "Invalid parameters"),
        ErrorCode::Unavailable => {
            out.fail(CMD, "TEMPORARILY_UNAVAILABLE", &[sub], "Try again shortly")
        }
        _ => out.fail(
            CMD,
            "MESSAGE_ERROR",
            &[sub, &name],
            "Messages could not be retrieved",
        ),
    }
}

fn ask(ctl: &ControlTx, ty: &'static str, args: Map<String, Value>, h: Hist) {
    let _ = ctl.send(Control::Request(Box::new(
        crate::irc::render::ControlRequest {
            ty,
            args: Value::Object(args),
            pending: Pending::History(h),
        },
    )));
}

fn with(target: &Target, pairs: &[(&str, Value)]) -> Map<String, Value> {
    let mut m = target.arg();
    for (k, v) in pairs {
        m.insert((*k).into(), v.clone());
    }
    m
}

// ---------------------------------------------------------------------------
// MARKREAD

/// `:server MARKREAD target timestamp=T` (or `*`: no marker).
pub fn markread(out: &mut Out<'_>, target: &Target, at: Option<&str>) {
    let stamp = at.map_or_else(|| "*".to_owned(), |t| format!("timestamp={t}"));
    let name = target.irc();
    let server = out.server;
    if let Err(e) = write_line(
        &mut out.buf,
        &[],
        Some(server),
        "MARKREAD",
        &[&name, &stamp],
    ) {
        tracing::warn!(error = %e, "a MARKREAD line could not be written");
    }
}

fn markread_error(out: &mut Out<'_>, target: &Target, f: &Failure) {
    let name = target.irc();
    match f.code {
        ErrorCode::Unavailable | ErrorCode::Internal => out.fail(
            "MARKREAD",
            "INTERNAL_ERROR",
            &[&name],
            "The read timestamp could not be set",
        ),
        _ => out.fail("MARKREAD", "INVALID_PARAMS", &[&name], "Invalid target"),
    }
}

/// The stored marker of `target`, as a MARKREAD line (a room's through
/// `rooms`; a conversation's cannot be read: `*`).
fn ask_marker(out: &mut Out<'_>, ctl: &ControlTx, target: Target) {
    match &target {
        Target::Room(r) => {
            let mut args = Map::new();
            args.insert("query".into(), r.clone().into());
            ask(ctl, "rooms", args, Hist::MarkGet { target });
        }
        Target::With(_) => markread(out, &target, None),
    }
}

// ---------------------------------------------------------------------------
// replies and events

/// The reply to a request of this module's (its [`Hist`]).
pub(super) fn reply(
    out: &mut Out<'_>,
    st: &mut IrcState,
    ctl: &ControlTx,
    me: &str,
    h: Hist,
    result: &Result<Map<String, Value>, Failure>,
) {
    // a lookup asks for one message
    let first = |f: &Map<String, Value>| messages(f).last().cloned();
    match (h, result) {
        (Hist::Page { target, gt, lt, .. }, Ok(f)) => {
            page(out, st, me, &target, messages(f), gt, lt)
        }
        (Hist::Page { sub, target, .. }, Err(f)) => history_error(out, &sub, &target, f),
        (Hist::AroundAt { target, .. }, Err(f)) => history_error(out, "AROUND", &target, f),
        (Hist::Mixed { target, .. }, Err(f)) => history_error(out, "BETWEEN", &target, f),
        (Hist::AroundAt { target, at, limit }, Ok(f)) => {
            let sub = "AROUND".to_owned();
            let (args, h) = match first(f).and_then(|m| m["id"].as_i64()) {
                Some(x) => (
                    with(&target, &[("around", json!(x)), ("limit", json!(limit))]),
                    Hist::Page {
                        sub,
                        target,
                        gt: None,
                        lt: None,
                    },
                ),
                // nothing at or before T: what comes after it
                None => (
                    with(
                        &target,
                        &[
                            ("after", json!(0)),
                            ("since", json!(after(at))),
                            ("limit", json!(limit)),
                        ],
                    ),
                    Hist::Page {
                        sub,
                        target,
                        gt: None,
                        lt: None,
                    },
                ),
            };
            ask(ctl, "history", args, h);
        }
        (
            Hist::Mixed {
                target,
                id,
                id_first,
                at,
                limit,
            },
            Ok(f),
        ) => {
            let sub = "BETWEEN".to_owned();
            let id_at = first(f)
                .filter(|m| m["id"].as_i64() == Some(id))
                .and_then(|m| m["at"].as_str().and_then(parse_time));
            let Some(id_at) = id_at else {
                // no such message there: nothing lies between
                return page(out, st, me, &target, &[], None, None);
            };
            let since = |t| json!(after(t));
            let time = |t| json!(fmt_time(t));
            let lim = ("limit", json!(limit));
            // forward: the first reference is the older one
            let forward = match id_first {
                true => id_at < at,
                false => at < id_at,
            };
            let (pairs, gt, lt): (Vec<(&str, Value)>, _, _) = match (id_first, forward) {
                // msgid .. later time
                (true, true) => (
                    vec![("after", json!(id)), ("until", time(at)), lim],
                    None,
                    None,
                ),
                // msgid .. earlier time
                (true, false) => (
                    vec![("before", json!(id)), ("since", since(at)), lim],
                    None,
                    None,
                ),
                // earlier time .. msgid
                (false, true) => (
                    vec![("after", json!(0)), ("since", since(at)), lim],
                    None,
                    Some(id),
                ),
                // later time .. msgid
                (false, false) => (vec![("until", time(at)), lim], Some(id), None),
            };
            let args = with(&target, &pairs);
            ask(
                ctl,
                "history",
                args,
                Hist::Page {
                    sub,
                    target,
                    gt,
                    lt,
                },
            );
        }
        (Hist::MarkFind { target }, Ok(f)) => match first(f) {
            Some(m) => {
                let id = m["id"].clone();
                let at = m["at"].as_str().unwrap_or_default().to_owned();
                let args = with(&target, &[("message_id", id)]);
                ask(ctl, "mark_read", args, Hist::MarkSet { target, at });
            }
            // no message at or before T: nothing to store; the marker as it is
            None => ask_marker(out, ctl, target),
        },
        (Hist::MarkSet { target, at }, Ok(_)) => match target {
            // the stored marker, which may be newer than T
            Target::Room(_) => ask_marker(out, ctl, target),
            Target::With(_) => markread(out, &target, Some(&at)),
        },
        (Hist::MarkGet { target }, Ok(f)) => {
            let Target::Room(room) = &target else { return };
            let entry = f
                .get("rooms")
                .and_then(Value::as_array)
                .and_then(|rs| rs.iter().find(|r| r["name"] == room.as_str()));
            match entry.and_then(|e| e.get("last_read")) {
                // not a member: `rooms` gives no marker
                None => out.fail(
                    "MARKREAD",
                    "INVALID_PARAMS",
                    &[&target.irc()],
                    "Invalid target",
                ),
                Some(Value::Null) => markread(out, &target, None),
                Some(id) => {
                    let args = with(&target, &[("around", id.clone()), ("limit", json!(1))]);
                    ask(ctl, "history", args, Hist::MarkAt { target });
                }
            }
        }
        (Hist::MarkAt { target } | Hist::ReadAt { target }, Ok(f)) => {
            let at = first(f).and_then(|m| m["at"].as_str().map(str::to_owned));
            markread(out, &target, at.as_deref());
        }
        (Hist::ReadAt { .. }, Err(_)) => {}
        (
            Hist::MarkFind { target }
            | Hist::MarkSet { target, .. }
            | Hist::MarkGet { target }
            | Hist::MarkAt { target },
            Err(f),
        ) => markread_error(out, &target, f),
        (Hist::RedactFind { room, msgid }, Ok(f)) => {
            match first(f).and_then(|m| m["id"].as_i64()) {
                Some(id) if id == msgid => {
                    let mut args = Map::new();
                    args.insert("message_id".into(), json!(msgid));
                    ask(ctl, "delete_message", args, Hist::RedactDo { room, msgid });
                }
                _ => unknown_msgid(out, &room, msgid),
            }
        }
        (Hist::RedactFind { room, msgid } | Hist::RedactDo { room, msgid }, Err(f)) => {
            let ch = channel(&room);
            let id = msgid.to_string();
            match f.code {
                ErrorCode::Forbidden | ErrorCode::NotInRoom => out.fail(
                    "REDACT",
                    "REDACT_FORBIDDEN",
                    &[&ch, &id],
                    "You are not authorised to delete this message",
                ),
                ErrorCode::NoSuchMessage => unknown_msgid(out, &room, msgid),
                ErrorCode::NoSuchRoom | ErrorCode::BadRequest => out.fail(
                    "REDACT",
                    "INVALID_TARGET",
                    &[&ch],
                    &format!("You cannot delete messages from {ch}"),
                ),
                _ => super::failure(out, "REDACT", &[&ch], f),
            }
        }
        // the room's `message_deleted` shows it (docs/irc.md 5.1)
        (Hist::RedactDo { .. }, Ok(_)) => {}
    }
}

fn unknown_msgid(out: &mut Out<'_>, room: &str, msgid: i64) {
    out.fail(
        "REDACT",
        "UNKNOWN_MSGID",
        &[&channel(room), &msgid.to_string()],
        "This message does not exist",
    );
}

/// Whether [`event`] renders `e`.
pub(super) fn handles(e: &Event) -> bool {
    matches!(e, Event::MessageDeleted { .. } | Event::Read { .. })
}

/// `message_deleted` as REDACT (draft/message-redaction) and `read` as
/// MARKREAD (draft/read-marker); nothing without the cap.
pub(super) fn event(out: &mut Out<'_>, e: &Event, st: &mut IrcState, ctl: &ControlTx) {
    match e {
        Event::MessageDeleted { room, id, by } if st.has("draft/message-redaction") => {
            let now = crate::store::fmt_time(&crate::store::now());
            let mut tags: Vec<(&str, &str)> = Vec::new();
            if st.has("server-time") {
                tags.push(("time", &now));
            }
            let source = match by {
                Some(b) => {
                    if st.has("account-tag") {
                        tags.push(("account", b));
                    }
                    out.mask(b)
                }
                None => out.server.to_owned(),
            };
            let id = id.to_string();
            if let Err(e) = write_line(
                &mut out.buf,
                &tags,
                Some(&source),
                "REDACT",
                &[&channel(room), &id],
            ) {
                tracing::warn!(error = %e, "a REDACT line could not be written");
            }
        }
        Event::Read { target, id } if st.has("draft/read-marker") => {
            let target = match target {
                ReadTarget::Room(r) => Target::Room(r.clone()),
                ReadTarget::With(n) => Target::With(n.clone()),
            };
            let args = with(&target, &[("around", json!(id)), ("limit", json!(1))]);
            ask(ctl, "history", args, Hist::ReadAt { target });
        }
        _ => {}
    }
}
