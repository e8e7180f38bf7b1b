//! ../shared/PROTOCOL.md "Moderation": room roles (owner > op > member),
//! `set_room_role`, what an owner or op may do in their room (kick, mute,
//! ban with `room`, delete_message, modlog with `room`), every rank refusal,
//! room bans (expiry, restart, unban), and the `moderation_actions` rows
//! with the room's id. Real sockets, both backends; one cluster test.

mod common;

use common::client::TestClient;
use common::{Backend, TestServer};
use modchat::model::{AccountId, Role, RoomId};
use serde_json::{json, Value};

both_backends!(
    the_creator_owns_the_room_and_names_ops,
    set_room_role_refusals,
    an_op_moderates_plain_members_in_the_room,
    rank_refusals,
    staff_act_on_an_owner,
    room_ban_with_expiry_and_unban,
    room_ban_survives_a_restart,
    room_operators_delete_their_rooms_messages,
    room_operators_read_their_rooms_modlog,
    a_room_ban_cannot_be_outrun_by_a_join,
);

/// One `moderation_actions` row as the tests compare it.
type Row = (String, Option<AccountId>, Option<AccountId>, Option<RoomId>);

fn rows(srv: &mut TestServer) -> Vec<Row> {
    srv.actions()
        .into_iter()
        .map(|a| (a.action, a.target_id, a.actor_id, a.room_id))
        .collect()
}

fn room_id(srv: &mut TestServer, name: &str) -> RoomId {
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    modchat::store::rooms::find(&mut c, name)
        .expect("query")
        .expect("room")
        .id
}

fn row(action: &str, target: AccountId, actor: AccountId, room: RoomId) -> Row {
    (action.to_owned(), Some(target), Some(actor), Some(room))
}

