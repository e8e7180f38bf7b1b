//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`), one
//! function per parser of outside input. They live in the library, behind
//! no feature, so the fuzz targets and the replay test
//! (`tests/fuzz_replay.rs`, which feeds every file of `fuzz/corpus/` and
//! `fuzz/regressions/` to them) run the very same code. Each takes any
//! bytes and panics only when the parser broke one of its promises: a panic
//! is what the fuzzer reports as a crash.
//!
//! Several targets split their input into parts (a setting, a chunk
//! pattern, the text): the layout is documented on each, so a crash file
//! can be read by hand.
//!
//! Panicking is the point here, so the lint against `unwrap` is off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use bytestring::ByteString;
use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use crate::client::commands::{self as client_commands, Action};
use crate::client::state::Chat;
use crate::error::ErrorCode;
use crate::protocol::framing::{Frame, LineReader};
use crate::protocol::{self, Args};
use crate::validate;

/// A fuzz target's body: any bytes in, a panic when a promise is broken.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, as `fuzz/fuzz_targets/NAME.rs` calls it; the
/// replay test walks this list.
pub const TARGETS: &[(&str, Target)] = &[
    ("line_reader", line_reader),
    ("request", request),
    ("ws_text", ws_text),
    ("config", config),
    ("readonly_sql", readonly_sql),
    ("client_line", client_line),
    ("client_events", client_events),
    ("admin_args", admin_args),
    ("proxy_header", proxy_header),
    ("names", names),
    ("irc_line", irc_line),
    ("irc_args", irc_args),
];

/// A leading byte as a setting, and the rest.
fn split_byte(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((b, rest)) => (*b, rest),
        None => (0, data),
    }
}

// ---------------------------------------------------------------------------
// 1. TCP line framing

/// A stream that hands out `data` in chunks whose sizes (1 to 16 bytes)
/// come from a seed, so the fuzzer tries every way a line can be cut by
/// the network. Always ready: no runtime is needed to drive it.
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
    chunk_end: usize,
    seed: u32,
}

impl Chunked<'_> {
    fn next_size(&mut self) -> usize {
        // xorshift32; the seed is never 0
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        (self.seed % 16) as usize + 1
    }
}

impl AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.pos == this.chunk_end {
            let n = this.next_size();
            this.chunk_end = (this.pos + n).min(this.data.len());
        }
        let n = (this.chunk_end - this.pos).min(buf.remaining());
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Chunked<'_> {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.chunk_end {
            let n = this.next_size();
            this.chunk_end = (this.pos + n).min(this.data.len());
        }
        Poll::Ready(Ok(&this.data[this.pos..this.chunk_end]))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.pos += amt;
        assert!(self.pos <= self.chunk_end, "consumed more than was filled");
    }
}

/// Polls a future that never waits (its input is all in memory).
fn ready<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = std::pin::pin!(fut);
    match fut
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
    {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an in-memory read was pending"),
    }
}

/// What the reader must produce, worked out from the whole input at once:
/// lines split at `\n`, one trailing `\r` dropped, empty lines skipped, a
/// line over `max` bytes reported as `TooLong`. The last line, cut by the
/// end of the stream, keeps any `\r` (it has no line end to strip).
fn expected_frames(data: &[u8], max: usize) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let last = parts.pop().unwrap_or_default();
    for p in parts {
        let p = p.strip_suffix(b"\r").unwrap_or(p);
        if p.len() > max {
            out.push(Frame::TooLong);
        } else if !p.is_empty() {
            out.push(Frame::Line(p.to_vec()));
        }
    }
    if last.len() > max {
        out.push(Frame::TooLong);
    } else if !last.is_empty() {
        out.push(Frame::Line(last.to_vec()));
    }
    out
}

