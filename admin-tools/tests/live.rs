//! Live moderation through a running server (`--server HOST:PORT --as
//! ADMIN`): each command checked by its effect on a connected client and by
//! the record the server left; exit 0 done, 1 refused, 2 usage, connection
//! or login failure (docs/protocol.md "Moderation", README
//! "Administration and auditing").

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use modchat::model::{MessageId, Role};
use modchat::store::chat_log;
use serde_json::{json, Value};
use support::{admin, admin_env, live, Backend, TestServer, PASSWORD};

both_backends!(kick_mute_ban, announce_who_delete_filter, exit_codes);

fn last_action(s: &mut TestServer) -> modchat::store::moderation::ActionRow {
    s.actions().pop().expect("a record")
}

/// kick (with and without a room), mute with a duration, unmute, ban,
/// unban: the target sees it at once, and the server keeps the record with
/// the admin as the actor.
fn kick_mute_ban(b: Backend) {
    let mut s = TestServer::start(b);
    let _boss = s.account("boss", Role::Admin);
    let boss_id = s.account_id("boss");
    let mut alice = s.user("alice");
    let mut bob = s.user("bob");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    bob.ok(json!({"type": "join", "room": "lobby"}));

    let out = live(&s, "boss", &["kick", "bob", "--reason", "calm down"]);
    assert_eq!(out.ok().trim(), "kicked bob");
    let ev = bob.event("kicked");
    assert_eq!(
        (ev["by"].as_str(), ev["reason"].as_str()),
        (Some("boss"), Some("calm down"))
    );
    bob.expect_closed();
    let rec = last_action(&mut s);
    assert_eq!(
        (rec.action.as_str(), rec.actor_id, rec.reason.as_deref()),
        ("kick", Some(boss_id), Some("calm down"))
    );

    live(&s, "boss", &["kick", "alice", "--room", "lobby"]).ok();
    let ev = alice.event("kicked");
    assert_eq!(ev["room"], "lobby");
    alice.err(
        json!({"type": "say", "room": "lobby", "text": "x"}),
        "not_in_room",
    );
    alice.ok(json!({"type": "join", "room": "lobby"}));
    assert!(last_action(&mut s).room_id.is_some());

    let mut bob = s.connect();
    bob.login("bob");
    let out = live(
        &s,
        "boss",
        &["mute", "bob", "--duration", "10m", "--reason", "flood"],
    );
    assert!(out.ok().starts_with("muted bob until "), "{}", out.stdout);
    let ev = bob.event("muted");
    assert_eq!(ev["reason"], "flood");
    let until =
        chrono::DateTime::parse_from_rfc3339(ev["until"].as_str().expect("until")).expect("time");
    let left = until
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!((590..=600).contains(&left), "10m is 600 s, {left} left");
    bob.err(
        json!({"type": "say", "room": "lobby", "text": "x"}),
        "muted",
    );
    let rec = last_action(&mut s);
    assert_eq!(
        (rec.action.as_str(), rec.reason.as_deref()),
        ("mute", Some("flood"))
    );
    assert!(rec.until.is_some());

    live(&s, "boss", &["unmute", "bob"]).ok();
    bob.event("unmuted");
    bob.ok(json!({"type": "say", "room": "lobby", "text": "free"}));
    live(&s, "boss", &["unmute", "bob"]).fails(1, "not_muted");

    live(&s, "boss", &["mute", "bob", "--room", "lobby"]).ok();
    assert_eq!(
        bob.event("muted")["until"],
        Value::Null,
        "no duration: until unmuted"
    );
    live(&s, "boss", &["unmute", "bob", "--room", "lobby"]).ok();

    let out = live(
        &s,
        "boss",
        &["ban", "bob", "--duration", "2h", "--reason", "spam"],
    );
    assert!(out.ok().starts_with("banned bob until "), "{}", out.stdout);
    assert_eq!(bob.event("banned")["reason"], "spam");
    bob.expect_closed();
    let mut again = s.connect();
    again.err(
        json!({"type": "login", "username": "bob", "password": PASSWORD}),
        "banned",
    );
    live(&s, "boss", &["unban", "bob"]).ok();
    again.login("bob");
    live(&s, "boss", &["unban", "bob"]).fails(1, "not_banned");
    let actions: Vec<String> = s.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        ["kick", "kick", "mute", "unmute", "mute", "unmute", "ban", "unban"]
    );
}

