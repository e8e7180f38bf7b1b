//! docs/protocol.md: mark_read, the read event, and rooms' topic, unread
//! and last_read; the read_markers table.

mod common;

use common::client::{room_sans_times, TestClient};
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::{AccountId, Role, RoomId};
use modchat::store::chat_log::{self, Kind, MysqlIds, NewChatLog};
use modchat::store::schema::{read_markers, rooms};
use serde_json::{json, Value};

both_backends!(
    read_reaches_the_other_sessions_only,
    markers_never_move_backwards,
    unread_counts_in_rooms,
    markers_survive_a_reconnect_and_a_restart,
    whisper_conversation_markers,
    refusals,
    unread_is_capped,
    many_rooms_in_one_page,
    conversations_list_whisper_partners,
);

/// (account_id, room_id, peer_id, last_read_id) of every read marker.
type MarkerRow = (i64, Option<i64>, Option<i64>, i64);

fn markers(srv: &mut TestServer) -> Vec<MarkerRow> {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    read_markers::table
        .order(read_markers::id)
        .select((
            read_markers::account_id,
            read_markers::room_id,
            read_markers::peer_id,
            read_markers::last_read_id,
        ))
        .load(&mut c)
        .expect("read_markers")
}

fn room_id(srv: &mut TestServer, name: &str) -> RoomId {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    rooms::table
        .filter(rooms::name.eq(name))
        .filter(rooms::deleted_at.is_null())
        .select(rooms::id)
        .first(&mut c)
        .expect("room")
}

/// A second session of an account already registered.
fn second_session(srv: &TestServer, name: &str) -> TestClient {
    let mut c = srv.connect();
    c.login(name);
    c
}

fn say(c: &mut TestClient, room: &str, text: &str) -> i64 {
    c.ok(json!({"type": "say", "room": room, "text": text}))["id"]
        .as_i64()
        .expect("id")
}

fn mark(c: &mut TestClient, room: &str, id: i64) {
    c.ok(json!({"type": "mark_read", "room": room, "message_id": id}));
}

/// The caller's `rooms` entry of `name`.
fn entry(c: &mut TestClient, name: &str) -> Value {
    let r = c.ok(json!({"type": "rooms"}));
    r["rooms"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name).cloned())
        .unwrap_or_else(|| c.fail(&format!("no room {name} in {r}")))
}

/// (unread, last_read) of the caller's entry of `name`.
fn unread(c: &mut TestClient, name: &str) -> (Value, Value) {
    let e = entry(c, name);
    (e["unread"].clone(), e["last_read"].clone())
}

/// docs/protocol.md: mark_read, read
fn read_reaches_the_other_sessions_only(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a1 = srv.user("alice");
    let mut a2 = second_session(&srv, "alice");
    let mut bob = srv.user("bob");
    a1.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let m1 = say(&mut bob, "den", "one");
    let m2 = say(&mut bob, "den", "two");
    a1.clear();
    a2.clear();
    mark(&mut a1, "den", m2);
    let r = a2.event("read");
    assert_eq!(r, json!({"type": "read", "room": "den", "id": m2}));
    // the session that marked has its ok, not the event; bob hears nothing
    a1.assert_none("read", |v| v["type"] == "read");
    bob.assert_none("read", |v| v["type"] == "read");
    // either session may mark: the other one hears it
    let m3 = say(&mut bob, "den", "three");
    mark(&mut a2, "den", m3);
    assert_eq!(
        a1.event("read"),
        json!({"type": "read", "room": "den", "id": m3})
    );
    a2.assert_none("read", |v| v["type"] == "read");
    let alice = srv.account_id("alice").0;
    let den = room_id(&mut srv, "den").0;
    assert_eq!(markers(&mut srv), vec![(alice, Some(den), None, m3)]);
    let _ = m1;
}

/// docs/protocol.md: mark_read (never moves backwards)
fn markers_never_move_backwards(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a1 = srv.user("alice");
    let mut a2 = second_session(&srv, "alice");
    let mut bob = srv.user("bob");
    a1.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let ids: Vec<i64> = (0..4)
        .map(|i| say(&mut bob, "den", &format!("m{i}")))
        .collect();
    mark(&mut a1, "den", ids[2]);
    assert_eq!(a2.event("read")["id"], ids[2]);
    // lower and equal ids are ok, change nothing and send nothing
    mark(&mut a1, "den", ids[0]);
    mark(&mut a1, "den", ids[2]);
    assert_eq!(unread(&mut a1, "den"), (json!(1), json!(ids[2])));
    // the next read the other session hears is the next forward move
    mark(&mut a1, "den", ids[3]);
    assert_eq!(a2.event("read")["id"], ids[3]);
    a2.assert_none("read", |v| v["type"] == "read");
    let alice = srv.account_id("alice").0;
    let den = room_id(&mut srv, "den").0;
    assert_eq!(markers(&mut srv), vec![(alice, Some(den), None, ids[3])]);
    // a position, not a reference: an id past the newest is taken as is
    mark(&mut a1, "den", ids[3] + 1000);
    assert_eq!(unread(&mut a1, "den"), (json!(0), json!(ids[3] + 1000)));
}

