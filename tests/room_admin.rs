//! docs/protocol.md: set_topic, set_capacity, delete_room; the
//! topic_changed and room_deleted events; `topic` in create_room, join and
//! rooms; each act one moderation_actions row with the room's id.

mod common;

use std::time::{Duration, Instant};

use common::client::{room_sans_times, TestClient};
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::{Role, RoomId, RoomRole};
use modchat::store::schema::{chat_logs, moderation_actions, mutes, room_members, rooms};
use serde_json::{json, Value};

both_backends!(
    topic_by_owner_op_and_moderator,
    topic_refusals,
    topic_in_create_join_and_rooms,
    capacity_changes,
    delete_room_with_members_online,
    delete_room_refusals,
);

/// The live room's id, from the database.
fn room_id(srv: &mut TestServer, name: &str) -> RoomId {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    rooms::table
        .filter(rooms::name.eq(name))
        .filter(rooms::deleted_at.is_null())
        .select(rooms::id)
        .first(&mut c)
        .expect("room id")
}

/// Makes `user` an op of `room` straight in the database (the act itself,
/// `set_room_role`, is tested elsewhere); roles are read at each act.
fn make_op(srv: &mut TestServer, room: &str, user: &str) {
    let (rid, uid) = (room_id(srv, room), srv.account_id(user));
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    assert!(
        modchat::store::rooms::set_room_role(&mut c, rid, uid, RoomRole::Op).expect("set role")
    );
}

/// The `rooms` entry of `name` once `pred` holds (counts follow the room
/// actors asynchronously), or `Value::Null` when it is not listed.
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

fn topic_changed(c: &mut TestClient, topic: &str) -> Value {
    let t = topic.to_owned();
    c.expect(&format!("topic_changed {topic:?}"), move |v| {
        v["type"] == "topic_changed" && v["topic"] == t.as_str()
    })
}

/// A record as the tests compare it: `(action, actor, room, detail)`.
type Record = (String, Option<i64>, Option<i64>, Option<String>);

/// `(action, actor, room, detail)` of every record of these actions, oldest
/// first, read with SQL.
fn records(srv: &mut TestServer, actions: &[&str]) -> Vec<Record> {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    moderation_actions::table
        .filter(moderation_actions::action.eq_any(actions))
        .order(moderation_actions::id)
        .select((
            moderation_actions::action,
            moderation_actions::actor_id,
            moderation_actions::room_id,
            moderation_actions::detail,
        ))
        .load::<Record>(&mut c)
        .expect("records")
}

