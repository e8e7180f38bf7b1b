//! docs/protocol.md: Moderation — delete_message, modlog, set_role,
//! announce, the word filter, flood control; and the audit query.

mod common;

use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::{AccountId, Role};
use modchat::store::schema::{chat_logs, login_events};
use serde_json::json;

both_backends!(
    delete_message_hides_text,
    modlog_filters_and_pages,
    set_role_takes_effect_at_once,
    announce_reaches_everyone,
    word_filter_blocks_and_auto_mutes,
    flood_control,
    login_attempts_limited_per_address,
    one_query_answers_who_did_what,
);

/// docs/protocol.md: delete_message
fn delete_message_hides_text(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut a = srv.account("boss", Role::Admin);
    let mut u = srv.user("poster");
    u.ok(json!({"type": "create_room", "room": "r"}));
    m.ok(json!({"type": "join", "room": "r"}));
    a.ok(json!({"type": "join", "room": "r"}));
    let id = u.ok(json!({"type": "say", "room": "r", "text": "regrettable"}))["id"]
        .as_i64()
        .unwrap();
    let keep = u.ok(json!({"type": "say", "room": "r", "text": "fine"}))["id"]
        .as_i64()
        .unwrap();
    let boss_msg = a.ok(json!({"type": "say", "room": "r", "text": "boss says"}))["id"]
        .as_i64()
        .unwrap();
    m.ok(json!({"type": "delete_message", "message_id": id}));
    for c in [&mut u, &mut a] {
        assert_eq!(
            c.event("message_deleted"),
            json!({"type": "message_deleted", "room": "r", "id": id, "by": "mod"})
        );
    }
    let h = u.ok(json!({"type": "history", "room": "r"}));
    let msgs = h["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["id"], id);
    assert_eq!(msgs[0]["text"], json!(null));
    assert_eq!(msgs[0]["deleted"], true);
    assert_eq!(msgs[1]["id"], keep);
    assert_eq!(msgs[1]["text"], "fine");
    // the chat log keeps the original
    let db = srv.store();
    let (text, by, at): (String, Option<AccountId>, Option<chrono::NaiveDateTime>) =
        chat_logs::table
            .find(id)
            .select((
                chat_logs::text,
                chat_logs::deleted_by,
                chat_logs::deleted_at,
            ))
            .first(&mut db.conn().unwrap())
            .unwrap();
    assert_eq!(text, "regrettable");
    assert_eq!(by, Some(srv.account_id("mod")));
    assert!(at.is_some());
    m.err(
        json!({"type": "delete_message", "message_id": 999_999}),
        "no_such_message",
    );
    m.err(
        json!({"type": "delete_message", "message_id": boss_msg}),
        "forbidden",
    );
    let w = u.ok(json!({"type": "whisper", "to": "mod", "text": "psst"}))["id"]
        .as_i64()
        .unwrap();
    m.err(
        json!({"type": "delete_message", "message_id": w}),
        "no_such_message",
    );
    let r = m.err(json!({"type": "delete_message"}), "bad_request");
    assert_eq!(r["field"], "message_id");
    let acts = srv.actions();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].action, "delete_message");
    assert_eq!(
        acts[0].target_id,
        Some(srv.account_id("poster")),
        "the target is the author"
    );
    assert_eq!(acts[0].detail.as_deref(), Some(id.to_string().as_str()));
}

/// docs/protocol.md: modlog
fn modlog_filters_and_pages(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let _x = srv.user("x");
    let _y = srv.user("y");
    m.ok(json!({"type": "create_room", "room": "r"}));
    m.ok(json!({"type": "mute", "user": "x", "reason": "one", "duration_s": 60}));
    m.ok(json!({"type": "mute", "user": "y", "room": "r"}));
    m.ok(json!({"type": "unmute", "user": "x"}));
    m.ok(json!({"type": "kick", "user": "y", "reason": "two"}));
    let all = m.ok(json!({"type": "modlog"}))["entries"].clone();
    let actions: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["kick", "unmute", "mute", "mute"], "newest first");
    let e = &all[3];
    assert_eq!(e["target"], "x");
    assert_eq!(e["by"], "mod");
    assert_eq!(e["room"], json!(null));
    assert_eq!(e["reason"], "one");
    assert!(e["until"].is_string() && e["at"].is_string());
    assert_eq!(all[2]["room"], "r");
    let xs = m.ok(json!({"type": "modlog", "user": "X"}))["entries"].clone();
    assert_eq!(xs.as_array().unwrap().len(), 2);
    let mutes = m.ok(json!({"type": "modlog", "action": "mute"}))["entries"].clone();
    assert_eq!(mutes.as_array().unwrap().len(), 2);
    let page = m.ok(json!({"type": "modlog", "limit": 2}))["entries"].clone();
    assert_eq!(page.as_array().unwrap().len(), 2);
    let before = page[1]["id"].clone();
    let rest = m.ok(json!({"type": "modlog", "limit": 2, "before": before}))["entries"].clone();
    assert_eq!(rest[0]["action"], "mute");
    assert_eq!(rest.as_array().unwrap().len(), 2);
    let r = m.err(json!({"type": "modlog", "limit": 201}), "bad_request");
    assert_eq!(r["field"], "limit");
    assert_eq!(
        m.ok(json!({"type": "modlog", "user": "nobody"}))["entries"],
        json!([])
    );
}

