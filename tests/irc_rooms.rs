//! The IRC gateway's room and user rows (../shared/PROTOCOL.md "IRC
//! gateway", docs/irc.md 4.2, 4.4, 4.6) over raw sockets: NAMES, LIST,
//! TOPIC, WHO, WHOIS, NICK, KICK, MODE (+o/-o, +b/-b with mutes, the ban
//! list, +l/-l), VERSION, each with its success and its error numerics; a
//! JSON user and an IRC user in one room see the same acts, and every act
//! made from IRC is its moderation_actions row. Both backends.

mod common;

use common::irc::{command_of, IrcClient};
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::{moderation_actions, rooms};
use serde_json::json;

both_backends!(
    names_list_topic_and_version,
    who_and_whois,
    nick_renames_the_account,
    kick_from_irc,
    room_roles_and_capacity_by_mode,
    bans_and_mutes_by_mode,
);

fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    })
}

/// A line already read or still to come that matches `pred` (an event's
/// line and a reply's line may come in either order).
fn seen_or_expect(c: &mut IrcClient, what: &str, pred: impl Fn(&str) -> bool) -> String {
    if let Some(l) = c.seen.iter().find(|l| pred(l)) {
        return l.clone();
    }
    c.expect(what, pred)
}

/// A round trip: every line the server wrote before its PONG has arrived.
fn sync(c: &mut IrcClient) {
    c.send("PING :sync");
    c.expect("the PONG", |l| l.ends_with("PONG modchat.local :sync"));
}

/// Drops the lines read so far (so `seen_or_expect` looks at new ones).
fn forget(c: &mut IrcClient) {
    sync(c);
    c.seen.clear();
}

/// `(action, actor name, room name)` of every record of these actions,
/// oldest first, read with SQL.
fn records(srv: &mut TestServer, actions: &[&str]) -> Vec<(String, String, Option<String>)> {
    use modchat::store::schema::accounts;
    let db = srv.store();
    let mut c = db.conn().expect("conn");
    moderation_actions::table
        .inner_join(accounts::table.on(moderation_actions::actor_id.eq(accounts::id.nullable())))
        .left_join(rooms::table.on(moderation_actions::room_id.eq(rooms::id.nullable())))
        .filter(moderation_actions::action.eq_any(actions))
        .order(moderation_actions::id)
        .select((
            moderation_actions::action,
            accounts::username,
            rooms::name.nullable(),
        ))
        .load::<(String, String, Option<String>)>(&mut c)
        .expect("records")
}

fn rec(action: &str, by: &str, room: &str) -> (String, String, Option<String>) {
    (action.into(), by.into(), Some(room.into()))
}