/// docs/protocol.md: set_topic (room owner or op, moderator, admin);
/// topic_changed reaches the room's members, setter included.
fn topic_by_owner_op_and_moderator(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut op = srv.user("opal");
    let mut member = srv.user("bob");
    let mut m = srv.account("mod", Role::Moderator);
    let mut admin = srv.account("root", Role::Admin);
    owner.ok(json!({"type": "create_room", "room": "den"}));
    op.ok(json!({"type": "join", "room": "den"}));
    member.ok(json!({"type": "join", "room": "den"}));
    make_op(&mut srv, "den", "opal");

    owner.ok(json!({"type": "set_topic", "room": "den", "topic": "Welcome 👋"}));
    let ev = topic_changed(&mut member, "Welcome 👋");
    assert_eq!(
        ev,
        json!({"type": "topic_changed", "room": "den", "topic": "Welcome 👋", "by": "alice"})
    );
    topic_changed(&mut op, "Welcome 👋");
    topic_changed(&mut owner, "Welcome 👋");

    op.ok(json!({"type": "set_topic", "room": "DEN", "topic": "ops\tsay\nhi"}));
    assert_eq!(topic_changed(&mut member, "ops\tsay\nhi")["by"], "opal");

    // staff who are not members
    m.ok(json!({"type": "set_topic", "room": "den", "topic": "by a moderator"}));
    assert_eq!(topic_changed(&mut member, "by a moderator")["by"], "mod");
    admin.ok(json!({"type": "set_topic", "room": "den", "topic": "by an admin"}));
    assert_eq!(topic_changed(&mut member, "by an admin")["by"], "root");
    m.assert_none("an event of a room it is not in", |v| {
        v["type"] == "topic_changed"
    });

    // exactly 300 characters (not bytes), and "" clears it
    let long = "é".repeat(300);
    owner.ok(json!({"type": "set_topic", "room": "den", "topic": long}));
    topic_changed(&mut member, &long);
    owner.ok(json!({"type": "set_topic", "room": "den", "topic": ""}));
    assert_eq!(topic_changed(&mut member, "")["by"], "alice");

    // stored
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    let stored: String = rooms::table
        .filter(rooms::name.eq("den"))
        .select(rooms::topic)
        .first(&mut c)
        .expect("topic");
    assert_eq!(stored, "");
    drop(c);

    // one record each, with the room and the topic
    let den = room_id(&mut srv, "den").0;
    let (a, o, mo, ad) = (
        srv.account_id("alice").0,
        srv.account_id("opal").0,
        srv.account_id("mod").0,
        srv.account_id("root").0,
    );
    let recs = records(&mut srv, &["set_topic"]);
    let want: Vec<Record> = [
        (a, "Welcome 👋"),
        (o, "ops\tsay\nhi"),
        (mo, "by a moderator"),
        (ad, "by an admin"),
        (a, long.as_str()),
        (a, ""),
    ]
    .into_iter()
    .map(|(by, t)| {
        (
            "set_topic".to_owned(),
            Some(by),
            Some(den),
            Some(t.to_owned()),
        )
    })
    .collect();
    assert_eq!(recs, want);
}

/// docs/protocol.md: set_topic's errors: forbidden to a plain member or a
/// non-member, no_such_room, bad_request naming `topic`; a refusal writes
/// nothing.
fn topic_refusals(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut member = srv.user("bob");
    let mut outsider = srv.user("carol");
    let mut m = srv.account("mod", Role::Moderator);
    owner.ok(json!({"type": "create_room", "room": "den"}));
    member.ok(json!({"type": "join", "room": "den"}));
    member.err(
        json!({"type": "set_topic", "room": "den", "topic": "mine now"}),
        "forbidden",
    );
    outsider.err(
        json!({"type": "set_topic", "room": "den", "topic": "mine now"}),
        "forbidden",
    );
    m.err(
        json!({"type": "set_topic", "room": "nowhere", "topic": "x"}),
        "no_such_room",
    );
    owner.err(
        json!({"type": "set_topic", "room": "nowhere", "topic": "x"}),
        "no_such_room",
    );
    for bad in [
        json!("x".repeat(301)),
        json!("bell\u{7}"),
        json!("cr\rlf"),
        json!("del\u{7f}"),
        json!("   "),
        json!(42),
        Value::Null,
    ] {
        let r = owner.err(
            json!({"type": "set_topic", "room": "den", "topic": bad}),
            "bad_request",
        );
        assert_eq!(r["field"], "topic", "{r}");
    }
    let r = owner.err(
        json!({"type": "set_topic", "room": "no such!", "topic": "x"}),
        "bad_request",
    );
    assert_eq!(r["field"], "room", "{r}");
    member.assert_none("a topic change", |v| v["type"] == "topic_changed");
    assert!(records(&mut srv, &["set_topic"]).is_empty());
}

/// docs/protocol.md: create_room, join and rooms show `topic`.
fn topic_in_create_join_and_rooms(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut bob = srv.user("bob");
    let r = owner.ok(json!({"type": "create_room", "room": "den"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "den", "capacity": 1000, "topic": ""})
    );
    owner.ok(json!({"type": "set_topic", "room": "den", "topic": "Tea at five"}));
    let r = bob.ok(json!({"type": "join", "room": "den"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "den", "capacity": 1000, "topic": "Tea at five",
               "unread": 0, "last_read": null})
    );
    let e = room_entry(&mut bob, "den", |e| e["members"] == 2);
    assert_eq!(e["topic"], "Tea at five");
    assert_eq!(e["capacity"], 1000);
    // kept across a restart
    srv.restart();
    let mut carol = srv.user("carol");
    let r = carol.ok(json!({"type": "join", "room": "den"}));
    assert_eq!(r["room"]["topic"], "Tea at five");
    assert_eq!(
        room_entry(&mut carol, "den", |_| true)["topic"],
        "Tea at five"
    );
}

