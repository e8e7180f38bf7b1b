//! A cluster behaves like one server (docs/cluster.md; ../shared/PROTOCOL.md
//! "A cluster behaves like one server"): three `modchat serve` processes
//! on loopback, one MariaDB database, a NATS server of the test's own.

mod common;

use std::time::{Duration, Instant};

use common::client::TestClient;
use common::cluster::Cluster;
use modchat::model::Role;
use serde_json::{json, Value};

fn say(c: &mut TestClient, room: &str, text: &str) -> i64 {
    c.ok(json!({"type": "say", "room": room, "text": text}))["id"]
        .as_i64()
        .expect("id")
}

fn message(c: &mut TestClient, text: &str) -> Value {
    let t = text.to_owned();
    c.expect(&format!("message {text:?}"), move |v| {
        v["type"] == "message" && v["text"] == t.as_str()
    })
}

/// Retries `f` for up to a second (what the issue allows for moderation to
/// be in force everywhere); returns its last answer.
fn within_a_second(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// docs/cluster.md: members on three nodes talk as on one server: joins,
/// messages, online flags, `online`/`offline`, history.
#[test]
fn a_conversation_whose_members_sit_on_different_nodes() {
    let cl = Cluster::start(3);
    let mut alice = cl.user(0, "alice");
    let mut bob = cl.user(1, "bob");
    let mut carol = cl.user(2, "carol");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    let joined = bob.ok(json!({"type": "join", "room": "lobby"}));
    let members = joined["members"].as_array().expect("members");
    assert!(
        members
            .iter()
            .any(|m| m["name"] == "alice" && m["online"] == true),
        "{joined}"
    );
    alice.expect("bob joined", |v| {
        v["type"] == "joined" && v["user"] == "bob"
    });
    carol.ok(json!({"type": "join", "room": "lobby"}));
    alice.expect("carol joined", |v| {
        v["type"] == "joined" && v["user"] == "carol"
    });
    bob.expect("carol joined", |v| {
        v["type"] == "joined" && v["user"] == "carol"
    });

    let id1 = say(&mut alice, "lobby", "hello from n1");
    assert_eq!(message(&mut bob, "hello from n1")["id"], id1);
    assert_eq!(message(&mut carol, "hello from n1")["from"], "alice");
    let id2 = say(&mut bob, "lobby", "hello from n2");
    assert!(id2 > id1);
    assert_eq!(message(&mut alice, "hello from n2")["id"], id2);
    assert_eq!(message(&mut carol, "hello from n2")["id"], id2);
    alice.assert_none("my own message as an event", |v| {
        v["type"] == "message" && v["text"] == "hello from n1"
    });

    // every node shows the same members, online
    for c in [&mut alice, &mut bob, &mut carol] {
        let m = c.ok(json!({"type": "members", "room": "lobby"}));
        let online: Vec<&str> = m["members"]
            .as_array()
            .expect("members")
            .iter()
            .filter(|m| m["online"] == true)
            .map(|m| m["name"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(online, ["alice", "bob", "carol"], "{m}");
    }

    // history on the third node has both
    let h = carol.ok(json!({"type": "history", "room": "lobby"}));
    let ids: Vec<i64> = h["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(ids, [id1, id2]);

    // bob's last session goes: the others see him offline, then online
    // again when he comes back on another node
    drop(bob);
    alice.expect("bob offline", |v| {
        v["type"] == "offline" && v["user"] == "bob"
    });
    carol.expect("bob offline", |v| {
        v["type"] == "offline" && v["user"] == "bob"
    });
    let mut bob = cl.login(2, "bob");
    alice.expect("bob online", |v| {
        v["type"] == "online" && v["user"] == "bob"
    });
    say(&mut bob, "lobby", "back, on n3");
    message(&mut alice, "back, on n3");
}