fn names_list_topic_and_version(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "set_topic", "room": "hall", "topic": "welcome all"}));
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "join", "room": "hall"}));
    m.ok(json!({"type": "create_room", "room": "staff"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let _carol = srv.user("carol");
    let mut c = IrcClient::login(irc, "carol", PASSWORD, "");
    c.send("JOIN #hall");
    c.expect_cmd("332");
    // JOIN's topic comes with its setter and time (the `join` reply's)
    let set_by = c.expect_cmd("333");
    assert!(
        set_by.starts_with(":modchat.local 333 carol #hall alice "),
        "{set_by}"
    );
    c.expect_cmd("366");

    // NAMES: online members, ~ owner, @ staff (the highest prefix alone)
    c.send("NAMES #hall");
    let names = c.expect_cmd("353");
    assert!(
        names.starts_with(":modchat.local 353 carol = #hall :"),
        "{names}"
    );
    let mut got: Vec<&str> = names.rsplit_once(" :").unwrap().1.split(' ').collect();
    got.sort();
    assert_eq!(got, ["@mod", "bob", "carol", "~alice"], "{names}");
    assert_eq!(
        c.expect_cmd("366"),
        ":modchat.local 366 carol #hall :End of /NAMES list"
    );
    c.send("NAMES #staff");
    assert!(c.expect_cmd("353").ends_with(" #staff :~mod"));
    c.expect_cmd("366");
    // no parameter, an unknown room: the end alone
    c.send("NAMES");
    assert_eq!(
        c.expect_cmd("366"),
        ":modchat.local 366 carol * :End of /NAMES list"
    );
    c.send("NAMES #nowhere");
    let end = c.expect("a reply", |l: &str| {
        command_of(l) == "353" || command_of(l) == "366"
    });
    assert_eq!(end, ":modchat.local 366 carol #nowhere :End of /NAMES list");

    // multi-prefix and userhost-in-names
    let _dave = srv.user("dave");
    let mut d = IrcClient::login(irc, "dave", PASSWORD, "multi-prefix userhost-in-names");
    d.send("NAMES #staff");
    assert!(
        d.expect_cmd("353")
            .ends_with(" #staff :~@mod!mod@modchat/user/mod"),
        "{:?}",
        d.seen
    );

    // LIST: every room, its online members and topic
    c.send("LIST");
    assert_eq!(
        c.expect_cmd("321"),
        ":modchat.local 321 carol Channel :Users  Name"
    );
    assert_eq!(
        c.expect_cmd("322"),
        ":modchat.local 322 carol #hall 4 :welcome all"
    );
    assert_eq!(c.expect_cmd("322"), ":modchat.local 322 carol #staff 1 :");
    assert_eq!(
        c.expect_cmd("323"),
        ":modchat.local 323 carol :End of /LIST"
    );
    c.send("LIST #staff,#nowhere");
    c.expect_cmd("321");
    let l = c.expect("a reply", |l: &str| matches!(command_of(l), "322" | "323"));
    assert!(l.contains(" #staff 1"), "{l}");
    c.expect_cmd("323");

    // TOPIC: read (332, 331, 403)
    c.send("TOPIC #hall");
    assert_eq!(
        c.expect_cmd("332"),
        ":modchat.local 332 carol #hall :welcome all"
    );
    // who set it and when, in seconds (333), as `rooms` says
    let listed = alice.ok(json!({"type": "rooms", "query": "hall"}));
    let at = chrono::DateTime::parse_from_rfc3339(
        listed["rooms"][0]["topic_at"].as_str().expect("topic_at"),
    )
    .expect("a time")
    .timestamp();
    assert_eq!(listed["rooms"][0]["topic_by"], "alice");
    assert_eq!(
        c.expect_cmd("333"),
        format!(":modchat.local 333 carol #hall alice {at}")
    );
    c.send("TOPIC #staff");
    assert_eq!(
        c.expect_cmd("331"),
        ":modchat.local 331 carol #staff :No topic is set"
    );
    c.send("TOPIC #nowhere");
    assert_eq!(
        c.expect_cmd("403"),
        ":modchat.local 403 carol #nowhere :No such channel"
    );
    // set: a member who does not run the room 482, not a member 442, no
    // room 403
    c.send("TOPIC #hall :mine now");
    assert_eq!(
        c.expect_cmd("482"),
        ":modchat.local 482 carol #hall :You're not channel operator"
    );
    c.send("TOPIC #staff :mine now");
    assert_eq!(
        c.expect_cmd("442"),
        ":modchat.local 442 carol #staff :You're not on that channel"
    );
    c.send("TOPIC #nowhere :x");
    c.expect_cmd("403");
    // a JSON owner's set_topic: the IRC member sees TOPIC
    alice.ok(json!({"type": "set_topic", "room": "hall", "topic": "from json"}));
    assert_eq!(
        c.expect_cmd("TOPIC"),
        ":alice!alice@modchat/user/alice TOPIC #hall :from json"
    );
    // an IRC op's TOPIC: the JSON users get topic_changed
    alice.ok(json!({"type": "set_room_role", "room": "hall", "user": "carol", "role": "op"}));
    assert_eq!(
        c.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall +o carol"
    );
    c.send("TOPIC #hall :from irc");
    let t = bob.expect("the IRC op's topic", |v| {
        v["type"] == "topic_changed" && v["by"] == "carol"
    });
    assert_eq!(
        (&t["room"], &t["topic"], &t["by"]),
        (&json!("hall"), &json!("from irc"), &json!("carol"))
    );
    assert_eq!(
        c.expect_cmd("TOPIC"),
        ":carol!carol@modchat/user/carol TOPIC #hall :from irc"
    );
    // a topic modchat refuses is refused, never cut
    c.send(&format!("TOPIC #hall :{}", "x".repeat(301)));
    let f = c.expect_cmd("FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL TOPIC INVALID_PARAMS topic :"),
        "{f}"
    );
    assert_eq!(
        records(&mut srv, &["set_topic"]),
        [
            rec("set_topic", "alice", "hall"),
            rec("set_topic", "alice", "hall"),
            rec("set_topic", "carol", "hall"),
        ]
    );

    // VERSION: 351
    c.send("VERSION");
    assert_eq!(
        c.expect_cmd("351"),
        format!(
            ":modchat.local 351 carol modchat-{} modchat.local :protocol 1",
            env!("CARGO_PKG_VERSION")
        )
    );
}

fn who_and_whois(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "join", "room": "hall"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    bob.ok(json!({"type": "create_room", "room": "music"}));
    let _carol = srv.user("carol");
    let mut c = IrcClient::login(irc, "carol", PASSWORD, "");

    // WHO #room: the online members, the cloak as host, * for staff
    c.send("WHO #hall");
    let mut lines = Vec::new();
    loop {
        let l = c.expect("a reply", |l: &str| matches!(command_of(l), "352" | "315"));
        if command_of(&l) == "315" {
            assert_eq!(l, ":modchat.local 315 carol #hall :End of WHO list");
            break;
        }
        lines.push(l);
    }
    lines.sort();
    assert_eq!(
        lines,
        [
            ":modchat.local 352 carol #hall alice modchat/user/alice modchat.local alice H~ :0 alice",
            ":modchat.local 352 carol #hall bob modchat/user/bob modchat.local bob H :0 bob",
            ":modchat.local 352 carol #hall mod modchat/user/mod modchat.local mod H*@ :0 mod",
        ]
    );
    c.send("WHO #nowhere");
    let l = c.expect("a reply", |l: &str| matches!(command_of(l), "352" | "315"));
    assert_eq!(l, ":modchat.local 315 carol #nowhere :End of WHO list");
    // WHO nick, WHO mask
    c.send("WHO MOD");
    assert_eq!(
        c.expect_cmd("352"),
        ":modchat.local 352 carol * mod modchat/user/mod modchat.local mod H* :0 mod"
    );
    assert_eq!(
        c.expect_cmd("315"),
        ":modchat.local 315 carol MOD :End of WHO list"
    );
    c.send("WHO *");
    let mut n = 0;
    while command_of(&c.expect("a reply", |l: &str| matches!(command_of(l), "352" | "315")))
        == "352"
    {
        n += 1;
    }
    assert_eq!(n, 4, "alice, bob, carol, mod");
    c.send("WHO zz*");
    let l = c.expect("a reply", |l: &str| matches!(command_of(l), "352" | "315"));
    assert_eq!(l, ":modchat.local 315 carol zz* :End of WHO list");

    // WHOIS: a cloak, no address, to a plain user
    c.send("WHOIS bob");
    assert_eq!(
        c.expect_cmd("311"),
        ":modchat.local 311 carol bob bob modchat/user/bob * :bob"
    );
    assert_eq!(
        c.expect_cmd("319"),
        ":modchat.local 319 carol bob :#hall #music"
    );
    assert_eq!(
        c.expect_cmd("312"),
        ":modchat.local 312 carol bob modchat.local :modchat"
    );
    assert_eq!(
        c.expect_cmd("330"),
        ":modchat.local 330 carol bob bob :is logged in as"
    );
    assert_eq!(
        c.expect_cmd("318"),
        ":modchat.local 318 carol bob :End of /WHOIS list"
    );
    assert!(
        !c.seen.iter().any(|l| command_of(l) == "338"),
        "{:?}",
        c.seen
    );
    c.send("WHOIS mod");
    assert_eq!(
        c.expect_cmd("313"),
        ":modchat.local 313 carol mod :is a moderator on modchat"
    );
    c.expect_cmd("318");
    c.send("WHOIS nobody");
    assert_eq!(
        c.expect_cmd("401"),
        ":modchat.local 401 carol nobody :No such nick/channel"
    );
    assert_eq!(
        c.expect_cmd("318"),
        ":modchat.local 318 carol nobody :End of /WHOIS list"
    );
    c.send("WHOIS ModServ");
    assert_eq!(
        c.expect_cmd("311"),
        ":modchat.local 311 carol ModServ ModServ modchat.local * :Moderation service"
    );
    c.expect_cmd("313");
    c.expect_cmd("318");
    // to a moderator: the address of each connection (338): carol's JSON
    // one and her IRC one
    let mut mi = IrcClient::login(irc, "mod", PASSWORD, "");
    mi.send("WHOIS carol");
    let mut addrs = Vec::new();
    loop {
        let l = mi.expect("a reply", |l: &str| matches!(command_of(l), "338" | "318"));
        if command_of(&l) == "318" {
            break;
        }
        addrs.push(l);
    }
    assert_eq!(addrs.len(), 2, "{addrs:?}");
    for (l, transport) in addrs.iter().zip(["tcp", "irc"]) {
        let want = format!(":modchat.local 338 mod carol carol@127.0.0.1 127.0.0.1 :Actual user@host, Actual IP ({transport} since ");
        assert!(l.starts_with(&want), "{l}");
    }
}

fn nick_renames_the_account(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _carol = srv.user("carol");
    let mut c = IrcClient::login(irc, "carol", PASSWORD, "");
    c.send("JOIN #hall");
    c.expect_cmd("366");
    // taken, confusable, bad, with a '.', empty
    c.send("NICK alice");
    let l = c.expect_cmd("433");
    assert!(
        l.starts_with(":modchat.local 433 carol alice :Nickname is already in use"),
        "{l}"
    );
    c.send("NICK aIice");
    c.expect_cmd("433");
    c.send("NICK bad!name");
    assert_eq!(
        c.expect_cmd("432"),
        ":modchat.local 432 carol bad!name :Erroneous nickname"
    );
    c.send("NICK carol.b");
    c.expect_cmd("432");
    c.send("NICK");
    c.expect_cmd("431");
    alice.assert_none("a rename", |v| v["type"] == "renamed");
    // a rename: NICK to this connection, renamed to the room
    c.send("NICK carla");
    assert_eq!(
        c.expect_cmd("NICK"),
        ":carol!carol@modchat/user/carol NICK carla"
    );
    let r = alice.event("renamed");
    assert_eq!((&r["old"], &r["new"]), (&json!("carol"), &json!("carla")));
    // numerics follow the new nick
    c.send("NAMES #hall");
    assert!(c
        .expect_cmd("353")
        .starts_with(":modchat.local 353 carla = #hall"));
}

fn kick_from_irc(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice_json = srv.user("alice");
    alice_json.ok(json!({"type": "create_room", "room": "hall"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let mut dan = srv.user("dan");
    dan.ok(json!({"type": "create_room", "room": "den"}));
    let mut a = IrcClient::login(irc, "alice", PASSWORD, "");
    a.expect_cmd("366");

    a.send("KICK #hall bob :spam spam");
    let k = bob.event("kicked");
    assert_eq!(
        (&k["by"], &k["room"], &k["reason"]),
        (&json!("alice"), &json!("hall"), &json!("spam spam"))
    );
    let kick = a.expect_cmd("KICK");
    assert!(
        kick.starts_with(":alice!alice@modchat/user/alice KICK #hall bob"),
        "{kick}"
    );
    let left = alice_json.event("left");
    assert_eq!(
        (&left["user"], &left["reason"]),
        (&json!("bob"), &json!("kicked"))
    );
    // not there 441, no such nick 401, no room 403, too few parameters 461
    a.send("KICK #hall dan");
    assert_eq!(
        a.expect_cmd("441"),
        ":modchat.local 441 alice dan #hall :They aren't on that channel"
    );
    a.send("KICK #hall nobody");
    assert_eq!(
        a.expect_cmd("401"),
        ":modchat.local 401 alice nobody :No such nick/channel"
    );
    a.send("KICK #nowhere bob");
    assert_eq!(
        a.expect_cmd("403"),
        ":modchat.local 403 alice #nowhere :No such channel"
    );
    a.send("KICK #hall");
    a.expect_cmd("461");
    // a member who does not run the room: 482
    bob.ok(json!({"type": "join", "room": "hall"}));
    let mut bi = IrcClient::login(irc, "bob", PASSWORD, "");
    bi.send("KICK #hall alice");
    assert_eq!(
        bi.expect_cmd("482"),
        ":modchat.local 482 bob #hall :You're not channel operator"
    );
    bi.send("KICK #den dan");
    bi.expect_cmd("482");
    assert_eq!(records(&mut srv, &["kick"]), [rec("kick", "alice", "hall")]);
}

fn room_roles_and_capacity_by_mode(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _alice = srv.user("alice");
    let mut a = IrcClient::login(irc, "alice", PASSWORD, "");
    a.send("JOIN #hall");
    a.expect_cmd("366");
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let _dan = srv.user("dan");

    // MODE #room: the capacity
    a.send("MODE #hall");
    assert_eq!(
        a.expect_cmd("324"),
        ":modchat.local 324 alice #hall +l 1000"
    );
    // and when the room was made (329), as `rooms` says
    let listed = bob.ok(json!({"type": "rooms", "query": "hall"}));
    let made = chrono::DateTime::parse_from_rfc3339(
        listed["rooms"][0]["created_at"]
            .as_str()
            .expect("created_at"),
    )
    .expect("a time")
    .timestamp();
    assert_eq!(
        a.expect_cmd("329"),
        format!(":modchat.local 329 alice #hall {made}")
    );
    a.send("MODE #nowhere");
    a.expect_cmd("403");

    // +o / -o: the JSON member gets room_role_changed, IRC sees MODE
    a.send("MODE #hall +o bob");
    let r = bob.event("room_role_changed");
    assert_eq!(
        (&r["user"], &r["room_role"], &r["by"]),
        (&json!("bob"), &json!("op"), &json!("alice"))
    );
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall +o bob"
    );
    a.send("NAMES #hall");
    assert!(a.expect_cmd("353").contains("@bob"));
    a.send("MODE #hall -o bob");
    assert_eq!(bob.event("room_role_changed")["room_role"], "member");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall -o bob"
    );
    // errors: not there 441, no such nick 401, no room 403, not the owner 482
    a.send("MODE #hall +o dan");
    assert_eq!(
        a.expect_cmd("441"),
        ":modchat.local 441 alice dan #hall :They aren't on that channel"
    );
    a.send("MODE #hall +o nobody");
    a.expect_cmd("401");
    a.send("MODE #nowhere +o bob");
    a.expect_cmd("403");
    a.send("MODE #hall +o");
    a.expect_cmd("461");
    let mut bi = IrcClient::login(irc, "bob", PASSWORD, "");
    bi.send("MODE #hall +o bob");
    assert_eq!(
        bi.expect_cmd("482"),
        ":modchat.local 482 bob #hall :You're not channel operator"
    );
    bi.send("MODE #hall +l 3");
    bi.expect_cmd("482");
    // ownership is not a mode; unknown letters 472
    a.send("MODE #hall +q bob");
    assert_eq!(
        a.expect_cmd("482"),
        ":modchat.local 482 alice #hall :Room ownership cannot be given or taken"
    );
    a.send("MODE #hall +k secret");
    assert_eq!(
        a.expect_cmd("472"),
        ":modchat.local 472 alice k :is unknown mode char to me"
    );

    // +l N / -l: set_capacity, the MODE to this connection
    a.send("MODE #hall +l 5");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall +l 5"
    );
    let rooms = bob.ok(json!({"type": "rooms", "query": "hall"}));
    assert_eq!(rooms["rooms"][0]["capacity"], 5);
    a.send("MODE #hall");
    assert_eq!(a.expect_cmd("324"), ":modchat.local 324 alice #hall +l 5");
    a.send("MODE #hall +l 0");
    assert_eq!(
        a.expect_cmd("696"),
        ":modchat.local 696 alice #hall l 0 :Capacity must be a positive integer"
    );
    a.send("MODE #hall -l");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall -l"
    );
    a.send("MODE #hall");
    assert_eq!(
        a.expect_cmd("324"),
        ":modchat.local 324 alice #hall +l 1000"
    );

    // a JSON owner's set_room_role reaches the IRC member as MODE
    bob.ok(json!({"type": "create_room", "room": "den"}));
    a.send("JOIN #den");
    a.expect_cmd("366");
    bob.ok(json!({"type": "set_room_role", "room": "den", "user": "alice", "role": "op"}));
    assert_eq!(
        a.expect_cmd("MODE"),
        ":bob!bob@modchat/user/bob MODE #den +o alice"
    );

    // user modes: the client's own, none kept
    a.send("MODE alice");
    assert_eq!(a.expect_cmd("221"), ":modchat.local 221 alice :+");
    a.send("MODE bob");
    a.expect_cmd("502");

    assert_eq!(
        records(&mut srv, &["set_room_role", "set_capacity"]),
        [
            rec("set_room_role", "alice", "hall"),
            rec("set_room_role", "alice", "hall"),
            rec("set_capacity", "alice", "hall"),
            rec("set_capacity", "alice", "hall"),
            rec("set_room_role", "bob", "den"),
        ]
    );
}

