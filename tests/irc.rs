//! The IRC gateway (../shared/PROTOCOL.md "IRC gateway", docs/irc.md) over
//! raw sockets: registration, the JOIN burst, talking with a JSON user in
//! one room (every text one chat_logs row), emotes, whispers, errors as
//! numerics, a kick, and malformed input. Both backends.

mod common;

use std::time::Duration;

use common::irc::{command_of, sasl_plain, tag, IrcClient};
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::chat_logs;
use serde_json::json;

both_backends!(
    registration_with_sasl_and_the_welcome,
    registration_refusals,
    talking_with_a_json_user,
    errors_are_numerics,
    a_moderator_kicks_an_irc_user,
    malformed_input_never_hurts,
    modserv_commands,
    register_before_connecting,
    two_clients_create_one_room,
    pass_logins,
    sasl_exchange_edges,
    register_refusals,
    cap_ls_with_and_without_302,
    quit_and_the_welcome_burst,
    a_name_with_a_dot_cannot_use_irc,
);

fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    })
}

fn log_count(srv: &mut TestServer) -> i64 {
    let db = srv.store();
    chat_logs::table
        .count()
        .get_result(&mut db.conn().expect("conn"))
        .expect("query")
}

fn registration_with_sasl_and_the_welcome(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "set_topic", "room": "hall", "topic": "welcome all"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));

    let mut c = IrcClient::connect(irc);
    c.send("CAP LS 302");
    let ls = c.expect_cmd("CAP");
    assert!(ls.contains(" LS ") && ls.contains("sasl=PLAIN"), "{ls}");
    c.send("NICK whoever");
    c.send("USER bob 0 * :Bob");
    c.send("CAP REQ :sasl server-time frobnicate");
    c.expect("NAK of an unknown cap", |l| l.contains(" NAK "));
    c.send("CAP REQ :sasl server-time extended-join");
    c.expect("ACK", |l| l.contains(" ACK "));
    c.send("AUTHENTICATE PLAIN");
    c.expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +");
    c.send(&format!(
        "AUTHENTICATE {}",
        sasl_plain("bob", "wrong password")
    ));
    c.expect_cmd("904");
    c.send("AUTHENTICATE PLAIN");
    c.expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +");
    c.send(&format!("AUTHENTICATE {}", sasl_plain("bob", PASSWORD)));
    let logged = c.expect_cmd("900");
    assert!(logged.contains("bob!bob@modchat/user/bob bob"), "{logged}");
    c.expect_cmd("903");
    c.send("CAP END");
    // the nick is the account's, whatever NICK said
    let nick = c.expect_cmd("NICK");
    assert_eq!(nick, ":whoever NICK bob");
    let welcome = c.expect_cmd("001");
    assert!(
        welcome.starts_with(":modchat.local 001 bob :Welcome"),
        "{welcome}"
    );
    let mut isupport = c.expect_cmd("005");
    isupport.push(' ');
    isupport.push_str(&c.expect_cmd("005"));
    // the contract's tokens, and MODES, MAXTARGETS as the gateway applies them
    for token in [
        "CASEMAPPING=ascii",
        "CHANTYPES=#",
        "PREFIX=(qo)~@",
        "UTF8ONLY",
        "CHATHISTORY=100",
        "MSGREFTYPES=msgid,timestamp",
        "NICKLEN=32",
        "CHANNELLEN=65",
        "TOPICLEN=300",
        "EXTBAN=,am",
        "MODES=4",
        "MAXTARGETS=1",
        "NETWORK=modchat",
    ] {
        assert!(
            isupport.split(' ').any(|t| t == token),
            "{token} in {isupport}"
        );
    }
    c.expect_cmd("422");
    // the JOIN burst: bob is in #hall since his JSON join
    let join = c.expect_cmd("JOIN");
    // server-time: a JOIN carries its time like every line of an act
    let (tags, join) = join.split_once(' ').expect("tags");
    assert!(tags.starts_with("@time=2"), "{tags}");
    assert_eq!(join, ":bob!bob@modchat/user/bob JOIN #hall bob :bob");
    let topic = c.expect_cmd("332");
    assert_eq!(topic, ":modchat.local 332 bob #hall :welcome all");
    // the setter and time (333) come with the burst's topic
    let set_by = c.next_line(std::time::Duration::from_secs(5)).expect("333");
    assert!(
        set_by.starts_with(":modchat.local 333 bob #hall alice 1"),
        "{set_by}"
    );
    let names = c.expect_cmd("353");
    assert!(
        names.ends_with(":~alice bob") || names.ends_with(":bob ~alice"),
        "{names}"
    );
    c.expect_cmd("366");
    // every attempt is a login_events row, the failed one included
    c.send("PING :still there");
    assert_eq!(
        c.expect_cmd("PONG"),
        ":modchat.local PONG modchat.local :still there"
    );
}

