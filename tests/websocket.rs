//! docs/protocol.md "Transports and framing": the protocol over WebSocket
//! through the same session as TCP, the frame rules, and the HTTP
//! endpoints `/healthz` and `/metrics`.

mod common;

use common::client::TestClient;
use common::ws::{http_get, Other, WsClient};
use common::{Backend, TestServer};
use serde_json::json;

both_backends!(
    tcp_and_websocket_share_a_room,
    reserved_bits_and_opcodes_close_with_1002
);

/// A TCP user and a WebSocket user in one room, both directions: messages,
/// whispers, presence.
fn tcp_and_websocket_share_a_room(b: Backend) {
    let s = TestServer::start(b);
    let http = s.http.expect("http listener");
    let mut tcp: TestClient = s.user("alice");
    let mut ws = WsClient::user(http, "bob");
    tcp.ok(json!({"type": "create_room", "room": "lobby"}));
    ws.ok(json!({"type": "join", "room": "lobby"}));
    assert_eq!(tcp.event("joined")["user"], "bob");

    let id =
        tcp.ok(json!({"type": "say", "room": "lobby", "text": "hello over tcp"}))["id"].clone();
    let m = ws.event("message");
    assert_eq!(
        (m["id"].clone(), m["from"].as_str(), m["text"].as_str()),
        (id, Some("alice"), Some("hello over tcp"))
    );
    ws.ok(json!({"type": "say", "room": "lobby", "text": "héllo over ws 👋"}));
    assert_eq!(tcp.event("message")["text"], "héllo over ws 👋");

    ws.ok(json!({"type": "whisper", "to": "alice", "text": "psst"}));
    assert_eq!(tcp.event("whisper")["from"], "bob");
    tcp.ok(json!({"type": "whisper", "to": "bob", "text": "psst back"}));
    assert_eq!(ws.event("whisper")["text"], "psst back");

    let who = tcp.ok(json!({"type": "who"}));
    let users = who["users"].as_array().expect("users");
    assert_eq!(users.len(), 2);
    let h = ws.ok(json!({"type": "history", "room": "lobby"}));
    assert_eq!(h["messages"].as_array().map(Vec::len), Some(2));
    drop(ws);
    assert_eq!(tcp.event("offline")["user"], "bob");
}

