//! docs/protocol.md: Moderation — roles, kick, mute, ban; each action on the
//! record exactly once.

mod common;

use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::json;

both_backends!(
    privilege_matrix,
    kick_everywhere,
    kick_from_room,
    room_mute_and_global_mute,
    mute_expires_by_itself,
    timed_sanctions_end_in_order,
    mute_and_ban_survive_restart,
    ban_and_unban,
);

/// docs/protocol.md: Moderation (rank)
fn privilege_matrix(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut admin = srv.account("root", Role::Admin);
    let _admin2 = srv.account("root2", Role::Admin);
    let mut m = srv.account("mod", Role::Moderator);
    let _m2 = srv.account("mod2", Role::Moderator);
    let mut u = srv.user("user1");
    let _u2 = srv.user("user2");
    let mute = |t: &str| json!({"type": "mute", "user": t, "duration_s": 60});
    for t in ["root", "mod", "user2", "user1"] {
        u.err(mute(t), "forbidden");
    }
    for t in ["root", "mod2", "mod"] {
        m.err(mute(t), "forbidden");
    }
    admin.err(mute("root"), "forbidden");
    for (who, cmd) in [
        (
            "mod",
            json!({"type": "set_role", "user": "user2", "role": "moderator"}),
        ),
        ("mod", json!({"type": "announce", "text": "hi"})),
        ("mod", json!({"type": "filter_add", "word": "x"})),
        ("user", json!({"type": "filter_list"})),
        ("user", json!({"type": "modlog"})),
    ] {
        let c = if who == "mod" { &mut m } else { &mut u };
        c.err(cmd, "forbidden");
    }
    m.err(mute("nobody"), "no_such_user");
    // what is allowed
    m.ok(mute("user2"));
    admin.ok(mute("mod2"));
    admin.ok(mute("root2"));
    m.ok(json!({"type": "filter_list"}));
    let acts = srv.actions();
    assert_eq!(acts.len(), 3, "refusals leave no record: {acts:?}");
    assert!(acts.iter().all(|a| a.action == "mute"));
}

/// docs/protocol.md: kick
fn kick_everywhere(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("troll");
    let mut other = srv.user("other");
    other.ok(json!({"type": "create_room", "room": "r"}));
    t.ok(json!({"type": "join", "room": "r"}));
    other.event("joined");
    m.ok(json!({"type": "kick", "user": "troll", "reason": "spam"}));
    let k = t.event("kicked");
    assert_eq!(k["by"], "mod");
    assert_eq!(k["reason"], "spam");
    t.expect_closed();
    let l = other.event("left");
    assert_eq!(
        l,
        json!({"type": "left", "room": "r", "user": "troll", "members": 2, "reason": "kicked", "by": "mod"})
    );
    // memberships stay
    let mut again = srv.connect();
    assert_eq!(again.login("troll")["rooms"], json!(["r"]));
    drop(again);
    let mut gone = srv.user("gone");
    gone.ok(json!({"type": "logout"}));
    m.err(json!({"type": "kick", "user": "gone"}), "user_offline");
    let acts = srv.actions();
    assert_eq!(acts.len(), 1);
    let troll = srv.account_id("troll");
    let mod_id = srv.account_id("mod");
    assert_eq!(
        (acts[0].action.as_str(), acts[0].target_id, acts[0].actor_id),
        ("kick", Some(troll), Some(mod_id))
    );
    assert_eq!(acts[0].reason.as_deref(), Some("spam"));
    assert_eq!(acts[0].room_id, None);
}

/// docs/protocol.md: kick (with room)
fn kick_from_room(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("troll");
    let mut other = srv.user("other");
    other.ok(json!({"type": "create_room", "room": "r"}));
    t.ok(json!({"type": "join", "room": "r"}));
    other.event("joined");
    m.ok(json!({"type": "kick", "user": "troll", "room": "r", "reason": "off topic"}));
    let k = t.event("kicked");
    assert_eq!(k["room"], "r");
    assert_eq!(k["reason"], "off topic");
    let l = other.event("left");
    assert_eq!(l["reason"], "kicked");
    assert_eq!(l["by"], "mod");
    assert_eq!(l["members"], 1);
    // still connected, no longer a member, may join again
    t.err(
        json!({"type": "say", "room": "r", "text": "hi"}),
        "not_in_room",
    );
    m.err(
        json!({"type": "kick", "user": "troll", "room": "r"}),
        "not_in_room",
    );
    m.err(
        json!({"type": "kick", "user": "troll", "room": "nowhere"}),
        "not_in_room",
    );
    t.ok(json!({"type": "join", "room": "r"}));
    let acts = srv.actions();
    assert_eq!(acts.len(), 1);
    assert!(acts[0].room_id.is_some());
}