/// docs/protocol.md: rooms (unread, last_read)
fn unread_counts_in_rooms(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut modr = srv.account("mod", Role::Moderator);
    alice.ok(json!({"type": "create_room", "room": "den"}));
    alice.ok(json!({"type": "create_room", "room": "other"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    // never marked: everything by others since joining
    assert_eq!(unread(&mut alice, "den"), (json!(0), Value::Null));
    let b1 = say(&mut bob, "den", "b1");
    say(&mut alice, "den", "mine");
    let b2 = say(&mut bob, "den", "b2");
    let b3 = say(&mut bob, "den", "b3");
    // alice's own message does not count
    assert_eq!(unread(&mut alice, "den"), (json!(3), Value::Null));
    // bob: alice's one message since he joined
    assert_eq!(unread(&mut bob, "den"), (json!(1), Value::Null));
    // a room the caller is not in has no counts; one it is in with
    // nothing new has 0
    let e = entry(&mut bob, "other");
    assert_eq!(
        room_sans_times(&e),
        json!({"name": "other", "members": 1, "online": 1, "capacity": 1000, "topic": ""})
    );
    assert_eq!(unread(&mut alice, "other"), (json!(0), Value::Null));
    // a deleted message does not count
    modr.ok(json!({"type": "delete_message", "message_id": b2}));
    assert_eq!(unread(&mut alice, "den"), (json!(2), Value::Null));
    mark(&mut alice, "den", b1);
    assert_eq!(unread(&mut alice, "den"), (json!(1), json!(b1)));
    mark(&mut alice, "den", b3);
    assert_eq!(unread(&mut alice, "den"), (json!(0), json!(b3)));
    let b4 = say(&mut bob, "den", "b4");
    say(&mut alice, "den", "mine again");
    assert_eq!(unread(&mut alice, "den"), (json!(1), json!(b3)));
    // the whole entry
    let e = entry(&mut alice, "den");
    assert_eq!(
        room_sans_times(&e),
        json!({"name": "den", "members": 2, "online": 2, "capacity": 1000, "topic": "",
               "unread": 1, "last_read": b3})
    );
    let _ = b4;
}

/// docs/protocol.md: rooms (unread survives a reload)
fn markers_survive_a_reconnect_and_a_restart(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    alice.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let ids: Vec<i64> = (0..5)
        .map(|i| say(&mut bob, "den", &format!("m{i}")))
        .collect();
    mark(&mut alice, "den", ids[1]);
    drop(alice);
    let mut alice = second_session(&srv, "alice");
    assert_eq!(unread(&mut alice, "den"), (json!(3), json!(ids[1])));
    drop(alice);
    drop(bob);
    srv.restart();
    let mut alice = second_session(&srv, "alice");
    assert_eq!(unread(&mut alice, "den"), (json!(3), json!(ids[1])));
    mark(&mut alice, "den", ids[4]);
    assert_eq!(unread(&mut alice, "den"), (json!(0), json!(ids[4])));
}

/// docs/protocol.md: mark_read with
fn whisper_conversation_markers(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a1 = srv.user("alice");
    let mut a2 = second_session(&srv, "alice");
    let mut bob = srv.user("Bob");
    let mut whisper = |text: &str| {
        bob.ok(json!({"type": "whisper", "to": "alice", "text": text}))["id"]
            .as_i64()
            .expect("id")
    };
    let w0 = whisper("hey");
    let w = whisper("psst");
    a1.clear();
    a2.clear();
    // any letter case; the event names the account as registered
    a1.ok(json!({"type": "mark_read", "with": "BOB", "message_id": w}));
    assert_eq!(
        a2.event("read"),
        json!({"type": "read", "with": "Bob", "id": w})
    );
    a1.assert_none("read", |v| v["type"] == "read");
    // never backwards
    a2.ok(json!({"type": "mark_read", "with": "bob", "message_id": w0}));
    a1.assert_none("read", |v| v["type"] == "read");
    // the conversation's marker is bob's own for his side
    bob.ok(json!({"type": "mark_read", "with": "alice", "message_id": w}));
    let (alice, bob_id) = (srv.account_id("alice").0, srv.account_id("bob").0);
    assert_eq!(
        markers(&mut srv),
        vec![
            (alice, None, Some(bob_id), w),
            (bob_id, None, Some(alice), w)
        ]
    );
    // an offline peer is fine: a conversation outlives a connection
    drop(bob);
    a1.ok(json!({"type": "mark_read", "with": "bob", "message_id": w + 1}));
    assert_eq!(a2.event("read")["id"], w + 1);
}

/// docs/protocol.md: conversations
fn conversations_list_whisper_partners(b: Backend) {
    let srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("Bob");
    let mut carol = srv.user("carol");
    let mut dave = srv.user("dave");
    // a room message is no conversation
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    alice.ok(json!({"type": "say", "room": "lobby", "text": "hello room"}));
    assert_eq!(
        alice.ok(json!({"type": "conversations"}))["conversations"],
        json!([])
    );
    let whisper = |from: &mut TestClient, to: &str, text: &str| {
        from.ok(json!({"type": "whisper", "to": to, "text": text}))["id"]
            .as_i64()
            .expect("id")
    };
    let b1 = whisper(&mut bob, "alice", "one");
    let b2 = whisper(&mut bob, "alice", "two");
    let _b3 = whisper(&mut bob, "alice", "three");
    let c1 = whisper(&mut alice, "carol", "sent by alice only");
    let d1 = whisper(&mut dave, "alice", "from dave");
    // bob's whisper after dave's puts bob first again
    let a1 = whisper(&mut alice, "bob", "reply");
    alice.ok(json!({"type": "mark_read", "with": "bob", "message_id": b2}));
    let list = alice.ok(json!({"type": "conversations"}))["conversations"].clone();
    let strip = |l: &Value| -> Vec<Value> {
        l.as_array()
            .expect("list")
            .iter()
            .map(|c| {
                assert!(
                    c["last_at"].as_str().is_some_and(|t| t.ends_with('Z')),
                    "{c}"
                );
                json!([c["with"], c["last_id"], c["unread"], c["last_read"]])
            })
            .collect()
    };
    assert_eq!(
        strip(&list),
        vec![
            json!(["Bob", a1, 1, b2]),
            json!(["dave", d1, 1, null]),
            json!(["carol", c1, 0, null]),
        ],
        "{list}"
    );
    assert!(b1 < b2);
    // limit, and bob's own view of the same conversation
    let one = alice.ok(json!({"type": "conversations", "limit": 1}))["conversations"].clone();
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    let bobs = bob.ok(json!({"type": "conversations"}))["conversations"].clone();
    assert_eq!(strip(&bobs), vec![json!(["alice", a1, 1, null])]);
    let bad = carol.request(json!({"type": "conversations", "limit": 0}));
    assert_eq!(bad["code"], "bad_request", "{bad}");
}

/// docs/protocol.md: mark_read (errors)
fn refusals(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "create_room", "room": "bobs"}));
    let req = |f: Value| {
        let mut r = json!({"type": "mark_read", "message_id": 1});
        for (k, v) in f.as_object().expect("fields") {
            r[k] = v.clone();
        }
        r
    };
    alice.err(req(json!({"room": "bobs"})), "not_in_room");
    // a room that does not exist is one alice is not in
    alice.err(req(json!({"room": "nowhere"})), "not_in_room");
    alice.err(req(json!({"with": "nobody"})), "no_such_user");
    alice.err(req(json!({"with": "not a name!"})), "no_such_user");
    let r = alice.err(req(json!({"room": "bobs", "with": "bob"})), "bad_request");
    assert_eq!(r["fields"], json!(["room", "with"]), "{r}");
    let r = alice.err(req(json!({})), "bad_request");
    assert_eq!(r["field"], "room", "{r}");
    let r = alice.err(req(json!({"with": "alice"})), "bad_request");
    assert_eq!(r["field"], "with", "{r}");
    let r = alice.err(req(json!({"room": "bad name"})), "bad_request");
    assert_eq!(r["field"], "room", "{r}");
    for id in [json!(0), json!(-5), json!("7"), json!(1.5), Value::Null] {
        let r = alice.err(
            json!({"type": "mark_read", "with": "bob", "message_id": id}),
            "bad_request",
        );
        assert_eq!(r["field"], "message_id", "{r}");
    }
    let mut anon = srv.connect();
    anon.err(req(json!({"with": "bob"})), "not_logged_in");
    assert!(markers(&mut srv).is_empty(), "refusals store nothing");
}

