//! Auditing rooms that their own owners and ops run (docs/auditing.md,
//! "Rooms and their operators"), both backends: `logs modlog --room`,
//! `user show` listing the rooms an account owns and where it is op, and
//! the canned query `room_operators`. The rows are written straight with
//! SQL, as the server leaves them, so every case (a deleted room whose name
//! a new room took, a site moderator acting in a room, the word filter's
//! records) is there with known ids and times.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use diesel::connection::SimpleConnection;
use modchat::model::Role;
use modchat::store::accounts;
use serde_json::{json, Value};
use support::{admin, Backend, TestServer};

both_backends!(
    modlog_by_room,
    user_show_lists_rooms_run,
    room_operators_query,
    through_the_server
);

/// The stored form of second `n` after 2026-12-01 10:00:00 UTC, for SQL.
fn at(n: u32) -> String {
    format!("2026-12-01 10:{:02}:{:02}", n / 60, n % 60)
}

/// The same time as the reports print it in CSV and JSON lines.
fn shown(n: u32) -> String {
    format!("2026-12-01T10:{:02}:{:02}.000Z", n / 60, n % 60)
}

/// A database with:
/// - room 1 `lobby`, deleted: dora owned it (deletion removed its members);
/// - room 2 `lobby`, live, which took the name again: olga owns it, oscar
///   and dora are ops, mia is a member;
/// - room 3 `den`, live: oscar owns it, olga is op, mia a member;
/// - the moderator `moe` and the admin `ada`;
/// - the records of acts in those rooms by their operators, by the site's
///   moderator and admin, and by the word filter, and one global ban.
struct Rooms {
    db: common::db::TestDb,
}

impl Rooms {
    fn new(b: Backend) -> Rooms {
        let db = common::db::TestDb::new(b);
        let store = db.open();
        let mut c = store.conn().expect("conn");
        let mut id = |name: &str, role: Role| {
            accounts::create(&mut c, name, "not a real hash", role)
                .expect("account")
                .id
                .to_string()
        };
        let (olga, oscar, mia, dora) = (
            id("olga", Role::User),
            id("oscar", Role::User),
            id("mia", Role::User),
            id("dora", Role::User),
        );
        let (moder, ada) = (id("moe", Role::Moderator), id("ada", Role::Admin));
        let sql = format!(
            "INSERT INTO rooms (id, name, capacity, topic, created_by, created_at, deleted_at) VALUES
                (1, 'lobby', 100, 'old', {dora}, '{t0}', '{t2}'),
                (2, 'lobby', 100, '', {olga}, '{t3}', NULL),
                (3, 'den', 20, '', {oscar}, '{t3}', NULL);
             INSERT INTO room_members (room_id, account_id, room_role, joined_at) VALUES
                (2, {olga}, 'owner', '{t3}'),
                (2, {oscar}, 'op', '{t3}'),
                (2, {dora}, 'op', '{t3}'),
                (2, {mia}, 'member', '{t3}'),
                (3, {oscar}, 'owner', '{t3}'),
                (3, {olga}, 'op', '{t3}'),
                (3, {mia}, 'member', '{t3}');
             INSERT INTO moderation_actions (id, action, target_id, actor_id, room_id, reason, until, detail, at) VALUES
                (1, 'kick', {mia}, {dora}, 1, 'rude', NULL, NULL, '{t1}'),
                (2, 'delete_room', NULL, {moder}, 1, NULL, NULL, NULL, '{t2}'),
                (3, 'set_room_role', {oscar}, {olga}, 2, NULL, NULL, 'op', '{t4}'),
                (4, 'mute', {mia}, {oscar}, 2, 'spam', '{t9}', NULL, '{t5}'),
                (5, 'ban', {mia}, {moder}, 2, 'again', NULL, NULL, '{t6}'),
                (6, 'set_topic', NULL, {oscar}, 3, NULL, NULL, 'the den', '{t7}'),
                (7, 'set_capacity', NULL, {ada}, 2, NULL, NULL, '50', '{t8}'),
                (8, 'filter_block', {mia}, NULL, 2, NULL, NULL, 'frobnicate', '{t9}'),
                (9, 'ban', {mia}, {ada}, NULL, 'everywhere', NULL, NULL, '{t10}'),
                (10, 'set_topic', NULL, {olga}, 2, NULL, NULL, 'welcome, all', '{t11}'),
                (11, 'unmute', {mia}, {oscar}, 2, NULL, NULL, NULL, '{t12}');",
            t0 = at(0),
            t1 = at(1),
            t2 = at(2),
            t3 = at(3),
            t4 = at(4),
            t5 = at(5),
            t6 = at(6),
            t7 = at(7),
            t8 = at(8),
            t9 = at(9),
            t10 = at(10),
            t11 = at(11),
            t12 = at(12),
        );
        c.batch_execute(&sql).expect("the rows");
        drop(c);
        Rooms { db }
    }

