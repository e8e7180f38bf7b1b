//! docs/protocol.md: history — each mode (newest, before, after, around) at
//! the edges of a room and of a whisper conversation, deleted messages, the
//! time window [since, until), limits 1 and 100, who may read what, and the
//! combinations that get `bad_request`.

mod common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use common::client::TestClient;
use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::{json, Value};

both_backends!(
    room_modes_at_the_edges,
    around_any_position,
    deleted_messages_keep_their_place,
    limits_one_and_a_hundred,
    time_window,
    whisper_conversation_seen_by_both,
    whisper_conversation_modes,
    bad_combinations,
    room_access,
);

/// Each entry's text (`-` for a deleted one).
fn texts(r: &Value) -> Vec<String> {
    r["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {r}"))
        .iter()
        .map(|m| m["text"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// `m{from}`..`m{to}`.
fn m(from: usize, to: usize) -> Vec<String> {
    (from..=to).map(|i| format!("m{i}")).collect()
}

fn none() -> Vec<String> {
    Vec::new()
}

/// Sends `m1`..`m{n}` to `room` and returns their `ok` replies (`id`,
/// `at`); with `gap`, waits that long between them so that each has its
/// own `at`.
fn say_n(c: &mut TestClient, room: &str, n: usize, gap: Option<Duration>) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            if let Some(g) = gap {
                std::thread::sleep(g);
            }
            c.ok(json!({"type": "say", "room": room, "text": format!("m{i}")}))
        })
        .collect()
}

fn history(c: &mut TestClient, mut req: Value) -> Value {
    req["type"] = json!("history");
    c.ok(req)
}

