//! docs/protocol.md: Limits — what keeps one account or one address from
//! hurting the others: a ban that cannot be outrun, the login and
//! registration throttles, the second bucket, muted joins, room ownership
//! and the paged `rooms` list.

mod common;

use std::time::{Duration, Instant};

use common::client::TestClient;
use common::server::PASSWORD;
use common::storm::LoginStorm;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use serde_json::{json, Value};

both_backends!(
    ban_cannot_be_outrun_by_resumes_and_logins,
    failed_logins_are_counted_per_address_and_name,
    bad_resumes_count_against_the_address,
    registrations_are_limited_and_names_checked_first,
    register_storm_does_not_hold_up_say,
    second_bucket_limits_joins_and_leaves,
    muted_joins_and_leaves_are_not_announced,
    rooms_per_account_and_the_paged_rooms_list,
    muted_admin_cannot_announce,
);

/// docs/protocol.md: Moderation (ban) — "No session of the account
/// outlives the ban's ok": several threads resume and log in as the target
/// in a loop while it is banned; once the ban is acknowledged no session of
/// it is left, and `who` does not list it. Ten rounds of ban and unban.
fn ban_cannot_be_outrun_by_resumes_and_logins(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut troll = srv.user("troll");
    let token = troll.login_token();
    let addr = srv.addr;
    let mut unanswered = 0;
    for round in 0..10 {
        let storm = LoginStorm::start(addr, "troll", PASSWORD, &token, 6);
        // let the storm get going, then ban in the middle of it
        storm.wait_admitted(3);
        m.ok(json!({"type": "ban", "user": "troll", "reason": "round"}));
        // gone from `who` as soon as the ban is acknowledged
        let who = m.ok(json!({"type": "who"}));
        assert!(
            !who["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["name"] == "troll"),
            "round {round}: listed right after the ban's ok: {who}"
        );
        // every connection admitted before the ban's ok, and any admitted
        // after it, must be closed: keep the storm going a moment longer
        std::thread::sleep(Duration::from_millis(200));
        let (mut admitted, closed_unanswered) = storm.stop();
        unanswered += closed_unanswered;
        assert!(
            !admitted.is_empty(),
            "round {round}: nobody got in before the ban"
        );
        let open = admitted
            .iter_mut()
            .map(|c| c.closed_within(Duration::from_secs(5)))
            .filter(|closed| !closed)
            .count();
        assert_eq!(open, 0, "round {round}: {open} sessions outlived the ban");
        let who = m.ok(json!({"type": "who"}));
        let listed = who["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "troll");
        assert!(!listed, "round {round}: troll outlived the ban: {who}");
        // a fresh attempt is refused
        let mut late = TestClient::connect(addr);
        late.err(json!({"type": "resume", "token": token}), "banned");
        m.ok(json!({"type": "unban", "user": "troll"}));
    }
    assert_eq!(unanswered, 0, "requests closed without a reply");
}

fn login(c: &mut TestClient, name: &str, password: &str) -> Value {
    c.request(json!({"type": "login", "username": name, "password": password}))
}

fn rate_limited_rows(srv: &mut TestServer) -> i64 {
    use modchat::store::schema::login_events as l;
    let db = srv.store();
    let mut c = db.conn().unwrap();
    l::table
        .filter(l::reason.eq("rate_limited"))
        .count()
        .get_result(&mut c)
        .unwrap()
}

/// docs/protocol.md: Limits (failed logins) — a name guessed at from one
/// address is locked there, another account's right password from that
/// address still works until the address's own limit; a throttled address
/// writes at most one `rate_limited` row a minute.
fn failed_logins_are_counted_per_address_and_name(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.limits.login_failures_per_min = 3;
        c.limits.login_failures_per_address_per_min = 6;
    });
    let _ = srv.user("victim");
    let _ = srv.user("admin1");
    let mut c = srv.connect();
    for _ in 0..3 {
        assert_eq!(
            login(&mut c, "victim", "wrong-password")["code"],
            "bad_credentials"
        );
    }
    // the guessed name is locked from this address, even with its password
    let r = login(&mut c, "Victim", PASSWORD);
    assert_eq!(r["code"], "rate_limited", "{r}");
    assert!(r["retry_after_ms"].as_u64().unwrap() > 0);
    // another account's right password from the same address goes through
    let mut admin = srv.connect();
    admin.login("admin1");
    // three more failures on other names reach the address's limit
    for n in ["a", "b", "c"] {
        assert_eq!(
            login(&mut c, n, "wrong-password")["code"],
            "bad_credentials"
        );
    }
    let mut admin2 = srv.connect();
    let r = login(&mut admin2, "admin1", PASSWORD);
    assert_eq!(r["code"], "rate_limited", "{r}");
    // a flood of throttled attempts writes one row, not one each
    for _ in 0..30 {
        assert_eq!(
            login(&mut c, "victim", "x-password")["code"],
            "rate_limited"
        );
    }
    assert_eq!(rate_limited_rows(&mut srv), 1);
}