fn bans_and_mutes_by_mode(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _alice = srv.user("alice");
    let mut a = IrcClient::login(irc, "alice", PASSWORD, "");
    a.send("JOIN #hall");
    a.expect_cmd("366");
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    a.expect_cmd("JOIN");
    forget(&mut a);

    // +b nick!*@*: the room ban; the MODE to the setter, KICK to the room
    a.send("MODE #hall +b bob!*@*");
    let ban = bob.expect("the room ban", |v| {
        v["type"] == "banned" && v.get("re").is_none()
    });
    assert_eq!(
        (&ban["room"], &ban["by"]),
        (&json!("hall"), &json!("alice"))
    );
    seen_or_expect(&mut a, "the MODE +b", |l| {
        l == ":alice!alice@modchat/user/alice MODE #hall +b bob!*@*"
    });
    seen_or_expect(&mut a, "the KICK", |l| {
        l.starts_with(":alice!alice@modchat/user/alice KICK #hall bob")
    });
    bob.err(json!({"type": "join", "room": "hall"}), "banned_from_room");
    // the list: 367 with setter and time, 368
    a.send("MODE #hall +b");
    let l = a.expect_cmd("367");
    assert!(
        l.starts_with(":modchat.local 367 alice #hall bob!*@* alice "),
        "{l}"
    );
    let at: i64 = l.rsplit(' ').next().unwrap().parse().expect("unix time");
    assert!((at - chrono::Utc::now().timestamp()).abs() < 60, "{l}");
    assert_eq!(
        a.expect_cmd("368"),
        ":modchat.local 368 alice #hall :End of channel ban list"
    );
    // -b with any form that names the account
    a.send("MODE #hall -b a:bob");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall -b bob!*@*"
    );
    bob.ok(json!({"type": "join", "room": "hall"}));
    // removing an absent ban is silent
    forget(&mut a);
    a.send("MODE #hall -b bob");
    sync(&mut a);
    assert!(
        !a.seen
            .iter()
            .any(|l| l.contains(" MODE ") || command_of(l).starts_with('4')),
        "{:?}",
        a.seen
    );
    // masks that name more than one account: 696
    a.send("MODE #hall +b b*!*@*");
    assert_eq!(
        a.expect_cmd("696"),
        ":modchat.local 696 alice #hall b b*!*@* :Mask must be nick, nick!*@*, *!*@<network>/user/nick or a:account"
    );
    a.send("MODE #hall +b nobody");
    a.expect_cmd("401");
    a.send("MODE #nowhere +b bob");
    a.expect_cmd("403");

    // +b m:mask: the room mute; the muted JSON user's say is refused
    a.send("MODE #hall +b m:*!*@modchat/user/bob");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall +b m:bob!*@*"
    );
    let muted = bob.event("muted");
    assert_eq!(
        (&muted["room"], &muted["by"]),
        (&json!("hall"), &json!("alice"))
    );
    bob.err(
        json!({"type": "say", "room": "hall", "text": "hi"}),
        "muted",
    );
    a.send("MODE #hall b");
    assert!(a
        .expect_cmd("367")
        .starts_with(":modchat.local 367 alice #hall m:bob!*@* alice "));
    a.expect_cmd("368");
    a.send("MODE #hall -b m:bob");
    assert_eq!(
        a.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall -b m:bob!*@*"
    );
    bob.event("unmuted");
    bob.ok(json!({"type": "say", "room": "hall", "text": "hi"}));
    a.send("MODE #hall +b");
    let l = a.expect("a reply", |l: &str| matches!(command_of(l), "367" | "368"));
    assert_eq!(l, ":modchat.local 368 alice #hall :End of channel ban list");

    // a member who does not run the room: 482, and an empty list
    let mut bi = IrcClient::login(irc, "bob", PASSWORD, "");
    bi.send("MODE #hall +b alice");
    bi.expect_cmd("482");
    bi.send("MODE #hall +b m:alice");
    bi.expect_cmd("482");
    bi.send("MODE #hall +b");
    let l = bi.expect("a reply", |l: &str| matches!(command_of(l), "367" | "368"));
    assert_eq!(l, ":modchat.local 368 bob #hall :End of channel ban list");

    assert_eq!(
        records(&mut srv, &["ban", "unban", "mute", "unmute"]),
        [
            rec("ban", "alice", "hall"),
            rec("unban", "alice", "hall"),
            rec("mute", "alice", "hall"),
            rec("unmute", "alice", "hall"),
        ]
    );
}
