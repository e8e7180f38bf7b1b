//! The IRC gateway's history side (docs/irc.md sections 6, 8.1, 8.4, 8.5)
//! over raw sockets: CHATHISTORY in every mode and its edges, MARKREAD both
//! ways with a JSON session of the same account, REDACT by an op and
//! refused to a member, and labeled-response. Both backends.

mod common;

use std::time::Duration;

use common::client::TestClient;
use common::irc::{command_of, tag, IrcClient};
use common::server::PASSWORD;
use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::json;

both_backends!(
    chathistory_in_every_mode,
    chathistory_of_a_whisper_and_refusals,
    markread_both_ways,
    redact_by_an_op_and_refused_to_a_member,
    labeled_responses,
);

const CAPS: &str = "batch message-tags server-time account-tag draft/chathistory";

fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    })
}

/// `alice` says each text in `#hall` (a distinct millisecond each);
/// returns the `ok`s (`id`, `at`).
fn say_all(alice: &mut TestClient, texts: &[&str]) -> Vec<(i64, String)> {
    texts
        .iter()
        .map(|t| {
            std::thread::sleep(Duration::from_millis(3));
            let (text, action) = match t.strip_prefix("/me ") {
                Some(rest) => (rest, true),
                None => (*t, false),
            };
            let r =
                alice.ok(json!({"type": "say", "room": "hall", "text": text, "action": action}));
            (
                r["id"].as_i64().unwrap(),
                r["at"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A round trip, so what the login started is over. (Not the JOIN burst's
/// 366: a CAP END that overtakes the login's outcome skips the burst, a
/// known race of the first slice; the account is in its rooms anyway.)
fn sync(c: &mut IrcClient) {
    c.send("PING :sync");
    c.expect("PONG sync", |l| {
        l.ends_with(" :sync") && command_of(l) == "PONG"
    });
}

/// Sends `cmd` and reads its `chathistory` batch: the lines inside it.
fn batch(c: &mut IrcClient, cmd: &str, target: &str) -> Vec<String> {
    c.send(cmd);
    let open = c.expect("BATCH +", |l| {
        command_of(l) == "BATCH" && l.contains(" BATCH +")
    });
    let id = open
        .split(' ')
        .find_map(|w| w.strip_prefix('+'))
        .expect("a batch id")
        .to_owned();
    assert!(
        open.ends_with(&format!(" chathistory {target}")),
        "{cmd}: {open}"
    );
    let mut lines = Vec::new();
    loop {
        let l = c.expect("a line of the batch", |_| true);
        if command_of(&l) == "BATCH" {
            assert!(l.ends_with(&format!("BATCH -{id}")), "{cmd}: {l}");
            return lines;
        }
        assert_eq!(tag(&l, "batch"), Some(id.as_str()), "{cmd}: {l}");
        lines.push(l);
    }
}

/// The msgids of a batch's lines.
fn ids(lines: &[String]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| tag(l, "msgid").expect("msgid").parse().expect("a number"))
        .collect()
}

fn history(c: &mut IrcClient, cmd: &str) -> Vec<i64> {
    ids(&batch(c, cmd, "#hall"))
}

fn chathistory_in_every_mode(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let m = say_all(
        &mut alice,
        &["one", "two", "three", "/me four", "five", "six"],
    );
    let id = |i: usize| m[i - 1].0;
    let at = |i: usize| m[i - 1].1.clone();
    // the third is deleted (by a moderator): left out everywhere
    let mut mona = srv.account("mona", Role::Moderator);
    mona.ok(json!({"type": "delete_message", "message_id": id(3)}));

    let mut c = IrcClient::login(irc, "bob", PASSWORD, CAPS);
    sync(&mut c);
    let isupport: Vec<String> = c
        .seen
        .iter()
        .filter(|l| command_of(l) == "005")
        .cloned()
        .collect();
    let all = isupport.join(" ");
    assert!(
        all.contains("CHATHISTORY=100") && all.contains("MSGREFTYPES=msgid,timestamp"),
        "{all}"
    );

    // LATEST: the newest, and everything (the first and the last included)
    let lines = batch(&mut c, "CHATHISTORY LATEST #hall * 100", "#hall");
    assert_eq!(ids(&lines), vec![id(1), id(2), id(4), id(5), id(6)]);
    let first = &lines[0];
    assert_eq!(tag(first, "time"), Some(at(1).as_str()), "{first}");
    assert_eq!(tag(first, "account"), Some("alice"), "{first}");
    assert!(
        first.ends_with(" :alice!alice@modchat/user/alice PRIVMSG #hall :one"),
        "{first}"
    );
    assert!(
        lines[2].ends_with("PRIVMSG #hall :\u{1}ACTION four\u{1}"),
        "{}",
        lines[2]
    );
    assert_eq!(
        history(&mut c, "CHATHISTORY LATEST #hall * 2"),
        vec![id(5), id(6)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY LATEST #hall msgid={} 10", id(4))
        ),
        vec![id(5), id(6)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY LATEST #Hall timestamp={} 10", at(5))
        ),
        vec![id(6)]
    );
    // a missing or too large limit is 100
    assert_eq!(history(&mut c, "CHATHISTORY LATEST #hall *").len(), 5);
    assert_eq!(history(&mut c, "CHATHISTORY LATEST #hall * 5000").len(), 5);

    // BEFORE
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY BEFORE #hall msgid={} 3", id(5))
        ),
        vec![id(2), id(4)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY BEFORE #hall msgid={} 10", id(1))
        ),
        Vec::<i64>::new()
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY BEFORE #hall timestamp={} 10", at(2))
        ),
        vec![id(1)]
    );

    // AFTER
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AFTER #hall msgid={} 10", id(4))
        ),
        vec![id(5), id(6)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AFTER #hall msgid={} 10", id(6))
        ),
        Vec::<i64>::new()
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AFTER #hall timestamp={} 2", at(4))
        ),
        vec![id(5), id(6)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AFTER #hall timestamp={} 1", at(1))
        ),
        vec![id(2)]
    );

    // AROUND
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AROUND #hall msgid={} 3", id(5))
        ),
        vec![id(4), id(5), id(6)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AROUND #hall msgid={} 2", id(1))
        ),
        vec![id(1), id(2)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!("CHATHISTORY AROUND #hall timestamp={} 3", at(5))
        ),
        vec![id(4), id(5), id(6)]
    );
    // before the first message: what follows it
    assert_eq!(
        history(
            &mut c,
            "CHATHISTORY AROUND #hall timestamp=2000-01-01T00:00:00.000Z 2"
        ),
        vec![id(1), id(2)]
    );

    // BETWEEN, both ends excluded, in both directions and mixed
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall msgid={} msgid={} 10",
                id(1),
                id(5)
            )
        ),
        vec![id(2), id(4)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall msgid={} msgid={} 10",
                id(6),
                id(1)
            )
        ),
        vec![id(2), id(4), id(5)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall timestamp={} timestamp={} 10",
                at(1),
                at(5)
            )
        ),
        vec![id(2), id(4)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall timestamp={} timestamp={} 1",
                at(6),
                at(1)
            )
        ),
        vec![id(5)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall msgid={} timestamp={} 10",
                id(1),
                at(5)
            )
        ),
        vec![id(2), id(4)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall timestamp={} msgid={} 10",
                at(6),
                id(2)
            )
        ),
        vec![id(4), id(5)]
    );
    assert_eq!(
        history(
            &mut c,
            &format!(
                "CHATHISTORY BETWEEN #hall msgid={} msgid={} 10",
                id(2),
                id(2)
            )
        ),
        Vec::<i64>::new()
    );

    // without the batch cap: the same lines, no BATCH
    let mut plain = IrcClient::login(irc, "bob", PASSWORD, "message-tags");
    sync(&mut plain);
    plain.send("CHATHISTORY LATEST #hall * 2");
    let l = plain.expect_cmd("PRIVMSG");
    assert_eq!(tag(&l, "msgid"), Some(id(5).to_string().as_str()), "{l}");
    assert_eq!(tag(&l, "batch"), None, "{l}");
    plain.expect("the last line", |l| l.ends_with("PRIVMSG #hall :six"));
    plain.assert_none("a BATCH", Duration::from_millis(200), |l| {
        command_of(l) == "BATCH"
    });
}

