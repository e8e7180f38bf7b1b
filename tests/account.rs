//! docs/protocol.md: register, login, resume, logout, rename; the login
//! audit trail.

mod common;

use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::store::schema::{daily_logins, login_events};
use serde_json::json;

both_backends!(
    register_and_login,
    bad_credentials_same_for_unknown_and_wrong,
    username_rules,
    registration_closed,
    login_state_checks,
    resume_and_logout,
    resume_survives_restart,
    tokens_expire,
    several_sessions_per_account,
    rename_tells_co_members,
);

fn register_and_login(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut c = srv.connect();
    let r = c.ok(json!({"type": "register", "username": "Alice", "password": "password1"}));
    assert_eq!(r["user"], json!({"name": "Alice", "role": "user"}));
    assert_eq!(r["for"], "register");
    // register does not log in
    c.err(json!({"type": "rooms"}), "not_logged_in");
    let r = c.ok(json!({"type": "login", "username": "alice", "password": "password1"}));
    assert_eq!(r["user"]["name"], "Alice", "name as registered");
    assert_eq!(r["rooms"], json!([]));
    assert_eq!(r["token"].as_str().map(str::len), Some(64));
    let exp = chrono::DateTime::parse_from_rfc3339(r["expires_at"].as_str().unwrap()).unwrap();
    let left = exp.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!(
        (3590..=3600).contains(&left),
        "expires in an hour, got {left}s"
    );
    assert!(r["expires_at"].as_str().unwrap().ends_with('Z'));
    // every attempt in login_events, the success counted in daily_logins
    let db = srv.store();
    let mut conn = db.conn().unwrap();
    let rows: Vec<(String, bool, Option<String>)> = login_events::table
        .select((
            login_events::username,
            login_events::success,
            login_events::reason,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        vec![("alice".to_owned(), true, Some("login".to_owned()))]
    );
    let mut d = srv.connect();
    d.login("ALICE");
    let n: Vec<i32> = daily_logins::table
        .select(daily_logins::logins)
        .load(&mut conn)
        .unwrap();
    assert_eq!(n, vec![2]);
}

fn bad_credentials_same_for_unknown_and_wrong(b: Backend) {
    let mut srv = TestServer::start(b);
    let _a = srv.user("bob");
    let mut c = srv.connect();
    let wrong = c.err(
        json!({"type": "login", "username": "bob", "password": "wrongpass"}),
        "bad_credentials",
    );
    let unknown = c.err(
        json!({"type": "login", "username": "nobody", "password": "wrongpass"}),
        "bad_credentials",
    );
    assert_eq!(wrong["message"], unknown["message"]);
    c.err(
        json!({"type": "login", "username": "bob", "password": "x".repeat(100)}),
        "bad_credentials",
    );
    let db = srv.store();
    let mut conn = db.conn().unwrap();
    let failures: Vec<(Option<i64>, String, String, Option<String>)> = login_events::table
        .filter(login_events::success.eq(false))
        .order(login_events::id)
        .select((
            login_events::account_id,
            login_events::username,
            login_events::ip,
            login_events::reason,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(failures.len(), 3);
    assert!(failures[0].0.is_some(), "wrong password names the account");
    assert_eq!(failures[1].0, None, "unknown user has no account id");
    assert_eq!(failures[1].1, "nobody");
    assert_eq!(failures[1].2, "127.0.0.1");
    assert_eq!(failures[1].3.as_deref(), Some("bad_credentials"));
}

fn username_rules(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    c.ok(json!({"type": "register", "username": "Carol", "password": "password1"}));
    c.err(
        json!({"type": "register", "username": "carol", "password": "password1"}),
        "username_taken",
    );
    for (name, pw, field) in [
        ("bad name", "password1", "username"),
        ("", "password1", "username"),
        (&"x".repeat(33) as &str, "password1", "username"),
        ("dave", "short", "password"),
        ("dave", &"p".repeat(73) as &str, "password"),
    ] {
        let r = c.err(
            json!({"type": "register", "username": name, "password": pw}),
            "bad_request",
        );
        assert_eq!(r["field"], field, "{r}");
    }
    let r = c.err(
        json!({"type": "register", "username": 5, "password": "password1"}),
        "bad_request",
    );
    assert_eq!(r["field"], "username");
    let r = c.err(
        json!({"type": "register", "username": "dave"}),
        "bad_request",
    );
    assert_eq!(r["field"], "password");
    c.ok(json!({"type": "register", "username": "d.a-v_e9", "password": "p".repeat(72)}));
}

fn registration_closed(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.auth.open_registration = false);
    let mut c = srv.connect();
    c.err(
        json!({"type": "register", "username": "eve", "password": "password1"}),
        "registration_closed",
    );
}

fn login_state_checks(b: Backend) {
    let srv = TestServer::start(b);
    let mut c = srv.connect();
    for t in [
        "rooms", "say", "join", "who", "logout", "whisper", "history",
    ] {
        c.err(
            json!({"type": t, "room": "x", "text": "hi", "user": "x"}),
            "not_logged_in",
        );
    }
    c.err(json!({"type": "frobnicate"}), "unknown_command");
    c.ok(json!({"type": "ping"}));
    c.ok(json!({"type": "version"}));
    c.ok(json!({"type": "register", "username": "fay", "password": "password1"}));
    c.login("fay");
    c.err(
        json!({"type": "login", "username": "fay", "password": "password1"}),
        "already_logged_in",
    );
    c.err(json!({"type": "resume", "token": "x"}), "already_logged_in");
}

fn resume_and_logout(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("gus");
    a.ok(json!({"type": "create_room", "room": "den"}));
    let token = a.login_token();
    let mut a2 = srv.connect();
    let r = a2.ok(json!({"type": "resume", "token": token}));
    assert_eq!(r["user"]["name"], "gus");
    assert_eq!(r["token"], token.as_str());
    assert_eq!(r["rooms"], json!(["den"]));
    a2.ok(json!({"type": "rooms"}));
    a2.ok(json!({"type": "logout"}));
    a2.err(json!({"type": "rooms"}), "not_logged_in");
    // the other session is untouched; the revoked token is gone
    a.ok(json!({"type": "rooms"}));
    let mut a3 = srv.connect();
    a3.err(json!({"type": "resume", "token": token}), "bad_token");
    a3.err(json!({"type": "resume", "token": "garbage"}), "bad_token");
    let db = srv.store();
    let reasons: Vec<Option<String>> = login_events::table
        .order(login_events::id)
        .select(login_events::reason)
        .load(&mut db.conn().unwrap())
        .unwrap();
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.as_deref() == Some("resume"))
            .count(),
        1
    );
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.as_deref() == Some("bad_token"))
            .count(),
        2
    );
}