/// Messages straight into the chat log, as the writer stores them.
fn insert_messages(srv: &mut TestServer, room: RoomId, from: (AccountId, &str), n: usize) {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    let rows: Vec<NewChatLog> = (0..n)
        .map(|i| NewChatLog {
            kind: Kind::Message.as_str(),
            room_id: Some(room),
            sender_id: Some(from.0),
            sender_name: from.1.to_owned(),
            recipient_id: None,
            text: format!("m{i}"),
            action: false,
            at: modchat::store::now(),
        })
        .collect();
    chat_log::insert_batch(&mut c, &rows, MysqlIds::OneByOne).expect("insert");
}

/// docs/protocol.md: rooms (unread: 1000 means "1000 or more")
fn unread_is_capped(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    alice.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let first = say(&mut bob, "den", "first");
    let den = room_id(&mut srv, "den");
    let bob_id = srv.account_id("bob");
    insert_messages(&mut srv, den, (bob_id, "bob"), 1004);
    assert_eq!(unread(&mut alice, "den"), (json!(1000), Value::Null));
    mark(&mut alice, "den", first);
    assert_eq!(unread(&mut alice, "den"), (json!(1000), json!(first)));
    // 1004 after `first`: marking four further leaves exactly 1000
    mark(&mut alice, "den", first + 4);
    assert_eq!(unread(&mut alice, "den"), (json!(1000), json!(first + 4)));
    mark(&mut alice, "den", first + 5);
    assert_eq!(unread(&mut alice, "den"), (json!(999), json!(first + 5)));
}