fn registration_refusals(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    // no account: refused, closed
    let mut c = IrcClient::connect(irc);
    c.send("NICK carol");
    c.send("USER carol 0 * :Carol");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL * ACCOUNT_REQUIRED :You must log in with SASL or PASS \
         name:password to use this server"
    );
    // ERROR has no source (RFC 2812 3.7.4)
    assert_eq!(
        c.expect_cmd("ERROR"),
        "ERROR :Closing Link: modchat.local (You must log in with SASL or PASS \
         name:password to use this server)"
    );
    c.expect_closed();
    // commands before registration: 451
    let mut c = IrcClient::connect(irc);
    c.send("JOIN #hall");
    c.expect_cmd("451");
    // PASS name:password does it without SASL
    c.send(&format!("PASS bob:{PASSWORD}"));
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    c.expect_cmd("001");
    c.send("USER bob 0 * :Bob");
    c.expect_cmd("462");
    // a wrong PASS: 464, then the connection ends
    let mut c = IrcClient::connect(irc);
    c.send("PASS bob:nope-nope");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    assert_eq!(
        c.expect_cmd("464"),
        ":modchat.local 464 * :Password incorrect"
    );
    c.expect_closed();
}

fn talking_with_a_json_user(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(
        irc,
        "bob",
        PASSWORD,
        "message-tags server-time echo-message account-tag",
    );
    let before = log_count(&mut srv);

    c.send("JOIN #hall");
    c.expect_cmd("JOIN");
    let names = c.expect_cmd("353");
    assert!(names.contains("~alice") && names.contains("bob"), "{names}");
    c.expect_cmd("366");
    assert_eq!(alice.event("joined")["user"], "bob");

    // IRC to JSON, with the echo (echo-message) carrying the message's id
    c.send("PRIVMSG #hall :hello from irc");
    let m = alice.event("message");
    assert_eq!(
        (&m["from"], &m["text"], &m["action"]),
        (&json!("bob"), &json!("hello from irc"), &json!(false))
    );
    let echo = c.expect("the echo", |l| command_of(l) == "PRIVMSG");
    assert_eq!(
        tag(&echo, "msgid"),
        Some(m["id"].to_string().as_str()),
        "{echo}"
    );
    assert!(
        echo.ends_with(":bob!bob@modchat/user/bob PRIVMSG #hall :hello from irc"),
        "{echo}"
    );

    // JSON to IRC, with msgid, time and account
    let r = alice.ok(json!({"type": "say", "room": "hall", "text": "hi bob"}));
    let l = c.expect("alice's message", |l| l.contains("PRIVMSG #hall :hi bob"));
    assert_eq!(tag(&l, "msgid"), Some(r["id"].to_string().as_str()), "{l}");
    assert_eq!(tag(&l, "time"), r["at"].as_str(), "{l}");
    assert_eq!(tag(&l, "account"), Some("alice"), "{l}");
    assert!(
        l.contains(" :alice!alice@modchat/user/alice PRIVMSG "),
        "{l}"
    );

    // emotes both ways
    alice.ok(json!({"type": "say", "room": "hall", "text": "waves", "action": true}));
    c.expect("alice's emote", |l| {
        l.ends_with("PRIVMSG #hall :\u{1}ACTION waves\u{1}")
    });
    c.send("PRIVMSG #hall :\u{1}ACTION nods\u{1}");
    let m = alice.event("message");
    assert_eq!((&m["text"], &m["action"]), (&json!("nods"), &json!(true)));

    // a whisper each way
    c.send("PRIVMSG alice :psst");
    let w = alice.event("whisper");
    assert_eq!((&w["from"], &w["text"]), (&json!("bob"), &json!("psst")));
    alice.ok(json!({"type": "whisper", "to": "bob", "text": "psst back"}));
    c.expect("the whisper", |l| {
        l.ends_with(":alice!alice@modchat/user/alice PRIVMSG bob :psst back")
    });

    // a multi-line text is one line per line on IRC
    alice.ok(json!({"type": "say", "room": "hall", "text": "one\ntwo"}));
    c.expect("line one", |l| l.ends_with("PRIVMSG #hall :one"));
    c.expect("line two", |l| l.ends_with("PRIVMSG #hall :two"));

    // every text is one chat_logs row
    assert_eq!(log_count(&mut srv) - before, 7);

    // PART, and the room sees it
    c.send("PART #hall :bye");
    c.expect("the PART echo", |l| {
        l == ":bob!bob@modchat/user/bob PART #hall :bye"
    });
    assert_eq!(alice.event("left")["user"], "bob");
    // JOIN of a room that does not exist creates it, its owner
    c.send("JOIN #newroom");
    c.expect_cmd("JOIN");
    let names = c.expect_cmd("353");
    assert!(names.ends_with(":~bob"), "{names}");
}