/// docs/protocol.md: set_capacity: later joins count against the new
/// capacity; members above it stay.
fn capacity_changes(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut carol = srv.user("carol");
    let mut dave = srv.user("dave");
    let mut m = srv.account("mod", Role::Moderator);
    owner.ok(json!({"type": "create_room", "room": "tiny", "capacity": 5}));
    bob.ok(json!({"type": "join", "room": "tiny"}));
    carol.ok(json!({"type": "join", "room": "tiny"}));
    bob.err(
        json!({"type": "set_capacity", "room": "tiny", "capacity": 10}),
        "forbidden",
    );
    for bad in [
        json!(0),
        json!(-1),
        json!("3"),
        json!(2.5),
        json!(2_147_483_648i64),
        Value::Null,
    ] {
        let r = owner.err(
            json!({"type": "set_capacity", "room": "tiny", "capacity": bad}),
            "bad_request",
        );
        assert_eq!(r["field"], "capacity", "{r}");
    }
    m.err(
        json!({"type": "set_capacity", "room": "nowhere", "capacity": 3}),
        "no_such_room",
    );
    // three members; a capacity of 2 keeps them all but lets nobody in
    owner.ok(json!({"type": "set_capacity", "room": "tiny", "capacity": 2}));
    dave.err(json!({"type": "join", "room": "tiny"}), "room_full");
    let r = owner.ok(json!({"type": "members", "room": "tiny"}));
    assert_eq!(r["members"].as_array().map(Vec::len), Some(3), "{r}");
    assert_eq!(
        room_entry(&mut dave, "tiny", |e| e["capacity"] == 2)["members"],
        3
    );
    // a moderator makes room for one more
    m.ok(json!({"type": "set_capacity", "room": "tiny", "capacity": 4}));
    let r = dave.ok(json!({"type": "join", "room": "tiny"}));
    assert_eq!(r["room"]["capacity"], 4);
    // stored, and one record each
    srv.restart();
    let mut eve = srv.user("eve");
    eve.err(json!({"type": "join", "room": "tiny"}), "room_full");
    let tiny = room_id(&mut srv, "tiny").0;
    let (a, mo) = (srv.account_id("alice").0, srv.account_id("mod").0);
    assert_eq!(
        records(&mut srv, &["set_capacity"]),
        [
            (
                "set_capacity".to_owned(),
                Some(a),
                Some(tiny),
                Some("2".to_owned())
            ),
            (
                "set_capacity".to_owned(),
                Some(mo),
                Some(tiny),
                Some("4".to_owned())
            ),
        ]
    );
}

