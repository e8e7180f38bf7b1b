//! The rows of docs/irc.md sections 4 and 5 that the other IRC tests do not
//! cover, over raw sockets on both backends: JOIN and PART errors, PRIVMSG
//! targets and texts (STATUSMSG, CTCP, mIRC formatting, a long text's
//! lines), whisper refusals as standard replies, `$$*` announcements, ISON,
//! USERHOST, TIME, OPER, TAGMSG, and the MODE lines of room roles and room
//! mutes.

mod common;

use std::time::Duration;

use common::irc::{command_of, tag, IrcClient};
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::chat_logs;
use serde_json::json;

both_backends!(
    join_and_part_errors,
    message_targets_and_texts,
    a_long_text_keeps_its_words_and_one_msgid,
    whisper_refusals,
    announcements_to_everyone,
    small_commands,
    mode_lines_of_roles_and_mutes,
    acts_in_a_room_not_joined,
    markread_in_the_join_burst,
    a_bot_that_does_not_wait,
    irc_json_and_websocket_in_one_room,
    a_join_from_another_session_plays_the_burst,
);

fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    })
}

/// alice, logged in over JSON, owner of `#hall`: where most cases start.
fn hall_owner(srv: &TestServer) -> common::client::TestClient {
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice
}

fn join_and_part_errors(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.send("JOIN hall");
    assert_eq!(
        c.expect_cmd("479"),
        ":modchat.local 479 bob hall :Illegal channel name"
    );
    c.send("JOIN 0");
    let n = c.expect_cmd("NOTICE");
    assert!(n.contains("PART each room"), "{n}");
    c.send("PART #nowhere");
    assert_eq!(
        c.expect_cmd("403"),
        ":modchat.local 403 bob #nowhere :No such channel"
    );
    c.send("PART #hall");
    assert_eq!(
        c.expect_cmd("442"),
        ":modchat.local 442 bob #hall :You're not on that channel"
    );
    // a room ban's JOIN refusal says until when and why
    alice.ok(json!({"type": "ban", "user": "bob", "room": "hall", "reason": "rude"}));
    c.send("JOIN #hall");
    let banned = c.expect_cmd("474");
    assert!(
        banned.starts_with(":modchat.local 474 bob #hall :Cannot join channel (+b): ")
            && banned.contains("rude"),
        "{banned}"
    );
}

fn log_texts(srv: &mut TestServer) -> Vec<String> {
    let db = srv.store();
    chat_logs::table
        .order(chat_logs::id)
        .select(chat_logs::text)
        .load(&mut db.conn().expect("conn"))
        .expect("texts")
}

fn message_targets_and_texts(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.expect_cmd("366");
    // STATUSMSG is not carried
    c.send("PRIVMSG @#hall :ops only");
    let refused = c.expect_cmd("404");
    assert!(refused.contains(" 404 bob @#hall :"), "{refused}");
    // CTCP other than ACTION: refused in words; a NOTICE of one: nothing
    c.send("PRIVMSG alice :\u{1}VERSION\u{1}");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL PRIVMSG INVALID_PARAMS alice :CTCP VERSION is not relayed"
    );
    c.send("NOTICE alice :\u{1}VERSION modchat\u{1}");
    // an empty emote is no text
    c.send("PRIVMSG #hall :\u{1}ACTION\u{1}");
    c.expect_cmd("412");
    // mIRC colours and bold are taken out, the words stay
    c.send("PRIVMSG #hall :\u{3}4,12red\u{3} and \u{2}bold\u{2}\u{f} \u{3}7");
    let heard = alice.event("message");
    assert_eq!(heard["text"], "red and bold ");
    c.send("PRIVMSG #hall :\u{1}ACTION \u{1d}waves\u{1d}\u{1}");
    let emote = alice.event("message");
    assert_eq!(
        (&emote["text"], &emote["action"]),
        (&json!("waves"), &json!(true))
    );
    // nothing refused was logged, nothing acknowledged is missing
    assert_eq!(log_texts(&mut srv), ["red and bold ", "waves"]);
    c.assert_none("an answer to the NOTICE", Duration::from_millis(300), |l| {
        l.contains("VERSION")
    });
}

fn a_long_text_keeps_its_words_and_one_msgid(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "message-tags server-time");
    c.expect_cmd("366");
    let words: Vec<String> = (0..250).map(|i| format!("word{i}")).collect();
    let text = words.join(" ");
    assert!(text.len() > 1500);
    let sent = alice.ok(json!({"type": "say", "room": "hall", "text": text}));
    let mut lines = Vec::new();
    let mut got = String::new();
    while got.len() < text.len() {
        let l = c.expect_cmd("PRIVMSG");
        let body = l.split_once(" PRIVMSG #hall :").expect("a room message").1;
        if !got.is_empty() {
            got.push(' ');
        }
        got.push_str(body);
        lines.push(l);
    }
    assert_eq!(got, text, "no word cut in two, none lost");
    assert!(lines.len() >= 3, "{} lines", lines.len());
    assert_eq!(
        tag(&lines[0], "msgid"),
        Some(sent["id"].to_string().as_str())
    );
    for l in &lines[1..] {
        assert_eq!(tag(l, "msgid"), None, "{l}");
        assert!(tag(l, "time").is_some(), "{l}");
        assert!(l.len() <= 512 + 100, "{l}");
    }
}