fn errors_are_numerics(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "set_capacity", "room": "hall", "capacity": 1}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.send("PRIVMSG #hall :not a member");
    assert_eq!(
        c.expect_cmd("404"),
        ":modchat.local 404 bob #hall :Cannot send to channel (you are not in hall)"
    );
    c.send("PRIVMSG nobody :hello");
    assert_eq!(
        c.expect_cmd("401"),
        ":modchat.local 401 bob nobody :No such nick/channel"
    );
    c.send("PRIVMSG alice");
    c.expect_cmd("412");
    c.send("JOIN #hall");
    assert_eq!(
        c.expect_cmd("471"),
        ":modchat.local 471 bob #hall :Cannot join channel (+l)"
    );
    c.send("JOIN #Bad!Name");
    c.expect_cmd("479");
    c.send("PART #hall");
    c.expect_cmd("442");
    c.send("FROBNICATE now");
    assert_eq!(
        c.expect_cmd("421"),
        ":modchat.local 421 bob FROBNICATE :Unknown command"
    );
    // a NOTICE gets no error back
    c.send("NOTICE #hall :not a member either");
    c.assert_none("an error for a NOTICE", Duration::from_millis(300), |l| {
        command_of(l) == "404"
    });
    // muted: 404 with the reason
    let mut m = srv.account("mod", Role::Moderator);
    alice.ok(json!({"type": "set_capacity", "room": "hall", "capacity": 10}));
    c.send("JOIN #hall");
    c.expect_cmd("366");
    m.ok(json!({"type": "mute", "user": "bob", "duration_s": 600}));
    c.expect("ModServ's notice", |l| {
        l.starts_with(":ModServ!") && l.contains("muted you")
    });
    c.send("PRIVMSG #hall :let me talk");
    let e = c.expect_cmd("404");
    assert!(e.contains("muted until"), "{e}");
    assert_eq!(log_count(&mut srv), 0, "nothing refused is logged");
}

fn a_moderator_kicks_an_irc_user(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    c.send("JOIN #hall");
    c.expect_cmd("366");
    // the owner kicks bob from the room: KICK, and he stays connected
    alice.ok(json!({"type": "kick", "user": "bob", "room": "hall", "reason": "calm down"}));
    assert_eq!(
        c.expect_cmd("KICK"),
        ":alice!alice@modchat/user/alice KICK #hall bob :calm down"
    );
    c.send("PING :x");
    c.expect_cmd("PONG");
    // a moderator kicks him off the server: ERROR, closed
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "kick", "user": "bob", "reason": "enough"}));
    assert_eq!(c.expect_cmd("ERROR"), "ERROR :Kicked by mod (enough)");
    c.expect_closed();
}

fn malformed_input_never_hurts(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, "");
    // a line without a command, lone tags, a lone source: ignored
    c.send("");
    c.send("@a=b");
    c.send(":source.only");
    // 10,000 parameters, a 1 MB line without a newline and then one
    let many = vec!["x"; 10_000].join(" ");
    c.send(&format!("PRIVMSG #nowhere {many}"));
    c.send_raw(&vec![b'a'; 1 << 20]);
    c.send_raw(b"\r\n");
    c.expect_cmd("417");
    // bad UTF-8
    c.send_raw(b"PRIVMSG #x :\xff\xfe\r\n");
    let f = c.expect_cmd("FAIL");
    assert!(f.contains("INVALID_UTF8"), "{f}");
    // still usable
    c.send("PING :alive");
    assert!(c.expect_cmd("PONG").ends_with(":alive"));
}

