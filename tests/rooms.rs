//! docs/protocol.md: create_room, join, leave, members, rooms, who; the
//! joined, left, online and offline events; persistent membership.

mod common;

use std::time::{Duration, Instant};

use common::client::{assert_timestamp, room_sans_times, TestClient};
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::{accounts, room_members, rooms};
use serde_json::{json, Value};

both_backends!(
    create_room_basics,
    create_room_refuses_bad_input,
    room_creation_for_moderators_only,
    join_lists_members_and_tells_the_room,
    join_errors_and_capacity,
    leave_tells_the_room_and_stops_delivery,
    membership_persists_across_logins_and_restarts,
    online_and_offline_events,
    members_and_room_counts,
    who_lists_logged_in_accounts,
);

/// `rooms`, asked again (bounded) until `pred` holds for the named room:
/// the counts are updated by the room actors asynchronously.
fn room_entry(c: &mut TestClient, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = c.ok(json!({"type": "rooms"}));
        let entry = r["rooms"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["name"] == name).cloned())
            .unwrap_or(Value::Null);
        if pred(&entry) {
            return entry;
        }
        if Instant::now() >= deadline {
            c.fail(&format!("rooms never showed the expected {name}: {r}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|m| m["name"].as_str().expect("name").to_owned())
        .collect()
}

/// docs/protocol.md: create_room
fn create_room_basics(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let r = a.ok(json!({"type": "create_room", "room": "Lobby"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "lobby", "capacity": 1000, "topic": ""})
    );
    let r = a.ok(json!({"type": "create_room", "room": "small_1-x", "capacity": 5}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "small_1-x", "capacity": 5, "topic": ""})
    );
    a.err(
        json!({"type": "create_room", "room": "LOBBY"}),
        "room_exists",
    );
    // the creator is a member, online
    let r = a.ok(json!({"type": "members", "room": "lobby"}));
    assert_eq!(
        r["members"],
        json!([{"name": "alice", "role": "user", "room_role": "owner", "online": true}])
    );
    a.ok(json!({"type": "say", "room": "lobby", "text": "mine"}));
    let db = srv.store();
    let mut conn = db.conn().expect("conn");
    let stored: Vec<(String, i32, Option<i64>)> = rooms::table
        .order(rooms::name)
        .select((rooms::name, rooms::capacity, rooms::created_by))
        .load(&mut conn)
        .expect("query");
    let alice: i64 = accounts::table
        .filter(accounts::username.eq("alice"))
        .select(accounts::id)
        .first(&mut conn)
        .expect("query");
    assert_eq!(
        stored,
        vec![
            ("lobby".to_owned(), 1000, Some(alice)),
            ("small_1-x".to_owned(), 5, Some(alice)),
        ]
    );
    let members: i64 = room_members::table
        .filter(room_members::account_id.eq(alice))
        .count()
        .get_result(&mut conn)
        .expect("query");
    assert_eq!(members, 2);
}

/// docs/protocol.md: create_room (bad_request)
fn create_room_refuses_bad_input(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let long = "r".repeat(65);
    for room in [json!("a b"), json!(""), json!(long), json!(5), json!("é")] {
        let r = a.err(json!({"type": "create_room", "room": room}), "bad_request");
        assert_eq!(r["field"], "room", "{r}");
    }
    let r = a.err(json!({"type": "create_room"}), "bad_request");
    assert_eq!(r["field"], "room");
    for cap in [json!(0), json!(-1), json!("x"), json!(1.5)] {
        let r = a.err(
            json!({"type": "create_room", "room": "r", "capacity": cap}),
            "bad_request",
        );
        assert_eq!(r["field"], "capacity", "{r}");
    }
    // 64 characters is the longest name; nothing refused was created
    let r = a.ok(json!({"type": "create_room", "room": "r".repeat(64)}));
    assert_eq!(r["room"]["name"], "r".repeat(64));
    let r = a.ok(json!({"type": "rooms"}));
    assert_eq!(names(&r["rooms"]), vec!["r".repeat(64)]);
}

/// docs/protocol.md: create_room (forbidden)
fn room_creation_for_moderators_only(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| c.server.room_creation = "moderators".into());
    let mut u = srv.user("ursula");
    u.err(json!({"type": "create_room", "room": "mine"}), "forbidden");
    let mut m = srv.account("morgan", Role::Moderator);
    let r = m.ok(json!({"type": "create_room", "room": "mine"}));
    assert_eq!(r["room"]["name"], "mine");
    u.ok(json!({"type": "join", "room": "mine"}));
}