/// Input: `[max, seed_hi, seed_lo, stream...]`. The cap is 1 to 64 bytes,
/// small so the fuzzer reaches it; the seed picks the chunking. Checks the
/// frames against [`expected_frames`] and that the reader never holds more
/// than the cap (+1 for a `\r`) of a line.
pub fn line_reader(data: &[u8]) {
    let (m, data) = split_byte(data);
    let (hi, data) = split_byte(data);
    let (lo, stream) = split_byte(data);
    let max = 1 + usize::from(m % 64);
    let seed = (u32::from(hi) << 8 | u32::from(lo)) + 1;
    let mut reader = LineReader::new(
        Chunked {
            data: stream,
            pos: 0,
            chunk_end: 0,
            seed,
        },
        max,
    );
    let mut got = Vec::new();
    while let Some(frame) = ready(reader.next()).expect("in-memory reads do not fail") {
        assert!(
            reader.buffered() <= max + 1,
            "holds {} bytes of a line, the cap is {max}",
            reader.buffered()
        );
        if let Frame::Line(l) = &frame {
            assert!(!l.is_empty() && l.len() <= max && !l.contains(&b'\n'));
            // what the session does with each line
            let _ = protocol::parse_request(l);
        }
        got.push(frame);
        assert!(got.len() <= stream.len(), "more frames than bytes");
    }
    assert_eq!(got, expected_frames(stream, max), "max {max}, seed {seed}");
}

// ---------------------------------------------------------------------------
// 2. Requests: parse, then every field extraction and validation

/// A line as the session reads it: `parse_request`, the reply a refusal
/// gets, the command lookup, then each field the handlers read, with the
/// extractors and validators they use (`register` to `modlog`).
pub fn request(data: &[u8]) {
    let req = match protocol::parse_request(data) {
        Ok(r) => r,
        Err(u) => {
            assert!(!u.failure.message.is_empty());
            if u.failure.code == ErrorCode::BadRequest {
                assert!(u.failure.extra.contains_key("field"), "{:?}", u.failure);
            }
            let reply = protocol::error_reply(u.ty.as_deref(), &u.re, &u.failure);
            let v: Value = serde_json::from_slice(&reply).expect("an error reply is JSON");
            assert_eq!(v["type"], "error");
            return;
        }
    };
    assert!(req.re.is_null() || req.re.is_string() || req.re.is_i64() || req.re.is_u64());
    assert!(!req.args.0.contains_key("id") && !req.args.0.contains_key("type"));
    let _ = crate::commands::find(&req.ty);
    fields(&req.args);
    let reply = protocol::ok_reply(&req.ty, &req.re, &req.args.0);
    serde_json::from_slice::<Value>(&reply).expect("an ok reply is JSON");
}

/// The string fields the handlers read.
const STRING_FIELDS: &[&str] = &[
    "username", "password", "token", "room", "text", "to", "user", "reason", "action", "word",
    "role", "topic",
];

/// The integer fields and the ranges the handlers give them.
const INT_FIELDS: &[(&str, i64, i64)] = &[
    ("duration_s", 1, 10 * 365 * 86_400),
    ("limit", 1, 100),
    ("limit", 1, 200),
    ("before", 1, i64::MAX),
    ("capacity", 1, i32::MAX as i64),
    ("message_id", 1, i64::MAX),
];

fn fields(args: &Args) {
    let names = |e: crate::error::Failure, key: &str| {
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert_eq!(e.extra.get("field"), Some(&Value::from(key)), "{e:?}");
    };
    for &key in STRING_FIELDS {
        match args.str(key) {
            Ok(s) => strings(s),
            Err(e) => names(e, key),
        }
        if let Err(e) = args.opt_str(key) {
            names(e, key);
        }
    }
    for &(key, min, max) in INT_FIELDS {
        match args.opt_int(key, min, max) {
            Ok(Some(n)) => assert!((min..=max).contains(&n)),
            Ok(None) => assert!(args.get(key).is_none()),
            Err(e) => names(e, key),
        }
    }
    // any other field the client sent
    for key in args.0.keys() {
        if let Ok(Some(s)) = args.opt_str(key) {
            strings(s);
        }
    }
}