/// docs/cluster.md: the gateway works on every node. An IRC user on node 2
/// and a JSON user on node 1 in one room see each other's texts, and a
/// kick made on node 1 reaches the IRC client on node 2.
#[test]
fn the_gateway_on_every_node_of_a_cluster() {
    let cl = common::cluster::Cluster::start(2);
    let mut alice = cl.user(0, "alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = cl.user(1, "bob");
    let mut c = IrcClient::login(cl.nodes[1].irc, "bob", PASSWORD, "message-tags");
    c.send("JOIN #hall");
    let names = c.expect_cmd("353");
    assert!(names.contains("~alice") && names.contains("bob"), "{names}");
    assert_eq!(alice.event("joined")["user"], "bob");
    c.send("PRIVMSG #hall :hello across nodes");
    let m = alice.event("message");
    assert_eq!(
        (&m["from"], &m["text"]),
        (&json!("bob"), &json!("hello across nodes"))
    );
    let r = alice.ok(json!({"type": "say", "room": "hall", "text": "hi from node 1"}));
    let l = c.expect("alice's message", |l| {
        l.ends_with("PRIVMSG #hall :hi from node 1")
    });
    assert_eq!(tag(&l, "msgid"), Some(r["id"].to_string().as_str()), "{l}");
    alice.ok(json!({"type": "kick", "user": "bob", "room": "hall", "reason": "bye"}));
    assert!(c.expect_cmd("KICK").ends_with("KICK #hall bob :bye"));
}

/// docs/irc.md section 7: ModServ answers with NOTICEs; every act is its
/// moderation_actions row and talking to ModServ logs no text.
fn modserv_commands(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _carol = srv.user("carol");
    srv.account("admin1", Role::Admin);
    let _boss = srv.user("boss");
    srv.store();
    let mut m = IrcClient::login(irc, "admin1", PASSWORD, "");
    let notice = |c: &mut IrcClient, what: &str| -> String {
        c.expect(what, |l| {
            l.starts_with(":ModServ!ModServ@modchat.local NOTICE admin1 :")
        })
    };
    m.send("PRIVMSG ModServ :HELP");
    assert!(notice(&mut m, "help").ends_with(":ModServ commands:"));
    m.send("PRIVMSG ModServ :BAN alice 7d #hall too loud");
    let n = m.expect("the room ban", |l| {
        l.contains("alice is banned from #hall until 20")
    });
    assert!(n.contains("NOTICE admin1"), "{n}");
    m.send("PRIVMSG ModServ :UNBAN alice #hall");
    m.expect("the unban", |l| {
        l.ends_with(":alice is no longer banned from #hall")
    });
    m.send("PRIVMSG ModServ :MUTE carol 10m spam");
    m.expect("the mute", |l| l.contains(":carol is muted until 20"));
    m.send("PRIVMSG ModServ :UNMUTE carol");
    m.expect("the unmute", |l| l.ends_with(":carol is no longer muted"));
    m.send("PRIVMSG ModServ :UNMUTE carol");
    m.expect("not muted", |l| l.ends_with(":carol is not muted"));
    m.send("PRIVMSG ModServ :FILTER ADD frobnicate");
    m.expect("added", |l| l.ends_with(":Added: frobnicate"));
    m.send("PRIVMSG ModServ :FILTER LIST");
    m.expect("the list", |l| l.ends_with(":frobnicate"));
    m.send("PRIVMSG ModServ :FILTER DEL frobnicate");
    m.expect("removed", |l| l.ends_with(":Removed: frobnicate"));
    m.send("PRIVMSG ModServ :ROLE boss moderator");
    m.expect("the role", |l| l.ends_with(":boss is now moderator"));
    m.send("PRIVMSG ModServ :BAN nobody");
    m.expect("no such user", |l| l.ends_with(":No such user: nobody"));
    m.send("PRIVMSG ModServ :FROB");
    m.expect("unknown", |l| {
        l.contains("Unknown command or missing argument")
    });
    m.send("PRIVMSG ModServ :MODLOG carol");
    let first = m.expect("a modlog line", |l| l.contains(" unmute carol by admin1"));
    assert!(first.contains(":#"), "{first}");
    m.expect("its end", |l| l.ends_with(":End of MODLOG"));
    // a plain user is refused, in words
    let mut c = IrcClient::login(irc, "carol", PASSWORD, "");
    c.send("PRIVMSG ModServ :KICK alice");
    c.expect("refused", |l| l.ends_with(":Permission denied"));
    // the acts are records; nothing was logged as a text
    let acts: Vec<String> = srv.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(
        acts,
        [
            "ban",
            "unban",
            "mute",
            "unmute",
            "filter_add",
            "filter_remove",
            "set_role"
        ]
    );
    assert_eq!(log_count(&mut srv), 0);
}

/// draft/account-registration: a new user gets in with `REGISTER` before
/// CAP END, no other client needed (docs/irc.md 3.4).
fn register_before_connecting(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let mut c = IrcClient::connect(irc);
    c.send("CAP LS 302");
    let ls = c.expect_cmd("CAP");
    assert!(
        ls.contains("draft/account-registration=before-connect,account-required"),
        "{ls}"
    );
    c.send("NICK dave");
    c.send("USER dave 0 * :Dave");
    c.send("CAP REQ :draft/account-registration");
    c.expect("ACK", |l| l.contains(" ACK "));
    c.send("REGISTER bob * longenough");
    let f = c.expect_cmd("FAIL");
    assert!(
        f.contains("FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK bob"),
        "{f}"
    );
    c.send("REGISTER dave * short");
    let f = c.expect_cmd("FAIL");
    assert!(f.contains("FAIL REGISTER WEAK_PASSWORD dave"), "{f}");
    c.send("REGISTER * dave@example.org longenough");
    let ok = c.expect_cmd("REGISTER");
    assert_eq!(
        ok,
        ":modchat.local REGISTER SUCCESS dave :Account successfully registered"
    );
    c.expect_cmd("900");
    c.send("CAP END");
    assert!(c.expect_cmd("001").contains(" 001 dave "));
    // the account is a real one: a JSON login works, and it is taken
    srv.connect()
        .ok(json!({"type": "login", "username": "dave", "password": "longenough"}));
    let mut e = IrcClient::connect(irc);
    e.send("NICK bob");
    e.send("REGISTER bob * longenough");
    let f = e.expect_cmd("FAIL");
    assert!(f.contains("FAIL REGISTER ACCOUNT_EXISTS bob"), "{f}");
}

/// Two clients JOIN a room that does not exist at the same instant: one
/// creates it (its owner), the other's `create_room` finds it made and joins.
fn two_clients_create_one_room(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _a = srv.user("ann");
    let _b = srv.user("ben");
    for round in 0..5 {
        let mut a = IrcClient::login(irc, "ann", PASSWORD, "");
        let mut c = IrcClient::login(irc, "ben", PASSWORD, "");
        a.send(&format!("JOIN #fresh{round}"));
        c.send(&format!("JOIN #fresh{round}"));
        let room = format!(" #fresh{round} ");
        for x in [&mut a, &mut c] {
            x.expect("the names of the room", |l| {
                command_of(l) == "366" && l.contains(&room)
            });
        }
        assert!(
            !a.seen
                .iter()
                .chain(&c.seen)
                .any(|l| l.contains("FAIL JOIN")),
            "{:?}",
            (a.seen, c.seen)
        );
    }
}

/// docs/irc.md 3.3: PASS logs in at the end of registration (900, no 903);
/// `PASS password` logs in to the nick's account; a wrong password, a
/// ban and the throttle each end the connection with their own lines.
fn pass_logins(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let _carol = srv.user("carol");
    let mut c = IrcClient::connect(irc);
    c.send(&format!("PASS bob:{PASSWORD}"));
    // a second PASS is ignored
    c.send("PASS bob:not-the-password");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    assert_eq!(
        c.expect_cmd("900"),
        ":modchat.local 900 bob bob!bob@modchat/user/bob bob :You are now logged in as bob"
    );
    let next = c.next_line(Duration::from_secs(5)).expect("001");
    assert!(
        next.starts_with(":modchat.local 001 bob "),
        "no 903: {next}"
    );
    // without a name: the nick's account
    let mut c = IrcClient::connect(irc);
    c.send(&format!("PASS {PASSWORD}"));
    c.send("NICK carol");
    c.send("USER carol 0 * :Carol");
    assert!(c
        .expect_cmd("900")
        .ends_with(":You are now logged in as carol"));
    c.expect_cmd("001");
    // a wrong password: 464, ERROR, closed; never a guest
    let mut c = IrcClient::connect(irc);
    c.send("PASS bob:nope-nope");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    assert_eq!(
        c.expect_cmd("464"),
        ":modchat.local 464 * :Password incorrect"
    );
    assert_eq!(
        c.expect_cmd("ERROR"),
        "ERROR :Closing Link: modchat.local (Password incorrect)"
    );
    c.expect_closed();
    // a banned account: 465 with the ban's end and reason, ERROR, closed
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "ban", "user": "carol", "reason": "spam"}));
    let mut c = IrcClient::connect(irc);
    c.send(&format!("PASS carol:{PASSWORD}"));
    c.send("NICK carol");
    c.send("USER carol 0 * :Carol");
    assert_eq!(
        c.expect_cmd("465"),
        ":modchat.local 465 * :You are banned from this server: banned until further notice (spam)"
    );
    assert_eq!(
        c.expect_cmd("ERROR"),
        "ERROR :Banned until further notice (spam)"
    );
    c.expect_closed();

    // the failed-login throttle: 464 in its own words
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.limits.login_failures_per_min = 1;
    });
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let mut throttled = None;
    for _ in 0..5 {
        let mut c = IrcClient::connect(irc);
        c.send("PASS bob:nope-nope");
        c.send("NICK bob");
        c.send("USER bob 0 * :Bob");
        let refused = c.expect_cmd("464");
        let error = c.expect_cmd("ERROR");
        c.expect_closed();
        if refused.ends_with(":Too many failed logins, try again later") {
            throttled = Some(error);
            break;
        }
    }
    assert_eq!(
        throttled.as_deref(),
        Some("ERROR :Closing Link: modchat.local (Too many failed logins, try again later)")
    );
}