/// docs/protocol.md: join; the joined event
fn join_lists_members_and_tells_the_room(b: Backend) {
    let srv = TestServer::start(b);
    let mut z = srv.user("zed");
    let mut bob = srv.user("Bob");
    let mut bob2 = srv.connect();
    bob2.login("bob");
    let mut amy = srv.user("amy");
    z.ok(json!({"type": "create_room", "room": "den"}));
    let r = bob.ok(json!({"type": "join", "room": "DEN"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "den", "capacity": 1000, "topic": "", "unread": 0, "last_read": null})
    );
    assert_eq!(names(&r["members"]), ["Bob", "zed"]);
    let e = z.event("joined");
    assert_eq!(
        e,
        json!({"type": "joined", "room": "den", "user": "Bob", "room_role": "member", "members": 2})
    );
    // the joiner's other session hears of it; the asking one gets the reply
    assert_eq!(bob2.event("joined"), e);
    bob.assert_none("joined to the joining session", |v| v["type"] == "joined");
    let r = amy.ok(json!({"type": "join", "room": "den"}));
    // sorted by name ignoring case, with role and online flag
    assert_eq!(
        r["members"],
        json!([
            {"name": "amy", "role": "user", "room_role": "member", "online": true},
            {"name": "Bob", "role": "user", "room_role": "member", "online": true},
            {"name": "zed", "role": "user", "room_role": "owner", "online": true},
        ])
    );
    for c in [&mut z, &mut bob, &mut bob2] {
        let e = c.event("joined");
        assert_eq!(e["user"], "amy");
        assert_eq!(e["members"], 3);
    }
    amy.assert_none("joined to the joiner", |v| v["type"] == "joined");
}

/// docs/protocol.md: join (no_such_room, room_full, joining again)
fn join_errors_and_capacity(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut carol = srv.user("carol");
    bob.err(json!({"type": "join", "room": "nowhere"}), "no_such_room");
    let r = bob.err(json!({"type": "join", "room": "a b"}), "bad_request");
    assert_eq!(r["field"], "room");
    a.ok(json!({"type": "create_room", "room": "tiny", "capacity": 2}));
    bob.ok(json!({"type": "join", "room": "tiny"}));
    a.event("joined");
    carol.err(json!({"type": "join", "room": "tiny"}), "room_full");
    // joining again is ok, even when full, and tells nobody
    let r = bob.ok(json!({"type": "join", "room": "tiny"}));
    assert_eq!(names(&r["members"]), ["alice", "bob"]);
    a.assert_none("a second joined", |v| v["type"] == "joined");
    a.ok(json!({"type": "join", "room": "tiny"}));
    bob.assert_none("joined", |v| v["type"] == "joined");
    // a seat freed by leave can be taken
    bob.ok(json!({"type": "leave", "room": "tiny"}));
    carol.ok(json!({"type": "join", "room": "tiny"}));
    let r = carol.ok(json!({"type": "members", "room": "tiny"}));
    assert_eq!(names(&r["members"]), ["alice", "carol"]);
}