fn whisper_refusals(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "create_room", "room": "hall"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let _alice = srv.user("alice");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.expect_cmd("366");
    c.send("PRIVMSG bob :me, myself");
    let f = c.expect_cmd("FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL PRIVMSG INVALID_TARGET bob :"),
        "{f}"
    );
    c.send("PRIVMSG nobody :hi");
    assert_eq!(
        c.expect_cmd("401"),
        ":modchat.local 401 bob nobody :No such nick/channel"
    );
    // muted in the room: 404 with the reason in words
    m.ok(json!({"type": "mute", "user": "bob", "room": "hall", "duration_s": 600, "reason": "cool off"}));
    c.send("PRIVMSG #hall :still here");
    let r = c.expect_cmd("404");
    assert!(
        r.starts_with(":modchat.local 404 bob #hall :Cannot send to channel (")
            && r.contains("cool off"),
        "{r}"
    );
    // muted everywhere: a whisper is refused with MUTED
    m.ok(json!({"type": "mute", "user": "bob", "duration_s": 600, "reason": "everywhere"}));
    c.send("PRIVMSG alice :psst");
    let f = c.expect("a whisper's refusal", |l| command_of(l) == "FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL PRIVMSG MUTED alice :") && f.contains("everywhere"),
        "{f}"
    );
}

fn announcements_to_everyone(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc");
    let _root = srv.account("root", Role::Admin);
    let _bob = srv.user("bob");
    let mut json_bob = srv.connect();
    json_bob.login("bob");
    let mut admin = IrcClient::login(irc, "root", PASSWORD, "message-tags account-tag");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "message-tags server-time account-tag");
    admin.send("NOTICE $$* :maintenance at noon");
    let n = c.expect_cmd("NOTICE");
    assert!(
        n.ends_with(" :root!root@modchat/user/root NOTICE bob :maintenance at noon"),
        "{n}"
    );
    assert!(
        tag(&n, "msgid").is_some() && tag(&n, "time").is_some(),
        "{n}"
    );
    assert_eq!(tag(&n, "account"), Some("root"));
    let e = json_bob.event("announcement");
    assert_eq!(e["text"], "maintenance at noon");
    // the admin gets it once, as everyone does
    let own = admin.expect_cmd("NOTICE");
    assert!(own.ends_with("NOTICE root :maintenance at noon"), "{own}");
    // anyone else: 481
    c.send("PRIVMSG $$* :hear me");
    c.expect_cmd("481");
}

fn small_commands(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let _alice = srv.user("alice");
    let _bob = srv.user("bob");
    let mut a = IrcClient::login(irc, "alice", PASSWORD, "");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.send("ISON alice carol BOB");
    assert_eq!(c.expect_cmd("303"), ":modchat.local 303 bob :alice bob");
    c.send("USERHOST alice nobody");
    assert_eq!(
        c.expect_cmd("302"),
        ":modchat.local 302 bob :alice=+alice@modchat/user/alice"
    );
    c.send("ISON");
    c.expect_cmd("461");
    c.send("TIME");
    let t = c.expect_cmd("391");
    assert!(
        t.starts_with(":modchat.local 391 bob modchat.local :"),
        "{t}"
    );
    c.send("OPER bob secret");
    c.expect_cmd("491");
    c.send("MOTD");
    assert_eq!(
        c.expect_cmd("422"),
        ":modchat.local 422 bob :MOTD File is missing"
    );
    // TAGMSG (typing notices) is dropped without a word
    c.send("@+typing=active TAGMSG alice");
    c.send("PING :after");
    let next = c.expect("the PONG", |l| command_of(l) != "NOTICE");
    assert!(next.ends_with("PONG modchat.local :after"), "{next}");
    a.assert_none("a TAGMSG", Duration::from_millis(200), |l| {
        l.contains("TAGMSG")
    });
}