/// docs/irc.md 3.2 (IRCv3 sasl-3.1): `*` aborts at any point, a line over
/// 400 bytes is refused, 400-byte chunks are gathered until a shorter one
/// or `+`, and AUTHENTICATE after a login is 907.
fn sasl_exchange_edges(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let mut c = IrcClient::connect(irc);
    c.send("CAP LS 302");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    c.expect_cmd("CAP");
    c.send("CAP REQ :sasl");
    c.expect("ACK", |l| l.contains(" ACK "));
    let plus = |c: &mut IrcClient| {
        c.send("AUTHENTICATE PLAIN");
        c.expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +");
    };
    // `*` before a mechanism, and during the exchange
    c.send("AUTHENTICATE *");
    assert_eq!(
        c.expect_cmd("906"),
        ":modchat.local 906 bob :SASL authentication aborted"
    );
    plus(&mut c);
    c.send("AUTHENTICATE *");
    c.expect_cmd("906");
    // another mechanism: the list, then 904
    c.send("AUTHENTICATE EXTERNAL");
    assert_eq!(
        c.expect_cmd("908"),
        ":modchat.local 908 bob PLAIN :are available SASL mechanisms"
    );
    c.expect_cmd("904");
    // a line over 400 bytes: 905, and the exchange is over
    plus(&mut c);
    c.send(&format!("AUTHENTICATE {}", "A".repeat(404)));
    assert_eq!(
        c.expect_cmd("905"),
        ":modchat.local 905 bob :SASL message too long"
    );
    c.send(&format!("AUTHENTICATE {}", sasl_plain("bob", PASSWORD)));
    c.expect_cmd("908");
    c.expect_cmd("904");
    // not a PLAIN blob
    plus(&mut c);
    c.send("AUTHENTICATE bm90IGEgYmxvYg==");
    assert_eq!(
        c.expect_cmd("904"),
        ":modchat.local 904 bob :SASL authentication failed: Invalid auth blob"
    );
    // 600 bytes of blob in two chunks: nothing until the second, then the
    // blob is read whole (a wrong password, not a bad blob)
    let long = sasl_plain("bob", &"x".repeat(445));
    assert_eq!(long.len(), 600);
    plus(&mut c);
    c.send(&format!("AUTHENTICATE {}", &long[..400]));
    c.assert_none(
        "a reply to a 400-byte chunk",
        Duration::from_millis(300),
        |l| l.starts_with(":modchat.local 90"),
    );
    c.send(&format!("AUTHENTICATE {}", &long[400..]));
    assert_eq!(
        c.expect_cmd("904"),
        ":modchat.local 904 bob :SASL authentication failed"
    );
    // exactly 400 bytes: `+` ends it
    let exact = sasl_plain("bob", &"x".repeat(295));
    assert_eq!(exact.len(), 400);
    plus(&mut c);
    c.send(&format!("AUTHENTICATE {exact}"));
    c.assert_none(
        "a reply to a 400-byte chunk",
        Duration::from_millis(300),
        |l| l.starts_with(":modchat.local 90"),
    );
    c.send("AUTHENTICATE +");
    assert_eq!(
        c.expect_cmd("904"),
        ":modchat.local 904 bob :SASL authentication failed"
    );
    // more than 1 KiB gathered: 905
    plus(&mut c);
    for _ in 0..3 {
        c.send(&format!("AUTHENTICATE {}", "A".repeat(400)));
    }
    c.expect_cmd("905");
    // both long blobs were logins: failed ones, with the name read whole
    {
        use modchat::store::schema::login_events;
        let db = srv.store();
        let failed: i64 = login_events::table
            .filter(login_events::username.eq("bob"))
            .filter(login_events::success.eq(false))
            .count()
            .get_result(&mut db.conn().expect("conn"))
            .expect("query");
        assert_eq!(failed, 2);
    }
    // logged in: AUTHENTICATE is 907, before and after 001
    plus(&mut c);
    c.send(&format!("AUTHENTICATE {}", sasl_plain("bob", PASSWORD)));
    c.expect_cmd("903");
    c.send("AUTHENTICATE PLAIN");
    assert_eq!(
        c.expect_cmd("907"),
        ":modchat.local 907 bob :You have already authenticated using SASL"
    );
    c.send("CAP END");
    c.expect_cmd("001");
    c.send("AUTHENTICATE PLAIN");
    c.expect_cmd("907");
}