/// docs/protocol.md: rooms (a page of many rooms, each with its own
/// counts)
fn many_rooms_in_one_page(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    // a moderator: no cap on the rooms it creates
    let mut bob = srv.account("bob", Role::Moderator);
    let bob_id = srv.account_id("bob");
    // more rooms than one counting statement takes
    let n = 120;
    for i in 0..n {
        let name = format!("r{i:03}");
        bob.ok(json!({"type": "create_room", "room": name}));
        if i % 4 != 3 {
            alice.ok(json!({"type": "join", "room": name}));
        }
    }
    for i in 0..n {
        let name = format!("r{i:03}");
        let id = room_id(&mut srv, &name);
        insert_messages(&mut srv, id, (bob_id, "bob"), i % 5);
    }
    for i in (0..n).step_by(7) {
        if i % 4 != 3 && i % 5 > 0 {
            // read all but the newest
            let id = room_id(&mut srv, &format!("r{i:03}"));
            let db = srv.store();
            let mut c = db.conn().expect("conn");
            let newest = chat_log::room_newest(&mut c, id).expect("newest");
            mark(&mut alice, &format!("r{i:03}"), newest.0 - 1);
        }
    }
    let r = alice.ok(json!({"type": "rooms"}));
    let page = r["rooms"].as_array().expect("rooms");
    assert_eq!(page.len(), n);
    for (i, e) in page.iter().enumerate() {
        assert_eq!(e["name"], format!("r{i:03}"));
        assert_eq!(e["topic"], "");
        if i % 4 == 3 {
            assert!(
                e.get("unread").is_none() && e.get("last_read").is_none(),
                "{e}"
            );
            continue;
        }
        let marked = i % 7 == 0 && i % 5 > 0;
        let want = if marked { 1 } else { i % 5 };
        assert_eq!(e["unread"], want, "{e}");
        assert_eq!(e["last_read"].is_null(), !marked, "{e}");
    }
}

/// docs/cluster.md: a read marker set on one node reaches the account's
/// session on another (`read`), and `rooms` there shows it.
#[test]
fn read_markers_reach_every_node() {
    let cl = common::cluster::Cluster::start(2);
    let mut alice = cl.user(0, "alice");
    let mut alice2 = cl.login(1, "alice");
    let mut bob = cl.user(1, "bob");
    alice.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    let ids: Vec<Value> = (0..3)
        .map(|i| {
            bob.ok(json!({"type": "say", "room": "den", "text": format!("m{i}")}))["id"].clone()
        })
        .collect();
    alice.ok(json!({"type": "mark_read", "room": "den", "message_id": ids[1]}));
    let read = alice2.expect("read of den", |v| v["type"] == "read" && v["room"] == "den");
    assert_eq!(read, json!({"type": "read", "room": "den", "id": ids[1]}));
    let rooms = alice2.ok(json!({"type": "rooms"}));
    let den = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["name"] == "den")
        .expect("den listed")
        .clone();
    assert_eq!(
        (&den["last_read"], &den["unread"]),
        (&ids[1], &json!(1)),
        "{den}"
    );
    // a whisper conversation's marker, set on node 2, reaches node 1
    let w = bob.ok(json!({"type": "whisper", "to": "alice", "text": "psst"}));
    alice2.ok(json!({"type": "mark_read", "with": "bob", "message_id": w["id"]}));
    let read = alice.expect("read of bob", |v| v["type"] == "read" && v["with"] == "bob");
    assert_eq!(read, json!({"type": "read", "with": "bob", "id": w["id"]}));
}