/// docs/protocol.md: set_role
fn set_role_takes_effect_at_once(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.account("root", Role::Admin);
    let mut p = srv.user("promoted");
    let mut p2 = srv.connect();
    p2.login("promoted");
    let _v = srv.user("victim");
    p.ok(json!({"type": "create_room", "room": "r"}));
    p.err(json!({"type": "mute", "user": "victim"}), "forbidden");
    a.ok(json!({"type": "set_role", "user": "promoted", "role": "moderator"}));
    for c in [&mut p, &mut p2] {
        assert_eq!(
            c.event("role_changed"),
            json!({"type": "role_changed", "user": "promoted", "role": "moderator", "by": "root"})
        );
    }
    p.ok(json!({"type": "mute", "user": "victim"}));
    let members = p.ok(json!({"type": "members", "room": "r"}))["members"].clone();
    assert_eq!(members[0]["role"], "moderator");
    let r = a.err(
        json!({"type": "set_role", "user": "promoted", "role": "king"}),
        "bad_request",
    );
    assert_eq!(r["field"], "role");
    a.err(
        json!({"type": "set_role", "user": "root", "role": "user"}),
        "forbidden",
    );
    a.ok(json!({"type": "set_role", "user": "promoted", "role": "user"}));
    p.event("role_changed");
    p.err(json!({"type": "unmute", "user": "victim"}), "forbidden");
    // an offline member's rooms show the new role too
    let mut o = srv.user("offline");
    o.ok(json!({"type": "join", "room": "r"}));
    o.ok(json!({"type": "logout"}));
    a.ok(json!({"type": "set_role", "user": "offline", "role": "moderator"}));
    let members = a.ok(json!({"type": "members", "room": "r"}))["members"].clone();
    let off = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "offline")
        .unwrap()
        .clone();
    assert_eq!(
        (off["role"].as_str(), off["online"].as_bool()),
        (Some("moderator"), Some(false))
    );
    let acts: Vec<_> = srv
        .actions()
        .into_iter()
        .filter(|a| a.action == "set_role")
        .map(|a| a.detail)
        .collect();
    assert_eq!(
        acts,
        [
            Some("moderator".to_owned()),
            Some("user".to_owned()),
            Some("moderator".to_owned())
        ]
    );
}

/// docs/protocol.md: announce
fn announce_reaches_everyone(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.account("root", Role::Admin);
    let mut u = srv.user("roomless");
    let mut anon = srv.connect();
    let r = a.ok(json!({"type": "announce", "text": "maintenance at noon"}));
    let id = r["id"].as_i64().unwrap();
    for c in [&mut u, &mut a] {
        let e = c.event("announcement");
        assert_eq!(e["id"], id);
        assert_eq!(e["from"], "root");
        assert_eq!(e["text"], "maintenance at noon");
        assert_eq!(e["at"], r["at"]);
    }
    anon.assert_none("announcement before login", |v| v["type"] == "announcement");
    let db = srv.store();
    let (kind, room): (String, Option<i64>) = chat_logs::table
        .find(id)
        .select((chat_logs::kind, chat_logs::room_id))
        .first(&mut db.conn().unwrap())
        .unwrap();
    assert_eq!((kind.as_str(), room), ("announcement", None));
    let r = a.err(json!({"type": "announce", "text": " "}), "bad_request");
    assert_eq!(r["field"], "text");
}

/// docs/protocol.md: Word filter
fn word_filter_blocks_and_auto_mutes(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.account("root", Role::Admin);
    let mut u = srv.user("potty");
    let mut l = srv.user("listener");
    u.ok(json!({"type": "create_room", "room": "r"}));
    l.ok(json!({"type": "join", "room": "r"}));
    a.ok(json!({"type": "filter_add", "word": "Darn"}));
    a.ok(json!({"type": "filter_add", "word": "darn"}));
    assert_eq!(
        a.ok(json!({"type": "filter_list"}))["words"],
        json!(["darn"])
    );
    u.ok(json!({"type": "say", "room": "r", "text": "darning socks"}));
    let count = |srv: &mut TestServer| -> i64 {
        let db = srv.store();
        chat_logs::table
            .count()
            .get_result(&mut db.conn().unwrap())
            .unwrap()
    };
    let before = count(&mut srv);
    // blocked {strikes_left}: the blocks left before the automatic mute
    let e = u.err(
        json!({"type": "say", "room": "r", "text": "oh DARN it"}),
        "blocked",
    );
    assert_eq!(e["strikes_left"], 2, "{e}");
    let e = u.err(
        json!({"type": "whisper", "to": "listener", "text": "ｄａｒｎ"}),
        "blocked",
    );
    assert_eq!(e["strikes_left"], 1, "{e}");
    assert_eq!(count(&mut srv), before, "blocked texts are not logged");
    l.assert_none("a blocked message", |v| {
        v["type"] == "message" && v["text"] != "darning socks"
    });
    // a whisper to nobody is refused for that, before the filter: no strike
    u.err(
        json!({"type": "whisper", "to": "nobody", "text": "darn"}),
        "no_such_user",
    );
    let e = u.err(
        json!({"type": "say", "room": "r", "text": "darn!"}),
        "blocked",
    );
    assert_eq!(e["strikes_left"], 0, "{e}");
    let e = u.event("muted");
    assert_eq!(e["by"], json!(null));
    assert!(e["until"].is_string());
    u.err(
        json!({"type": "say", "room": "r", "text": "clean"}),
        "muted",
    );
    a.ok(json!({"type": "filter_remove", "word": "DARN"}));
    assert_eq!(a.ok(json!({"type": "filter_list"}))["words"], json!([]));
    let acts: Vec<_> = srv
        .actions()
        .into_iter()
        .map(|a| (a.action, a.actor_id.is_none()))
        .collect();
    let names: Vec<&str> = acts.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "filter_add",
            "filter_block",
            "filter_block",
            "filter_block",
            "auto_mute",
            "filter_remove"
        ]
    );
    assert!(
        acts[1..5].iter().all(|(_, system)| *system),
        "blocks and the auto mute are by the system"
    );
    let r = a.err(json!({"type": "filter_add", "word": "!!"}), "bad_request");
    assert_eq!(r["field"], "word");
}