/// docs/irc.md 3.4: REGISTER's refusals, each with its code and context.
fn register_refusals(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut c = IrcClient::connect(irc);
    c.send("CAP LS 302");
    c.expect_cmd("CAP");
    c.send("REGISTER * * longenough");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL REGISTER NEED_NICK * :Send NICK first"
    );
    c.send("NICK erin");
    c.send("REGISTER frank * longenough");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK frank :The account name must be your nick"
    );
    c.send(&format!("REGISTER erin * {}", "p".repeat(73)));
    let f = c.expect_cmd("FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL REGISTER UNACCEPTABLE_PASSWORD erin :"),
        "{f}"
    );
    c.send("REGISTER erin * short");
    let f = c.expect_cmd("FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL REGISTER WEAK_PASSWORD erin :"),
        "{f}"
    );
    c.send("NICK erin.b");
    c.send("REGISTER * * longenough");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL REGISTER BAD_ACCOUNT_NAME erin.b :An account name containing '.' cannot be used over IRC"
    );
    c.send("NICK erin");
    c.send("REGISTER erin * longenough");
    c.expect_cmd("900");
    c.send("REGISTER erin * longenough");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL REGISTER ALREADY_AUTHENTICATED erin :You are already logged in"
    );
    // nothing was made of the refused ones
    let mut j = srv.connect();
    j.err(
        json!({"type": "login", "username": "erin.b", "password": "longenough"}),
        "bad_credentials",
    );

    // registration closed: TEMPORARILY_UNAVAILABLE (the contract's code)
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.auth.open_registration = false;
    });
    let mut c = IrcClient::connect(srv.irc.expect("irc listener"));
    c.send("CAP LS 302");
    let ls = c.expect_cmd("CAP");
    assert!(!ls.contains("account-registration"), "{ls}");
    c.send("NICK gina");
    c.send("REGISTER * * longenough");
    assert_eq!(
        c.expect_cmd("FAIL"),
        ":modchat.local FAIL REGISTER TEMPORARILY_UNAVAILABLE gina :Registration is closed on this server"
    );
}