/// docs/protocol.md: mute, unmute
fn room_mute_and_global_mute(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("loud");
    let _f = srv.user("friend");
    t.ok(json!({"type": "create_room", "room": "a"}));
    t.ok(json!({"type": "create_room", "room": "b"}));
    let r = m.ok(json!({"type": "mute", "user": "loud", "room": "a", "reason": "calm down"}));
    assert_eq!(r["until"], json!(null));
    let e = t.event("muted");
    assert_eq!(
        e,
        json!({"type": "muted", "by": "mod", "until": null, "reason": "calm down", "room": "a"})
    );
    let err = t.err(json!({"type": "say", "room": "a", "text": "x"}), "muted");
    assert_eq!(err["reason"], "calm down");
    assert_eq!(err["until"], json!(null));
    assert_eq!(err["room"], "a", "a room mute says its room: {err}");
    t.ok(json!({"type": "say", "room": "b", "text": "fine here"}));
    t.ok(json!({"type": "whisper", "to": "friend", "text": "and here"}));
    m.err(json!({"type": "unmute", "user": "loud"}), "not_muted");
    let r = m.ok(json!({"type": "mute", "user": "loud", "duration_s": 3600}));
    assert!(r["until"].as_str().is_some_and(|u| u.ends_with('Z')));
    t.event("muted");
    let err = t.err(json!({"type": "say", "room": "b", "text": "x"}), "muted");
    assert_eq!(err["room"], json!(null), "a global mute: {err}");
    t.err(
        json!({"type": "whisper", "to": "friend", "text": "x"}),
        "muted",
    );
    m.ok(json!({"type": "unmute", "user": "loud"}));
    assert_eq!(
        t.event("unmuted"),
        json!({"type": "unmuted", "by": "mod", "room": null})
    );
    t.ok(json!({"type": "say", "room": "b", "text": "free"}));
    t.err(json!({"type": "say", "room": "a", "text": "x"}), "muted");
    m.ok(json!({"type": "unmute", "user": "loud", "room": "a"}));
    t.ok(json!({"type": "say", "room": "a", "text": "free too"}));
    m.err(
        json!({"type": "unmute", "user": "loud", "room": "a"}),
        "not_muted",
    );
    m.err(
        json!({"type": "mute", "user": "loud", "room": "nope"}),
        "no_such_room",
    );
    let r = m.err(
        json!({"type": "mute", "user": "loud", "duration_s": 0}),
        "bad_request",
    );
    assert_eq!(r["field"], "duration_s");
    let acts: Vec<_> = srv
        .actions()
        .into_iter()
        .map(|a| (a.action, a.room_id.is_some(), a.until.is_some()))
        .collect();
    assert_eq!(
        acts,
        vec![
            ("mute".to_owned(), true, false),
            ("mute".to_owned(), false, true),
            ("unmute".to_owned(), false, false),
            ("unmute".to_owned(), true, false),
        ]
    );
}

/// docs/protocol.md: mute (ends by itself)
fn mute_expires_by_itself(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("brief");
    t.ok(json!({"type": "create_room", "room": "a"}));
    m.ok(json!({"type": "mute", "user": "brief", "duration_s": 2}));
    t.event("muted");
    t.err(json!({"type": "say", "room": "a", "text": "x"}), "muted");
    let started = std::time::Instant::now();
    let e = t.event("unmuted");
    assert_eq!(e["by"], json!(null));
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    t.ok(json!({"type": "say", "room": "a", "text": "back"}));
}