/// docs/protocol.md: delete_room: every member's sessions get
/// room_deleted; the room leaves `rooms`; its name is free again at once
/// (a new room, a new id); the chat log keeps its messages under the old
/// id; its memberships and room mutes are gone.
fn delete_room_with_members_online(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut bob_too = srv.connect();
    bob_too.login("bob");
    let mut carol = srv.user("carol");
    let mut m = srv.account("mod", Role::Moderator);
    owner.ok(json!({"type": "create_room", "room": "den"}));
    owner.ok(json!({"type": "create_room", "room": "other"}));
    bob.ok(json!({"type": "join", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "other"}));
    let said = owner.ok(json!({"type": "say", "room": "den", "text": "before the end"}))["id"]
        .as_i64()
        .expect("id");
    m.ok(json!({"type": "mute", "user": "bob", "room": "den", "duration_s": 600}));
    let old = room_id(&mut srv, "den");

    owner.ok(json!({"type": "delete_room", "room": "den"}));
    let want = json!({"type": "room_deleted", "room": "den", "by": "alice"});
    for c in [&mut owner, &mut bob, &mut bob_too] {
        let ev = c.event("room_deleted");
        assert_eq!(ev, want);
    }
    carol.assert_none("room_deleted of a room it is not in", |v| {
        v["type"] == "room_deleted"
    });
    // gone everywhere at once
    let r = carol.ok(json!({"type": "rooms"}));
    assert!(
        r["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .all(|e| e["name"] != "den"),
        "{r}"
    );
    bob.err(
        json!({"type": "say", "room": "den", "text": "hello?"}),
        "not_in_room",
    );
    bob.err(json!({"type": "history", "room": "den"}), "no_such_room");
    bob.err(json!({"type": "members", "room": "den"}), "no_such_room");
    bob.err(json!({"type": "join", "room": "den"}), "no_such_room");
    m.err(
        json!({"type": "delete_room", "room": "den"}),
        "no_such_room",
    );
    m.err(
        json!({"type": "set_topic", "room": "den", "topic": "x"}),
        "no_such_room",
    );
    // the account's other rooms are untouched; `who` no longer lists it
    bob.ok(json!({"type": "say", "room": "other", "text": "still here"}));
    let who = bob.ok(json!({"type": "who"}));
    let bobs = who["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "bob")
        .cloned()
        .expect("bob in who");
    assert_eq!(bobs["rooms"], json!(["other"]));
    // at the next login too
    let mut again = srv.connect();
    let r = again.login("bob");
    assert_eq!(r["rooms"], json!(["other"]));

    // the name is free: a new room, a new id, no members but its creator
    let r = carol.ok(json!({"type": "create_room", "room": "den"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "den", "capacity": 1000, "topic": ""})
    );
    let new = room_id(&mut srv, "den");
    assert_ne!(new, old);
    let r = bob.ok(json!({"type": "join", "room": "den"}));
    assert_eq!(
        r["members"].as_array().expect("members").len(),
        2,
        "only carol and bob: {r}"
    );
    // bob's mute was the old room's
    bob.ok(json!({"type": "say", "room": "den", "text": "a new start"}));
    let h = bob.ok(json!({"type": "history", "room": "den"}));
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(texts, ["a new start"]);

    // the database: the old row stays, deleted; its chat log stays under
    // its id; its memberships and mutes are gone; one record
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    let deleted: Option<chrono::NaiveDateTime> = rooms::table
        .find(old)
        .select(rooms::deleted_at)
        .first(&mut c)
        .expect("old row");
    assert!(deleted.is_some());
    let logged: Vec<(i64, Option<RoomId>)> = chat_logs::table
        .filter(chat_logs::text.eq("before the end"))
        .select((chat_logs::id, chat_logs::room_id))
        .load(&mut c)
        .expect("chat log");
    assert_eq!(logged, [(said, Some(old))]);
    let members: i64 = room_members::table
        .filter(room_members::room_id.eq(old))
        .count()
        .get_result(&mut c)
        .expect("count");
    assert_eq!(members, 0);
    let muted: i64 = mutes::table
        .filter(mutes::room_id.eq(old))
        .count()
        .get_result(&mut c)
        .expect("count");
    assert_eq!(muted, 0);
    drop(c);
    let a = srv.account_id("alice").0;
    assert_eq!(
        records(&mut srv, &["delete_room"]),
        [("delete_room".to_owned(), Some(a), Some(old.0), None)]
    );

    // after a restart the deleted room stays gone, the new one is there
    srv.restart();
    let mut bob = srv.connect();
    let r = bob.login("bob");
    assert_eq!(r["rooms"], json!(["den", "other"]));
    let h = bob.ok(json!({"type": "history", "room": "den"}));
    assert_eq!(h["messages"].as_array().map(Vec::len), Some(1), "{h}");
}

/// docs/protocol.md: delete_room is the owner's (and staff's): an op or a
/// member gets forbidden; a moderator may delete any room.
fn delete_room_refusals(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut owner = srv.user("alice");
    let mut op = srv.user("opal");
    let mut member = srv.user("bob");
    let mut m = srv.account("mod", Role::Moderator);
    owner.ok(json!({"type": "create_room", "room": "den"}));
    op.ok(json!({"type": "join", "room": "den"}));
    member.ok(json!({"type": "join", "room": "den"}));
    make_op(&mut srv, "den", "opal");
    op.err(json!({"type": "delete_room", "room": "den"}), "forbidden");
    member.err(json!({"type": "delete_room", "room": "den"}), "forbidden");
    m.err(
        json!({"type": "delete_room", "room": "nowhere"}),
        "no_such_room",
    );
    let r = m.err(
        json!({"type": "delete_room", "room": "Not a name"}),
        "bad_request",
    );
    assert_eq!(r["field"], "room", "{r}");
    assert!(records(&mut srv, &["delete_room"]).is_empty());
    // the op may still set the topic; the room is there
    op.ok(json!({"type": "set_topic", "room": "den", "topic": "still here"}));
    topic_changed(&mut member, "still here");
    // a moderator deletes it
    m.ok(json!({"type": "delete_room", "room": "den"}));
    let ev = member.event("room_deleted");
    assert_eq!(ev["by"], "mod");
    op.event("room_deleted");
    owner.event("room_deleted");
    let mo = srv.account_id("mod").0;
    let recs = records(&mut srv, &["delete_room"]);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].1, Some(mo));
}