/// docs/irc.md 3.1: values only for `CAP LS 302`; the list sorted.
fn cap_ls_with_and_without_302(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut c = IrcClient::connect(irc);
    c.send("CAP LS");
    assert_eq!(
        c.expect_cmd("CAP"),
        ":modchat.local CAP * LS :account-tag batch draft/account-registration \
         draft/chathistory draft/message-redaction draft/read-marker echo-message \
         extended-join labeled-response message-tags multi-prefix sasl server-time \
         userhost-in-names"
    );
    c.send("CAP LS 302");
    assert_eq!(
        c.expect_cmd("CAP"),
        ":modchat.local CAP * LS :account-tag batch \
         draft/account-registration=before-connect,account-required draft/chathistory \
         draft/message-redaction draft/read-marker echo-message extended-join \
         labeled-response message-tags multi-prefix sasl=PLAIN server-time \
         userhost-in-names"
    );
}

/// docs/irc.md 3.8: 003 and 004 as documented, a long MOTD line split into
/// 372 lines that fit 512 bytes; QUIT's ERROR (section 4).
fn quit_and_the_welcome_burst(b: Backend) {
    let motd = format!("short line\n{}", "é".repeat(600));
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.irc.motd = motd.clone();
    });
    let irc = srv.irc.expect("irc listener");
    let _bob = srv.user("bob");
    let mut c = IrcClient::connect(irc);
    c.send(&format!("PASS bob:{PASSWORD}"));
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    assert_eq!(
        c.expect_cmd("001"),
        ":modchat.local 001 bob :Welcome to the modchat IRC Network bob"
    );
    assert_eq!(
        c.expect_cmd("003"),
        ":modchat.local 003 bob :This server was created at start"
    );
    assert_eq!(
        c.expect_cmd("004"),
        format!(
            ":modchat.local 004 bob modchat.local modchat-{} i bloq bloq",
            env!("CARGO_PKG_VERSION")
        )
    );
    c.expect_cmd("375");
    assert_eq!(c.expect_cmd("372"), ":modchat.local 372 bob :- short line");
    let mut text = String::new();
    loop {
        let l = c.next_line(Duration::from_secs(5)).expect("a MOTD line");
        if command_of(&l) == "376" {
            break;
        }
        assert_eq!(command_of(&l), "372", "{l}");
        assert!(l.len() + 2 <= 512, "{} bytes: {l}", l.len() + 2);
        text.push_str(l.split_once(" :- ").expect("the text").1);
    }
    assert_eq!(text, "é".repeat(600));
    c.send("QUIT :see you");
    assert_eq!(
        c.expect_cmd("ERROR"),
        "ERROR :Closing Link: modchat.local (Quit: see you)"
    );
    c.expect_closed();
}