fn chathistory_of_a_whisper_and_refusals(b: Backend) {
    let mut srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "create_room", "room": "secret"}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(irc, "bob", PASSWORD, &format!("{CAPS} echo-message"));

    // a whisper conversation: both directions, each line to its recipient
    let psst = alice.ok(json!({"type": "whisper", "to": "bob", "text": "psst"}));
    c.expect("the whisper", |l| l.ends_with("PRIVMSG bob :psst"));
    c.send("PRIVMSG alice :back at you");
    c.expect("the echo", |l| l.ends_with("PRIVMSG alice :back at you"));
    assert_eq!(alice.event("whisper")["text"], "back at you");
    let lines = batch(&mut c, "CHATHISTORY LATEST alice * 10", "alice");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        tag(&lines[0], "msgid"),
        Some(psst["id"].to_string().as_str())
    );
    assert!(
        lines[0].ends_with(" :alice!alice@modchat/user/alice PRIVMSG bob :psst"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(" :bob!bob@modchat/user/bob PRIVMSG alice :back at you"),
        "{}",
        lines[1]
    );

    // targets that cannot be read
    for (cmd, want) in [
        (
            "CHATHISTORY LATEST #secret * 10",
            "FAIL CHATHISTORY INVALID_TARGET LATEST #secret :",
        ),
        (
            "CHATHISTORY LATEST #nowhere * 10",
            "FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere :",
        ),
        (
            "CHATHISTORY BEFORE nobody * 10",
            "FAIL CHATHISTORY INVALID_TARGET BEFORE nobody :",
        ),
        (
            "CHATHISTORY LATEST ModServ * 10",
            "FAIL CHATHISTORY INVALID_TARGET LATEST ModServ :",
        ),
        (
            "CHATHISTORY LATEST #hall yesterday 10",
            "FAIL CHATHISTORY INVALID_PARAMS LATEST :",
        ),
        (
            "CHATHISTORY AFTER #hall * 10",
            "FAIL CHATHISTORY INVALID_PARAMS AFTER :",
        ),
        (
            "CHATHISTORY BEFORE #hall msgid=-3 10",
            "FAIL CHATHISTORY INVALID_PARAMS BEFORE :",
        ),
        (
            "CHATHISTORY BETWEEN #hall msgid=1",
            "FAIL CHATHISTORY NEED_MORE_PARAMS BETWEEN :",
        ),
        ("CHATHISTORY", "FAIL CHATHISTORY NEED_MORE_PARAMS :"),
        (
            "CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z timestamp=2027-01-01T00:00:00.000Z 10",
            "FAIL CHATHISTORY UNKNOWN_COMMAND TARGETS :",
        ),
        (
            "CHATHISTORY SOMETIME #hall * 10",
            "FAIL CHATHISTORY UNKNOWN_COMMAND SOMETIME :",
        ),
    ] {
        c.send(cmd);
        let l = c.expect_cmd("FAIL");
        assert!(l.starts_with(&format!(":modchat.local {want}")), "{cmd}: {l}");
    }
    // a moderator reads any room
    let _mona = srv.account("mona", Role::Moderator);
    let mut r = IrcClient::login(irc, "mona", PASSWORD, CAPS);
    alice.ok(json!({"type": "say", "room": "secret", "text": "hidden"}));
    let lines = batch(&mut r, "CHATHISTORY LATEST #secret * 10", "#secret");
    assert_eq!(lines.len(), 1, "{lines:?}");
}