/// The `rooms` entry of `name` on a client, or `Value::Null`.
fn listed(c: &mut TestClient, name: &str) -> Value {
    let r = c.ok(json!({"type": "rooms"}));
    r["rooms"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

/// Retries `f` for up to ten seconds.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// docs/cluster.md: a topic, a capacity and a deletion made on node 1
/// reach a member on node 2 (events, `rooms`, joins), and the name is free
/// on every node.
#[test]
fn room_changes_reach_every_node() {
    let cl = common::cluster::Cluster::start(2);
    let mut alice = cl.user(0, "alice");
    let mut bob = cl.user(1, "bob");
    let mut carol = cl.user(1, "carol");
    alice.ok(json!({"type": "create_room", "room": "den"}));
    bob.ok(json!({"type": "join", "room": "den"}));

    alice.ok(json!({"type": "set_topic", "room": "den", "topic": "from n1"}));
    assert_eq!(
        topic_changed(&mut bob, "from n1"),
        json!({"type": "topic_changed", "room": "den", "topic": "from n1", "by": "alice"})
    );
    assert_eq!(listed(&mut carol, "den")["topic"], "from n1");

    // a capacity of 2 on node 1 holds on node 2
    alice.ok(json!({"type": "set_capacity", "room": "den", "capacity": 2}));
    assert!(eventually(|| listed(&mut carol, "den")["capacity"] == 2));
    carol.err(json!({"type": "join", "room": "den"}), "room_full");

    // carol joins on node 2, then the room is deleted on node 1
    alice.ok(json!({"type": "set_capacity", "room": "den", "capacity": 3}));
    assert!(eventually(|| listed(&mut carol, "den")["capacity"] == 3));
    carol.ok(json!({"type": "join", "room": "den"}));
    alice.ok(json!({"type": "delete_room", "room": "den"}));
    let want = json!({"type": "room_deleted", "room": "den", "by": "alice"});
    assert_eq!(bob.event("room_deleted"), want);
    assert_eq!(carol.event("room_deleted"), want);
    assert!(eventually(|| listed(&mut bob, "den").is_null()));
    bob.err(
        json!({"type": "say", "room": "den", "text": "x"}),
        "not_in_room",
    );
    // the name is free on node 2 too: a new room, which node 1 joins
    let r = bob.ok(json!({"type": "create_room", "room": "den"}));
    assert_eq!(
        room_sans_times(&r["room"]),
        json!({"name": "den", "capacity": 1000, "topic": ""})
    );
    let r = alice.ok(json!({"type": "join", "room": "den"}));
    assert_eq!(r["members"].as_array().map(Vec::len), Some(2), "{r}");
    let who = alice.ok(json!({"type": "who"}));
    let carols = who["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "carol")
        .cloned()
        .expect("carol in who");
    assert_eq!(carols["rooms"], json!([]), "{who}");
}
