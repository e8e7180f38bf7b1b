//! docs/protocol.md: transports and framing, the envelope; idle timeout and
//! slow consumers.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::client::TestClient;
use common::{Backend, TestServer};
use serde_json::{json, Value};

both_backends!(
    bad_json_keeps_the_connection,
    envelope_errors,
    unknown_command_and_ids,
    line_too_long_is_discarded,
    huge_line_without_newline,
    crlf_and_empty_lines,
    pipelined_requests_answered_in_order,
    pipelined_says_keep_their_order,
    idle_connections_are_closed,
    slow_consumer_is_dropped,
);

/// The next frame must be an error `code` for `for_`, with `re`.
fn expect_error(c: &mut TestClient, code: &str, for_: Value, re: Value) -> Value {
    let r = c.next_frame();
    if r["type"] != "error" || r["code"] != code || r["for"] != for_ || r["re"] != re {
        c.fail(&format!(
            "expected error {code} for {for_} re {re}, got {r}"
        ));
    }
    assert!(r["message"].is_string(), "{r}");
    r
}

/// docs/protocol.md: transports and framing (bad_json)
fn bad_json_keeps_the_connection(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    let lines: [&[u8]; 7] = [
        b"hello\n",
        b"{\"type\": \"ping\"\n",
        b"{\"type\":\"ping\",\"t\":\"\xff\xfe\"}\n",
        b"\xc3\x28\n",
        b"[1, 2]\n",
        b"42\n",
        b"\"ping\"\n",
    ];
    for line in lines {
        c.send_raw(line);
        expect_error(&mut c, "bad_json", Value::Null, Value::Null);
        c.ok(json!({"type": "ping"}));
    }
    // the same once logged in
    let mut a = srv.user("alice");
    a.send_raw(b"not json\n");
    expect_error(&mut a, "bad_json", Value::Null, Value::Null);
    a.ok(json!({"type": "rooms"}));
}

/// docs/protocol.md: envelope (bad_request for type and id)
fn envelope_errors(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    c.send_raw(b"{\"id\":1}\n");
    let r = expect_error(&mut c, "bad_request", Value::Null, json!(1));
    assert_eq!(r["field"], "type");
    c.send_raw(b"{\"type\":5,\"id\":2}\n");
    let r = expect_error(&mut c, "bad_request", Value::Null, json!(2));
    assert_eq!(r["field"], "type");
    c.send_raw(b"{\"type\":null}\n");
    let r = expect_error(&mut c, "bad_request", Value::Null, Value::Null);
    assert_eq!(r["field"], "type");
    for id in ["[1]", "{}", "1.5", "true"] {
        c.send_raw(format!("{{\"type\":\"ping\",\"id\":{id}}}\n").as_bytes());
        let r = expect_error(&mut c, "bad_request", json!("ping"), Value::Null);
        assert_eq!(r["field"], "id", "id {id}: {r}");
    }
    c.ok(json!({"type": "ping"}));
}

/// docs/protocol.md: envelope (unknown_command, id echoed as re, for)
fn unknown_command_and_ids(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    c.send_raw(b"{\"type\":\"frobnicate\",\"id\":\"abc\"}\n");
    let r = expect_error(&mut c, "unknown_command", json!("frobnicate"), json!("abc"));
    assert!(r["message"].is_string());
    c.send_raw(b"{\"type\":\"PING\",\"id\":3}\n");
    expect_error(&mut c, "unknown_command", json!("PING"), json!(3));
    c.send_raw(b"{\"type\":\"ping\",\"id\":\"x-1\",\"extra\":[1]}\n");
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["for"], &r["re"]),
        (&json!("ok"), &json!("ping"), &json!("x-1"))
    );
    c.send_raw(b"{\"type\":\"version\"}\n");
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["for"], &r["re"]),
        (&json!("ok"), &json!("version"), &Value::Null)
    );
    c.send_raw(b"{\"type\":\"ping\",\"id\":18446744073709551615}\n");
    assert_eq!(c.next_frame()["re"], json!(18446744073709551615u64));
    // after login too, and known commands still answer
    let mut a = srv.user("alice");
    a.send_raw(b"{\"type\":\"frobnicate\",\"id\":7}\n");
    expect_error(&mut a, "unknown_command", json!("frobnicate"), json!(7));
    let r = a.ok(json!({"type": "rooms"}));
    assert_eq!(r["for"], "rooms");
}

