//! docs/protocol.md, "Names": look-alike names, reserved names, the hold on
//! a name given up by `rename`, `[auth] min_password_bytes`.

mod common;

use std::sync::{Arc, Barrier};

use chrono::TimeDelta;
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::accounts;
use modchat::store::schema::{accounts as acc, released_names};
use serde_json::{json, Value};

both_backends!(
    look_alikes_of_an_account_are_taken,
    racing_look_alikes_one_wins,
    reserved_names_and_their_look_alikes,
    console_may_use_reserved_names,
    a_renamed_name_is_held,
    hold_of_zero_days_frees_at_once,
    accounts_from_before_the_skeleton_column,
    min_password_bytes_from_config,
);

fn register(srv: &TestServer, name: &str) -> Value {
    let mut c = srv.connect();
    c.request(json!({"type": "register", "username": name, "password": PASSWORD}))
}

fn refused(srv: &TestServer, name: &str) {
    let r = register(srv, name);
    assert_eq!(r["code"], "username_taken", "register {name}: {r}");
}

/// `b0b` beside `bob`, `aIice` beside `alice`, `rnira` beside `mira`:
/// refused by `register` and by `rename`, in either direction; one's own
/// name may be re-cased or changed to a look-alike of itself.
fn look_alikes_of_an_account_are_taken(b: Backend) {
    let srv = TestServer::start(b);
    for name in ["bob", "alice", "rnira"] {
        srv.user(name);
    }
    for name in ["b0b", "B0B", "BOB", "aIice", "a1ice", "mira"] {
        refused(&srv, name);
    }
    let r = register(&srv, "b0b");
    assert!(r["message"].as_str().unwrap().contains("looks like"), "{r}");
    let mut d = srv.user("dora");
    for name in ["b0b", "aIice", "mira", "Bob"] {
        d.err(
            json!({"type": "rename", "username": name}),
            "username_taken",
        );
    }
    // not look-alikes: free
    for name in ["bobby", "alicia", "nira"] {
        assert_eq!(register(&srv, name)["type"], "ok", "{name}");
    }
    // its own look-alike is fine for the account itself
    let mut bob = srv.connect();
    bob.login("bob");
    bob.ok(json!({"type": "rename", "username": "B0b"}));
    refused(&srv, "bob");
    let mut again = srv.connect();
    again.login("b0B");
}

/// Two registrations of look-alike names at once: exactly one succeeds
/// (the unique key on the skeleton, not only the check before it).
fn racing_look_alikes_one_wins(b: Backend) {
    let srv = TestServer::start(b);
    for round in 0..4 {
        // four different names (in any case) with one skeleton, `rn?o`
        let names = [
            format!("m{round}o"),
            format!("rn{round}o"),
            format!("m{round}0"),
            format!("rn{round}0"),
        ];
        let go = Arc::new(Barrier::new(names.len()));
        let threads: Vec<_> = names
            .iter()
            .map(|name| {
                let mut c = srv.connect();
                let (go, name) = (go.clone(), name.clone());
                std::thread::spawn(move || {
                    go.wait();
                    c.request(json!({"type": "register", "username": name, "password": PASSWORD}))
                })
            })
            .collect();
        let replies: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let won = replies.iter().filter(|r| r["type"] == "ok").count();
        assert_eq!(won, 1, "round {round}: {replies:?}");
        assert!(
            replies
                .iter()
                .all(|r| r["type"] == "ok" || r["code"] == "username_taken"),
            "{replies:?}"
        );
    }
}

/// `[auth] reserved_names`: refused in any case and as look-alikes, by
/// `register` and `rename`; the list is the operator's.
fn reserved_names_and_their_look_alikes(b: Backend) {
    let srv = TestServer::start(b);
    for name in [
        "admin",
        "ADMIN",
        "Admin",
        "adrnin",
        "ADMlN",
        "system",
        "SYSTEM",
        "r00t",
        "ChanServ",
        "moderator",
        "server",
    ] {
        let r = register(&srv, name);
        assert_eq!(r["code"], "username_taken", "{name}: {r}");
        assert!(r["message"].as_str().unwrap().contains("reserved"), "{r}");
    }
    let mut u = srv.user("plain");
    u.err(
        json!({"type": "rename", "username": "adrnin"}),
        "username_taken",
    );
    u.err(
        json!({"type": "rename", "username": "Root"}),
        "username_taken",
    );
    assert_eq!(register(&srv, "admins")["type"], "ok");

    let srv = TestServer::start_with(b, |c| {
        c.auth.reserved_names = vec!["helpdesk".into()];
    });
    refused(&srv, "he1pdesk");
    assert_eq!(register(&srv, "admin")["type"], "ok", "not reserved here");
}

/// The console (`modchat-admin user add`, `accounts::create`) may create a
/// reserved name, and that account may re-case its own name.
fn console_may_use_reserved_names(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut a = srv.account("admin", Role::Admin);
    a.ok(json!({"type": "rename", "username": "Admin"}));
    refused(&srv, "adrnin");
    // but not a look-alike of an existing account, from the console either
    let db = srv.store();
    let mut c = db.conn().unwrap();
    srv.user("carol");
    assert!(matches!(
        accounts::create(&mut c, "caro1", "x", Role::User),
        Err(modchat::store::StoreError::Conflict)
    ));
}