/// `{name: room_role}` of a `members` list.
fn room_roles(members: &Value) -> Vec<(String, String)> {
    members
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            assert!(m["role"].is_string() && m["online"].is_boolean(), "{m}");
            (
                m["name"].as_str().expect("name").to_owned(),
                m["room_role"].as_str().expect("room_role").to_owned(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn set_role(c: &mut TestClient, room: &str, user: &str, role: &str) -> Value {
    c.request(json!({"type": "set_room_role", "room": room, "user": user, "role": role}))
}

fn joined(c: &mut TestClient, user: &str) -> Value {
    let u = user.to_owned();
    c.expect(&format!("{user} joined"), move |v| {
        v["type"] == "joined" && v["user"] == u.as_str()
    })
}

/// A room `r` made by `owner`, with `alice` (owner), `bob` and `carol`
/// as members; `bob` made an op.
struct Room3 {
    alice: TestClient,
    bob: TestClient,
    carol: TestClient,
}

fn room3(srv: &mut TestServer) -> Room3 {
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut carol = srv.user("carol");
    alice.ok(json!({"type": "create_room", "room": "r"}));
    bob.ok(json!({"type": "join", "room": "r"}));
    carol.ok(json!({"type": "join", "room": "r"}));
    alice.ok(json!({"type": "set_room_role", "room": "r", "user": "bob", "role": "op"}));
    for c in [&mut alice, &mut bob, &mut carol] {
        c.event("room_role_changed");
        c.clear();
    }
    Room3 { alice, bob, carol }
}

/// The creator is the owner; `set_room_role` names an op, every member
/// sees `room_role_changed`, lists and `joined` carry room roles; an op
/// who leaves comes back a member, the owner comes back the owner.
fn the_creator_owns_the_room_and_names_ops(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    let mut bob = srv.user("bob");
    let mut carol = srv.user("carol");
    alice.ok(json!({"type": "create_room", "room": "r"}));
    let m = alice.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(room_roles(&m["members"]), pairs(&[("alice", "owner")]));
    let j = bob.ok(json!({"type": "join", "room": "r"}));
    assert_eq!(
        room_roles(&j["members"]),
        pairs(&[("alice", "owner"), ("bob", "member")])
    );
    assert_eq!(
        joined(&mut alice, "bob"),
        json!({"type": "joined", "room": "r", "user": "bob", "room_role": "member", "members": 2})
    );
    carol.ok(json!({"type": "join", "room": "r"}));
    joined(&mut bob, "carol");

    let r = set_role(&mut alice, "r", "bob", "op");
    assert_eq!(r["type"], "ok", "{r}");
    let want = json!({"type": "room_role_changed", "room": "r", "user": "bob", "room_role": "op", "by": "alice"});
    assert_eq!(bob.event("room_role_changed"), want);
    assert_eq!(carol.event("room_role_changed"), want);
    // the owner, a member too, sees it as well
    assert_eq!(alice.event("room_role_changed"), want);
    let m = carol.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(
        room_roles(&m["members"]),
        pairs(&[("alice", "owner"), ("bob", "op"), ("carol", "member")])
    );

    // an op who leaves is a member when they come back
    bob.ok(json!({"type": "leave", "room": "r"}));
    bob.ok(json!({"type": "join", "room": "r"}));
    assert_eq!(joined(&mut carol, "bob")["room_role"], "member");
    // the owner who leaves is the owner again
    alice.ok(json!({"type": "leave", "room": "r"}));
    let j = alice.ok(json!({"type": "join", "room": "r"}));
    assert!(room_roles(&j["members"]).contains(&("alice".into(), "owner".into())));
    assert_eq!(joined(&mut carol, "alice")["room_role"], "owner");

    // an op may be made a member again
    set_role(&mut alice, "r", "carol", "op");
    set_role(&mut alice, "r", "carol", "member");
    let m = bob.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(
        room_roles(&m["members"]),
        pairs(&[("alice", "owner"), ("bob", "member"), ("carol", "member")])
    );

    // the stored roles, and one record each with the room's id and the role
    let rid = room_id(&mut srv, "r");
    let (a, bo, c) = (
        srv.account_id("alice"),
        srv.account_id("bob"),
        srv.account_id("carol"),
    );
    let acts = srv.actions();
    let got: Vec<_> = acts
        .iter()
        .map(|x| {
            (
                (x.action.clone(), x.target_id, x.actor_id, x.room_id),
                x.detail.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (row("set_room_role", bo, a, rid), Some("op".into())),
            (row("set_room_role", c, a, rid), Some("op".into())),
            (row("set_room_role", c, a, rid), Some("member".into())),
        ]
    );
    let db = srv.store();
    let mut conn = db.conn().expect("conn");
    assert_eq!(
        modchat::store::rooms::room_role_of(&mut conn, rid, a).expect("role"),
        Some(modchat::model::RoomRole::Owner)
    );
}

/// Who may name ops: the owner, moderators and admins; the target must be
/// a member; the owner's own role stays.
fn set_room_role_refusals(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut m = srv.account("mod", Role::Moderator);
    let _dave = srv.user("dave");
    let code = |r: Value| r["code"].as_str().unwrap_or("ok").to_owned();
    // an op does not name ops; a member does not either
    assert_eq!(code(set_role(&mut bob, "r", "carol", "op")), "forbidden");
    assert_eq!(code(set_role(&mut carol, "r", "carol", "op")), "forbidden");
    assert_eq!(
        code(set_role(&mut carol, "r", "bob", "member")),
        "forbidden"
    );
    // the owner cannot be demoted, not by themselves, not by staff
    assert_eq!(
        code(set_role(&mut alice, "r", "alice", "member")),
        "forbidden"
    );
    assert_eq!(code(set_role(&mut m, "r", "alice", "member")), "forbidden");
    assert_eq!(code(set_role(&mut m, "r", "alice", "op")), "forbidden");
    // the target must be a member
    assert_eq!(code(set_role(&mut alice, "r", "dave", "op")), "not_in_room");
    assert_eq!(
        code(set_role(&mut alice, "r", "nobody", "op")),
        "no_such_user"
    );
    assert_eq!(
        code(set_role(&mut alice, "nowhere", "bob", "op")),
        "no_such_room"
    );
    let r = set_role(&mut alice, "r", "carol", "owner");
    assert_eq!(
        (code(r.clone()), r["field"].clone()),
        ("bad_request".into(), json!("role"))
    );
    // a moderator may
    assert_eq!(code(set_role(&mut m, "r", "carol", "op")), "ok");
    assert_eq!(carol.event("room_role_changed")["by"], "mod");
    let rid = room_id(&mut srv, "r");
    let (a, c, md) = (
        srv.account_id("alice"),
        srv.account_id("carol"),
        srv.account_id("mod"),
    );
    let bo = srv.account_id("bob");
    assert_eq!(
        rows(&mut srv),
        vec![
            row("set_room_role", bo, a, rid),
            row("set_room_role", c, md, rid)
        ],
        "refusals leave no record"
    );
}

/// An op kicks, mutes and bans a member in the room, with `room`; without
/// it an op is a plain user; in another room too.
fn an_op_moderates_plain_members_in_the_room(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut other = srv.user("other");
    other.ok(json!({"type": "create_room", "room": "elsewhere"}));
    carol.ok(json!({"type": "join", "room": "elsewhere"}));
    // not without `room`, and not in a room where bob is nobody
    for cmd in ["kick", "mute", "unmute", "ban", "unban"] {
        let e = bob.err(json!({"type": cmd, "user": "carol"}), "forbidden");
        assert_eq!(e["message"], "Your role does not allow this.", "{e}");
        bob.err(
            json!({"type": cmd, "user": "carol", "room": "elsewhere"}),
            "forbidden",
        );
    }
    bob.err(json!({"type": "modlog"}), "forbidden");

    // kick with room: carol leaves r, stays connected
    bob.ok(json!({"type": "kick", "user": "carol", "room": "r", "reason": "calm"}));
    assert_eq!(
        carol.event("kicked"),
        json!({"type": "kicked", "by": "bob", "reason": "calm", "room": "r"})
    );
    let l = alice.event("left");
    assert_eq!(
        (l["reason"].clone(), l["by"].clone()),
        (json!("kicked"), json!("bob"))
    );
    carol.ok(json!({"type": "join", "room": "r"}));
    alice.clear();

    // mute with room: only in r
    let r = bob.ok(json!({"type": "mute", "user": "carol", "room": "r", "duration_s": 600}));
    assert!(r["until"].is_string());
    assert_eq!(carol.event("muted")["room"], "r");
    carol.err(json!({"type": "say", "room": "r", "text": "x"}), "muted");
    carol.ok(json!({"type": "say", "room": "elsewhere", "text": "fine"}));
    bob.ok(json!({"type": "unmute", "user": "carol", "room": "r"}));
    assert_eq!(
        carol.event("unmuted"),
        json!({"type": "unmuted", "by": "bob", "room": "r"})
    );
    carol.ok(json!({"type": "say", "room": "r", "text": "back"}));

    // ban with room: carol leaves r, stays connected, cannot come back
    let r = bob.ok(json!({"type": "ban", "user": "carol", "room": "r", "reason": "enough"}));
    assert_eq!(r["until"], json!(null));
    assert_eq!(
        carol.event("banned"),
        json!({"type": "banned", "by": "bob", "until": null, "reason": "enough", "room": "r"})
    );
    assert_eq!(
        alice.event("left"),
        json!({"type": "left", "room": "r", "user": "carol", "members": 2, "reason": "banned", "by": "bob"})
    );
    carol.ok(json!({"type": "ping"}));
    carol.ok(json!({"type": "say", "room": "elsewhere", "text": "still here"}));
    carol.err(
        json!({"type": "say", "room": "r", "text": "x"}),
        "not_in_room",
    );
    let e = carol.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    assert_eq!(
        (e["until"].clone(), e["reason"].clone()),
        (json!(null), json!("enough"))
    );
    let m = alice.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(
        room_roles(&m["members"]),
        pairs(&[("alice", "owner"), ("bob", "op")])
    );
    // the owner lifts it
    alice.ok(json!({"type": "unban", "user": "carol", "room": "r"}));
    alice.err(
        json!({"type": "unban", "user": "carol", "room": "r"}),
        "not_banned",
    );
    let j = carol.ok(json!({"type": "join", "room": "r"}));
    assert!(room_roles(&j["members"]).contains(&("carol".into(), "member".into())));

    let rid = room_id(&mut srv, "r");
    let (a, bo, c) = (
        srv.account_id("alice"),
        srv.account_id("bob"),
        srv.account_id("carol"),
    );
    assert_eq!(
        rows(&mut srv),
        vec![
            row("set_room_role", bo, a, rid),
            row("kick", c, bo, rid),
            row("mute", c, bo, rid),
            row("unmute", c, bo, rid),
            row("ban", c, bo, rid),
            row("unban", c, a, rid),
        ]
    );
    // the ban's row is in room_bans while it lasts, gone after unban
    let db = srv.store();
    let mut conn = db.conn().expect("conn");
    assert_eq!(
        modchat::store::room_bans::room_ban_of(&mut conn, c, rid, modchat::store::now())
            .expect("query"),
        None
    );
}

/// Every refusal of the rank rule: an op on the owner, on another op, on
/// a site moderator; a member on anyone; an owner on site staff; nobody on
/// themselves. None leaves a record.
fn rank_refusals(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut m = srv.account("mod", Role::Moderator);
    let _admin = srv.account("root", Role::Admin);
    let mut olive = srv.user("olive");
    m.ok(json!({"type": "join", "room": "r"}));
    olive.ok(json!({"type": "join", "room": "r"}));
    alice.ok(json!({"type": "set_room_role", "room": "r", "user": "olive", "role": "op"}));
    let acts = |user: &str| {
        vec![
            json!({"type": "kick", "user": user, "room": "r"}),
            json!({"type": "mute", "user": user, "room": "r", "duration_s": 60}),
            json!({"type": "unmute", "user": user, "room": "r"}),
            json!({"type": "ban", "user": user, "room": "r"}),
            json!({"type": "unban", "user": user, "room": "r"}),
        ]
    };
    // op on the owner, on another op, on a site moderator, on itself
    for t in ["alice", "olive", "mod", "bob", "root"] {
        for a in acts(t) {
            bob.err(a, "forbidden");
        }
    }
    // a member on anyone
    for t in ["alice", "bob", "olive", "mod", "carol"] {
        for a in acts(t) {
            carol.err(a, "forbidden");
        }
    }
    // the owner on site staff and on itself
    for t in ["mod", "root", "alice"] {
        for a in acts(t) {
            alice.err(a, "forbidden");
        }
    }
    let e = bob.err(
        json!({"type": "kick", "user": "alice", "room": "r"}),
        "forbidden",
    );
    assert!(e["message"].as_str().unwrap().contains("not below"), "{e}");
    let e = carol.err(
        json!({"type": "kick", "user": "bob", "room": "r"}),
        "forbidden",
    );
    assert!(e["message"].as_str().unwrap().contains("do not run"), "{e}");
    // nobody left the room, nobody is muted
    let m2 = carol.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(m2["members"].as_array().unwrap().len(), 5);
    alice.ok(json!({"type": "say", "room": "r", "text": "still talking"}));
    // the owner may act on an op
    alice.ok(json!({"type": "mute", "user": "olive", "room": "r", "duration_s": 60}));
    let rid = room_id(&mut srv, "r");
    let (a, bo, o) = (
        srv.account_id("alice"),
        srv.account_id("bob"),
        srv.account_id("olive"),
    );
    assert_eq!(
        rows(&mut srv),
        vec![
            row("set_room_role", bo, a, rid),
            row("set_room_role", o, a, rid),
            row("mute", o, a, rid),
        ],
        "refusals leave no record"
    );
}

/// Moderators and admins keep every power in every room and rank above
/// any room role: a moderator kicks, mutes and bans a room's owner.
fn staff_act_on_an_owner(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        bob: _bob,
        mut carol,
    } = room3(&mut srv);
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "mute", "user": "alice", "room": "r", "duration_s": 60}));
    alice.err(json!({"type": "say", "room": "r", "text": "x"}), "muted");
    m.ok(json!({"type": "unmute", "user": "alice", "room": "r"}));
    m.ok(json!({"type": "kick", "user": "alice", "room": "r"}));
    assert_eq!(alice.event("kicked")["room"], "r");
    let j = alice.ok(json!({"type": "join", "room": "r"}));
    assert!(room_roles(&j["members"]).contains(&("alice".into(), "owner".into())));
    m.ok(json!({"type": "ban", "user": "alice", "room": "r", "duration_s": 3600}));
    let e = alice.event("banned");
    assert_eq!(e["room"], "r");
    assert!(e["until"].is_string());
    carol.expect("alice left, banned", |v| {
        v["type"] == "left" && v["user"] == "alice" && v["reason"] == "banned"
    });
    // an owner banned from their own room stays out
    let e = alice.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    assert!(e["until"].is_string());
    alice.err(
        json!({"type": "unban", "user": "alice", "room": "r"}),
        "forbidden",
    );
    m.ok(json!({"type": "unban", "user": "alice", "room": "r"}));
    let j = alice.ok(json!({"type": "join", "room": "r"}));
    assert!(room_roles(&j["members"]).contains(&("alice".into(), "owner".into())));
    // the site ban is untouched by room bans: none was made
    m.err(json!({"type": "unban", "user": "alice"}), "not_banned");
    let rid = room_id(&mut srv, "r");
    let (a, md) = (srv.account_id("alice"), srv.account_id("mod"));
    let got = rows(&mut srv);
    assert_eq!(
        got[1..].to_vec(),
        vec![
            row("mute", a, md, rid),
            row("unmute", a, md, rid),
            row("kick", a, md, rid),
            row("ban", a, md, rid),
            row("unban", a, md, rid),
        ]
    );
}

