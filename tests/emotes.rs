//! Emotes (`/me waves`): `action` on `say` and `whisper`, stored in
//! `chat_logs.action`, carried by every event and by history.

mod common;

use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::store::schema::chat_logs;
use serde_json::{json, Value};

both_backends!(emote_in_a_room, emote_whisper, action_must_be_a_boolean);

fn stored_action(srv: &mut TestServer, id: &Value) -> bool {
    let db = srv.store();
    chat_logs::table
        .find(id.as_i64().expect("message id"))
        .select(chat_logs::action)
        .first(&mut db.conn().expect("conn"))
        .expect("query")
}

fn log_count(srv: &mut TestServer) -> i64 {
    let db = srv.store();
    chat_logs::table
        .count()
        .get_result(&mut db.conn().expect("conn"))
        .expect("query")
}

fn emote_in_a_room(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    bob.ok(json!({"type": "join", "room": "hall"}));
    alice.clear();

    let waved = alice.ok(json!({"type": "say", "room": "hall", "text": "waves", "action": true}));
    let ev = bob.event("message");
    assert_eq!(ev["action"], json!(true), "{ev}");
    assert_eq!(ev["text"], json!("waves"));
    assert_eq!(ev["id"], waved["id"]);
    assert!(stored_action(&mut srv, &waved["id"]));

    // a plain message says so too, with `action: false`
    let plain = alice.ok(json!({"type": "say", "room": "hall", "text": "hello", "action": false}));
    assert_eq!(bob.event("message")["action"], json!(false));
    assert!(!stored_action(&mut srv, &plain["id"]));
    let default = alice.ok(json!({"type": "say", "room": "hall", "text": "again"}));
    assert_eq!(bob.event("message")["action"], json!(false));
    assert!(!stored_action(&mut srv, &default["id"]));

    // history keeps the flag
    let h = bob.ok(json!({"type": "history", "room": "hall"}));
    let actions: Vec<(Value, Value)> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["text"].clone(), m["action"].clone()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (json!("waves"), json!(true)),
            (json!("hello"), json!(false)),
            (json!("again"), json!(false)),
        ]
    );
}

fn emote_whisper(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    let sent = alice.ok(json!({"type": "whisper", "to": "bob", "text": "nods", "action": true}));
    let ev = bob.event("whisper");
    assert_eq!(ev["action"], json!(true), "{ev}");
    assert_eq!(ev["from"], json!("alice"));
    assert!(stored_action(&mut srv, &sent["id"]));
}

fn action_must_be_a_boolean(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let _bob = srv.user("bob");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let before = log_count(&mut srv);
    let e = alice.err(
        json!({"type": "say", "room": "hall", "text": "waves", "action": "yes"}),
        "bad_request",
    );
    assert!(e["message"].as_str().unwrap().contains("action"), "{e}");
    alice.err(
        json!({"type": "whisper", "to": "bob", "text": "waves", "action": 1}),
        "bad_request",
    );
    assert_eq!(log_count(&mut srv), before, "nothing refused is logged");
}