fn mode_lines_of_roles_and_mutes(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    alice.ok(json!({"type": "leave", "room": "hall"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.expect_cmd("366");
    // the owner comes back: JOIN, then the server gives its prefix
    alice.ok(json!({"type": "join", "room": "hall"}));
    let join = c.expect_cmd("JOIN");
    assert_eq!(join, ":alice!alice@modchat/user/alice JOIN #hall");
    assert_eq!(c.expect_cmd("MODE"), ":modchat.local MODE #hall +q alice");
    // a room mute is `+b m:` of the room, its end `-b m:`
    alice.ok(json!({"type": "mute", "user": "bob", "room": "hall", "duration_s": 300}));
    let n = c.expect_cmd("NOTICE");
    assert!(n.contains("muted you in #hall"), "{n}");
    assert_eq!(
        c.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall +b m:bob!*@*"
    );
    alice.ok(json!({"type": "unmute", "user": "bob", "room": "hall"}));
    c.expect_cmd("NOTICE");
    assert_eq!(
        c.expect_cmd("MODE"),
        ":alice!alice@modchat/user/alice MODE #hall -b m:bob!*@*"
    );
}

/// docs/irc.md 5.1: a moderator acting on a room it has not joined gets no
/// room event, so the gateway shows the act from the `ok`; in a room it
/// has joined the line comes once, from the event.
fn acts_in_a_room_not_joined(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let _carol = srv.user("carol");
    let mut carol = srv.connect();
    carol.login("carol");
    carol.ok(json!({"type": "join", "room": "hall"}));
    let _m = srv.account("mod", Role::Moderator);
    let mut m = IrcClient::login(irc, "mod", PASSWORD, "account-tag");
    m.send("TOPIC #hall :set from outside");
    let t = m.expect_cmd("TOPIC");
    assert!(
        t.ends_with(":mod!mod@modchat/user/mod TOPIC #hall :set from outside"),
        "{t}"
    );
    assert_eq!(tag(&t, "account"), Some("mod"));
    alice.event("topic_changed");
    m.send("MODE #hall +o carol");
    assert!(m.expect_cmd("MODE").ends_with("MODE #hall +o carol"));
    m.send("KICK #hall bob :out");
    assert!(m.expect_cmd("KICK").ends_with("KICK #hall bob :kicked"));
    bob.event("kicked");
    // once joined, each act shows once (from the room's event)
    m.send("JOIN #hall");
    m.expect_cmd("366");
    m.send("TOPIC #hall :from inside");
    m.expect_cmd("TOPIC");
    m.send("PING :end");
    m.expect_cmd("PONG");
    // ... and its own JOIN is not played twice (`joined` goes to the
    // account's other sessions only)
    m.assert_none("a second TOPIC or JOIN", Duration::from_millis(300), |l| {
        matches!(command_of(l), "TOPIC" | "JOIN" | "353")
    });
}

/// draft/read-marker: MARKREAD comes right after each JOIN of the burst
/// and of a JOIN command: the marked message's time, or `*`.
fn markread_in_the_join_burst(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    alice.ok(json!({"type": "create_room", "room": "quiet"}));
    let said = alice.ok(json!({"type": "say", "room": "hall", "text": "read me"}));
    alice.ok(json!({"type": "mark_read", "room": "hall", "message_id": said["id"]}));
    let at = said["at"].as_str().expect("at").to_owned();
    let mut c = IrcClient::login(irc, "alice", PASSWORD, "draft/read-marker");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let join = c.expect_cmd("JOIN");
        let room = join.rsplit(' ').next().expect("room").to_owned();
        let next = c.next_line(Duration::from_secs(5)).expect("MARKREAD");
        seen.push((room, next));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "#hall".to_owned(),
                format!(":modchat.local MARKREAD #hall timestamp={at}")
            ),
            (
                "#quiet".to_owned(),
                ":modchat.local MARKREAD #quiet *".to_owned()
            ),
        ]
    );
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "create_room", "room": "den"}));
    c.send("JOIN #den");
    c.expect_cmd("JOIN");
    assert_eq!(
        c.next_line(Duration::from_secs(5)).expect("MARKREAD"),
        ":modchat.local MARKREAD #den *"
    );
}

/// A bot that sends its whole registration and first commands at once
/// (README's bash bot): the lines after a login wait for its outcome, so
/// its JOIN and PRIVMSG come after 001 and work.
fn a_bot_that_does_not_wait(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc");
    let mut alice = hall_owner(&srv);
    let _bot = srv.user("bot");
    let mut c = IrcClient::connect(irc);
    c.send_raw(
        format!(
            "PASS bot:{PASSWORD}\r\nNICK bot\r\nUSER bot 0 * :bot\r\nJOIN #hall\r\nPRIVMSG #hall :the build is green\r\nQUIT\r\n"
        )
        .as_bytes(),
    );
    c.expect_cmd("001");
    c.expect_cmd("366");
    let m = alice.expect("the bot's message", |v| v["type"] == "message");
    assert_eq!(
        (&m["from"], &m["text"]),
        (&json!("bot"), &json!("the build is green"))
    );
    c.expect_cmd("ERROR");
    assert_eq!(log_texts(&mut srv), ["the build is green"]);
}