/// A room ban with `duration_s` ends by itself; one of someone not in the
/// room keeps them out beforehand; `unban` with `room` lifts one.
fn room_ban_with_expiry_and_unban(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        alice: _alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut dave = srv.user("dave");
    let r = bob.ok(
        json!({"type": "ban", "user": "carol", "room": "r", "duration_s": 2, "reason": "cool off"}),
    );
    let until = r["until"].as_str().expect("until").to_owned();
    let e = carol.event("banned");
    assert_eq!(
        e,
        json!({"type": "banned", "by": "bob", "until": until, "reason": "cool off", "room": "r"})
    );
    let e = carol.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    assert_eq!(
        (e["until"].as_str(), e["reason"].as_str()),
        (Some(until.as_str()), Some("cool off"))
    );
    // before anyone joins: a ban of someone not in the room
    bob.ok(json!({"type": "ban", "user": "dave", "room": "r"}));
    assert_eq!(dave.event("banned")["room"], "r");
    dave.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    // room_bans: the room's bans in force, newest first, for its operators
    let listed = bob.ok(json!({"type": "room_bans", "room": "r"}))["bans"].clone();
    let shown: Vec<Value> = listed
        .as_array()
        .expect("bans")
        .iter()
        .map(|b| {
            json!([
                b["user"],
                b["until"],
                b["reason"],
                b["by"],
                b["at"].is_string()
            ])
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            json!(["dave", null, null, "bob", true]),
            json!(["carol", until, "cool off", "bob", true]),
        ],
        "{listed}"
    );
    // a plain member may not list them; a room that is not there
    carol.err(json!({"type": "room_bans", "room": "r"}), "forbidden");
    bob.err(
        json!({"type": "room_bans", "room": "nowhere"}),
        "no_such_room",
    );
    std::thread::sleep(std::time::Duration::from_millis(2300));
    carol.ok(json!({"type": "join", "room": "r"}));
    // an ended ban cannot be lifted
    bob.err(
        json!({"type": "unban", "user": "carol", "room": "r"}),
        "not_banned",
    );
    dave.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    // an ended ban is not listed
    let listed = bob.ok(json!({"type": "room_bans", "room": "r"}))["bans"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    bob.ok(json!({"type": "unban", "user": "dave", "room": "r"}));
    dave.ok(json!({"type": "join", "room": "r"}));
    assert_eq!(
        bob.ok(json!({"type": "room_bans", "room": "r"}))["bans"],
        json!([])
    );
    let rid = room_id(&mut srv, "r");
    let (bo, c, d) = (
        srv.account_id("bob"),
        srv.account_id("carol"),
        srv.account_id("dave"),
    );
    let acts = srv.actions();
    let bans: Vec<_> = acts
        .iter()
        .skip(1)
        .map(|a| {
            (
                (a.action.clone(), a.target_id, a.actor_id, a.room_id),
                a.until.is_some(),
            )
        })
        .collect();
    assert_eq!(
        bans,
        vec![
            (row("ban", c, bo, rid), true),
            (row("ban", d, bo, rid), false),
            (row("unban", d, bo, rid), false),
        ]
    );
    assert_eq!(acts[1].reason.as_deref(), Some("cool off"));
}

/// Room bans are read from the database at `join`: they hold across a
/// restart.
fn room_ban_survives_a_restart(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        alice: _alice,
        mut bob,
        carol: _carol,
    } = room3(&mut srv);
    bob.ok(json!({"type": "ban", "user": "carol", "room": "r", "reason": "out"}));
    bob.ok(json!({"type": "ban", "user": "carol", "room": "r", "reason": "still out", "duration_s": 3600}));
    drop(bob);
    srv.restart();
    let mut carol = srv.connect();
    assert_eq!(carol.login("carol")["rooms"], json!([]));
    let e = carol.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    assert_eq!(e["reason"], "still out", "the later ban replaced the first");
    assert!(e["until"].is_string());
    let mut bob = srv.connect();
    bob.login("bob");
    let m = bob.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(
        room_roles(&m["members"]),
        pairs(&[("alice", "owner"), ("bob", "op")])
    );
    bob.ok(json!({"type": "unban", "user": "carol", "room": "r"}));
    carol.ok(json!({"type": "join", "room": "r"}));
}