/// docs/protocol.md: Limits (failed logins) — a bad `resume` token is a
/// failure of its address, and `resume` too is refused past the address's
/// limit.
fn bad_resumes_count_against_the_address(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.limits.login_failures_per_address_per_min = 5;
    });
    let mut u = srv.user("holder");
    let token = u.login_token();
    let mut c = srv.connect();
    for i in 0..5 {
        c.err(
            json!({"type": "resume", "token": format!("nope{i}")}),
            "bad_token",
        );
    }
    c.err(json!({"type": "resume", "token": token}), "rate_limited");
    c.err(
        json!({"type": "login", "username": "holder", "password": PASSWORD}),
        "rate_limited",
    );
    for _ in 0..20 {
        c.err(json!({"type": "resume", "token": "nope"}), "rate_limited");
    }
    assert_eq!(rate_limited_rows(&mut srv), 1);
    let bad_token_rows: i64 = {
        use modchat::store::schema::login_events as l;
        let db = srv.store();
        let mut conn = db.conn().unwrap();
        l::table
            .filter(l::reason.eq("bad_token"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(bad_token_rows, 5);
}

/// docs/protocol.md: Limits (registrations) — at most
/// `registrations_per_address_per_hour` attempts from one address; a taken
/// name is refused without hashing the password.
fn registrations_are_limited_and_names_checked_first(b: Backend) {
    // cost 16 takes seconds a hash: refusing a taken name after hashing
    // would make the twenty refusals below take minutes
    let srv = TestServer::start_with(b, |c| {
        c.limits.registrations_per_address_per_hour = 23;
    });
    let _taken = srv.user("taken");
    let mut c = srv.connect();
    let slow = TestServer::start_with(b, |c| {
        c.auth.bcrypt_cost = 16;
        c.limits.registrations_per_address_per_hour = 30;
    });
    let mut sc = slow.connect();
    let hash = modchat::auth::hash_password(PASSWORD, 4).unwrap();
    {
        let db = slow.db.open();
        modchat::store::accounts::create(&mut db.conn().unwrap(), "taken", &hash, Role::User)
            .unwrap();
    }
    let t0 = Instant::now();
    for _ in 0..20 {
        sc.err(
            json!({"type": "register", "username": "TAKEN", "password": PASSWORD}),
            "username_taken",
        );
    }
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "a taken name cost a hash: {:?}",
        t0.elapsed()
    );
    // the per-address count: 1 (srv.user) + 22 here, then refused
    for i in 0..22 {
        c.ok(json!({"type": "register", "username": format!("n{i}"), "password": PASSWORD}));
    }
    let r = c.err(
        json!({"type": "register", "username": "late", "password": PASSWORD}),
        "rate_limited",
    );
    assert!(r["retry_after_ms"].as_u64().unwrap() > 0, "{r}");
}

/// docs/protocol.md: Limits (bcrypt) — a storm of registrations queues on
/// the bcrypt pool; a logged-in user's `say` is answered while the storm
/// is still being hashed.
fn register_storm_does_not_hold_up_say(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.auth.bcrypt_cost = 10);
    let mut talker = srv.user("talker");
    talker.ok(json!({"type": "create_room", "room": "r"}));
    let mut stormers: Vec<TestClient> = (0..4).map(|_| srv.connect()).collect();
    for (i, s) in stormers.iter_mut().enumerate() {
        for j in 0..6 {
            s.send(json!({"type": "register", "id": j, "username": format!("s{i}x{j}"), "password": PASSWORD}));
        }
    }
    // 24 hashes of ~80 ms each on a pool of at most cores-1: seconds of work
    talker.ok(json!({"type": "say", "room": "r", "text": "still here"}));
    let mut unanswered = 0;
    for s in &mut stormers {
        let frames = s.sync();
        unanswered += 6 - frames.iter().filter(|f| f["for"] == "register").count();
    }
    assert!(unanswered > 0, "the storm was over before say was answered");
    for s in &mut stormers {
        for j in 0..6 {
            s.expect("register reply", |v| v["re"] == j && v["type"] == "ok");
        }
    }
}