/// docs/protocol.md: leave; the left event
fn leave_tells_the_room_and_stops_delivery(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut bob2 = srv.connect();
    bob2.login("bob");
    let mut carol = srv.user("carol");
    a.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    carol.ok(json!({"type": "join", "room": "den"}));
    for c in [&mut a, &mut bob, &mut bob2] {
        c.clear();
    }
    bob.ok(json!({"type": "leave", "room": "Den"}));
    let e = json!({"type": "left", "room": "den", "user": "bob", "members": 2, "reason": "left"});
    assert_eq!(a.event("left"), e);
    assert_eq!(carol.event("left"), e);
    assert_eq!(bob2.event("left"), e);
    bob.assert_none("left to the leaving session", |v| v["type"] == "left");
    bob.err(json!({"type": "leave", "room": "den"}), "not_in_room");
    bob.err(json!({"type": "leave", "room": "nowhere"}), "not_in_room");
    bob.err(
        json!({"type": "say", "room": "den", "text": "hi"}),
        "not_in_room",
    );
    bob2.err(
        json!({"type": "say", "room": "den", "text": "hi"}),
        "not_in_room",
    );
    a.ok(json!({"type": "say", "room": "den", "text": "after bob left"}));
    assert_eq!(carol.event("message")["text"], "after bob left");
    for c in [&mut bob, &mut bob2] {
        c.assert_none("messages after leave", |v| v["type"] == "message");
    }
    let r = a.ok(json!({"type": "members", "room": "den"}));
    assert_eq!(names(&r["members"]), ["alice", "carol"]);
}

/// docs/protocol.md: join, leave, login (membership is persistent)
fn membership_persists_across_logins_and_restarts(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    for r in ["r1", "r2", "r3"] {
        a.ok(json!({"type": "create_room", "room": r}));
        bob.ok(json!({"type": "join", "room": r}));
    }
    bob.ok(json!({"type": "create_room", "room": "a0"}));
    bob.ok(json!({"type": "leave", "room": "r2"}));
    bob.ok(json!({"type": "join", "room": "r2"}));
    bob.ok(json!({"type": "leave", "room": "r3"}));
    drop(bob);
    let mut fresh = srv.connect();
    let r = fresh.login("bob");
    assert_eq!(r["rooms"], json!(["a0", "r1", "r2"]));
    a.ok(json!({"type": "say", "room": "r2", "text": "to r2"}));
    a.ok(json!({"type": "say", "room": "r3", "text": "to r3"}));
    let m = fresh.event("message");
    assert_eq!(
        (m["room"].clone(), m["text"].clone()),
        (json!("r2"), json!("to r2"))
    );
    fresh.assert_none("r3 messages", |v| v["room"] == "r3");
    drop((a, fresh));
    srv.restart();
    let mut a = srv.connect();
    a.login("alice");
    let mut bob = srv.connect();
    let r = bob.login("bob");
    assert_eq!(r["rooms"], json!(["a0", "r1", "r2"]));
    let sent = a.ok(json!({"type": "say", "room": "r1", "text": "after restart"}));
    let m = bob.event("message");
    assert_eq!(m["text"], "after restart");
    assert_eq!(m["id"], sent["id"]);
}

/// docs/protocol.md: the online and offline events
fn online_and_offline_events(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    a.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    a.clear();
    drop(bob);
    let e = a.event("offline");
    assert_eq!(
        e,
        json!({"type": "offline", "room": "den", "user": "bob", "online": 1})
    );
    let mut bob1 = srv.connect();
    bob1.login("bob");
    let e = a.event("online");
    assert_eq!(
        e,
        json!({"type": "online", "room": "den", "user": "bob", "online": 2})
    );
    bob1.assert_none("its own online", |v| v["type"] == "online");
    // a second session is not news; nor is the end of one of two
    let mut bob2 = srv.connect();
    bob2.login("bob");
    bob2.ok(json!({"type": "logout"}));
    a.assert_none("online/offline", |v| {
        v["type"] == "online" || v["type"] == "offline"
    });
    // logout of the last session is offline
    bob1.ok(json!({"type": "logout"}));
    let e = a.event("offline");
    assert_eq!(e["online"], 1);
    assert_eq!(e["user"], "bob");
    bob1.assert_none("events after logout", |v| v["type"] == "offline");
}