    fn admin(&self, args: &[&str]) -> support::Run {
        admin(&self.db.url, args)
    }

    fn csv(&self, args: &[&str]) -> Vec<String> {
        let mut a = args.to_vec();
        a.extend(["--format", "csv"]);
        self.admin(&a).csv_rows()
    }
}

/// `logs modlog --room R`: the records of every room that had the name,
/// deleted ones included, with the room's id beside its name; the other
/// filters still apply.
fn modlog_by_room(b: Backend) {
    let t = Rooms::new(b);
    let row = |id: u32, n: u32, rest: &str| format!("{id},{},{rest}", shown(n));
    let lobby = [
        row(1, 1, "kick,mia,dora,lobby,1,rude,,"),
        row(2, 2, "delete_room,,moe,lobby,1,,,"),
        row(3, 4, "set_room_role,oscar,olga,lobby,2,,,op"),
        row(4, 5, &format!("mute,mia,oscar,lobby,2,spam,{},", shown(9))),
        row(5, 6, "ban,mia,moe,lobby,2,again,,"),
        row(7, 8, "set_capacity,,ada,lobby,2,,,50"),
        row(8, 9, "filter_block,mia,,lobby,2,,,frobnicate"),
        row(10, 11, "set_topic,,olga,lobby,2,,,\"welcome, all\""),
        row(11, 12, "unmute,mia,oscar,lobby,2,,,"),
    ];
    let out = t.admin(&["logs", "modlog", "--room", "lobby", "--format", "csv"]);
    assert!(
        out.stdout
            .starts_with("id,at,action,target,by,room,room_id,reason,until,detail\r\n"),
        "{}",
        out.stdout
    );
    assert_eq!(out.csv_rows(), lobby);
    assert_eq!(t.csv(&["logs", "modlog", "--room", "LOBBY"]), lobby);
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "den"]),
        [row(6, 7, "set_topic,,oscar,den,3,,,the den")]
    );
    // with the other filters
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "lobby", "--actor", "oscar"]),
        [lobby[3].as_str(), lobby[8].as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "lobby", "--target", "mia"]),
        [
            lobby[0].as_str(),
            lobby[3].as_str(),
            lobby[4].as_str(),
            lobby[6].as_str(),
            lobby[8].as_str()
        ]
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "lobby", "--action", "set_topic"]),
        [lobby[7].as_str()]
    );
    let since = shown(6);
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "lobby", "--since", &since]),
        &lobby[4..]
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--room", "den", "--actor", "olga"]),
        Vec::<String>::new()
    );
    // without --room: every record, the global ban too, and no room_id column
    let all = t.admin(&["logs", "modlog", "--format", "csv"]);
    assert!(all
        .stdout
        .starts_with("id,at,action,target,by,room,reason,until,detail\r\n"));
    assert_eq!(all.csv_rows().len(), 11);

    // JSON lines and the table carry the room and its id
    let jsonl = t.admin(&["logs", "modlog", "--room", "den", "--format", "jsonl"]);
    let lines: Vec<Value> = jsonl
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        lines,
        [
            json!({"id": 6, "at": shown(7), "action": "set_topic", "target": null, "by": "oscar",
                "room": "den", "room_id": 3, "reason": null, "until": null, "detail": "the den"})
        ]
    );
    let table = t.admin(&["logs", "modlog", "--room", "lobby"]);
    let lines: Vec<&str> = table.ok().lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["id", "at", "action", "target", "by", "room", "room_id", "reason", "until", "detail"],
        "{}",
        table.stdout
    );
    assert_eq!(lines.last(), Some(&"(9 rows)"));

    t.admin(&["logs", "modlog", "--room", "nowhere"])
        .fails(1, "no room nowhere");
    t.admin(&["logs", "modlog", "--room", "no such room!"])
        .fails(2, "--room");
    let help = t.admin(&["logs", "modlog", "--help"]);
    assert!(
        help.ok().contains("every room that had this name"),
        "{}",
        help.stdout
    );
}