/// docs/protocol.md: Limits (other acts) — join, leave, create_room and
/// rename share a bucket of `action_burst`, then `rate_limited`.
fn second_bucket_limits_joins_and_leaves(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.limits.action_burst = 4;
        c.limits.action_per_s = 0.5;
    });
    let mut owner = srv.user("owner");
    owner.ok(json!({"type": "create_room", "room": "r"}));
    let mut u = srv.user("flapper");
    u.ok(json!({"type": "join", "room": "r"}));
    u.ok(json!({"type": "leave", "room": "r"}));
    u.ok(json!({"type": "join", "room": "r"}));
    u.ok(json!({"type": "leave", "room": "r"}));
    let r = u.err(json!({"type": "join", "room": "r"}), "rate_limited");
    let wait = r["retry_after_ms"].as_u64().unwrap();
    assert!(wait > 0 && wait <= 2000, "{r}");
    u.err(
        json!({"type": "rename", "username": "flapper2"}),
        "rate_limited",
    );
    // say has its own bucket
    owner.ok(json!({"type": "say", "room": "r", "text": "talking is separate"}));
    // the bucket refills
    std::thread::sleep(Duration::from_millis(wait + 50));
    u.ok(json!({"type": "join", "room": "r"}));
}

/// docs/protocol.md: Limits (other acts) — while an account is muted its
/// joins and leaves are not announced; `members` stays exact.
fn muted_joins_and_leaves_are_not_announced(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut m = srv.account("mod", Role::Moderator);
    let mut watcher = srv.user("watcher");
    watcher.ok(json!({"type": "create_room", "room": "r"}));
    let mut troll = srv.user("troll");
    m.ok(json!({"type": "mute", "user": "troll", "duration_s": 600}));
    for _ in 0..3 {
        troll.ok(json!({"type": "join", "room": "r"}));
        let members = watcher.ok(json!({"type": "members", "room": "r"}));
        assert!(members["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "troll"));
        troll.ok(json!({"type": "leave", "room": "r"}));
    }
    watcher.sync();
    watcher.assert_none("troll's joins and leaves", |v| {
        (v["type"] == "joined" || v["type"] == "left") && v["user"] == "troll"
    });
    // a room mute silences them in that room only
    m.ok(json!({"type": "unmute", "user": "troll"}));
    troll.ok(json!({"type": "join", "room": "r"}));
    watcher.expect("troll joined", |v| {
        v["type"] == "joined" && v["user"] == "troll"
    });
    m.ok(json!({"type": "mute", "user": "troll", "room": "r"}));
    troll.ok(json!({"type": "leave", "room": "r"}));
    watcher.sync();
    watcher.assert_none("troll's leave", |v| {
        v["type"] == "left" && v["user"] == "troll"
    });
}

/// docs/protocol.md: `rooms` and `create_room` — an account owns at most
/// `rooms_per_account` rooms; `rooms` pages by name with `after`, `limit`
/// and `next`, and filters with `query`.
fn rooms_per_account_and_the_paged_rooms_list(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| c.limits.rooms_per_account = 3);
    let mut u = srv.user("maker");
    for r in ["a1", "a2", "a3"] {
        u.ok(json!({"type": "create_room", "room": r}));
    }
    let r = u.err(
        json!({"type": "create_room", "room": "a4"}),
        "limit_reached",
    );
    assert_eq!(r["limit"], 3, "{r}");
    // moderators make rooms for the community without a cap
    let mut m = srv.account("mod", Role::Moderator);
    for i in 0..9 {
        m.ok(json!({"type": "create_room", "room": format!("b{i}")}));
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let mut req = json!({"type": "rooms", "limit": 5});
        if !after.is_null() {
            req["after"] = after.clone();
        }
        let page = u.ok(req);
        pages += 1;
        let rooms = page["rooms"].as_array().unwrap();
        assert!(rooms.len() <= 5);
        seen.extend(rooms.iter().map(|r| r["name"].as_str().unwrap().to_owned()));
        after = page["next"].clone();
        if after.is_null() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 12);
    let q = u.ok(json!({"type": "rooms", "query": "B"}));
    assert_eq!(q["rooms"].as_array().unwrap().len(), 9);
    assert!(q["next"].is_null());
    u.err(json!({"type": "rooms", "limit": 501}), "bad_request");
    u.err(json!({"type": "rooms", "limit": 0}), "bad_request");
    let _ = srv.actions();
}

/// docs/protocol.md: `announce` — a muted admin does not announce.
fn muted_admin_cannot_announce(b: Backend) {
    let mut srv = TestServer::start(b);
    let mut root = srv.account("root", Role::Admin);
    let mut root2 = srv.account("root2", Role::Admin);
    root.ok(json!({"type": "mute", "user": "root2", "duration_s": 60, "reason": "calm down"}));
    let r = root2.err(json!({"type": "announce", "text": "LOUD"}), "muted");
    assert_eq!(r["reason"], "calm down");
    root.ok(json!({"type": "announce", "text": "fine"}));
}

/// docs/protocol.md: Word filter — "a mute, automatic or not, is in force
/// only once its record is committed": the strike that would mute lands
/// while the database is cut off, so no record can be written, and the
/// sender is not muted (before, the mute held in memory with no record,
/// and was gone at the next restart).
#[cfg(feature = "mysql")]
#[test]
fn auto_mute_needs_its_record() {
    use common::proxy::Proxy;
    let base = common::db::mysql_base_url();
    let hostport = base
        .split('@')
        .next_back()
        .and_then(|r| r.split('/').next())
        .expect("host:port")
        .to_owned();
    let proxy = Proxy::start(hostport.clone());
    let mut srv = TestServer::start_with(Backend::Mysql, |c| {
        c.database.url = c.database.url.replace(&hostport, &proxy.addr.to_string());
        c.database.connect_timeout_s = 2;
        c.moderation.filter_strikes = 2;
    });
    let mut root = srv.account("root", Role::Admin);
    root.ok(json!({"type": "filter_add", "word": "frobnicate"}));
    let mut u = srv.user("sayer");
    u.ok(json!({"type": "create_room", "room": "r"}));
    u.err(
        json!({"type": "say", "room": "r", "text": "frobnicate"}),
        "blocked",
    );
    proxy.down();
    let r = u.request(json!({"type": "say", "room": "r", "text": "frobnicate again"}));
    assert_eq!(r["type"], "error", "{r}");
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = u.request(json!({"type": "say", "room": "r", "text": "clean"}));
        if r["type"] == "ok" {
            break;
        }
        assert_eq!(r["code"], "unavailable", "muted without a record: {r}");
        assert!(Instant::now() < deadline, "did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let actions: Vec<String> = srv.actions().into_iter().map(|a| a.action).collect();
    assert!(!actions.iter().any(|a| a == "auto_mute"), "{actions:?}");
}

/// docs/protocol.md: Configuration — `token_ttl_s` is at most 366 days:
/// a larger one stops the server at start naming the key (it used to pass
/// and make every login panic), and the largest allowed one logs in.
#[test]
fn token_ttl_is_bounded() {
    use modchat::config::{Config, Overrides};
    for bad in ["9223372036854775807", "31622401", "0"] {
        let vars = [("MODCHAT_AUTH__TOKEN_TTL_S".to_owned(), bad.to_owned())];
        let e = Config::load(None, vars, &Overrides::default()).unwrap_err();
        assert!(e.contains("auth.token_ttl_s"), "{bad}: {e}");
    }
    let srv = TestServer::start_with(Backend::Sqlite, |c| c.auth.token_ttl_s = 31_622_400);
    let mut u = srv.user("longlived");
    let r = u.ok(json!({"type": "logout"}));
    assert_eq!(r["type"], "ok");
    let r = u.login("longlived");
    let expires = r["expires_at"].as_str().unwrap();
    assert!(expires > "2027-12-01", "{expires}");
}