fn at(reply: &Value) -> DateTime<Utc> {
    reply["at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("no at in {reply}"))
        .with_timezone(&Utc)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// docs/protocol.md: history (newest, before, after, around at the first
/// and the last message; other rooms and whispers never show)
fn room_modes_at_the_edges(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    a.ok(json!({"type": "create_room", "room": "den"}));
    a.ok(json!({"type": "create_room", "room": "other"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let mut sent = Vec::new();
    for i in 1..=10 {
        sent.push(a.ok(
            json!({"type": "say", "room": "den", "text": format!("m{i}"),
            "action": i == 3}),
        ));
        a.ok(json!({"type": "say", "room": "other", "text": "elsewhere"}));
        a.ok(json!({"type": "whisper", "to": "bob", "text": "psst"}));
    }
    let id = |i: usize| sent[i - 1]["id"].clone();
    let (first, last) = (id(1), id(10));

    // the newest page; each entry exactly as the wire shows it
    let r = history(&mut bob, json!({"room": "den"}));
    assert_eq!(texts(&r), m(1, 10));
    assert_eq!(
        r["messages"][0].to_string(),
        format!(
            r#"{{"id":{},"from":"alice","text":"m1","action":false,"at":"{}","deleted":false}}"#,
            first,
            sent[0]["at"].as_str().unwrap()
        )
    );
    assert_eq!(r["messages"][2]["action"], true, "an emote says so");
    assert_eq!(
        texts(&history(&mut bob, json!({"room": "den", "limit": 3}))),
        m(8, 10)
    );

    // before
    let r = history(&mut bob, json!({"room": "den", "before": last}));
    assert_eq!(texts(&r), m(1, 9));
    let r = history(&mut bob, json!({"room": "den", "before": last, "limit": 2}));
    assert_eq!(texts(&r), m(8, 9));
    let r = history(&mut bob, json!({"room": "den", "before": id(2)}));
    assert_eq!(texts(&r), m(1, 1));
    let r = history(&mut bob, json!({"room": "den", "before": first}));
    assert_eq!(r["messages"], json!([]), "nothing before the first");

    // after
    let r = history(&mut bob, json!({"room": "den", "after": first}));
    assert_eq!(texts(&r), m(2, 10));
    let r = history(&mut bob, json!({"room": "den", "after": first, "limit": 2}));
    assert_eq!(texts(&r), m(2, 3), "the oldest after the id");
    let r = history(&mut bob, json!({"room": "den", "after": id(8), "limit": 5}));
    assert_eq!(texts(&r), m(9, 10));
    let r = history(&mut bob, json!({"room": "den", "after": last}));
    assert_eq!(r["messages"], json!([]), "nothing after the last");
    let r = history(&mut bob, json!({"room": "den", "after": 0, "limit": 2}));
    assert_eq!(texts(&r), m(1, 2), "after 0: from the first message");

    // around
    let r = history(
        &mut bob,
        json!({"room": "den", "around": first, "limit": 5}),
    );
    assert_eq!(texts(&r), m(1, 5), "the first, and the rest from after it");
    let r = history(
        &mut bob,
        json!({"room": "den", "around": first, "limit": 1}),
    );
    assert_eq!(texts(&r), m(1, 1));
    let r = history(&mut bob, json!({"room": "den", "around": last, "limit": 5}));
    assert_eq!(texts(&r), m(6, 10), "the last, and the rest from before it");
    let r = history(
        &mut bob,
        json!({"room": "den", "around": id(5), "limit": 5}),
    );
    assert_eq!(texts(&r), m(3, 7), "two before, itself, two after");
    let r = history(
        &mut bob,
        json!({"room": "den", "around": id(5), "limit": 4}),
    );
    assert_eq!(texts(&r), m(4, 7), "even: itself and one before, two after");
    let r = history(
        &mut bob,
        json!({"room": "den", "around": id(5), "limit": 1}),
    );
    assert_eq!(texts(&r), m(5, 5));
    let r = history(&mut bob, json!({"room": "den", "around": id(5)}));
    assert_eq!(texts(&r), m(1, 10), "all, when there are fewer than limit");
}

/// `around` an id that is not one of the room's: a position between ids.
fn around_any_position(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    a.ok(json!({"type": "create_room", "room": "den"}));
    a.ok(json!({"type": "create_room", "room": "other"}));
    let mut sent = Vec::new();
    let mut elsewhere = Vec::new();
    for i in 1..=6 {
        sent.push(a.ok(json!({"type": "say", "room": "den", "text": format!("m{i}")})));
        elsewhere.push(a.ok(json!({"type": "say", "room": "other", "text": "x"}))["id"].clone());
    }
    // the other room's message after m3: m3 and older count as before it
    let r = history(
        &mut a,
        json!({"room": "den", "around": elsewhere[2], "limit": 4}),
    );
    assert_eq!(texts(&r), m(2, 5));
    let r = history(
        &mut a,
        json!({"room": "den", "around": elsewhere[2], "limit": 1}),
    );
    assert_eq!(texts(&r), m(3, 3));
    // before every message of the room, and far after the last
    let r = history(&mut a, json!({"room": "den", "around": 1, "limit": 3}));
    assert_eq!(texts(&r), m(1, 3));
    let r = history(
        &mut a,
        json!({"room": "den", "around": i64::MAX, "limit": 3}),
    );
    assert_eq!(texts(&r), m(4, 6));
    let r = history(
        &mut a,
        json!({"room": "den", "before": i64::MAX, "limit": 2}),
    );
    assert_eq!(texts(&r), m(5, 6));
}

/// Deleted messages keep their place (`text: null`, `deleted: true`) in
/// every mode, the first and the last among them.
fn deleted_messages_keep_their_place(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut md = srv.account("mod", Role::Moderator);
    a.ok(json!({"type": "create_room", "room": "den"}));
    let sent = say_n(&mut a, "den", 5, None);
    for i in [0, 2, 4] {
        md.ok(json!({"type": "delete_message", "message_id": sent[i]["id"]}));
    }
    let r = history(&mut a, json!({"room": "den"}));
    assert_eq!(texts(&r), ["-", "m2", "-", "m4", "-"]);
    assert_eq!(
        r["messages"][0].to_string(),
        format!(
            r#"{{"id":{},"from":"alice","text":null,"action":false,"at":"{}","deleted":true}}"#,
            sent[0]["id"],
            sent[0]["at"].as_str().unwrap()
        )
    );
    let (first, last) = (&sent[0]["id"], &sent[4]["id"]);
    let r = history(&mut a, json!({"room": "den", "around": first, "limit": 2}));
    assert_eq!(texts(&r), ["-", "m2"]);
    let r = history(&mut a, json!({"room": "den", "around": last, "limit": 1}));
    assert_eq!(texts(&r), ["-"]);
    assert_eq!(r["messages"][0]["deleted"], true);
    let r = history(&mut a, json!({"room": "den", "after": first, "limit": 2}));
    assert_eq!(texts(&r), ["m2", "-"]);
    let r = history(&mut a, json!({"room": "den", "before": last, "limit": 1}));
    assert_eq!(texts(&r), ["m4"]);
    let r = history(&mut md, json!({"room": "den", "before": last}));
    assert_eq!(texts(&r), ["-", "m2", "-", "m4"], "moderators see the same");
}

/// limit 1 and 100 in every mode; the default is 50.
fn limits_one_and_a_hundred(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let sent = say_n(&mut a, "den", 120, None);
    let id = |i: usize| sent[i - 1]["id"].clone();
    let page = |a: &mut TestClient, req: Value| texts(&history(a, req));
    assert_eq!(page(&mut a, json!({"room": "den"})), m(71, 120));
    assert_eq!(
        page(&mut a, json!({"room": "den", "limit": 100})),
        m(21, 120)
    );
    assert_eq!(
        page(&mut a, json!({"room": "den", "limit": 1})),
        m(120, 120)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "before": id(101), "limit": 100})
        ),
        m(1, 100)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "before": id(101), "limit": 1})
        ),
        m(100, 100)
    );
    assert_eq!(
        page(&mut a, json!({"room": "den", "after": id(1), "limit": 100})),
        m(2, 101)
    );
    assert_eq!(
        page(&mut a, json!({"room": "den", "after": id(1), "limit": 1})),
        m(2, 2)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(60), "limit": 100})
        ),
        m(11, 110),
        "50 up to and with the id, 50 after it"
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(1), "limit": 100})
        ),
        m(1, 100)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(120), "limit": 100})
        ),
        m(21, 120)
    );
    assert_eq!(
        page(&mut a, json!({"room": "den", "around": id(60), "limit": 1})),
        m(60, 60)
    );
}