/// Every validator on one string, and what an accepted one promises.
fn strings(s: &str) {
    if validate::username(s).is_ok() {
        assert!((1..=32).contains(&s.len()));
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')));
    }
    let _ = validate::password(s);
    if let Ok(r) = validate::room(s) {
        assert_eq!(r, s.to_ascii_lowercase());
        assert!((1..=64).contains(&r.len()));
    }
    for max in [1, 16, 2000] {
        if validate::text(s, max).is_ok() {
            assert!(s.chars().count() <= max && !s.trim().is_empty());
        }
    }
    if let Ok(n) = validate::duration(s) {
        assert!(n >= 1);
    }
}

// ---------------------------------------------------------------------------
// 3. WebSocket text frames

/// Input: `[max_hi, max_lo, payload...]`, `max_line_bytes` from 1 to
/// 4096. A payload that is not UTF-8 never gets here (the connection is
/// closed with 1007 first). The frame goes on as the session reads it.
pub fn ws_text(data: &[u8]) {
    let (hi, data) = split_byte(data);
    let (lo, payload) = split_byte(data);
    let max = 1 + (usize::from(hi) << 8 | usize::from(lo)) % 4096;
    let Ok(text) = ByteString::try_from(Bytes::copy_from_slice(payload)) else {
        return;
    };
    match crate::transport::ws::text_frame(text, max) {
        None => assert!(std::str::from_utf8(payload).is_ok_and(|t| t.trim().is_empty())),
        Some(Frame::TooLong) => assert!(payload.len() > max),
        Some(Frame::Line(l)) => {
            assert!(l.len() <= max && l == payload);
            request(&l);
        }
        Some(Frame::Binary) => panic!("a text frame became binary"),
        Some(Frame::Request(_)) => panic!("a text frame became a request"),
    }
}

// ---------------------------------------------------------------------------
// 4. Configuration

/// Input: the TOML file's text, then NUL-separated `NAME=VALUE`
/// environment pairs, each NAME taken as `MODCHAT_<NAME>`. A loaded
/// configuration is valid and loads again from its own serialization to the
/// same thing; a refusal is an error that says it is one.
pub fn config(data: &[u8]) {
    use crate::config::{Config, Overrides};
    let mut parts = data.split(|&b| b == 0);
    let Ok(text) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return; // not text: the file cannot be read as a string
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return; // a TOML syntax error, the toml crate's to report
    };
    let vars: Vec<(String, String)> = parts
        .map(|p| {
            let p = String::from_utf8_lossy(p);
            let (k, v) = p.split_once('=').unwrap_or((&p, ""));
            (format!("MODCHAT_{k}"), v.to_owned())
        })
        .collect();
    match Config::from_table(table, vars, &Overrides::default()) {
        Ok(c) => {
            c.validate().expect("a loaded configuration is valid");
            let again = toml::to_string(&c).expect("a configuration serializes");
            let table = again.parse::<toml::Table>().expect("its own TOML parses");
            let c2 = Config::from_table(table, Vec::new(), &Overrides::default())
                .expect("a configuration loads from its own TOML");
            assert_eq!(format!("{c:?}"), format!("{c2:?}"));
        }
        Err(e) => assert!(e.starts_with("bad configuration"), "{e}"),
    }
}

// ---------------------------------------------------------------------------
// 5. Auditors' SQL