/// Binary frames, oversize frames, fragments, bad UTF-8, ping and close.
#[test]
fn frame_rules() {
    let s = TestServer::start_with(Backend::Sqlite, |c| c.limits.max_line_bytes = 1000);
    let http = s.http.expect("http");
    let mut c = WsClient::connect(http);

    // a binary frame: bad_json, and the connection stays
    c.send_frame(br#"{"type":"ping"}"#, false, true, true);
    let r = c.next().expect("a reply");
    assert_eq!(
        (r["code"].as_str(), r["for"].clone()),
        (Some("bad_json"), json!(null))
    );
    c.ok(json!({"type": "ping", "t": 1}));

    // over max_line_bytes: line_too_long, and the connection stays
    let long = format!(r#"{{"type":"ping","t":"{}"}}"#, "x".repeat(2000));
    c.send_text(&long);
    assert_eq!(c.next().expect("a reply")["code"], "line_too_long");
    c.ok(json!({"type": "ping", "t": 2}));

    // a fragmented request is put together
    c.send_frame(br#"{"type":"ping","#, true, true, false);
    c.send_frame(br#""id":"frag","t":"#, true, false, false);
    c.send_frame(b"3}", true, false, true);
    let r = c.next().expect("a reply");
    assert_eq!((r["re"].as_str(), r["t"].as_i64()), (Some("frag"), Some(3)));

    // bad JSON in a text frame, an empty frame: as over TCP
    c.send_text("{not json");
    assert_eq!(c.next().expect("a reply")["code"], "bad_json");
    c.send_text("   ");
    c.ok(json!({"type": "ping"}));

    // ping frames get pongs
    c.ws.send(tungstenite::Message::Ping(b"are you there".to_vec().into()))
        .expect("ping");
    match c.next() {
        Err(Other::Pong(p)) => assert_eq!(p, b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }

    // the close handshake: the server answers with the same code
    let bye = tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    };
    c.ws.close(Some(bye)).expect("close");
    assert_eq!(c.expect_close(), Some(1000));

    // text that is not UTF-8: closed with 1007
    let mut bad = WsClient::connect(http);
    bad.send_frame(&[b'{', 0xff, 0xfe, b'}'], true, true, true);
    assert_eq!(bad.expect_close(), Some(1007));

    // past the hard cap (4 x max_line_bytes, at least 64 KiB): closed with 1009
    let mut huge = WsClient::connect(http);
    huge.send_text(&"y".repeat(70 * 1024));
    assert_eq!(huge.expect_close(), Some(1009));

    // the server is fine
    let mut after = WsClient::connect(http);
    after.ok(json!({"type": "ping"}));
}

/// `/healthz` answers 200 with the database up; `/metrics` moves when
/// messages flow.
#[test]
fn healthz_and_metrics() {
    let s = TestServer::start(Backend::Sqlite);
    let http = s.http.expect("http");
    let (code, body) = http_get(http, "/healthz");
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(v["database"], "ok");

    let metric = |name: &str| -> f64 {
        let (code, text) = http_get(http, "/metrics");
        assert_eq!(code, 200);
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
    };
    let mut a = s.user("alice");
    let mut w = WsClient::user(http, "bob");
    a.ok(json!({"type": "create_room", "room": "lobby"}));
    w.ok(json!({"type": "join", "room": "lobby"}));
    let before = metric("modchat_messages_total");
    for i in 0..3 {
        a.ok(json!({"type": "say", "room": "lobby", "text": format!("m{i}")}));
    }
    w.ok(json!({"type": "whisper", "to": "alice", "text": "psst"}));
    w.err(
        json!({"type": "say", "room": "nowhere", "text": "x"}),
        "not_in_room",
    );
    assert_eq!(metric("modchat_messages_total") - before, 3.0);
    assert_eq!(metric("modchat_whispers_total"), 1.0);
    assert_eq!(metric(r#"modchat_connections{transport="ws"}"#), 1.0);
    assert_eq!(metric(r#"modchat_connections{transport="tcp"}"#), 1.0);
    assert_eq!(metric("modchat_sessions"), 2.0);
    assert_eq!(metric("modchat_rooms"), 1.0);
    assert!(metric(r#"modchat_errors_total{code="not_in_room"}"#) >= 1.0);
    assert!(metric("modchat_chat_log_batch_rows_count") >= 4.0);
    let (_, text) = http_get(http, "/metrics");
    assert!(text.contains("modchat_build_info{version="), "{text}");
    assert!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| l.starts_with("modchat_")),
        "{text}"
    );
}

/// RFC 6455 5.2 and 7.4.1: reserved bits set (no extension is negotiated)
/// or a reserved opcode close with 1002, text that is not UTF-8 (whole or
/// across fragments) with 1007; an upgrade over HTTP/1.0 gets 400, no 101.
fn reserved_bits_and_opcodes_close_with_1002(b: Backend) {
    use std::io::{Read, Write};
    let s = TestServer::start(b);
    let http = s.http.expect("http");
    let payload = br#"{"type":"ping"}"#;
    // FIN with RSV1, RSV2, RSV3 on a text frame; reserved data opcode 3;
    // reserved control opcode 0xB; RSV1 on a ping
    for first in [0xC1u8, 0xA1, 0x91, 0x83, 0x8B, 0xC9] {
        let mut c = WsClient::user(http, &format!("u{first:x}"));
        let mut frame = vec![first, 0x80 | payload.len() as u8, 0, 0, 0, 0];
        frame.extend_from_slice(payload);
        c.ws.get_mut().write_all(&frame).expect("a raw frame");
        assert_eq!(c.expect_close(), Some(1002), "first byte {first:#04x}");
    }
    let mut bad = WsClient::connect(http);
    bad.send_frame(&[b'{', 0xff, 0xfe, b'}'], true, true, true);
    assert_eq!(bad.expect_close(), Some(1007));
    let mut split = WsClient::connect(http);
    split.send_frame(b"{\"t\":\"\xe2\x82", true, true, false);
    split.send_frame(b"x\"}", true, false, true);
    assert_eq!(
        split.expect_close(),
        Some(1007),
        "bad UTF-8 across fragments"
    );

    let mut old = std::net::TcpStream::connect(http).expect("connect");
    old.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    old.write_all(
        b"GET /ws HTTP/1.0\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .expect("write");
    let mut answer = String::new();
    let _ = old.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.0 400") || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );

    // the server carries on
    let mut after = WsClient::connect(http);
    after.ok(json!({"type": "ping"}));
}