/// docs/protocol.md: Flood control
fn flood_control(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.limits.say_burst = 3;
        c.limits.say_per_s = 1.0;
    });
    let mut u = srv.user("fast");
    let mut l = srv.user("reader");
    u.ok(json!({"type": "create_room", "room": "r"}));
    l.ok(json!({"type": "join", "room": "r"}));
    for i in 0..3 {
        u.ok(json!({"type": "say", "room": "r", "text": format!("m{i}")}));
    }
    let e = u.err(
        json!({"type": "say", "room": "r", "text": "too many"}),
        "rate_limited",
    );
    let wait = e["retry_after_ms"].as_u64().unwrap();
    assert!(wait > 0 && wait <= 1000, "{wait}");
    u.err(
        json!({"type": "whisper", "to": "reader", "text": "also"}),
        "rate_limited",
    );
    l.assert_none("a rate-limited text", |v| {
        v["text"] == "too many" || v["text"] == "also"
    });
    let db = srv.store();
    let n: i64 = chat_logs::table
        .count()
        .get_result(&mut db.conn().unwrap())
        .unwrap();
    assert_eq!(n, 3);
    std::thread::sleep(std::time::Duration::from_millis(wait + 50));
    u.ok(json!({"type": "say", "room": "r", "text": "later"}));
}

/// docs/protocol.md: Flood control (logins)
fn login_attempts_limited_per_address(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| c.limits.login_failures_per_min = 3);
    let _u = srv.user("target");
    let mut c = srv.connect();
    for _ in 0..3 {
        c.err(
            json!({"type": "login", "username": "target", "password": "guess1234"}),
            "bad_credentials",
        );
    }
    let e = c.err(
        json!({"type": "login", "username": "target", "password": common::server::PASSWORD}),
        "rate_limited",
    );
    assert!(e["retry_after_ms"].as_u64().unwrap() > 50_000);
    let db = srv.store();
    let reasons: Vec<Option<String>> = login_events::table
        .order(login_events::id)
        .select(login_events::reason)
        .load(&mut db.conn().unwrap())
        .unwrap();
    assert_eq!(reasons.last().unwrap().as_deref(), Some("rate_limited"));
}

#[derive(QueryableByName, Debug)]
struct Audit {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    target: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    actor: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    room: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    reason: Option<String>,
}

/// "Who did what to whom, when and why": one SQL query, same on both backends.
fn one_query_answers_who_did_what(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let _t = srv.user("t");
    m.ok(json!({"type": "create_room", "room": "r"}));
    m.ok(json!({"type": "mute", "user": "t", "room": "r", "reason": "why not", "duration_s": 60}));
    m.ok(json!({"type": "ban", "user": "t", "reason": "enough"}));
    let db = srv.store();
    let rows: Vec<Audit> = diesel::sql_query(
        "SELECT ma.action AS action, t.username AS target, a.username AS actor, r.name AS room, \
                ma.reason AS reason \
         FROM moderation_actions ma \
         LEFT JOIN accounts t ON t.id = ma.target_id \
         LEFT JOIN accounts a ON a.id = ma.actor_id \
         LEFT JOIN rooms r ON r.id = ma.room_id \
         ORDER BY ma.at, ma.id",
    )
    .load(&mut *db.conn().unwrap())
    .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (
            rows[0].action.as_str(),
            rows[0].target.as_deref(),
            rows[0].actor.as_deref(),
            rows[0].room.as_deref(),
            rows[0].reason.as_deref()
        ),
        ("mute", Some("t"), Some("mod"), Some("r"), Some("why not"))
    );
    assert_eq!(
        (rows[1].action.as_str(), rows[1].room.as_deref()),
        ("ban", None)
    );
}
