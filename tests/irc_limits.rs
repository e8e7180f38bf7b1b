//! The limits of every transport hold on the IRC listener too: connections
//! per address, the login deadline, the talking bucket, and the outbound
//! cap for a client that stops reading. Both backends.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::irc::IrcClient;
use common::server::PASSWORD;
use common::{Backend, TestServer};
use serde_json::json;

both_backends!(
    connections_per_address,
    login_deadline,
    talking_too_fast,
    a_client_that_stops_reading_is_dropped,
);

fn connections_per_address(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.limits.max_connections_per_address = 2;
    });
    let irc = srv.irc.expect("irc listener");
    let mut a = IrcClient::connect(irc);
    let mut b2 = IrcClient::connect(irc);
    a.send("PING :a");
    a.expect_cmd("PONG");
    b2.send("PING :b");
    b2.expect_cmd("PONG");
    // the third, on the IRC listener: one ERROR line, then closed
    let mut c = IrcClient::connect(irc);
    let e = c.expect_cmd("ERROR");
    assert!(e.contains("too many connections"), "{e}");
    c.expect_closed();
    // the JSON listener counts the same connections
    drop(a);
    drop(b2);
    std::thread::sleep(Duration::from_millis(300));
    let mut d = IrcClient::connect(irc);
    d.send("PING :d");
    d.expect_cmd("PONG");
}

fn login_deadline(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.limits.login_timeout_s = 1;
    });
    let mut c = IrcClient::connect(srv.irc.expect("irc listener"));
    c.send("CAP LS 302");
    c.expect_cmd("CAP");
    // never registers: closed after the deadline
    let t0 = Instant::now();
    c.expect_closed();
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
}

fn talking_too_fast(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.limits.say_burst = 3;
        c.limits.say_per_s = 0.1;
    });
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = srv.user("bob");
    let mut c = IrcClient::login(srv.irc.expect("irc listener"), "bob", PASSWORD, "");
    c.send("JOIN #hall");
    c.expect_cmd("366");
    for i in 0..5 {
        c.send(&format!("PRIVMSG #hall :line {i}"));
    }
    let f = c.expect_cmd("FAIL");
    assert!(
        f.starts_with(":modchat.local FAIL PRIVMSG RATE_LIMITED #hall :"),
        "{f}"
    );
    // the refused ones come after the three accepted, whose events were
    // sent at their commit, before their replies
    let got = alice
        .sync()
        .iter()
        .filter(|v| v["type"] == "message" && v["from"] == "bob")
        .count();
    assert_eq!(got, 3, "the burst, and nothing refused");
}

fn a_client_that_stops_reading_is_dropped(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.limits.max_outbound_bytes = 65536;
    });
    let mut sender = srv.user("sender");
    sender.ok(json!({"type": "create_room", "room": "flood"}));
    let _slow = srv.user("slow");
    let mut slow = IrcClient::login(srv.irc.expect("irc listener"), "slow", PASSWORD, "");
    slow.send("JOIN #flood");
    slow.expect_cmd("366");
    // `slow` reads no more; 16 MB of messages for it
    let mut s = sender.raw_stream();
    let text = "😀".repeat(2000);
    let writer = std::thread::spawn(move || {
        let mut buf = Vec::new();
        for _ in 0..2000 {
            let req = json!({"type": "say", "room": "flood", "text": text});
            buf.extend_from_slice(format!("{req}\n").as_bytes());
            if buf.len() > 256 * 1024 {
                s.write_all(&buf)?;
                buf.clear();
            }
        }
        s.write_all(&buf)
    });
    // it goes offline: its session was dropped, not the server's memory
    let gone = sender.expect("slow going offline", |v| {
        v["type"] == "offline" && v["user"] == "slow"
    });
    assert_eq!(gone["room"], "flood");
    writer.join().expect("writer").expect("sent");
    let who = sender.ok(json!({"type": "who"}));
    let users: Vec<&str> = who["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert!(!users.contains(&"slow"), "{users:?}");
}