/// `user show`: the live rooms the account owns and those where it is op
/// (`room_members.room_role`), in every format; a deleted room is not run
/// by anyone.
fn user_show_lists_rooms_run(b: Backend) {
    let t = Rooms::new(b);
    let show = |name: &str| -> Value {
        serde_json::from_str(t.admin(&["user", "show", name, "--format", "jsonl"]).ok())
            .expect("one JSON line")
    };
    for (name, owns, op_in) in [
        ("olga", "lobby", "den"),
        ("oscar", "den", "lobby"),
        ("dora", "", "lobby"),
        ("mia", "", ""),
        ("moe", "", ""),
    ] {
        let s = show(name);
        assert_eq!(
            (s["owns"].as_str(), s["op_in"].as_str()),
            (Some(owns), Some(op_in)),
            "{name}: {s}"
        );
    }

    // a second owned room and a second op'd room: by name, comma-separated;
    // a member row left in a deleted room does not count
    let store = t.db.open();
    let mut c = store.conn().expect("conn");
    let id = |c: &mut modchat::store::DbConn, name: &str| {
        accounts::id_of(c, name).expect("query").expect(name)
    };
    let (olga, dora) = (id(&mut c, "olga"), id(&mut c, "dora"));
    c.batch_execute(&format!(
        "INSERT INTO rooms (id, name, capacity, topic, created_by, created_at, deleted_at) VALUES
            (4, 'attic', 10, '', {olga}, '{t}', NULL),
            (5, 'cellar', 10, '', {olga}, '{t}', NULL);
         INSERT INTO room_members (room_id, account_id, room_role, joined_at) VALUES
            (4, {olga}, 'owner', '{t}'),
            (5, {olga}, 'op', '{t}'),
            (1, {dora}, 'owner', '{t}');",
        t = at(20)
    ))
    .expect("more rooms");
    drop(c);
    let s = show("OLGA");
    assert_eq!(s["owns"], "attic, lobby");
    assert_eq!(s["op_in"], "cellar, den");
    let s = show("dora");
    assert_eq!(
        (s["owns"].as_str(), s["op_in"].as_str()),
        (Some(""), Some("lobby"))
    );

    let csv = t.admin(&["user", "show", "oscar", "--format", "csv"]);
    let header = csv.ok().lines().next().unwrap_or_default().to_owned();
    assert!(header.contains(",rooms,owns,op_in,"), "{header}");
    assert_eq!(csv.csv_rows().len(), 1);

    let card = t.admin(&["user", "show", "oscar"]);
    let card = card.ok();
    assert!(card.contains("owns:          den\n"), "{card}");
    assert!(card.contains("op_in:         lobby\n"), "{card}");
    let card = t.admin(&["user", "show", "mia"]);
    let card = card.ok();
    assert!(card.contains("owns:          no\n"), "{card}");
    assert!(card.contains("op_in:         no\n"), "{card}");
}

