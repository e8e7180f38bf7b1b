//! A small blocking client that speaks the protocol, keeps a transcript, and
//! prints it when an expectation fails.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::server::PASSWORD;

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct TestClient {
    pub name: String,
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    /// Frames read but not yet claimed by an expectation, in arrival order.
    pending: VecDeque<Value>,
    transcript: Vec<String>,
    next_id: u64,
}

impl TestClient {
    pub fn connect(addr: SocketAddr) -> TestClient {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let reader = BufReader::new(s.try_clone().expect("clone"));
        TestClient {
            name: String::new(),
            writer: s,
            reader,
            pending: VecDeque::new(),
            transcript: Vec::new(),
            next_id: 1,
        }
    }

    pub fn send(&mut self, v: Value) {
        self.send_raw(format!("{v}\n").as_bytes());
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        self.transcript.push(format!("> {}", shown.trim_end()));
        self.writer.write_all(bytes).expect("write");
    }

    /// Reads one frame; `None` on timeout; panics at end of stream.
    fn read_frame(&mut self, deadline: Instant) -> Option<Value> {
        let mut line = String::new();
        loop {
            match self.reader.read_line(&mut line) {
                Ok(0) => self.fail("connection closed by the server"),
                Ok(_) if line.ends_with('\n') => {
                    self.transcript.push(format!("< {}", line.trim_end()));
                    return Some(serde_json::from_str(&line).unwrap_or_else(|e| {
                        self.fail(&format!(
                            "server sent a line that is not JSON ({e}): {line}"
                        ))
                    }));
                }
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if Instant::now() >= deadline {
                        return None;
                    }
                }
                Err(e) => self.fail(&format!("read error: {e}")),
            }
        }
    }

    /// The first frame (pending or new) matching `pred`, within [`TIMEOUT`].
    pub fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("pending frame");
        }
        let deadline = Instant::now() + TIMEOUT;
        while let Some(v) = self.read_frame(deadline) {
            if pred(&v) {
                return v;
            }
            self.pending.push_back(v);
        }
        self.fail(&format!("timed out waiting for {what}"))
    }

    /// The next event of type `ty`.
    pub fn event(&mut self, ty: &str) -> Value {
        self.expect(&format!("event {ty}"), |v| {
            v["type"] == ty && v.get("re").is_none()
        })
    }

    /// Sends a request with a fresh id and returns its reply.
    pub fn request(&mut self, mut req: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        req["id"] = json!(id);
        self.send(req);
        self.expect(&format!("the reply to request {id}"), |v| {
            v["re"] == json!(id) && (v["type"] == "ok" || v["type"] == "error")
        })
    }

    pub fn ok(&mut self, req: Value) -> Value {
        let r = self.request(req.clone());
        if r["type"] != "ok" {
            self.fail(&format!("expected ok for {req}, got {r}"));
        }
        r
    }

    pub fn err(&mut self, req: Value, code: &str) -> Value {
        let r = self.request(req.clone());
        if r["type"] != "error" || r["code"] != code {
            self.fail(&format!("expected error {code} for {req}, got {r}"));
        }
        r
    }

    pub fn login(&mut self, name: &str) -> Value {
        self.name = name.to_owned();
        self.ok(json!({"type": "login", "username": name, "password": PASSWORD}))
    }

    /// A round trip: every frame the server queued for us before it answers
    /// this ping has then arrived. Returns those not yet claimed, and keeps
    /// them for later expectations.
    pub fn sync(&mut self) -> Vec<Value> {
        self.ok(json!({"type": "ping"}));
        self.pending.iter().cloned().collect()
    }

    /// Nothing matching `pred` has arrived (checked after a [`sync`]).
    pub fn assert_none(&mut self, what: &str, pred: impl Fn(&Value) -> bool) {
        let got = self.sync();
        if let Some(v) = got.iter().find(|v| pred(v)) {
            self.fail(&format!("expected no {what}, got {v}"));
        }
    }

    /// Drops frames not yet claimed.
    pub fn clear(&mut self) {
        self.sync();
        self.pending.clear();
    }

    /// Waits for the server to close the connection.
    pub fn expect_closed(&mut self) {
        self.rest_until_closed();
    }

    /// Every line still to come until the server closes the connection
    /// (fails after [`TIMEOUT`]); a line cut by a read timeout is kept
    /// whole.
    fn rest_until_closed(&mut self) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        let mut line = String::new();
        loop {
            match self.reader.read_line(&mut line) {
                Ok(0) => return lines,
                Ok(_) if line.ends_with('\n') => {
                    self.transcript.push(format!("< {}", line.trim_end()));
                    lines.push(std::mem::take(&mut line));
                }
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if Instant::now() >= deadline {
                        self.fail("the server did not close the connection");
                    }
                }
                Err(_) => return lines,
            }
        }
    }

    pub fn fail(&self, why: &str) -> ! {
        let t = self
            .transcript
            .iter()
            .rev()
            .take(40)
            .rev()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        panic!("[{}] {why}\n--- transcript (last 40) ---\n{t}", self.name);
    }
}