/// Timed mutes and bans end in the order of their ends, whatever order
/// they came in (the server keeps one timer for the earliest); a mute
/// made longer is not ended by its first end.
fn timed_sanctions_end_in_order(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut late = srv.user("late");
    let mut soon = srv.user("soon");
    let mut longer = srv.user("longer");
    let _banned = srv.user("banned");
    m.ok(json!({"type": "mute", "user": "late", "duration_s": 3}));
    m.ok(json!({"type": "mute", "user": "longer", "duration_s": 1}));
    m.ok(json!({"type": "mute", "user": "longer", "duration_s": 600}));
    // a later, shorter one: its end comes first
    m.ok(json!({"type": "mute", "user": "soon", "duration_s": 1}));
    m.ok(json!({"type": "ban", "user": "banned", "duration_s": 1}));
    let started = std::time::Instant::now();
    soon.event("unmuted");
    let first = started.elapsed();
    assert!(first < std::time::Duration::from_millis(2500), "{first:?}");
    late.event("unmuted");
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    // the ban's end (1 s) is long past
    let mut again = srv.connect();
    again.login("banned");
    longer.assert_none("the first of two mutes ending", |v| v["type"] == "unmuted");
    longer.err(
        json!({"type": "whisper", "to": "late", "text": "x"}),
        "muted",
    );
}

/// docs/protocol.md: mute, ban (survive restarts)
fn mute_and_ban_survive_restart(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("muted1");
    t.ok(json!({"type": "create_room", "room": "a"}));
    let _b = srv.user("banned1");
    m.ok(json!({"type": "mute", "user": "muted1", "reason": "r1"}));
    m.ok(json!({"type": "mute", "user": "muted1", "room": "a", "duration_s": 3600}));
    m.ok(json!({"type": "ban", "user": "banned1", "reason": "r2", "duration_s": 3600}));
    drop((m, t));
    srv.restart();
    let mut t = srv.connect();
    t.login("muted1");
    let e = t.err(json!({"type": "say", "room": "a", "text": "x"}), "muted");
    assert_eq!(e["reason"], "r1");
    let mut bb = srv.connect();
    let e = bb.err(
        json!({"type": "login", "username": "banned1", "password": common::server::PASSWORD}),
        "banned",
    );
    assert_eq!(e["reason"], "r2");
    assert!(e["until"].is_string());
    let mut m = srv.connect();
    m.login("mod");
    m.ok(json!({"type": "unmute", "user": "muted1"}));
    t.err(json!({"type": "say", "room": "a", "text": "x"}), "muted");
    m.ok(json!({"type": "unmute", "user": "muted1", "room": "a"}));
    t.ok(json!({"type": "say", "room": "a", "text": "x"}));
    m.ok(json!({"type": "unban", "user": "banned1"}));
    bb.login("banned1");
}

/// docs/protocol.md: ban, unban
fn ban_and_unban(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut t = srv.user("bad");
    let token = t.login_token();
    let mut t2 = srv.connect();
    t2.login("bad");
    let r = m.ok(json!({"type": "ban", "user": "bad", "reason": "abuse"}));
    assert_eq!(r["until"], json!(null));
    for c in [&mut t, &mut t2] {
        assert_eq!(
            c.event("banned"),
            json!({"type": "banned", "by": "mod", "until": null, "reason": "abuse"})
        );
        c.expect_closed();
    }
    let mut c = srv.connect();
    let e = c.err(
        json!({"type": "login", "username": "bad", "password": common::server::PASSWORD}),
        "banned",
    );
    assert_eq!(e["until"], json!(null));
    assert_eq!(e["reason"], "abuse");
    c.err(json!({"type": "resume", "token": token}), "banned");
    m.ok(json!({"type": "unban", "user": "bad"}));
    m.err(json!({"type": "unban", "user": "bad"}), "not_banned");
    c.ok(json!({"type": "resume", "token": token}));
    // a timed ban ends by itself
    let mut t3 = srv.user("brief");
    m.ok(json!({"type": "ban", "user": "brief", "duration_s": 1}));
    t3.event("banned");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    srv.connect().login("brief");
    let acts: Vec<_> = srv.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(acts, ["ban", "unban", "ban"]);
}