fn markread_both_ways(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "create_room", "room": "secret"}));
    let mut bob = srv.user("bob");
    bob.ok(json!({"type": "join", "room": "hall"}));
    let m = say_all(&mut alice, &["one", "two", "three"]);
    let mut c = IrcClient::login(
        irc,
        "bob",
        PASSWORD,
        "server-time message-tags draft/read-marker",
    );
    sync(&mut c);

    // nothing marked yet
    c.send("MARKREAD #hall");
    assert_eq!(c.expect_cmd("MARKREAD"), ":modchat.local MARKREAD #hall *");

    // IRC marks: the JSON session of the same account hears of it
    c.send(&format!("MARKREAD #hall timestamp={}", m[1].1));
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(":modchat.local MARKREAD #hall timestamp={}", m[1].1)
    );
    let read = bob.event("read");
    assert_eq!(
        (&read["room"], &read["id"]),
        (&json!("hall"), &json!(m[1].0))
    );
    let rooms = bob.ok(json!({"type": "rooms", "query": "hall"}));
    assert_eq!(rooms["rooms"][0]["last_read"], json!(m[1].0));

    // a time between two messages marks the older one
    let later = chrono::DateTime::parse_from_rfc3339(&m[1].1).unwrap()
        + chrono::TimeDelta::microseconds(500);
    let later = later.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    c.send(&format!("MARKREAD #hall timestamp={later}"));
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(":modchat.local MARKREAD #hall timestamp={}", m[1].1)
    );

    // a JSON mark reaches the IRC client
    bob.ok(json!({"type": "mark_read", "room": "hall", "message_id": m[2].0}));
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(":modchat.local MARKREAD #hall timestamp={}", m[2].1)
    );
    // the marker never moves back: the reply is the stored one
    c.send(&format!("MARKREAD #hall timestamp={}", m[0].1));
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(":modchat.local MARKREAD #hall timestamp={}", m[2].1)
    );
    c.send("MARKREAD #hall");
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(":modchat.local MARKREAD #hall timestamp={}", m[2].1)
    );

    // refusals
    for (cmd, want) in [
        ("MARKREAD", "FAIL MARKREAD NEED_MORE_PARAMS :"),
        (
            "MARKREAD #hall timestamp=soon",
            "FAIL MARKREAD INVALID_PARAMS timestamp=soon :",
        ),
        (
            "MARKREAD #secret timestamp=2030-01-01T00:00:00.000Z",
            "FAIL MARKREAD INVALID_PARAMS #secret :",
        ),
        ("MARKREAD #secret", "FAIL MARKREAD INVALID_PARAMS #secret :"),
    ] {
        c.send(cmd);
        let l = c.expect_cmd("FAIL");
        assert!(
            l.starts_with(&format!(":modchat.local {want}")),
            "{cmd}: {l}"
        );
    }

    // a whisper conversation: by `with`
    let w = alice.ok(json!({"type": "whisper", "to": "bob", "text": "psst"}));
    c.expect("the whisper", |l| l.ends_with("PRIVMSG bob :psst"));
    c.send(&format!(
        "MARKREAD alice timestamp={}",
        w["at"].as_str().unwrap()
    ));
    assert_eq!(
        c.expect_cmd("MARKREAD"),
        format!(
            ":modchat.local MARKREAD alice timestamp={}",
            w["at"].as_str().unwrap()
        )
    );
    let read = bob.event("read");
    assert_eq!((&read["with"], &read["id"]), (&json!("alice"), &w["id"]));
    // a client without the cap is not told of `read`
    let mut quiet = IrcClient::login(irc, "bob", PASSWORD, "server-time");
    sync(&mut quiet);
    let m4 = say_all(&mut alice, &["four"]);
    quiet.expect("four", |l| l.ends_with(":four"));
    bob.ok(json!({"type": "mark_read", "room": "hall", "message_id": m4[0].0}));
    c.expect_cmd("MARKREAD");
    quiet.assert_none("MARKREAD", Duration::from_millis(300), |l| {
        command_of(l) == "MARKREAD"
    });
}