impl TestClient {
    /// Logs in again on this connection's account from a fresh login and
    /// returns the token (for resume tests).
    pub fn login_token(&mut self) -> String {
        let mut c = TestClient::connect(self.writer.peer_addr().expect("peer"));
        let r = c.login(&self.name.clone());
        r["token"].as_str().expect("token").to_owned()
    }
}

impl TestClient {
    /// The next frame in arrival order (unclaimed ones first), within
    /// [`TIMEOUT`]; for checks on the order of replies.
    pub fn next_frame(&mut self) -> Value {
        if let Some(v) = self.pending.pop_front() {
            return v;
        }
        let deadline = Instant::now() + TIMEOUT;
        match self.read_frame(deadline) {
            Some(v) => v,
            None => self.fail("timed out waiting for a frame"),
        }
    }

    /// Another handle on the socket, for writing from another thread (what
    /// it writes is not in the transcript).
    pub fn raw_stream(&self) -> TcpStream {
        self.writer.try_clone().expect("clone socket")
    }

    /// This end's address (as the server sees it in `who`).
    pub fn local_addr(&self) -> SocketAddr {
        self.writer.local_addr().expect("local addr")
    }

    /// Reads and throws away whatever the server sent (not necessarily
    /// whole lines) until it closes the connection; panics if it is still
    /// open after `limit`. Returns the number of bytes read.
    /// The ids of every `say` acknowledged from here until the connection
    /// ends (its server died, say).
    pub fn ids_until_closed(&mut self) -> Vec<i64> {
        let mut frames: Vec<Value> = self.pending.drain(..).collect();
        for line in self.rest_until_closed() {
            if let Ok(v) = serde_json::from_str(&line) {
                frames.push(v);
            }
        }
        frames
            .iter()
            .filter(|v| v["type"] == "ok" && v["for"] == "say")
            .filter_map(|v| v["id"].as_i64())
            .collect()
    }

    pub fn drain_until_closed(&mut self, limit: Duration) -> usize {
        use std::io::Read;
        let deadline = Instant::now() + limit;
        let mut total = self.pending.len();
        self.pending.clear();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return total,
                Ok(n) => total += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if Instant::now() >= deadline {
                        self.fail(&format!(
                            "the server did not close the connection ({total} bytes read)"
                        ));
                    }
                }
                Err(_) => return total,
            }
        }
    }
}

/// `v` is a timestamp as the contract writes them: RFC 3339 UTC with
/// milliseconds and a `Z` (`2026-11-21T10:00:00.123Z`).
pub fn assert_timestamp(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp {v} is not a string"));
    let ok = s.len() == 24
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && chrono::DateTime::parse_from_rfc3339(s).is_ok();
    assert!(ok, "{s:?} is not RFC 3339 UTC with milliseconds and Z");
}

/// A room object (`create_room`/`join`'s `room`, a `rooms` entry) without
/// its times: `created_at` checked to be a timestamp, `topic_at` with
/// `topic_by` (present together, only with a topic) and `last_read_at`
/// (`join`'s) left out, so a test can compare the rest exactly.
pub fn room_sans_times(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().expect("a room object");
    assert_timestamp(&o.remove("created_at").expect("created_at"));
    if let Some(at) = o.remove("last_read_at") {
        if !at.is_null() {
            assert_timestamp(&at);
        }
    }
    let by = o.remove("topic_by");
    match o.remove("topic_at") {
        Some(at) => {
            assert_timestamp(&at);
            assert!(
                by.is_some_and(|b| b.is_string()),
                "topic_at without topic_by"
            );
        }
        None => assert!(by.is_none(), "topic_by without topic_at"),
    }
    v
}