/// docs/irc.md 3.7 (contract: "its registration gets 432 with a text
/// saying why"): an account named with a '.' logs in, then is refused
/// before 001, by SASL and by PASS.
fn a_name_with_a_dot_cannot_use_irc(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    srv.connect()
        .ok(json!({"type": "register", "username": "ann.b", "password": PASSWORD}));
    let refused = |c: &mut IrcClient| {
        assert_eq!(
            c.expect_cmd("432"),
            ":modchat.local 432 * ann.b :Erroneous nickname: an account name containing '.' \
             cannot be used over IRC; rename it from the web or terminal client"
        );
        assert_eq!(
            c.expect_cmd("ERROR"),
            "ERROR :Closing Link: modchat.local (account name not usable over IRC)"
        );
        c.expect_closed();
        assert!(
            !c.seen.iter().any(|l| command_of(l) == "001"),
            "{:?}",
            c.seen
        );
    };
    // SASL: 900 and 903, then refused at once, before CAP END
    let mut c = IrcClient::connect(irc);
    c.send("CAP LS 302");
    c.send("NICK ann");
    c.send("USER ann 0 * :Ann");
    c.expect_cmd("CAP");
    c.send("CAP REQ :sasl");
    c.expect("ACK", |l| l.contains(" ACK "));
    c.send("AUTHENTICATE PLAIN");
    c.expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +");
    c.send(&format!("AUTHENTICATE {}", sasl_plain("ann.b", PASSWORD)));
    c.expect_cmd("900");
    c.expect_cmd("903");
    refused(&mut c);
    // PASS: 900, then refused
    let mut c = IrcClient::connect(irc);
    c.send(&format!("PASS ann.b:{PASSWORD}"));
    c.send("NICK ann");
    c.send("USER ann 0 * :Ann");
    c.expect_cmd("900");
    refused(&mut c);
}