/// `sql room_operators`: the acts of the room's own operators (actors
/// whose site role is user) in every room that had the name; not the
/// site's moderators and admins, not the word filter, not other rooms.
fn room_operators_query(b: Backend) {
    let t = Rooms::new(b);
    let listed = t.admin(&["sql", "--list"]);
    assert!(
        listed.ok().lines().any(|l| l == "room_operators"),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("--param room=..."),
        "{}",
        listed.stdout
    );
    let deleted = shown(2);
    let lobby = t.csv(&["sql", "room_operators", "--param", "room=Lobby"]);
    assert_eq!(
        lobby,
        [
            format!("1,{},kick,dora,,mia,rude,,,1,{deleted}", shown(1)),
            format!("3,{},set_room_role,olga,owner,oscar,,,op,2,", shown(4)),
            format!("4,{},mute,oscar,op,mia,spam,{},,2,", shown(5), shown(9)),
            format!(
                "10,{},set_topic,olga,owner,,,,\"welcome, all\",2,",
                shown(11)
            ),
            format!("11,{},unmute,oscar,op,mia,,,,2,", shown(12)),
        ]
    );
    let out = t.admin(&[
        "sql",
        "room_operators",
        "--param",
        "room=den",
        "--format",
        "csv",
    ]);
    assert!(
        out.stdout.starts_with(
            "id,at,action,by,by_room_role,target,reason,until,detail,room_id,room_deleted_at\r\n"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.csv_rows(),
        [format!(
            "6,{},set_topic,oscar,owner,,,,the den,3,",
            shown(7)
        )]
    );

    // an op who left the room: still their act, their room role now NULL
    let store = t.db.open();
    let mut c = store.conn().expect("conn");
    let oscar = accounts::id_of(&mut c, "oscar")
        .expect("query")
        .expect("oscar");
    c.batch_execute(&format!(
        "DELETE FROM room_members WHERE room_id = 2 AND account_id = {oscar}"
    ))
    .expect("oscar leaves");
    drop(c);
    let lobby = t.csv(&["sql", "room_operators", "--param", "room=lobby"]);
    assert_eq!(
        lobby[2],
        format!("4,{},mute,oscar,,mia,spam,{},,2,", shown(5), shown(9))
    );

    assert_eq!(
        t.csv(&["sql", "room_operators", "--param", "room=nowhere"]),
        Vec::<String>::new()
    );
    t.admin(&["sql", "room_operators"])
        .fails(2, "missing --param room");
}

/// The same reports over records the server wrote: an owner names an op,
/// the op and a site moderator act in the room, the owner deletes it and
/// makes a new room of the same name.
fn through_the_server(b: Backend) {
    let mut s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut boss = s.account("boss", Role::Moderator);
    let mut alice = s.user("alice");
    let mut bob = s.user("bob");
    let mut carol = s.user("carol");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    bob.ok(json!({"type": "join", "room": "lobby"}));
    carol.ok(json!({"type": "join", "room": "lobby"}));
    alice.ok(json!({"type": "set_room_role", "room": "lobby", "user": "bob", "role": "op"}));
    bob.ok(json!({"type": "mute", "user": "carol", "room": "lobby", "duration_s": 60, "reason": "shouting"}));
    boss.ok(json!({"type": "kick", "user": "carol", "room": "lobby"}));
    bob.ok(json!({"type": "set_topic", "room": "lobby", "topic": "calm down"}));
    alice.ok(json!({"type": "delete_room", "room": "lobby"}));
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    bob.ok(json!({"type": "join", "room": "lobby"}));
    alice.ok(json!({"type": "set_room_role", "room": "lobby", "user": "bob", "role": "op"}));

    let jsonl = |args: &[&str]| -> Vec<Value> {
        let mut a = args.to_vec();
        a.extend(["--format", "jsonl"]);
        admin(&url, &a)
            .ok()
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect()
    };
    let acts = |rows: &[Value], by: &str| -> Vec<(String, String, i64)> {
        rows.iter()
            .map(|r| {
                (
                    r["action"].as_str().unwrap_or_default().to_owned(),
                    r[by].as_str().unwrap_or_default().to_owned(),
                    r["room_id"].as_i64().unwrap_or_default(),
                )
            })
            .collect()
    };
    let log = jsonl(&["logs", "modlog", "--room", "lobby"]);
    let got = acts(&log, "by");
    let (old, new) = (got[0].2, got[got.len() - 1].2);
    assert!(old < new, "two rooms: {got:?}");
    let want = |list: &[(&str, &str, i64)]| -> Vec<(String, String, i64)> {
        list.iter()
            .map(|(a, b, r)| ((*a).to_owned(), (*b).to_owned(), *r))
            .collect()
    };
    assert_eq!(
        got,
        want(&[
            ("set_room_role", "alice", old),
            ("mute", "bob", old),
            ("kick", "boss", old),
            ("set_topic", "bob", old),
            ("delete_room", "alice", old),
            ("set_room_role", "alice", new),
        ])
    );
    assert!(log.iter().all(|r| r["room"] == "lobby"), "{log:?}");
    assert_eq!(log[3]["detail"], "calm down");
    assert_eq!(log[0]["target"], "bob");
    assert_eq!(log[0]["detail"], "op");

    let ops = jsonl(&["sql", "room_operators", "--param", "room=lobby"]);
    assert_eq!(
        acts(&ops, "by"),
        want(&[
            ("set_room_role", "alice", old),
            ("mute", "bob", old),
            ("set_topic", "bob", old),
            ("delete_room", "alice", old),
            ("set_room_role", "alice", new),
        ])
    );
    // the deleted room's members are gone; in the new one alice owns
    assert_eq!(ops[0]["by_room_role"], Value::Null);
    assert_eq!(ops[4]["by_room_role"], "owner");
    assert!(ops[0]["room_deleted_at"].is_string(), "{:?}", ops[0]);
    assert_eq!(ops[4]["room_deleted_at"], Value::Null);

    let show = |name: &str| -> Value {
        serde_json::from_str(admin(&url, &["user", "show", name, "--format", "jsonl"]).ok())
            .expect("one JSON line")
    };
    assert_eq!(show("alice")["owns"], "lobby");
    assert_eq!(show("bob")["op_in"], "lobby");
    assert_eq!(show("carol")["op_in"], "");
}