/// docs/protocol.md: transports and framing (line_too_long)
fn line_too_long_is_discarded(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    let head = "{\"type\":\"ping\",\"id\":1,\"t\":\"";
    let line = format!("{head}{}\"}}", "x".repeat(20_000 - head.len() - 2));
    assert_eq!(line.len(), 20_000);
    c.send_raw(format!("{line}\n").as_bytes());
    expect_error(&mut c, "line_too_long", Value::Null, Value::Null);
    let r = c.ok(json!({"type": "ping", "t": "after"}));
    assert_eq!(r["t"], "after");
    // exactly at the limit is read
    let head = "{\"type\":\"ping\",\"id\":\"edge\",\"t\":\"";
    let pad = "y".repeat(16_384 - head.len() - 2);
    c.send_raw(format!("{head}{pad}\"}}\n").as_bytes());
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["re"]),
        (&json!("ok"), &json!("edge")),
        "{r}"
    );
    c.assert_none("more errors", |v| v["type"] == "error");
}

/// docs/protocol.md: transports and framing (a line is never buffered whole)
fn huge_line_without_newline(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    let mut s = c.raw_stream();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..80 {
            s.write_all(&chunk)?;
        }
        s.write_all(b"\n{\"type\":\"ping\",\"id\":\"after\"}\n")
    });
    expect_error(&mut c, "line_too_long", Value::Null, Value::Null);
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["re"]),
        (&json!("ok"), &json!("after")),
        "{r}"
    );
    writer.join().expect("writer thread").expect("write");
    c.assert_none("a second line_too_long", |v| v["type"] == "error");
    c.ok(json!({"type": "version"}));
}

/// docs/protocol.md: transports and framing (`\r\n`, empty lines)
fn crlf_and_empty_lines(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    c.send_raw(b"{\"type\":\"ping\",\"id\":1}\r\n");
    let r = c.next_frame();
    assert_eq!((&r["type"], &r["re"]), (&json!("ok"), &json!(1)));
    c.send_raw(b"\n\n\r\n{\"type\":\"ping\",\"id\":2,\"t\":\"a\"}\r\n\n");
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["re"], &r["t"]),
        (&json!("ok"), &json!(2), &json!("a"))
    );
    c.assert_none("a reply to an empty line", |_| true);
    // a logged-in say with CRLF keeps its text exactly
    let mut a = srv.user("alice");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "den"}));
    a.clear();
    a.send_raw(b"{\"type\":\"say\",\"id\":\"s\",\"room\":\"den\",\"text\":\"crlf\"}\r\n");
    assert_eq!(a.next_frame()["re"], "s");
    assert_eq!(bob.event("message")["text"], "crlf");
}

/// docs/protocol.md: envelope (one reply per request, in request order)
fn pipelined_requests_answered_in_order(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let batch = concat!(
        "{\"type\":\"ping\",\"id\":1,\"t\":1}\n",
        "{\"type\":\"say\",\"id\":2,\"room\":\"den\",\"text\":\"one\"}\n",
        "garbage\n",
        "{\"type\":\"version\",\"id\":3}\n",
        "{\"type\":\"say\",\"id\":4,\"room\":\"den\",\"text\":\"two\"}\n",
        "{\"type\":\"nope\",\"id\":5}\n",
        "{\"type\":\"history\",\"id\":6,\"room\":\"den\"}\n",
        "{\"type\":\"say\",\"id\":7,\"room\":\"nowhere\",\"text\":\"x\"}\n",
        "{\"type\":\"ping\",\"id\":8,\"t\":8}\n",
    );
    a.send_raw(batch.as_bytes());
    let want = [
        ("ok", "ping", json!(1)),
        ("ok", "say", json!(2)),
        ("error", "", Value::Null),
        ("ok", "version", json!(3)),
        ("ok", "say", json!(4)),
        ("error", "nope", json!(5)),
        ("ok", "history", json!(6)),
        ("error", "say", json!(7)),
        ("ok", "ping", json!(8)),
    ];
    let mut got = Vec::new();
    for _ in 0..want.len() {
        got.push(a.next_frame());
    }
    for (r, (ty, for_, re)) in got.iter().zip(&want) {
        let for_ = if for_.is_empty() {
            Value::Null
        } else {
            json!(for_)
        };
        assert_eq!(
            (&r["type"], &r["for"], &r["re"]),
            (&json!(ty), &for_, re),
            "{got:?}"
        );
    }
    assert!(got[1]["id"].as_i64() < got[4]["id"].as_i64());
    let texts: Vec<&Value> = got[6]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| &m["text"])
        .collect();
    assert_eq!(texts, [&json!("one"), &json!("two")]);
}