fn resume_survives_restart(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.user("hana");
    let token = a.login_token();
    drop(a);
    srv.restart();
    let mut c = srv.connect();
    let r = c.ok(json!({"type": "resume", "token": token}));
    assert_eq!(r["user"]["name"], "hana");
}

fn tokens_expire(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.auth.token_ttl_s = 1);
    let mut a = srv.user("ivan");
    let token = a.login_token();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut c = srv.connect();
    c.err(json!({"type": "resume", "token": token}), "bad_token");
}

fn several_sessions_per_account(b: Backend) {
    let srv = TestServer::start(b);
    let mut a1 = srv.user("jo");
    let mut a2 = srv.connect();
    a2.login("jo");
    a1.ok(json!({"type": "create_room", "room": "r1"}));
    let mut k = srv.user("kim");
    k.ok(json!({"type": "join", "room": "r1"}));
    a1.event("joined");
    a2.event("joined");
    k.ok(json!({"type": "say", "room": "r1", "text": "hi jo"}));
    for c in [&mut a1, &mut a2] {
        let m = c.event("message");
        assert_eq!(m["text"], "hi jo");
    }
}

fn rename_tells_co_members(b: Backend) {
    let srv = TestServer::start(b);
    let mut a = srv.user("lea");
    let mut a2 = srv.connect();
    a2.login("lea");
    let mut m = srv.user("max");
    let mut outsider = srv.user("ned");
    a.ok(json!({"type": "create_room", "room": "r"}));
    m.ok(json!({"type": "join", "room": "r"}));
    let r = a.ok(json!({"type": "rename", "username": "Leah"}));
    assert_eq!(r["user"]["name"], "Leah");
    for c in [&mut a2, &mut m] {
        let e = c.event("renamed");
        assert_eq!(e["old"], "lea");
        assert_eq!(e["new"], "Leah");
    }
    outsider.assert_none("renamed", |v| v["type"] == "renamed");
    a.assert_none("renamed to the renamer", |v| v["type"] == "renamed");
    m.err(
        json!({"type": "rename", "username": "LEAH"}),
        "username_taken",
    );
    let r = m.err(
        json!({"type": "rename", "username": "no spaces"}),
        "bad_request",
    );
    assert_eq!(r["field"], "username");
    // messages now come from the new name, to the other session too
    a.ok(json!({"type": "say", "room": "r", "text": "new name"}));
    assert_eq!(m.event("message")["from"], "Leah");
    a2.ok(json!({"type": "say", "room": "r", "text": "from 2"}));
    assert_eq!(m.event("message")["from"], "Leah");
    let mut again = srv.connect();
    again.login("leah");
}
