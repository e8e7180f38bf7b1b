//! docs/protocol.md: Durability — while the database cannot be reached a
//! request gets `unavailable` within 10 s, `/healthz` answers 503, the
//! server stays up, and it recovers by itself. The database is cut off by a TCP proxy the test
//! controls, so the shared MariaDB itself is never stopped.
#![cfg(feature = "mysql")]

mod common;

use std::time::{Duration, Instant};

use common::proxy::Proxy;
use common::{Backend, TestServer};
use serde_json::json;

#[test]
fn unavailable_while_the_database_is_down_then_recovers() {
    let base = common::db::mysql_base_url();
    let hostport = base
        .split('@')
        .next_back()
        .and_then(|r| r.split('/').next())
        .expect("host:port");
    let proxy = Proxy::start(hostport.to_owned());
    let srv = TestServer::start_with(Backend::Mysql, |c| {
        c.database.url = c.database.url.replace(hostport, &proxy.addr.to_string());
        c.database.connect_timeout_s = 2;
    });
    let mut u = srv.user("patient");
    u.ok(json!({"type": "create_room", "room": "r"}));
    u.ok(json!({"type": "say", "room": "r", "text": "before"}));

    proxy.down();
    let t0 = Instant::now();
    u.err(
        json!({"type": "say", "room": "r", "text": "during"}),
        "unavailable",
    );
    u.err(json!({"type": "history", "room": "r"}), "unavailable");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    u.ok(json!({"type": "ping"}));
    // the health check says so: 503, naming the database
    let http = srv.http.expect("http listener");
    let (code, body) = common::ws::http_get(http, "/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains(r#""database":"#) && body.contains("unavailable"),
        "{body}"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = u.request(json!({"type": "say", "room": "r", "text": "after"}));
        if r["type"] == "ok" {
            break;
        }
        assert_eq!(r["code"], "unavailable", "{r}");
        assert!(Instant::now() < deadline, "did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, body) = common::ws::http_get(http, "/healthz");
    assert_eq!(code, 200, "healthy again: {body}");
    let h = u.ok(json!({"type": "history", "room": "r"}));
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["before", "after"], "nothing refused was logged");
}
