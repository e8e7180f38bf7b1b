//! A WebSocket client for tests: the protocol over `GET /ws`, with raw
//! frames for the frame rules. Same shape as [`TestClient`](super::client::TestClient):
//! `request`, `ok`, `err`, `event`, each waiting up to 10 s.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::{Message, WebSocket};

use super::server::PASSWORD;

const TIMEOUT: Duration = Duration::from_secs(10);

pub struct WsClient {
    pub ws: WebSocket<TcpStream>,
    pending: VecDeque<Value>,
    next_id: u64,
    pub name: String,
}

/// What came instead of a JSON text frame.
#[derive(Debug)]
pub enum Other {
    Closed(Option<u16>),
    Pong(Vec<u8>),
}

impl WsClient {
    pub fn connect(http: SocketAddr) -> WsClient {
        let stream = TcpStream::connect(http).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let (ws, _) = tungstenite::client(format!("ws://{http}/ws"), stream).expect("handshake");
        WsClient {
            ws,
            pending: VecDeque::new(),
            next_id: 1,
            name: String::new(),
        }
    }

    pub fn send_text(&mut self, s: &str) {
        self.ws.send(Message::text(s)).expect("send");
    }

    pub fn send(&mut self, v: Value) {
        self.send_text(&v.to_string());
    }

    /// A raw data frame (to send bad UTF-8 or fragments).
    pub fn send_frame(&mut self, bytes: &[u8], text: bool, first: bool, last: bool) {
        let data = match (first, text) {
            (false, _) => Data::Continue,
            (true, true) => Data::Text,
            (true, false) => Data::Binary,
        };
        let f = Frame::message(bytes.to_vec(), OpCode::Data(data), last);
        self.ws.send(Message::Frame(f)).expect("send frame");
    }

    /// The next JSON frame, or what came instead (a close, a pong).
    pub fn next(&mut self) -> Result<Value, Other> {
        if let Some(v) = self.pending.pop_front() {
            return Ok(v);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    return Ok(serde_json::from_str(t.as_str()).expect("JSON text frame"))
                }
                Ok(Message::Close(c)) => return Err(Other::Closed(c.map(|c| c.code.into()))),
                Ok(Message::Pong(p)) => return Err(Other::Pong(p.to_vec())),
                Ok(other) => panic!("[{}] unexpected frame {other:?}", self.name),
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    assert!(
                        Instant::now() < deadline,
                        "[{}] timed out waiting for a frame",
                        self.name
                    );
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Err(Other::Closed(None))
                }
                Err(e) => panic!("[{}] websocket error {e}", self.name),
            }
        }
    }

    pub fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let mut skipped = VecDeque::new();
        let found = loop {
            match self.next() {
                Ok(v) if pred(&v) => break v,
                Ok(v) => skipped.push_back(v),
                Err(o) => panic!("[{}] waiting for {what}, got {o:?}", self.name),
            }
        };
        skipped.extend(self.pending.drain(..));
        self.pending = skipped;
        found
    }

    pub fn request(&mut self, mut req: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        req["id"] = json!(id);
        self.send(req);
        self.expect(&format!("the reply to {id}"), |v| v["re"] == json!(id))
    }

    pub fn ok(&mut self, req: Value) -> Value {
        let r = self.request(req.clone());
        assert_eq!(r["type"], "ok", "[{}] {req} got {r}", self.name);
        r
    }

    pub fn err(&mut self, req: Value, code: &str) -> Value {
        let r = self.request(req.clone());
        assert_eq!(
            (r["type"].as_str(), r["code"].as_str()),
            (Some("error"), Some(code)),
            "{req} got {r}"
        );
        r
    }

    pub fn event(&mut self, ty: &str) -> Value {
        self.expect(ty, |v| v["type"] == ty && v.get("re").is_none())
    }

    pub fn login(&mut self, name: &str) -> Value {
        self.name = name.to_owned();
        self.ok(json!({"type": "login", "username": name, "password": PASSWORD}))
    }

    /// Registers and logs in.
    pub fn user(http: SocketAddr, name: &str) -> WsClient {
        let mut c = WsClient::connect(http);
        c.ok(json!({"type": "register", "username": name, "password": PASSWORD}));
        c.login(name);
        c
    }

    /// Waits for the server's close frame; returns its code.
    pub fn expect_close(&mut self) -> Option<u16> {
        loop {
            match self.next() {
                Ok(_) => continue,
                Err(Other::Closed(code)) => return code,
                Err(o) => panic!("expected a close, got {o:?}"),
            }
        }
    }
}

/// `GET path` over plain HTTP/1.0: (status, body).
pub fn http_get(http: SocketAddr, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(http).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