/// [since, until): `since` includes a message sent at that time, `until`
/// leaves it out; with each mode; any offset; nothing outside.
fn time_window(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let sent = say_n(&mut a, "den", 8, Some(Duration::from_millis(5)));
    let t = |i: usize| rfc3339(at(&sent[i - 1]));
    let id = |i: usize| sent[i - 1]["id"].clone();
    for w in sent.windows(2) {
        assert!(at(&w[0]) < at(&w[1]), "each message has its own time");
    }
    let page = |a: &mut TestClient, req: Value| texts(&history(a, req));
    assert_eq!(page(&mut a, json!({"room": "den", "since": t(3)})), m(3, 8));
    assert_eq!(page(&mut a, json!({"room": "den", "until": t(6)})), m(1, 5));
    assert_eq!(
        page(&mut a, json!({"room": "den", "since": t(3), "until": t(6)})),
        m(3, 5)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "since": t(3), "until": t(6), "limit": 2})
        ),
        m(4, 5)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "since": t(3), "before": id(5)})
        ),
        m(3, 4)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "since": t(3), "before": id(3)})
        ),
        none()
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "after": id(1), "until": t(4)})
        ),
        m(2, 3)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "after": id(4), "since": t(2)})
        ),
        m(5, 8)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "after": id(1), "since": t(6), "limit": 2})
        ),
        m(6, 7)
    );
    // around a position outside the window: what of the window is nearest
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(1), "since": t(3), "limit": 3})
        ),
        m(3, 5)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(8), "until": t(6), "limit": 2})
        ),
        m(4, 5)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "around": id(5), "since": t(4), "until": t(7),
            "limit": 5})
        ),
        m(4, 6)
    );
    // the edges: a millisecond past the last, up to the first
    let after_last = rfc3339(at(&sent[7]) + TimeDelta::milliseconds(1));
    assert_eq!(
        page(&mut a, json!({"room": "den", "since": after_last})),
        none()
    );
    assert_eq!(page(&mut a, json!({"room": "den", "since": t(8)})), m(8, 8));
    assert_eq!(page(&mut a, json!({"room": "den", "until": t(1)})), none());
    assert_eq!(
        page(&mut a, json!({"room": "den", "until": after_last})),
        m(1, 8)
    );
    assert_eq!(
        page(
            &mut a,
            json!({"room": "den", "since": "2000-01-01T00:00:00Z"})
        ),
        m(1, 8)
    );
    // the same instant in another offset
    let plus2 = at(&sent[2]).with_timezone(&FixedOffset::east_opt(2 * 3600).unwrap());
    let since = plus2.to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    assert!(since.ends_with("+02:00"), "{since}");
    assert_eq!(
        page(&mut a, json!({"room": "den", "since": since})),
        m(3, 8)
    );
    // since must come before until
    for (since, until) in [(t(3), t(3)), (t(4), t(3))] {
        let r = a.err(
            json!({"type": "history", "room": "den", "since": since, "until": until}),
            "bad_request",
        );
        assert_eq!(r["fields"], json!(["since", "until"]), "{r}");
    }
    for (field, bad) in [
        ("since", json!("yesterday")),
        ("until", json!("2026-13-01T00:00:00Z")),
        ("since", json!(1_700_000_000)),
        ("until", json!("2026-12-07 10:00:00")),
    ] {
        let r = a.err(
            json!({"type": "history", "room": "den", field: bad}),
            "bad_request",
        );
        assert_eq!(r["field"], field, "{r}");
    }
}