/// An owner or op deletes their room's messages by authors ranked below
/// them; not others', not in other rooms.
fn room_operators_delete_their_rooms_messages(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "join", "room": "r"}));
    let mut other = srv.user("other");
    other.ok(json!({"type": "create_room", "room": "elsewhere"}));
    carol.ok(json!({"type": "join", "room": "elsewhere"}));
    let say = |c: &mut TestClient, room: &str, t: &str| {
        c.ok(json!({"type": "say", "room": room, "text": t}))["id"]
            .as_i64()
            .expect("id")
    };
    let by_carol = say(&mut carol, "r", "spam");
    let by_alice = say(&mut alice, "r", "owner speaks");
    let by_bob = say(&mut bob, "r", "op speaks");
    let by_mod = say(&mut m, "r", "mod speaks");
    let carol_elsewhere = say(&mut carol, "elsewhere", "hi there");
    let del = |id: i64| json!({"type": "delete_message", "message_id": id});
    // a member deletes nothing, an op not the owner's, an op's or staff's
    carol.err(del(by_bob), "forbidden");
    carol.err(del(by_carol), "forbidden");
    bob.err(del(by_alice), "forbidden");
    bob.err(del(by_bob), "forbidden");
    bob.err(del(by_mod), "forbidden");
    bob.err(del(carol_elsewhere), "forbidden");
    alice.err(del(by_mod), "forbidden");
    bob.err(del(999_999), "no_such_message");
    // what they may
    bob.ok(del(by_carol));
    alice.ok(del(by_bob));
    let d = carol.expect("message_deleted", |v| {
        v["type"] == "message_deleted" && v["id"] == by_carol
    });
    assert_eq!(
        d,
        json!({"type": "message_deleted", "room": "r", "id": by_carol, "by": "bob"})
    );
    let h = carol.ok(json!({"type": "history", "room": "r"}));
    let deleted: Vec<bool> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["deleted"] == true)
        .collect();
    assert_eq!(deleted, vec![true, false, true, false]);
    let rid = room_id(&mut srv, "r");
    let (a, bo, c) = (
        srv.account_id("alice"),
        srv.account_id("bob"),
        srv.account_id("carol"),
    );
    let acts = srv.actions();
    let got: Vec<_> = acts
        .iter()
        .skip(1)
        .map(|x| {
            (
                (x.action.clone(), x.target_id, x.actor_id, x.room_id),
                x.detail.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                row("delete_message", c, bo, rid),
                Some(by_carol.to_string())
            ),
            (row("delete_message", bo, a, rid), Some(by_bob.to_string())),
        ]
    );
}

