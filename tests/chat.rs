//! docs/protocol.md: say, whisper, history, ping, version; the message and
//! whisper events; the chat log.

mod common;

use common::client::assert_timestamp;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::{accounts, chat_logs, rooms};
use serde_json::{json, Value};

both_backends!(
    say_reaches_every_other_session,
    texts_round_trip_exactly,
    say_refuses_bad_text_and_logs_nothing,
    whisper_delivery_and_log,
    whisper_errors,
    history_pages_oldest_first,
    history_access_and_limits,
    ping_and_version,
);

/// These tests send more than a burst of texts; flood control is not what
/// they check.
fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.limits.say_burst = 10_000;
        c.limits.say_per_s = 10_000.0;
    })
}

/// The chat log's row for a message id, as JSON for short comparisons.
fn log_row(srv: &mut TestServer, id: &Value) -> Value {
    let db = srv.store();
    let row: (
        String,
        Option<i64>,
        Option<i64>,
        String,
        Option<i64>,
        String,
    ) = chat_logs::table
        .find(id.as_i64().expect("message id"))
        .select((
            chat_logs::kind,
            chat_logs::room_id,
            chat_logs::sender_id,
            chat_logs::sender_name,
            chat_logs::recipient_id,
            chat_logs::text,
        ))
        .first(&mut db.conn().expect("conn"))
        .expect("query");
    json!({"kind": row.0, "room_id": row.1, "sender_id": row.2, "sender_name": row.3,
        "recipient_id": row.4, "text": row.5})
}

fn log_count(srv: &mut TestServer) -> i64 {
    let db = srv.store();
    chat_logs::table
        .count()
        .get_result(&mut db.conn().expect("conn"))
        .expect("query")
}

fn account_id(srv: &mut TestServer, name: &str) -> i64 {
    let db = srv.store();
    accounts::table
        .filter(accounts::username.eq(name))
        .select(accounts::id)
        .first(&mut db.conn().expect("conn"))
        .expect("query")
}

fn room_id(srv: &mut TestServer, name: &str) -> i64 {
    let db = srv.store();
    rooms::table
        .filter(rooms::name.eq(name))
        .select(rooms::id)
        .first(&mut db.conn().expect("conn"))
        .expect("query")
}

/// docs/protocol.md: say; the message event
fn say_reaches_every_other_session(b: Backend) {
    let mut srv = server(b);
    let mut a1 = srv.user("alice");
    let mut a2 = srv.connect();
    a2.login("alice");
    let mut bob = srv.user("bob");
    let mut carol = srv.user("carol");
    a1.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let r = a1.ok(json!({"type": "say", "room": "DEN", "text": "hello"}));
    assert_eq!(r["for"], "say");
    assert!(r["id"].is_i64(), "{r}");
    assert_timestamp(&r["at"]);
    let want = json!({"type": "message", "room": "den", "id": r["id"], "from": "alice",
        "text": "hello", "action": false, "at": r["at"]});
    assert_eq!(bob.event("message"), want);
    assert_eq!(a2.event("message"), want, "the sender's other session");
    a1.assert_none("message to the sending connection", |v| {
        v["type"] == "message"
    });
    carol.assert_none("message to a non-member", |v| v["type"] == "message");
    let (alice, den) = (account_id(&mut srv, "alice"), room_id(&mut srv, "den"));
    assert_eq!(
        log_row(&mut srv, &r["id"]),
        json!({"kind": "message", "room_id": den, "sender_id": alice, "sender_name": "alice",
            "recipient_id": null, "text": "hello"})
    );
    // bob's say reaches both of alice's sessions, not bob
    let r = bob.ok(json!({"type": "say", "room": "den", "text": "hi alice"}));
    for c in [&mut a1, &mut a2] {
        let m = c.event("message");
        assert_eq!((&m["from"], &m["id"]), (&json!("bob"), &r["id"]));
    }
    bob.assert_none("own message", |v| v["type"] == "message");
}