/// Five accounts: alice and bob whisper each other; carol whispers both;
/// dave and a moderator whisper nobody.
struct Whisperers {
    _srv: TestServer,
    alice: TestClient,
    bob: TestClient,
    carol: TestClient,
    dave: TestClient,
    moderator: TestClient,
}

fn whisperers(b: Backend) -> Whisperers {
    let mut srv = TestServer::start(b);
    let alice = srv.user("alice");
    let bob = srv.user("bob");
    let carol = srv.user("carol");
    let dave = srv.user("dave");
    let moderator = srv.account("mod", Role::Moderator);
    Whisperers {
        _srv: srv,
        alice,
        bob,
        carol,
        dave,
        moderator,
    }
}

/// docs/protocol.md: history with (both accounts see the same
/// conversation; a third account sees only its own, a moderator too)
fn whisper_conversation_seen_by_both(b: Backend) {
    let mut w = whisperers(b);
    w.alice.ok(json!({"type": "create_room", "room": "den"}));
    w.bob.ok(json!({"type": "join", "room": "den"}));
    let mut sent = Vec::new();
    for i in 1..=6 {
        let (from, to) = if i % 2 == 1 {
            (&mut w.alice, "bob")
        } else {
            (&mut w.bob, "alice")
        };
        sent.push(
            from.ok(json!({"type": "whisper", "to": to, "text": format!("w{i}"),
            "action": i == 2})),
        );
        // other conversations and the room in between
        w.carol.ok(
            json!({"type": "whisper", "to": if i % 2 == 1 { "alice" } else { "bob" },
            "text": format!("c{i}")}),
        );
        w.alice
            .ok(json!({"type": "say", "room": "den", "text": "in the room"}));
    }
    w.alice
        .ok(json!({"type": "whisper", "to": "carol", "text": "a to c"}));
    let r = history(&mut w.alice, json!({"with": "bob"}));
    assert_eq!(texts(&r), ["w1", "w2", "w3", "w4", "w5", "w6"]);
    assert_eq!(
        r["messages"][0].to_string(),
        format!(
            r#"{{"id":{},"from":"alice","to":"bob","text":"w1","action":false,"at":"{}","deleted":false}}"#,
            sent[0]["id"],
            sent[0]["at"].as_str().unwrap()
        )
    );
    assert_eq!(r["messages"][1]["from"], "bob");
    assert_eq!(r["messages"][1]["to"], "alice");
    assert_eq!(r["messages"][1]["action"], true);
    // the other side reads exactly the same, any letter case
    let theirs = history(&mut w.bob, json!({"with": "ALICE"}));
    assert_eq!(theirs.get("messages"), r.get("messages"));
    assert_eq!(
        history(
            &mut w.bob,
            json!({"with": "alice", "limit": 2, "before": sent[2]["id"]})
        )["messages"],
        json!(r["messages"].as_array().unwrap()[0..2])
    );
    // a third account reads its own conversations only
    let r = history(&mut w.carol, json!({"with": "alice"}));
    assert_eq!(texts(&r), ["c1", "c3", "c5", "a to c"]);
    let r = history(&mut w.carol, json!({"with": "bob"}));
    assert_eq!(texts(&r), ["c2", "c4", "c6"]);
    assert_eq!(r["messages"][0]["to"], "bob");
    for who in ["alice", "bob"] {
        let r = history(&mut w.dave, json!({"with": who}));
        assert_eq!(r["messages"], json!([]), "dave never whispered {who}");
        let r = history(&mut w.moderator, json!({"with": who}));
        assert_eq!(r["messages"], json!([]), "a moderator reads no one else's");
        for mode in ["before", "after", "around"] {
            let r = history(&mut w.dave, json!({"with": who, mode: sent[2]["id"]}));
            assert_eq!(r["messages"], json!([]));
        }
    }
    let r = w
        .dave
        .err(json!({"type": "history", "with": "nobody"}), "no_such_user");
    assert!(r.get("field").is_none(), "{r}");
    w.dave.err(
        json!({"type": "history", "with": "not a name!"}),
        "no_such_user",
    );
    // yourself: no conversation
    let r = history(&mut w.alice, json!({"with": "alice"}));
    assert_eq!(r["messages"], json!([]));
    // `to` is the recipient's name now, `from` the sender's name then
    w.bob.ok(json!({"type": "rename", "username": "robert"}));
    let r = history(&mut w.alice, json!({"with": "robert", "limit": 2}));
    assert_eq!(r["messages"][0]["from"], "alice");
    assert_eq!(r["messages"][0]["to"], "robert");
    assert_eq!(r["messages"][1]["from"], "bob");
    assert_eq!(r["messages"][1]["to"], "alice");
}