/// docs/protocol.md: transports and framing (idle_timeout_s)
/// A burst of `say`s is taken several at a time (they share commits), yet
/// every reply comes in request order, ids follow request order, listeners
/// get the texts in that order, and a request after the burst sees it all.
fn pipelined_says_keep_their_order(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut l = srv.user("lena");
    a.ok(json!({"type": "create_room", "room": "den"}));
    l.ok(json!({"type": "join", "room": "den"}));
    a.clear();
    let mut batch = String::new();
    let mut want = Vec::new();
    for i in 1..=120u64 {
        let line = match i {
            // refusals in the middle of the burst keep their place
            40 => json!({"type": "say", "id": i, "room": "nowhere", "text": "x"}),
            41 => json!({"type": "say", "id": i, "room": "den", "text": " "}),
            42 => json!({"type": "ping", "id": i}),
            _ => json!({"type": "say", "id": i, "room": "den", "text": format!("line {i}")}),
        };
        want.push((i, line["type"] == "say" && i != 40 && i != 41));
        batch.push_str(&line.to_string());
        batch.push('\n');
    }
    batch.push_str("{\"type\":\"history\",\"id\":121,\"room\":\"den\",\"limit\":100}\n");
    a.send_raw(batch.as_bytes());
    let mut last_id = 0;
    let mut texts = Vec::new();
    for (i, said) in &want {
        let r = a.next_frame();
        assert_eq!(r["re"], json!(i), "replies in request order: {r}");
        if *said {
            assert_eq!(r["type"], "ok", "{r}");
            let id = r["id"].as_i64().expect("id");
            assert!(
                id > last_id,
                "ids follow request order: {id} after {last_id}"
            );
            last_id = id;
            texts.push(format!("line {i}"));
        } else {
            assert_eq!(r["type"], if *i == 42 { "ok" } else { "error" }, "{r}");
        }
    }
    let h = a.next_frame();
    assert_eq!(h["re"], 121, "{h}");
    let history: Vec<String> = h["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        history,
        texts[texts.len() - 100..],
        "the history after the burst has it all"
    );
    for t in &texts {
        let m = l.event("message");
        assert_eq!(m["text"], json!(t), "listeners get request order");
    }
    // they were taken several at a time: some commit held more than one
    // (one at a time, every batch would hold exactly one row)
    let (_, metrics) = common::ws::http_get(srv.http.expect("http"), "/metrics");
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    let (rows, batches) = (
        value("modchat_chat_log_batch_rows_sum "),
        value("modchat_chat_log_batch_rows_count "),
    );
    assert!(rows > batches, "{rows} rows in {batches} commits");
}

fn idle_connections_are_closed(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.limits.idle_timeout_s = 1);
    let mut silent = srv.connect();
    let mut user = srv.user("alice");
    let mut busy = srv.connect();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        busy.ok(json!({"type": "ping"}));
        std::thread::sleep(Duration::from_millis(300));
    }
    busy.ok(json!({"type": "version"}));
    silent.expect_closed();
    user.expect_closed();
}

/// docs/protocol.md: transports and framing (a client that does not read)
fn slow_consumer_is_dropped(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.limits.max_outbound_bytes = 65536;
        c.limits.say_burst = 1_000_000;
        c.limits.say_per_s = 1_000_000.0;
    });
    // 2000 says of 2000 four-byte characters: 16 MB of events for the
    // member that does not read, several times what the kernel's socket
    // buffers take (about 4 MB here) before the server's queue fills.
    const N: usize = 2000;
    let mut sender = srv.user("sender");
    let mut slow = srv.user("slow");
    let mut third = srv.user("third");
    sender.ok(json!({"type": "create_room", "room": "flood"}));
    slow.ok(json!({"type": "join", "room": "flood"}));
    sender.clear();
    let mut s = sender.raw_stream();
    let text = "😀".repeat(2000);
    let writer = std::thread::spawn(move || {
        let mut buf = Vec::new();
        for i in 0..N {
            let req = json!({"type": "say", "id": i, "room": "flood", "text": text});
            buf.extend_from_slice(format!("{req}\n").as_bytes());
            if buf.len() > 256 * 1024 {
                s.write_all(&buf)?;
                buf.clear();
            }
        }
        s.write_all(&buf)
    });
    let (mut i, mut events) = (0, Vec::new());
    while i < N {
        let r = sender.next_frame();
        if r.get("re").is_none() {
            events.push(r); // the slow member going offline
            continue;
        }
        if r["type"] != "ok" || r["for"] != "say" || r["re"] != json!(i) {
            sender.fail(&format!("reply {i} of {N}: {r}"));
        }
        i += 1;
        if i % 1000 == 0 {
            third.ok(json!({"type": "ping", "t": i}));
        }
    }
    writer.join().expect("writer thread").expect("write");
    third.ok(json!({"type": "ping"}));
    let read = slow.drain_until_closed(Duration::from_secs(10));
    assert!(
        read < N * 8000,
        "the slow member was cut off ({read} bytes read)"
    );
    if !events.iter().any(|e| e["type"] == "offline") {
        sender.event("offline");
    }
    sender.ok(json!({"type": "say", "room": "flood", "text": "still here"}));
    let r = sender.ok(json!({"type": "members", "room": "flood"}));
    assert_eq!(
        r["members"][1],
        json!({"name": "slow", "role": "user", "room_role": "member", "online": false})
    );
}