/// A name given up by `rename` is held for `name_hold_days`: nobody else
/// takes it (or a look-alike, or another case of it) by `register` or
/// `rename`; its old owner may take it back; after the hold it is free.
fn a_renamed_name_is_held(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "rename", "username": "alicia"}));
    for name in ["alice", "ALICE", "aIice", "a1ice"] {
        let r = register(&srv, name);
        assert_eq!(r["code"], "username_taken", "{name}: {r}");
    }
    assert!(register(&srv, "alice")["message"]
        .as_str()
        .unwrap()
        .contains("held"));
    let mut eve = srv.user("eve");
    eve.err(
        json!({"type": "rename", "username": "Alice"}),
        "username_taken",
    );
    // the old owner takes it back, re-cased even
    alice.ok(json!({"type": "rename", "username": "Alice"}));
    alice.ok(json!({"type": "rename", "username": "alicia"}));
    // re-casing gives nothing up
    let mut zed = srv.user("zed");
    zed.ok(json!({"type": "rename", "username": "Zed"}));
    assert_eq!(register(&srv, "zeb")["type"], "ok");
    // the hold as stored, then moved 31 days back: free again
    let db = srv.store();
    let mut c = db.conn().unwrap();
    let held: Vec<(String, String, String)> = released_names::table
        .order(released_names::id)
        .select((
            released_names::name,
            released_names::name_key,
            released_names::skeleton,
        ))
        .load(&mut c)
        .unwrap();
    assert_eq!(
        held,
        [
            ("alice".into(), "alice".into(), "alice".into()),
            ("alicia".into(), "alicia".into(), "alicia".into()),
            ("Alice".into(), "alice".into(), "alice".into()),
        ]
    );
    let old = modchat::store::now() - TimeDelta::days(31);
    diesel::update(released_names::table)
        .set(released_names::released_at.eq(old))
        .execute(&mut c)
        .unwrap();
    eve.ok(json!({"type": "rename", "username": "a1ice"}));
}

fn hold_of_zero_days_frees_at_once(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.auth.name_hold_days = 0);
    let mut a = srv.user("kim");
    a.ok(json!({"type": "rename", "username": "kimberly"}));
    assert_eq!(register(&srv, "kim")["type"], "ok");
}

/// Accounts created before `name_skeleton` existed (or by an older node)
/// have it NULL: the server fills it at start, oldest account first; a
/// newer account whose name looks like an older one's keeps NULL, and its
/// name still counts against new look-alikes.
fn accounts_from_before_the_skeleton_column(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| c.auth.name_hold_days = 0);
    let db = srv.store();
    let mut c = db.conn().unwrap();
    for name in ["nemo", "nerno", "NEMO2"] {
        diesel::insert_into(acc::table)
            .values((
                acc::username.eq(name),
                acc::username_key.eq(name.to_lowercase()),
                acc::password_hash.eq("x"),
                acc::role.eq("user"),
                acc::created_at.eq(modchat::store::now()),
            ))
            .execute(&mut c)
            .unwrap();
    }
    let keys = |c: &mut modchat::store::DbConn| -> Vec<(String, Option<String>)> {
        acc::table
            .filter(acc::username_key.like("ne%"))
            .order(acc::id)
            .select((acc::username, acc::name_skeleton))
            .load(c)
            .unwrap()
    };
    assert!(keys(&mut c).iter().all(|(_, k)| k.is_none()));
    srv.restart();
    assert_eq!(
        keys(&mut c),
        [
            ("nemo".into(), Some("nerno".into())),
            ("nerno".into(), None),
            ("NEMO2".into(), Some("nemo2".into())),
        ]
    );
    refused(&srv, "nern0");
    // the key holder gives the name up (no hold here): the NULL row still
    // keeps its look-alikes out
    let nemo = srv.account_id("nemo");
    accounts::rename(&mut c, nemo, "nautilus").unwrap();
    refused(&srv, "nemo");
    srv.restart();
    assert_eq!(
        keys(&mut c)[0],
        ("nerno".into(), Some("nerno".into())),
        "a later start gives the key to the row that lacked it"
    );
    refused(&srv, "nemo");
}

/// `[auth] min_password_bytes` sets the shortest password `register` takes.
fn min_password_bytes_from_config(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.auth.min_password_bytes = 12);
    let mut c = srv.connect();
    let r = c.err(
        json!({"type": "register", "username": "pat", "password": "elevenchars"}),
        "bad_request",
    );
    assert_eq!(r["field"], "password");
    assert!(r["message"].as_str().unwrap().contains("12"), "{r}");
    c.ok(json!({"type": "register", "username": "pat", "password": "twelve chars"}));
    let srv = TestServer::start_with(b, |c| c.auth.min_password_bytes = 4);
    srv.connect()
        .ok(json!({"type": "register", "username": "pat", "password": "four"}));
}
