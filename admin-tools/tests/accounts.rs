//! `modchat-admin user list|show|set-role|passwd` against a running server
//! on both backends (docs/auditing.md, README "Administration and
//! auditing").

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use modchat::model::Role;
use serde_json::{json, Value};
use support::{admin, admin_env, Backend, TestServer, PASSWORD};

both_backends!(
    set_role_reaches_running_sessions,
    list_and_show,
    passwd_revokes_tokens,
    passwd_closes_open_sessions
);

/// A console role change is recorded (actor NULL), counts at the very next
/// request of a running session, and reaches its sessions and rooms as
/// `role_changed` with `by: null`.
fn set_role_reaches_running_sessions(b: Backend) {
    let mut s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut bob = s.user("bob");
    let mut carol = s.user("carol");
    bob.ok(json!({"type": "create_room", "room": "lobby"}));
    carol.ok(json!({"type": "join", "room": "lobby"}));
    bob.err(json!({"type": "filter_list"}), "forbidden");
    bob.clear();

    let out = admin(&url, &["user", "set-role", "BOB", "moderator"]);
    assert_eq!(out.ok().trim(), "bob is now moderator (was user)");
    // the very next request: no waiting for any event
    bob.ok(json!({"type": "filter_list"}));
    let who = bob.ok(json!({"type": "who"}));
    assert!(
        who["users"][0]["connections"].is_array(),
        "moderators see connections: {who}"
    );
    let ev = bob.event("role_changed");
    assert_eq!(ev["user"], "bob");
    assert_eq!(ev["role"], "moderator");
    assert_eq!(ev["by"], Value::Null);
    let members = carol.ok(json!({"type": "members", "room": "lobby"}));
    let bob_in_room = members["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "bob").cloned())
        .expect("bob is a member");
    assert_eq!(bob_in_room["role"], "moderator");

    let rec = s.actions().pop().expect("a record");
    assert_eq!(rec.action, "set_role");
    assert_eq!(rec.target_id, Some(s.account_id("bob")));
    assert_eq!(rec.actor_id, None, "the console");
    assert_eq!(rec.detail.as_deref(), Some("moderator"));

    assert!(admin(&url, &["user", "set-role", "bob", "user"])
        .ok()
        .contains("is now user"));
    bob.err(json!({"type": "filter_list"}), "forbidden");
    let who = bob.ok(json!({"type": "who"}));
    assert!(who["users"][0].get("connections").is_none(), "{who}");

    assert!(admin(&url, &["user", "set-role", "bob", "user"])
        .ok()
        .contains("already user"));
    admin(&url, &["user", "set-role", "nobody", "admin"]).fails(1, "no user nobody");
    admin(&url, &["user", "set-role", "bob", "king"]).fails(1, "unknown role");
    admin(&url, &["user", "set-role", "bob"]).fails(2, "ROLE");
    assert_eq!(s.actions().len(), 2, "refusals and no-ops write no record");
}

/// `user list` and `user show`: roles, last login, sanctions in force and
/// counts, in every format.
fn list_and_show(b: Backend) {
    let mut s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut boss = s.account("boss", Role::Admin);
    let mut alice = s.user("alice");
    let mut bob = s.user("bob");
    let never = "never1";
    admin_env(&url, &["user", "add", never], "long enough\n", &[]).ok();
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    bob.ok(json!({"type": "join", "room": "lobby"}));
    bob.ok(json!({"type": "say", "room": "lobby", "text": "one"}));
    bob.ok(json!({"type": "say", "room": "lobby", "text": "two"}));
    bob.ok(json!({"type": "whisper", "to": "alice", "text": "psst"}));
    let mut wrong = s.connect();
    wrong.err(
        json!({"type": "login", "username": "bob", "password": "wrong password"}),
        "bad_credentials",
    );
    boss.ok(json!({"type": "mute", "user": "bob", "room": "lobby", "duration_s": 600, "reason": "spam"}));

    let list = admin(&url, &["user", "list", "--format", "csv"]);
    let rows: Vec<Vec<String>> = list
        .csv_rows()
        .iter()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("alice", "user"),
            ("bob", "user"),
            ("boss", "admin"),
            ("never1", "user")
        ]
    );
    assert!(list
        .stdout
        .starts_with("name,role,created_at,last_login\r\n"));
    assert!(
        rows[1][3].ends_with('Z'),
        "bob has logged in: {:?}",
        rows[1]
    );
    assert_eq!(rows[3][3], "", "never1 never logged in");
    let admins = admin(
        &url,
        &["user", "list", "--role", "admin", "--format", "csv"],
    );
    assert_eq!(admins.csv_rows().len(), 1);
    admin(&url, &["user", "list", "--role", "boss"]).fails(1, "unknown role");

    let shown: Value =
        serde_json::from_str(admin(&url, &["user", "show", "Bob", "--format", "jsonl"]).ok())
            .expect("one JSON line");
    assert_eq!(shown["name"], "bob");
    assert_eq!(shown["role"], "user");
    assert_eq!(shown["rooms"], "lobby");
    assert_eq!(
        (shown["messages"].as_i64(), shown["whispers"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (shown["logins"].as_i64(), shown["failed_logins"].as_i64()),
        (Some(1), Some(1))
    );
    let muted = shown["muted"].as_str().expect("muted");
    assert!(
        muted.starts_with("in lobby until ") && muted.ends_with("(spam)"),
        "{muted}"
    );
    assert_eq!(shown["banned"], "");
    common::client::assert_timestamp(&shown["last_login"]);

    let card = admin(&url, &["user", "show", "never1"]);
    let card = card.ok();
    assert!(card.contains("last_login:    never"), "{card}");
    assert!(card.contains("role:          user"), "{card}");
    admin(&url, &["user", "show", "ghost"]).fails(1, "no user ghost");
}

/// `user passwd`: the new password from stdin; every token of the account
/// is revoked, so no old session can be resumed.
fn passwd_revokes_tokens(b: Backend) {
    let s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut bob = s.user("bob");
    let token = bob.login_token();

    let out = admin_env(&url, &["user", "passwd", "bob"], "a new password\n", &[]);
    assert!(
        out.ok().contains("2 session token(s) revoked"),
        "{}",
        out.stdout
    );
    let mut c = s.connect();
    c.err(json!({"type": "resume", "token": token}), "bad_token");
    c.err(
        json!({"type": "login", "username": "bob", "password": PASSWORD}),
        "bad_credentials",
    );
    c.ok(json!({"type": "login", "username": "bob", "password": "a new password"}));

    admin_env(&url, &["user", "passwd", "bob"], "short\n", &[]).fails(1, "password");
    admin_env(&url, &["user", "passwd", "ghost"], "long enough\n", &[]).fails(1, "no user ghost");
    let mut again = s.connect();
    again.ok(json!({"type": "login", "username": "bob", "password": "a new password"}));
}

/// `user passwd` on a running server: within 2 s every session of the
/// account gets `kicked {by: null, reason: "password changed"}` and is
/// closed, its token no longer resumes, and the change is a `set_password`
/// record with no actor (the console). Other accounts are untouched.
fn passwd_closes_open_sessions(b: Backend) {
    let mut s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut bob = s.user("bob");
    let token = bob.login_token();
    let mut bob2 = s.connect(); // a second session of the same account
    bob2.login("bob");
    let mut carol = s.user("carol");
    bob.ok(json!({"type": "create_room", "room": "lobby"}));
    carol.ok(json!({"type": "join", "room": "lobby"}));
    bob.clear();

    admin_env(&url, &["user", "passwd", "bob"], "a new password\n", &[]).ok();
    let changed = std::time::Instant::now();
    for c in [&mut bob, &mut bob2] {
        let ev = c.event("kicked");
        assert_eq!(ev["by"], Value::Null);
        assert_eq!(ev["reason"], "password changed");
        c.expect_closed();
    }
    let took = changed.elapsed();
    assert!(
        took < std::time::Duration::from_secs(2),
        "closed after {took:?}"
    );

    let mut c = s.connect();
    c.err(json!({"type": "resume", "token": token}), "bad_token");
    c.ok(json!({"type": "login", "username": "bob", "password": "a new password"}));
    carol.ok(json!({"type": "say", "room": "lobby", "text": "still here"}));

    let rec = s.actions().pop().expect("a record");
    assert_eq!(rec.action, "set_password");
    assert_eq!(rec.target_id, Some(s.account_id("bob")));
    assert_eq!(rec.actor_id, None, "the console");
    // the new session is not closed by the record it came after
    c.ok(json!({"type": "ping"}));
}