/// docs/protocol.md: members, rooms
fn members_and_room_counts(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut bob = srv.user("bob");
    a.err(
        json!({"type": "members", "room": "nowhere"}),
        "no_such_room",
    );
    a.ok(json!({"type": "create_room", "room": "zeta"}));
    a.ok(json!({"type": "create_room", "room": "alpha", "capacity": 3}));
    bob.ok(json!({"type": "join", "room": "alpha"}));
    let entry = room_entry(&mut bob, "alpha", |e| e["members"] == 2);
    assert_eq!(
        room_sans_times(&entry),
        json!({"name": "alpha", "members": 2, "online": 2, "capacity": 3, "topic": "",
               "unread": 0, "last_read": null})
    );
    let r = bob.ok(json!({"type": "rooms"}));
    assert_eq!(names(&r["rooms"]), ["alpha", "zeta"]);
    assert_eq!(
        room_sans_times(&r["rooms"][1]),
        json!({"name": "zeta", "members": 1, "online": 1, "capacity": 1000, "topic": ""})
    );
    // members is open to non-members too, and shows who is offline
    let r = bob.ok(json!({"type": "members", "room": "zeta"}));
    assert_eq!(names(&r["members"]), ["alice"]);
    drop(a);
    bob.event("offline");
    let r = bob.ok(json!({"type": "members", "room": "alpha"}));
    assert_eq!(
        r["members"],
        json!([
            {"name": "alice", "role": "user", "room_role": "owner", "online": false},
            {"name": "bob", "role": "user", "room_role": "member", "online": true},
        ])
    );
    room_entry(&mut bob, "alpha", |e| e["members"] == 2 && e["online"] == 1);
    room_entry(&mut bob, "zeta", |e| e["members"] == 1 && e["online"] == 0);
    bob.ok(json!({"type": "leave", "room": "alpha"}));
    room_entry(&mut bob, "alpha", |e| e["members"] == 1 && e["online"] == 0);
}

/// docs/protocol.md: who
fn who_lists_logged_in_accounts(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("alice");
    let mut a2 = srv.connect();
    a2.login("alice");
    let mut bob = srv.user("Bob");
    let gone = srv.user("gone");
    drop(gone);
    let mut out = srv.user("out");
    out.ok(json!({"type": "logout"}));
    let _anon = srv.connect();
    a.ok(json!({"type": "create_room", "room": "zz"}));
    a.ok(json!({"type": "create_room", "room": "aa"}));
    let mut m = srv.account("mod", Role::Moderator);
    // `gone` disconnected: wait (bounded) until the registry has seen it
    let deadline = Instant::now() + Duration::from_secs(5);
    let users = loop {
        let r = bob.ok(json!({"type": "who"}));
        if names(&r["users"]).len() == 3 || Instant::now() >= deadline {
            break r["users"].clone();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        users,
        json!([
            {"name": "alice", "role": "user", "rooms": ["aa", "zz"]},
            {"name": "Bob", "role": "user", "rooms": []},
            {"name": "mod", "role": "moderator", "rooms": []},
        ]),
        "a plain user sees no connections"
    );
    let r = m.ok(json!({"type": "who"}));
    let users = r["users"].as_array().expect("users");
    assert_eq!(names(&r["users"]), ["alice", "Bob", "mod"]);
    let conns = users[0]["connections"].as_array().expect("connections");
    assert_eq!(conns.len(), 2, "{r}");
    let mut addrs: Vec<String> = conns
        .iter()
        .map(|c| c["addr"].as_str().expect("addr").to_owned())
        .collect();
    addrs.sort();
    let mut mine = vec![a.local_addr().to_string(), a2.local_addr().to_string()];
    mine.sort();
    assert_eq!(addrs, mine);
    for u in users {
        for c in u["connections"].as_array().expect("connections") {
            assert_eq!(c["transport"], "tcp");
            assert_timestamp(&c["since"]);
        }
    }
    assert_eq!(
        users[1]["connections"][0]["addr"],
        bob.local_addr().to_string()
    );
}