/// The "done when", over sockets: an IRC user, a JSON user and a
/// WebSocket (web client) user in one room see one conversation, every
/// text one `chat_logs` row with its sender; a moderator on IRC kicks the
/// IRC user, and the kick is one `moderation_actions` row.
fn irc_json_and_websocket_in_one_room(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    });
    let irc = srv.irc.expect("irc");
    let http = srv.http.expect("http");
    let mut alice = hall_owner(&srv);
    let mut web = common::ws::WsClient::user(http, "wendy");
    web.ok(json!({"type": "join", "room": "hall"}));
    let _carol = srv.user("carol");
    let mut carol = IrcClient::login(irc, "carol", PASSWORD, "echo-message message-tags");
    carol.send("JOIN #hall");
    carol.expect_cmd("366");
    alice.event("joined");
    web.event("joined");

    carol.send("PRIVMSG #hall :from irc");
    let echo = carol.expect_cmd("PRIVMSG");
    let irc_id = tag(&echo, "msgid").expect("msgid").to_owned();
    for v in [alice.event("message"), web.event("message")] {
        assert_eq!(
            (&v["from"], &v["text"]),
            (&json!("carol"), &json!("from irc"))
        );
        assert_eq!(v["id"].to_string(), irc_id);
    }
    let a = alice.ok(json!({"type": "say", "room": "hall", "text": "from json"}));
    let w = web.ok(json!({"type": "say", "room": "hall", "text": "from the web"}));
    let heard_a = carol.expect_cmd("PRIVMSG");
    let heard_w = carol.expect_cmd("PRIVMSG");
    assert!(heard_a.ends_with(":alice!alice@modchat/user/alice PRIVMSG #hall :from json"));
    assert_eq!(tag(&heard_a, "msgid"), Some(a["id"].to_string().as_str()));
    assert!(heard_w.ends_with(":wendy!wendy@modchat/user/wendy PRIVMSG #hall :from the web"));
    assert_eq!(tag(&heard_w, "msgid"), Some(w["id"].to_string().as_str()));
    assert_eq!(web.event("message")["text"], "from json");
    assert_eq!(alice.event("message")["text"], "from the web");
    // one row per text, in order, by who sent it
    let db = srv.store();
    let rows: Vec<(String, String)> = chat_logs::table
        .order(chat_logs::id)
        .select((chat_logs::sender_name, chat_logs::text))
        .load(&mut db.conn().expect("conn"))
        .expect("rows");
    assert_eq!(
        rows,
        [
            ("carol".to_owned(), "from irc".to_owned()),
            ("alice".to_owned(), "from json".to_owned()),
            ("wendy".to_owned(), "from the web".to_owned()),
        ]
    );

    // a moderator on IRC kicks carol from the room
    let _m = srv.account("mod", Role::Moderator);
    let mut m = IrcClient::login(irc, "mod", PASSWORD, "");
    m.send("JOIN #hall");
    m.expect_cmd("366");
    m.send("KICK #hall carol :enough");
    assert_eq!(
        carol.expect_cmd("KICK"),
        ":mod!mod@modchat/user/mod KICK #hall carol :enough"
    );
    for v in [
        alice.expect("carol's kick", |v| {
            v["type"] == "left" && v["user"] == "carol"
        }),
        web.expect("carol's kick", |v| {
            v["type"] == "left" && v["user"] == "carol"
        }),
    ] {
        assert_eq!((&v["reason"], &v["by"]), (&json!("kicked"), &json!("mod")));
    }
    let kicks: Vec<_> = srv
        .actions()
        .into_iter()
        .filter(|a| a.action == "kick")
        .collect();
    assert_eq!(kicks.len(), 1, "{kicks:?}");
    assert_eq!(kicks[0].target_id, Some(srv.account_id("carol")));
    assert_eq!(kicks[0].actor_id, Some(srv.account_id("mod")));
    assert!(kicks[0].room_id.is_some());
    assert_eq!(kicks[0].reason.as_deref(), Some("enough"));
}

/// docs/irc.md 4.2: the account joins a room from its web session; its
/// IRC session gets the JOIN with the room's names, as Ergo plays a JOIN
/// to each session of the account.
fn a_join_from_another_session_plays_the_burst(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc");
    let _alice = hall_owner(&srv);
    let mut bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    bob.ok(json!({"type": "join", "room": "hall"}));
    assert_eq!(c.expect_cmd("JOIN"), ":bob!bob@modchat/user/bob JOIN #hall");
    let names = c.expect_cmd("353");
    assert!(
        names.ends_with(" #hall :~alice bob") || names.ends_with(" #hall :bob ~alice"),
        "{names}"
    );
    c.expect_cmd("366");
}