/// Each mode over a conversation whose two directions interleave with other
/// whispers, at its first and last message; the time window.
fn whisper_conversation_modes(b: Backend) {
    let mut w = whisperers(b);
    let mut sent = Vec::new();
    let mut other = Vec::new();
    for i in 1..=10 {
        std::thread::sleep(Duration::from_millis(5));
        let (from, to) = if i % 3 == 0 {
            (&mut w.bob, "alice")
        } else {
            (&mut w.alice, "bob")
        };
        sent.push(from.ok(json!({"type": "whisper", "to": to, "text": format!("w{i}")})));
        other.push(
            w.carol
                .ok(json!({"type": "whisper", "to": "alice", "text": "c"}))["id"]
                .clone(),
        );
    }
    let ws =
        |from: usize, to: usize| -> Vec<String> { (from..=to).map(|i| format!("w{i}")).collect() };
    let id = |i: usize| sent[i - 1]["id"].clone();
    let t = |i: usize| rfc3339(at(&sent[i - 1]));
    for (me, peer) in [(&mut w.alice, "bob"), (&mut w.bob, "alice")] {
        let mut page = |req: Value| {
            let mut req = req;
            req["with"] = json!(peer);
            texts(&history(me, req))
        };
        assert_eq!(page(json!({})), ws(1, 10));
        assert_eq!(page(json!({"limit": 3})), ws(8, 10));
        assert_eq!(page(json!({"limit": 1})), ws(10, 10));
        assert_eq!(page(json!({"before": id(1)})), none());
        assert_eq!(page(json!({"before": id(10), "limit": 4})), ws(6, 9));
        assert_eq!(page(json!({"before": id(4)})), ws(1, 3));
        assert_eq!(page(json!({"after": id(10)})), none());
        assert_eq!(page(json!({"after": id(1), "limit": 4})), ws(2, 5));
        assert_eq!(page(json!({"after": 0, "limit": 1})), ws(1, 1));
        assert_eq!(page(json!({"around": id(1), "limit": 5})), ws(1, 5));
        assert_eq!(page(json!({"around": id(10), "limit": 4})), ws(7, 10));
        assert_eq!(page(json!({"around": id(5), "limit": 3})), ws(4, 6));
        assert_eq!(page(json!({"around": id(5), "limit": 1})), ws(5, 5));
        // carol's whisper after w6: a position, not one of theirs
        assert_eq!(page(json!({"around": other[5], "limit": 2})), ws(6, 7));
        assert_eq!(page(json!({"since": t(3), "until": t(6)})), ws(3, 5));
        assert_eq!(page(json!({"since": t(9)})), ws(9, 10));
        assert_eq!(page(json!({"until": t(1)})), none());
        assert_eq!(page(json!({"after": id(2), "until": t(5)})), ws(3, 4));
        assert_eq!(
            page(json!({"before": id(9), "since": t(6), "limit": 2})),
            ws(7, 8)
        );
        assert_eq!(
            page(json!({"around": id(1), "since": t(4), "limit": 2})),
            ws(4, 5)
        );
        assert_eq!(page(json!({"limit": 100})), ws(1, 10));
    }
}