/// docs/protocol.md: say (text is stored and delivered exactly as sent;
/// ids increase across rooms)
fn texts_round_trip_exactly(b: Backend) {
    let mut srv = server(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    for r in ["one", "two"] {
        a.ok(json!({"type": "create_room", "room": r}));
        bob.ok(json!({"type": "join", "room": r}));
    }
    let texts = [
        "emoji 👋🏽 🇫🇷 👨‍👩‍👧",
        "日本語のテキスト、中文，한국어",
        "עברית ومرحبا بالعالم",
        "line one\nline two\n\ttabbed\t",
        "  spaces kept  ",
        "quotes \" and \\ backslash </script>",
        &"é".repeat(2000),
    ];
    let mut last = 0;
    for (i, t) in texts.iter().enumerate() {
        let room = if i % 2 == 0 { "one" } else { "two" };
        let r = a.ok(json!({"type": "say", "room": room, "text": t}));
        let id = r["id"].as_i64().expect("id");
        assert!(id > last, "ids increase across rooms: {id} after {last}");
        last = id;
        let m = bob.event("message");
        assert_eq!(m["text"], *t);
        assert_eq!(m["room"], room);
        assert_eq!(log_row(&mut srv, &r["id"])["text"], *t, "stored exactly");
    }
}

/// docs/protocol.md: say (bad_request; nothing refused is logged)
fn say_refuses_bad_text_and_logs_nothing(b: Backend) {
    let mut srv = server(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    a.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let before = log_count(&mut srv);
    let long = "é".repeat(2001);
    for text in [
        json!(""),
        json!("   "),
        json!(" \n\t "),
        json!(long),
        json!("carriage\rreturn"),
        json!("bell\u{7}"),
        json!("del\u{7f}"),
        json!("nul\u{0}"),
        json!(5),
        json!(["x"]),
    ] {
        let r = a.err(
            json!({"type": "say", "room": "den", "text": text}),
            "bad_request",
        );
        assert_eq!(r["field"], "text", "{r}");
    }
    let r = a.err(json!({"type": "say", "room": "den"}), "bad_request");
    assert_eq!(r["field"], "text");
    let r = a.err(json!({"type": "say", "text": "hi"}), "bad_request");
    assert_eq!(r["field"], "room");
    let r = a.err(
        json!({"type": "say", "room": "a b", "text": "hi"}),
        "bad_request",
    );
    assert_eq!(r["field"], "room");
    a.err(
        json!({"type": "say", "room": "nowhere", "text": "hi"}),
        "not_in_room",
    );
    bob.ok(json!({"type": "create_room", "room": "bobs"}));
    a.err(
        json!({"type": "say", "room": "bobs", "text": "hi"}),
        "not_in_room",
    );
    bob.assert_none("refused texts", |v| v["type"] == "message");
    assert_eq!(log_count(&mut srv), before, "no row for a refused say");
    a.ok(json!({"type": "say", "room": "den", "text": "é".repeat(2000)}));
    assert_eq!(log_count(&mut srv), before + 1);
}

/// docs/protocol.md: whisper; the whisper event
fn whisper_delivery_and_log(b: Backend) {
    let mut srv = server(b);
    let mut a1 = srv.user("alice");
    let mut a2 = srv.connect();
    a2.login("alice");
    let mut bob1 = srv.user("bob");
    let mut bob2 = srv.connect();
    bob2.login("bob");
    let mut carol = srv.user("carol");
    let text = "psst 👀\nsecret";
    let r = a1.ok(json!({"type": "whisper", "to": "BOB", "text": text}));
    assert!(r["id"].is_i64(), "{r}");
    assert_timestamp(&r["at"]);
    let want = json!({"type": "whisper", "id": r["id"], "from": "alice", "to": "bob",
        "text": text, "action": false, "at": r["at"]});
    assert_eq!(bob1.event("whisper"), want);
    assert_eq!(bob2.event("whisper"), want);
    assert_eq!(a2.event("whisper"), want, "the sender's other session");
    a1.assert_none("whisper to the sending connection", |v| {
        v["type"] == "whisper"
    });
    carol.assert_none("someone else's whisper", |v| v["type"] == "whisper");
    let (alice, bob) = (account_id(&mut srv, "alice"), account_id(&mut srv, "bob"));
    assert_eq!(
        log_row(&mut srv, &r["id"]),
        json!({"kind": "whisper", "room_id": null, "sender_id": alice, "sender_name": "alice",
            "recipient_id": bob, "text": text})
    );
    // the answer goes back the same way
    let r = bob2.ok(json!({"type": "whisper", "to": "alice", "text": "ok"}));
    for c in [&mut a1, &mut a2, &mut bob1] {
        let w = c.event("whisper");
        assert_eq!(
            (&w["from"], &w["to"], &w["id"]),
            (&json!("bob"), &json!("alice"), &r["id"])
        );
    }
}

/// docs/protocol.md: whisper (errors; nothing refused is logged)
fn whisper_errors(b: Backend) {
    let mut srv = server(b);
    let mut a = srv.user("alice");
    let offline = srv.user("olga");
    drop(offline);
    let before = log_count(&mut srv);
    a.err(
        json!({"type": "whisper", "to": "nobody", "text": "hi"}),
        "no_such_user",
    );
    a.err(
        json!({"type": "whisper", "to": "bad name!", "text": "hi"}),
        "no_such_user",
    );
    a.err(
        json!({"type": "whisper", "to": "alice", "text": "hi"}),
        "cannot_whisper_self",
    );
    a.err(
        json!({"type": "whisper", "to": "ALICE", "text": "hi"}),
        "cannot_whisper_self",
    );
    let r = a.err(
        json!({"type": "whisper", "to": "olga", "text": " "}),
        "bad_request",
    );
    assert_eq!(r["field"], "text");
    let r = a.err(json!({"type": "whisper", "text": "hi"}), "bad_request");
    assert_eq!(r["field"], "to");
    // olga's connection was closed: offline once the server has seen it go
    // (asked again, bounded, until then)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut delivered = 0;
    loop {
        let r = a.request(json!({"type": "whisper", "to": "Olga", "text": "hi"}));
        if r["code"] == "user_offline" {
            break;
        }
        assert!(
            r["type"] == "ok" && std::time::Instant::now() < deadline,
            "expected user_offline, got {r}"
        );
        delivered += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut olga = srv.connect();
    olga.login("olga");
    olga.assert_none("whispers sent while offline", |v| v["type"] == "whisper");
    assert_eq!(
        log_count(&mut srv) - before,
        delivered,
        "only delivered ones are logged"
    );
}

/// docs/protocol.md: history
fn history_pages_oldest_first(b: Backend) {
    let srv = server(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    a.ok(json!({"type": "create_room", "room": "den"}));
    a.ok(json!({"type": "create_room", "room": "other"}));
    let mut sent = Vec::new();
    for i in 1..=7 {
        let r = a.ok(json!({"type": "say", "room": "den", "text": format!("m{i}")}));
        sent.push(r);
        a.ok(json!({"type": "say", "room": "other", "text": "elsewhere"}));
        a.ok(json!({"type": "whisper", "to": "bob", "text": "never in history"}));
    }
    // a late joiner reads what was said before
    bob.ok(json!({"type": "join", "room": "den"}));
    let texts = |r: &Value| -> Vec<String> {
        r["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["text"].as_str().expect("text").to_owned())
            .collect()
    };
    let r = bob.ok(json!({"type": "history", "room": "den", "limit": 3}));
    assert_eq!(texts(&r), ["m5", "m6", "m7"]);
    assert_eq!(
        r["messages"][0],
        json!({"id": sent[4]["id"], "from": "alice", "text": "m5", "action": false,
            "at": sent[4]["at"], "deleted": false})
    );
    let r = bob.ok(json!({"type": "history", "room": "den", "limit": 3,
        "before": sent[4]["id"]}));
    assert_eq!(texts(&r), ["m2", "m3", "m4"]);
    let r = bob.ok(json!({"type": "history", "room": "den", "limit": 3,
        "before": sent[1]["id"]}));
    assert_eq!(texts(&r), ["m1"]);
    let r = bob.ok(json!({"type": "history", "room": "den", "before": sent[0]["id"]}));
    assert_eq!(r["messages"], json!([]));
    let r = bob.ok(json!({"type": "history", "room": "DEN"}));
    assert_eq!(texts(&r), ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    let ids: Vec<&Value> = r["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| &m["id"])
        .collect();
    let want: Vec<&Value> = sent.iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, want);
}

/// docs/protocol.md: history (not_in_room, no_such_room, limit)
fn history_access_and_limits(b: Backend) {
    let mut srv = server(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut m = srv.account("mod", Role::Moderator);
    a.ok(json!({"type": "create_room", "room": "den"}));
    a.ok(json!({"type": "say", "room": "den", "text": "members only"}));
    bob.err(json!({"type": "history", "room": "den"}), "not_in_room");
    bob.err(
        json!({"type": "history", "room": "nowhere"}),
        "no_such_room",
    );
    let r = m.ok(json!({"type": "history", "room": "den"}));
    assert_eq!(
        r["messages"][0]["text"], "members only",
        "moderators read any room"
    );
    for limit in [json!(0), json!(101), json!(-1), json!("5")] {
        let r = a.err(
            json!({"type": "history", "room": "den", "limit": limit}),
            "bad_request",
        );
        assert_eq!(r["field"], "limit", "{r}");
    }
    let r = a.ok(json!({"type": "history", "room": "den", "limit": 100}));
    assert_eq!(r["messages"].as_array().map(Vec::len), Some(1));
    let r = a.ok(json!({"type": "history", "room": "den", "limit": 1}));
    assert_eq!(r["messages"].as_array().map(Vec::len), Some(1));
    // after leaving, the room's history is closed to a user
    a.ok(json!({"type": "leave", "room": "den"}));
    a.err(json!({"type": "history", "room": "den"}), "not_in_room");
}

/// docs/protocol.md: ping, version
fn ping_and_version(b: Backend) {
    let srv = server(b);
    let mut c = srv.connect();
    for t in [json!({"a": [1]}), json!("x"), json!(42), json!(null)] {
        let r = c.ok(json!({"type": "ping", "t": t.clone()}));
        assert_eq!(r["t"], t);
        assert_timestamp(&r["server_time"]);
    }
    let r = c.ok(json!({"type": "version"}));
    assert!(
        r["server"]
            .as_str()
            .is_some_and(|s| s.starts_with("modchat ")),
        "{r}"
    );
    assert_eq!(r["protocol"], 1);
    let mut a = srv.user("alice");
    let r = a.ok(json!({"type": "ping", "t": {"a": [1]}}));
    assert_eq!(r["t"], json!({"a": [1]}));
    assert_eq!(r["for"], "ping");
    a.ok(json!({"type": "version"}));
}