fn redact_by_an_op_and_refused_to_a_member(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "create_room", "room": "other"}));
    let mut json_carol = srv.user("carol");
    json_carol.ok(json!({"type": "join", "room": "hall"}));
    let mut json_bob = srv.user("bob");
    json_bob.ok(json!({"type": "join", "room": "hall"}));
    alice.ok(json!({"type": "set_room_role", "room": "hall", "user": "bob", "role": "op"}));
    let caps = "server-time account-tag message-tags draft/message-redaction";
    let mut bob = IrcClient::login(irc, "bob", PASSWORD, caps);
    sync(&mut bob);
    let mut carol = IrcClient::login(irc, "carol", PASSWORD, caps);
    sync(&mut carol);
    let mut plain = IrcClient::login(irc, "carol", PASSWORD, "server-time");
    sync(&mut plain);
    // carol's message: an op may delete a member's message, not the owner's
    let said = json_carol.ok(json!({"type": "say", "room": "hall", "text": "spam spam"}));
    let id = said["id"].as_i64().unwrap();
    let elsewhere = alice.ok(json!({"type": "say", "room": "other", "text": "not here"}));

    // a member may not
    carol.send(&format!("REDACT #hall {id} :go away"));
    assert_eq!(
        carol.expect_cmd("FAIL"),
        format!(
            ":modchat.local FAIL REDACT REDACT_FORBIDDEN #hall {id} :You are not authorised to delete this message"
        )
    );
    // unknown ids, another room's message, a nick target
    for (cmd, want) in [
        (
            "REDACT #hall 99999999".to_owned(),
            "FAIL REDACT UNKNOWN_MSGID #hall 99999999 :".to_owned(),
        ),
        (
            "REDACT #hall abc".to_owned(),
            "FAIL REDACT UNKNOWN_MSGID #hall abc :".to_owned(),
        ),
        (
            format!("REDACT #hall {}", elsewhere["id"]),
            format!("FAIL REDACT UNKNOWN_MSGID #hall {} :", elsewhere["id"]),
        ),
        (
            format!("REDACT alice {id}"),
            "FAIL REDACT INVALID_TARGET alice :".to_owned(),
        ),
    ] {
        bob.send(&cmd);
        let l = bob.expect_cmd("FAIL");
        assert!(
            l.starts_with(&format!(":modchat.local {want}")),
            "{cmd}: {l}"
        );
    }
    bob.send("REDACT #hall");
    bob.expect_cmd("461");

    // an op may: every member with the cap sees REDACT, the JSON client
    // message_deleted, a client without the cap nothing
    bob.send(&format!("REDACT #hall {id} :spam"));
    for c in [&mut bob, &mut carol] {
        let l = c.expect_cmd("REDACT");
        assert!(
            l.ends_with(&format!(" :bob!bob@modchat/user/bob REDACT #hall {id}")),
            "{l}"
        );
        assert_eq!(tag(&l, "account"), Some("bob"), "{l}");
        assert!(tag(&l, "time").is_some(), "{l}");
    }
    let e = alice.event("message_deleted");
    assert_eq!((&e["id"], &e["by"]), (&json!(id), &json!("bob")));
    plain.assert_none("REDACT", Duration::from_millis(300), |l| {
        command_of(l) == "REDACT"
    });
    let h = alice.ok(json!({"type": "history", "room": "hall"}));
    assert_eq!(h["messages"][0]["deleted"], json!(true));
}