/// `bad_request` for every combination the contract refuses, naming the
/// fields.
fn bad_combinations(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    srv.user("bob");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let id = a.ok(json!({"type": "say", "room": "den", "text": "hi"}))["id"].clone();
    let refused = |a: &mut TestClient, mut req: Value| -> Value {
        req["type"] = json!("history");
        a.err(req, "bad_request")
    };
    let r = refused(&mut a, json!({"room": "den", "with": "bob"}));
    assert_eq!(r["fields"], json!(["room", "with"]), "{r}");
    assert_eq!(r["field"], "with");
    let r = refused(&mut a, json!({}));
    assert_eq!(r["field"], "room", "{r}");
    for target in [json!({"room": "den"}), json!({"with": "bob"})] {
        let with = |extra: Value| {
            let mut req = target.clone();
            for (k, v) in extra.as_object().unwrap() {
                req[k] = v.clone();
            }
            req
        };
        for (extra, fields) in [
            (
                json!({"before": id, "after": id}),
                json!(["before", "after"]),
            ),
            (
                json!({"before": id, "around": id}),
                json!(["before", "around"]),
            ),
            (
                json!({"after": id, "around": id}),
                json!(["after", "around"]),
            ),
            (
                json!({"before": id, "after": id, "around": id}),
                json!(["before", "after", "around"]),
            ),
        ] {
            let r = refused(&mut a, with(extra));
            assert_eq!(r["fields"], fields, "{r}");
            assert!(
                r["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("at most one")),
                "{r}"
            );
        }
        for (field, bad) in [
            ("limit", json!(0)),
            ("limit", json!(101)),
            ("before", json!(0)),
            ("after", json!(-1)),
            ("around", json!(0)),
            ("around", json!("5")),
            ("before", json!(1.5)),
            ("since", json!("soon")),
        ] {
            let r = refused(&mut a, with(json!({field: bad})));
            assert_eq!(r["field"], field, "{r}");
        }
        // null counts as absent
        history(
            &mut a,
            with(json!({"before": null, "after": id, "around": null})),
        );
    }
    let r = refused(&mut a, json!({"with": 7}));
    assert_eq!(r["field"], "with", "{r}");
    let r = refused(&mut a, json!({"room": "Not A Room!"}));
    assert_eq!(r["field"], "room", "{r}");
}

/// Room history needs membership; moderators and admins read any room in
/// every mode.
fn room_access(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut md = srv.account("mod", Role::Moderator);
    let mut admin = srv.account("root", Role::Admin);
    a.ok(json!({"type": "create_room", "room": "den"}));
    let sent = say_n(&mut a, "den", 3, None);
    for req in [
        json!({"type": "history", "room": "den"}),
        json!({"type": "history", "room": "den", "after": sent[0]["id"]}),
        json!({"type": "history", "room": "den", "around": sent[1]["id"]}),
        json!({"type": "history", "room": "den", "since": "2000-01-01T00:00:00Z"}),
    ] {
        bob.err(req.clone(), "not_in_room");
        assert!(!texts(&md.ok(req.clone())).is_empty());
        assert!(!texts(&admin.ok(req)).is_empty());
    }
    bob.err(
        json!({"type": "history", "room": "nowhere", "after": 1}),
        "no_such_room",
    );
    let r = history(
        &mut md,
        json!({"room": "den", "around": sent[1]["id"], "limit": 1}),
    );
    assert_eq!(texts(&r), m(2, 2));
}