/// announce, who, delete-message and the word filter.
fn announce_who_delete_filter(b: Backend) {
    let mut s = TestServer::start(b);
    let _boss = s.account("boss", Role::Admin);
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));

    let out = live(&s, "boss", &["announce", "maintenance at noon"]);
    assert!(
        out.ok().starts_with("announced, message "),
        "{}",
        out.stdout
    );
    let ev = alice.event("announcement");
    assert_eq!(
        (ev["from"].as_str(), ev["text"].as_str()),
        (Some("boss"), Some("maintenance at noon"))
    );
    let id = MessageId(ev["id"].as_i64().expect("id"));
    let db = s.store();
    let row = chat_log::find(&mut db.conn().expect("conn"), id)
        .expect("q")
        .expect("logged");
    assert_eq!(
        (row.kind.as_str(), row.text.as_str()),
        ("announcement", "maintenance at noon")
    );

    let who = live(&s, "boss", &["who", "--format", "csv"]);
    let me = alice.local_addr().to_string();
    let rows = who.csv_rows();
    let alice_row = rows
        .iter()
        .find(|r| r.starts_with("alice,"))
        .expect("alice is online");
    assert!(
        alice_row.starts_with(&format!("alice,user,lobby,{me},tcp,")),
        "{alice_row}"
    );
    let only = live(&s, "boss", &["who", "ALICE", "--format", "csv"]);
    assert_eq!(only.csv_rows().len(), 1);
    live(&s, "boss", &["who", "nobody"]).fails(1, "not online");

    let said = alice.ok(json!({"type": "say", "room": "lobby", "text": "oops"}));
    let msg = said["id"].as_i64().expect("id");
    let out = live(&s, "boss", &["delete-message", &msg.to_string()]);
    assert_eq!(out.ok().trim(), format!("deleted message {msg}"));
    let ev = alice.event("message_deleted");
    assert_eq!(
        (ev["id"].as_i64(), ev["by"].as_str()),
        (Some(msg), Some("boss"))
    );
    let row = chat_log::find(&mut db.conn().expect("conn"), MessageId(msg))
        .expect("q")
        .expect("kept");
    assert_eq!(row.deleted_by, Some(s.account_id("boss")));
    assert_eq!(row.text, "oops", "the chat log keeps the text");
    live(&s, "boss", &["delete-message", "999999"]).fails(1, "no_such_message");
    live(&s, "boss", &["delete-message", "abc"]).fails(2, "invalid");

    live(&s, "boss", &["filter", "add", "Darn"]).ok();
    alice.err(
        json!({"type": "say", "room": "lobby", "text": "darn it"}),
        "blocked",
    );
    assert_eq!(live(&s, "boss", &["filter", "list"]).ok(), "darn\n");
    live(&s, "boss", &["filter", "remove", "darn"]).ok();
    alice.ok(json!({"type": "say", "room": "lobby", "text": "darn it"}));
    assert_eq!(live(&s, "boss", &["filter", "list"]).ok(), "");
    let actions: Vec<String> = s.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        [
            "delete_message",
            "filter_add",
            "filter_block",
            "filter_remove"
        ]
    );
}

/// 0 done; 1 refused with the server's code; 2 usage, a bad password, a
/// server that is not there.
fn exit_codes(b: Backend) {
    let mut s = TestServer::start(b);
    let _boss = s.account("boss", Role::Admin);
    let _mo = s.account("mo", Role::Moderator);
    let mut alice = s.user("alice");
    let url = s.db.url.clone();
    let addr = s.addr.to_string();

    // the password from the environment, stdin ignored
    let out = admin_env(
        &url,
        &[
            "--server",
            &addr,
            "--as",
            "boss",
            "mute",
            "alice",
            "--duration",
            "90",
        ],
        "",
        &[("MODCHAT_ADMIN_PASSWORD", PASSWORD)],
    );
    out.ok();
    alice.event("muted");

    live(&s, "mo", &["ban", "boss"]).fails(1, "forbidden");
    live(&s, "alice", &["kick", "mo"]).fails(1, "forbidden");
    live(&s, "boss", &["kick", "ghost"]).fails(1, "no_such_user");
    live(&s, "mo", &["announce", "hi"]).fails(1, "forbidden");

    let wrong = admin_env(
        &url,
        &["--server", &addr, "--as", "boss", "unmute", "alice"],
        "wrong password\n",
        &[],
    );
    wrong.fails(2, "bad_credentials");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = dead.local_addr().expect("addr").to_string();
    drop(dead);
    admin_env(
        &url,
        &["--server", &nowhere, "--as", "boss", "who"],
        "x\n",
        &[],
    )
    .fails(2, "cannot connect");
    admin(&url, &["--server", &addr, "kick", "alice"]).fails(2, "--as");
    admin(&url, &["kick", "alice"]).fails(2, "--server");
    live(&s, "boss", &["mute", "alice", "--duration", "10x"]).fails(2, "--duration");
    live(&s, "boss", &["frobnicate"]).fails(2, "frobnicate");
    // nothing refused left a record; the one mute did
    let actions: Vec<String> = s.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["mute"]);
}