/// `modchat-admin sql`'s check before a statement runs.
pub fn readonly_sql(data: &[u8]) {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = crate::store::readonly::prepare(sql) {
        assert!(!p.sql.is_empty());
        for name in &p.params {
            assert!(!name.is_empty());
            assert!(name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }
}

// ---------------------------------------------------------------------------
// 6. The terminal client

/// Input: `[flags, line...]`; the flags say what the context holds (a
/// current room, a last whisperer, rooms joined, an oldest message). A
/// request the client would send names a command the server has.
pub fn client_line(data: &[u8]) {
    let (flags, line) = split_byte(data);
    let line = String::from_utf8_lossy(line);
    let joined = ["lobby".to_owned(), "dev".to_owned()];
    let shown = [("bob".to_owned(), 41), ("alice".to_owned(), 42)];
    let cx = client_commands::Context {
        room: (flags & 1 != 0).then_some("lobby"),
        with: (flags & 1 == 0 && flags & 16 != 0).then_some("bob"),
        last_whisper_from: (flags & 2 != 0).then_some("alice"),
        joined: if flags & 4 != 0 { &joined } else { &[] },
        oldest: (flags & 8 != 0).then_some(42),
        messages: if flags & 32 != 0 { &shown } else { &[] },
    };
    match client_commands::parse(&line, &cx) {
        Ok(Action::Request(v)) => {
            let ty = v["type"].as_str().expect("a request has a type");
            assert!(crate::commands::find(ty).is_some(), "unknown type {ty:?}");
            serde_json::to_vec(&v).expect("a request serializes");
        }
        Ok(Action::Switch(r)) => assert!(cx.joined.contains(&r)),
        Ok(_) => {}
        Err(e) => assert!(!e.is_empty()),
    }
}

/// Input: `[width, height, scroll, frames...]`, the frames being lines the
/// server sends, one JSON frame a line (a line that is not JSON is skipped,
/// as the client does). Each frame is applied to one model; `re` values 0
/// to 11 answer the requests below. The follow-up requests name real
/// commands, every new line prints, and the full-screen view draws the
/// result on a screen of that size (the last line is also typed input).
pub fn client_events(data: &[u8]) {
    let (w, data) = split_byte(data);
    let (h, data) = split_byte(data);
    let (scroll, data) = split_byte(data);
    let pending = [
        json!({"type": "login", "username": "me"}),
        json!({"type": "join", "room": "lobby"}),
        json!({"type": "leave", "room": "lobby"}),
        json!({"type": "say", "room": "lobby", "text": "hi"}),
        json!({"type": "whisper", "to": "bob", "text": "psst"}),
        json!({"type": "history", "room": "lobby", "limit": 50}),
        json!({"type": "members", "room": "lobby"}),
        json!({"type": "rooms"}),
        json!({"type": "who"}),
        json!({"type": "ping", "t": 0}),
        json!({"type": "mute", "user": "bob"}),
        json!({"type": "create_room", "room": "dev"}),
    ];
    let mut chat = Chat::default();
    for line in data.split(|&b| b == b'\n') {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        for (id, req) in pending.iter().enumerate() {
            chat.pending.insert(id as u64, req.clone());
        }
        for f in chat.on_frame(&v) {
            let ty = f["type"].as_str().expect("a follow-up has a type");
            assert!(crate::commands::find(ty).is_some(), "unknown type {ty:?}");
        }
        for (room, l) in chat.take_new() {
            let _ = crate::client::plain::format_line(room.as_deref(), &l);
        }
        let _ = chat.oldest_id();
        if let Some(r) = chat.joined().first() {
            let r = r.clone();
            chat.switch(&r);
        }
        chat.next_room(1);
        if let Some(i) = chat.current {
            assert!(i < chat.rooms.len());
        }
    }
    let typed = data.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    crate::client::tui::render_in_memory(
        chat,
        &String::from_utf8_lossy(typed),
        u16::from(w),
        u16::from(h),
        usize::from(scroll),
    );
}

// ---------------------------------------------------------------------------
// 7. The admin tool's arguments

/// One argument as `modchat-admin` reads it, every way it may be read:
/// `--duration`, `--since`/`--until`/`--day`, `--param` times,
/// `--database-url`, `--role`, `--room`, `--user`, and a
/// `proxy_protocol_from` block.
pub fn admin_args(data: &[u8]) {
    use crate::store::readonly;
    let s = String::from_utf8_lossy(data);
    if let Ok(n) = validate::duration(&s) {
        assert!(n >= 1);
    }
    if let Some(t) = readonly::parse_time(&s) {
        let _ = readonly::bind_time(&t);
    }
    for end in [false, true] {
        if let Ok(t) = validate::time_bound(&s, end) {
            let _ = readonly::bind_time(&t);
        }
    }
    if let Ok((from, to)) = validate::day_bounds(&s) {
        assert!(from < to);
    }
    let _ = crate::store::DatabaseUrl::parse(&s);
    let _ = s.parse::<crate::model::Role>();
    let _ = validate::room(&s);
    let _ = validate::username(&s);
    if let Some(b) = crate::net::Cidr::parse(&s) {
        for ip in ["10.1.2.3", "::1", "::ffff:10.0.0.1", "fd00::7"] {
            let _ = b.contains(ip.parse().unwrap());
        }
    }
}

// ---------------------------------------------------------------------------
// 8. PROXY protocol headers and X-Forwarded-For

/// Input: the first bytes a trusted proxy sends. The header read the way a
/// connection reads it (a few bytes at a time, never past its end) says
/// what parsing the whole input at once says; the same bytes, split at
/// `\n`, are also `X-Forwarded-For` values.
pub fn proxy_header(data: &[u8]) {
    use crate::transport::proxy::{self, ProxyError, MAX_HEADER};
    let whole = proxy::parse_proxy_header(data);
    let mut rest = data;
    let read = ready(proxy::read_header(&mut rest));
    let consumed = data.len() - rest.len();
    match whole {
        Ok(Some((what, len))) => {
            assert!(len <= data.len() && len <= MAX_HEADER);
            assert_eq!(
                proxy::parse_proxy_header(&data[..len]),
                Ok(Some((what, len)))
            );
            assert_eq!(read, Ok(what), "reading it piecewise disagrees");
            assert_eq!(consumed, len, "read past the header's end");
        }
        Ok(None) => {
            assert!(data.len() < MAX_HEADER);
            assert!(matches!(read, Err(ProxyError::Io(_))), "{read:?}");
        }
        Err(_) => assert!(read.is_err(), "{read:?}"),
    }
    let values: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if let Some(ip) = proxy::forwarded_for(values.iter().copied()) {
        assert_eq!(ip, crate::net::canonical(ip));
    }
}

// ---------------------------------------------------------------------------
// 9. Names and the word filter's normal forms

/// A name as `register` checks it (its skeleton, the reserved names) and a
/// text as the word filter reads it. Two promises of `crate::text`: an
/// ASCII word's fast key is its full key, and a filter entry catches the
/// very text it was made from.
pub fn names(data: &[u8]) {
    use crate::text;
    let s = String::from_utf8_lossy(data);
    let reserved: Vec<String> = crate::config::DEFAULT_RESERVED_NAMES
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let _ = crate::names::skeleton_key(&s);
    let _ = crate::names::is_reserved(&s, &reserved);
    let _ = text::fold(&s);
    let words = text::words(&s);
    for w in &words {
        if w.is_ascii() {
            assert_eq!(text::ascii_key(w), text::entry_key(w), "{w:?}");
        }
    }
    // what the filter stores for the entry `s` (its canonical words, each
    // keyed), then whether the text `s` contains it
    let keys: Vec<String> = words.iter().map(|w| text::entry_key(w)).collect();
    let t = text::filter_words(&s);
    if !keys.is_empty() {
        assert!(
            t.windows(keys.len())
                .any(|win| win.iter().zip(&keys).all(|(w, k)| w.matches(k))),
            "the entry {s:?} does not catch itself: entry {keys:?}, text {t:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// 10. IRC lines

/// One IRC client line (`irc::line::parse`, the input without its line
/// end), then the server writer on the same bytes as user text. Promises:
/// the limits hold; a line that parses is written back no longer than it
/// came and parses again to the same `Line` (unless its command is not
/// letters and digits, which only a client sends); a refusal names a real
/// cause; and text in a tag value or the last parameter never puts a NUL,
/// CR or LF into a server line nor changes its other parts.
pub fn irc_line(data: &[u8]) {
    use crate::irc::line::{self, LineError, LinePart, WriteError, MAX_BODY_LEN, MAX_TAGS_LEN};
    let tags_end = if data.first() == Some(&b'@') {
        data.iter().position(|&b| b == b' ').map(|i| i + 1)
    } else {
        Some(0)
    };
    match line::parse(data) {
        Ok(l) => {
            let start = tags_end.expect("a line with tags has their end");
            assert!(start <= MAX_TAGS_LEN && data.len() - start <= MAX_BODY_LEN);
            assert!(!l.command.is_empty() && !l.command.contains(' '));
            assert_eq!(l.command, l.command.to_ascii_uppercase());
            assert!(l.tags.windows(2).all(|w| w[0].0 < w[1].0), "{l:?}");
            assert!(l
                .tags
                .iter()
                .all(|(k, v)| line::valid_tag_key(k) && v.as_deref() != Some("")));
            match l.to_bytes() {
                Ok(bytes) => {
                    let body = bytes.strip_suffix(b"\r\n").expect("a line end");
                    assert!(!body.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')));
                    assert!(body.len() <= data.len(), "{l:?} grew: {body:?}");
                    assert_eq!(line::parse(body).as_ref(), Ok(&l), "{body:?}");
                }
                Err(e) => {
                    assert_eq!(e, WriteError::BadCommand, "{l:?}");
                    assert!(!l.command.bytes().all(|b| b.is_ascii_alphanumeric()));
                }
            }
        }
        Err(LineError::TooLong(LinePart::Tags)) => {
            assert!(data.len() > MAX_TAGS_LEN);
            assert!(tags_end.is_none_or(|e| e > MAX_TAGS_LEN));
        }
        Err(LineError::TooLong(LinePart::Body)) => {
            let start = tags_end.expect("the tags were short enough");
            assert!(data.len() - start > MAX_BODY_LEN);
        }
        Err(LineError::ForbiddenByte(b)) => {
            assert!(matches!(b, 0 | b'\r' | b'\n') && data.contains(&b));
        }
        Err(LineError::NotUtf8(l)) => {
            assert!(std::str::from_utf8(data).is_err());
            if let Some(l) = l {
                assert!(!l.command.is_empty());
            }
        }
        Err(LineError::NoCommand) => {
            let s = std::str::from_utf8(data).expect("checked before");
            assert!(!s.contains(['\0', '\r', '\n']));
        }
    }

    // the writer, with these bytes as what a user typed
    let text = String::from_utf8_lossy(data);
    let clean: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\0' | '\r' | '\n') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out = b"before".to_vec();
    let tags = [("+draft/reply", &*text), ("msgid", "7")];
    let tagged = line::write_line(&mut out, &tags, Some("n!u@h"), "PRIVMSG", &["#r", &text]);
    let with_tags = match tagged {
        Ok(()) => true,
        Err(e) => {
            assert_eq!(e, WriteError::TooLong(LinePart::Tags));
            assert_eq!(out, b"before");
            line::write_line(&mut out, &[], Some("n!u@h"), "PRIVMSG", &["#r", &text])
                .expect("without tags");
            false
        }
    };
    let written = out.strip_prefix(b"before").unwrap();
    let body = written.strip_suffix(b"\r\n").expect("a line end");
    assert!(
        !body.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')),
        "{body:?}"
    );
    let l = line::parse(body).unwrap_or_else(|e| panic!("{e:?} for {body:?}"));
    assert_eq!(l.command, "PRIVMSG");
    assert_eq!(l.source.as_deref(), Some("n!u@h"));
    assert_eq!(l.params.len(), 2);
    assert_eq!(l.params[0], "#r");
    assert!(clean.starts_with(&l.params[1]), "{:?}", l.params[1]);
    if clean.len() <= 400 {
        assert_eq!(l.params[1], clean);
    }
    if with_tags {
        let no_nul: String = text.chars().filter(|&c| c != '\0').collect();
        assert_eq!(l.tag("+draft/reply"), Some(no_nul.as_str()));
        assert_eq!(l.tag("msgid"), Some("7"));
    } else {
        assert!(l.tags.is_empty());
    }
}

/// The IRC gateway's readers of command arguments (SASL PLAIN's base64
/// blob, CHATHISTORY's `msgid=`/`timestamp=`, ModServ's durations, ban
/// masks): any text, no panic, and their results keep their promises.
pub fn irc_args(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        crate::irc::conn::parse_args_for_fuzzing(text);
    }
}