fn labeled_responses(b: Backend) {
    let srv = server(b);
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(
        irc,
        "bob",
        PASSWORD,
        "batch labeled-response echo-message message-tags server-time draft/chathistory",
    );
    let ls = c.seen.iter().find(|l| l.contains(" LS ")).cloned().unwrap();
    for cap in [
        "batch",
        "labeled-response",
        "draft/chathistory",
        "draft/message-redaction",
        "draft/read-marker",
    ] {
        assert!(ls.split([' ', ':']).any(|w| w == cap), "{cap} in {ls}");
    }

    // one line: the label on it
    c.send("@label=p1 PING :x");
    assert_eq!(
        c.expect_cmd("PONG"),
        "@label=p1 :modchat.local PONG modchat.local :x"
    );
    // unlabeled: unchanged
    c.send("PING :y");
    assert_eq!(c.expect_cmd("PONG"), ":modchat.local PONG modchat.local :y");
    // no output: ACK
    c.send("@label=a1 PONG :z");
    assert_eq!(c.expect_cmd("ACK"), "@label=a1 :modchat.local ACK");

    // a JOIN's burst: a labeled-response batch
    c.send("@label=j1 JOIN #hall");
    let open = c.expect_cmd("BATCH");
    let id = open
        .split(' ')
        .find_map(|w| w.strip_prefix('+'))
        .expect("batch id")
        .to_owned();
    assert_eq!(
        open,
        format!("@label=j1 :modchat.local BATCH +{id} labeled-response")
    );
    let mut inside = Vec::new();
    loop {
        let l = c.expect("a line", |_| true);
        if command_of(&l) == "BATCH" {
            assert_eq!(l, format!(":modchat.local BATCH -{id}"));
            break;
        }
        assert_eq!(tag(&l, "batch"), Some(id.as_str()), "{l}");
        assert_eq!(tag(&l, "label"), None, "{l}");
        inside.push(command_of(&l).to_owned());
    }
    assert_eq!(
        inside.first().map(String::as_str),
        Some("JOIN"),
        "{inside:?}"
    );
    assert_eq!(inside.last().map(String::as_str), Some("366"), "{inside:?}");
    assert_eq!(alice.event("joined")["user"], "bob");

    // a JOIN that creates the room is one labeled batch too
    c.send("@label=j2 JOIN #fresh");
    let open = c.expect_cmd("BATCH");
    assert!(
        open.starts_with("@label=j2 :modchat.local BATCH +"),
        "{open}"
    );
    c.expect("the JOIN", |l| l.ends_with("JOIN #fresh"));
    c.expect_cmd("366");
    c.expect("the end of the batch", |l| {
        l.starts_with(":modchat.local BATCH -")
    });

    // a PRIVMSG: its echo, labeled
    c.send("@label=m1 PRIVMSG #hall :hello");
    let echo = c.expect_cmd("PRIVMSG");
    assert_eq!(tag(&echo, "label"), Some("m1"), "{echo}");
    let m = alice.event("message");
    assert_eq!(tag(&echo, "msgid"), Some(m["id"].to_string().as_str()));
    assert!(echo.ends_with("PRIVMSG #hall :hello"), "{echo}");
    // an error is labeled too
    alice.ok(json!({"type": "create_room", "room": "other"}));
    c.send("@label=e1 PRIVMSG #other :hello");
    let err = c.expect_cmd("404");
    assert!(
        err.starts_with("@label=e1 :modchat.local 404 bob #other"),
        "{err}"
    );

    // a CHATHISTORY: the label on its own batch
    c.send("@label=h1 CHATHISTORY LATEST #hall * 10");
    let open = c.expect_cmd("BATCH");
    assert!(
        open.starts_with("@label=h1 :modchat.local BATCH +"),
        "{open}"
    );
    assert!(open.ends_with(" chathistory #hall"), "{open}");
    let l = c.expect_cmd("PRIVMSG");
    assert_eq!(tag(&l, "label"), None, "{l}");
    c.expect_cmd("BATCH");

    // a label with an escaped value comes back as sent
    c.send("@label=a\\sb PING :q");
    assert_eq!(
        c.expect_cmd("PONG"),
        "@label=a\\sb :modchat.local PONG modchat.local :q"
    );

    // events meanwhile are not labeled
    alice.ok(json!({"type": "say", "room": "hall", "text": "later"}));
    let l = c.expect("alice's line", |l| l.ends_with(":later"));
    assert_eq!(tag(&l, "label"), None, "{l}");

    // without the cap a label is ignored
    let mut plain = IrcClient::login(irc, "bob", PASSWORD, "");
    sync(&mut plain);
    plain.send("@label=p2 PING :x");
    assert_eq!(
        plain.expect_cmd("PONG"),
        ":modchat.local PONG modchat.local :x"
    );
}