/// `modlog` with `room`: an owner or op reads their room's entries only;
/// without `room`, or of another room, `forbidden`; moderators read all,
/// or one room's.
fn room_operators_read_their_rooms_modlog(b: Backend) {
    let mut srv = TestServer::start(b);
    let Room3 {
        mut alice,
        mut bob,
        mut carol,
    } = room3(&mut srv);
    let mut m = srv.account("mod", Role::Moderator);
    let mut other = srv.user("other");
    other.ok(json!({"type": "create_room", "room": "elsewhere"}));
    carol.ok(json!({"type": "join", "room": "elsewhere"}));
    m.ok(json!({"type": "mute", "user": "carol", "room": "elsewhere", "duration_s": 60}));
    m.ok(json!({"type": "mute", "user": "carol", "duration_s": 60}));
    bob.ok(json!({"type": "kick", "user": "carol", "room": "r", "reason": "x"}));
    let actions = |r: &Value| -> Vec<(String, String)> {
        r["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                assert_eq!(e["room"], "r", "{e}");
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["by"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let want = vec![
        ("kick".to_owned(), "bob".to_owned()),
        ("set_room_role".to_owned(), "alice".to_owned()),
    ];
    assert_eq!(
        actions(&bob.ok(json!({"type": "modlog", "room": "r"}))),
        want
    );
    assert_eq!(
        actions(&alice.ok(json!({"type": "modlog", "room": "r"}))),
        want
    );
    assert_eq!(actions(&m.ok(json!({"type": "modlog", "room": "r"}))), want);
    let f =
        actions(&bob.ok(json!({"type": "modlog", "room": "r", "action": "kick", "user": "carol"})));
    assert_eq!(f, want[..1].to_vec());
    bob.err(json!({"type": "modlog"}), "forbidden");
    bob.err(json!({"type": "modlog", "room": "elsewhere"}), "forbidden");
    carol.err(json!({"type": "modlog", "room": "r"}), "forbidden");
    carol.err(json!({"type": "modlog"}), "forbidden");
    bob.err(json!({"type": "modlog", "room": "nowhere"}), "no_such_room");
    let all = m.ok(json!({"type": "modlog"}));
    assert_eq!(all["entries"].as_array().unwrap().len(), 4);
}

/// ../shared/PROTOCOL.md "A cluster behaves like one server": a room role
/// named on node 1 and a room ban made there hold on node 2.
#[cfg(feature = "mysql")]
#[test]
fn room_roles_and_room_bans_across_a_cluster() {
    use common::cluster::Cluster;
    let cl = Cluster::start(2);
    let mut alice = cl.user(0, "alice");
    let mut bob = cl.user(1, "bob");
    let mut carol = cl.user(1, "carol");
    let mut dave = cl.user(0, "dave");
    alice.ok(json!({"type": "create_room", "room": "r"}));
    let j = bob.ok(json!({"type": "join", "room": "r"}));
    assert!(room_roles(&j["members"]).contains(&("alice".into(), "owner".into())));
    assert_eq!(joined(&mut alice, "bob")["room_role"], "member");
    carol.ok(json!({"type": "join", "room": "r"}));
    dave.ok(json!({"type": "join", "room": "r"}));
    joined(&mut bob, "dave");
    // node 1's owner names an op: node 2 shows it
    alice.ok(json!({"type": "set_room_role", "room": "r", "user": "bob", "role": "op"}));
    let want = json!({"type": "room_role_changed", "room": "r", "user": "bob", "room_role": "op", "by": "alice"});
    assert_eq!(bob.event("room_role_changed"), want);
    assert_eq!(carol.event("room_role_changed"), want);
    assert_eq!(dave.event("room_role_changed"), want);
    let m = carol.ok(json!({"type": "members", "room": "r"}));
    assert!(room_roles(&m["members"]).contains(&("bob".into(), "op".into())));
    // the op on node 2 bans carol (node 2) and dave (node 1) from the room
    bob.ok(json!({"type": "ban", "user": "dave", "room": "r", "reason": "no"}));
    assert_eq!(dave.event("banned")["room"], "r");
    let l = alice.expect("dave left, banned", |v| {
        v["type"] == "left" && v["user"] == "dave"
    });
    assert_eq!(
        (l["reason"].clone(), l["by"].clone()),
        (json!("banned"), json!("bob"))
    );
    carol.expect("dave left on node 2", |v| {
        v["type"] == "left" && v["user"] == "dave" && v["reason"] == "banned"
    });
    let e = dave.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    assert_eq!(e["reason"], "no");
    // dave tries node 2 too
    let mut dave2 = cl.login(1, "dave");
    dave2.err(json!({"type": "join", "room": "r"}), "banned_from_room");
    let m = alice.ok(json!({"type": "members", "room": "r"}));
    assert_eq!(
        room_roles(&m["members"]),
        pairs(&[("alice", "owner"), ("bob", "op"), ("carol", "member")])
    );
    // the owner on node 1 lifts it; dave joins on node 2
    alice.ok(json!({"type": "unban", "user": "dave", "room": "r"}));
    dave2.ok(json!({"type": "join", "room": "r"}));
    assert_eq!(joined(&mut bob, "dave")["room_role"], "member");
}

/// A `join` racing a room `ban`: once the ban's `ok` is back, the account
/// is not a member, whatever order the two reached the database in. The
/// join writes its membership and then reads the ban in one transaction;
/// reading the ban first let a join that read "no ban" insert its
/// membership after the ban had deleted it.
fn a_room_ban_cannot_be_outrun_by_a_join(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.limits.action_burst = 10_000;
        c.limits.action_per_s = 10_000.0;
    });
    let mut owner = srv.user("owner");
    owner.ok(json!({"type": "create_room", "room": "r"}));
    let _target = srv.user("target");
    let target_id = srv.account_id("target");
    let rid = room_id(&mut srv, "r");
    let addr = srv.addr;
    for round in 0..15 {
        // the target joins from four connections while the owner bans
        let joiners: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut c = TestClient::connect(addr);
                    c.login("target");
                    for _ in 0..5 {
                        c.request(json!({"type": "join", "room": "r"}));
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(round % 5));
        owner.ok(json!({"type": "ban", "user": "target", "room": "r"}));
        // from the ban's ok on, no join gets in
        let db = srv.store();
        let mut c = db.conn().expect("conn");
        let stored = modchat::store::rooms::room_role_of(&mut c, rid, target_id).expect("query");
        for j in joiners {
            j.join().expect("joiner");
        }
        let after = modchat::store::rooms::room_role_of(&mut c, rid, target_id).expect("query");
        assert_eq!(
            (stored, after),
            (None, None),
            "round {round}: a join outran the room ban"
        );
        owner.ok(json!({"type": "unban", "user": "target", "room": "r"}));
    }
}
