//! The load tool's smoke test (docs/performance.md): tiny fanout, saturate,
//! idle, storm and log runs against an in-process server, and a fan-out
//! over WebSocket. It checks the reports' shape, zero loss and failures,
//! and that each run stops by itself. Speed is never asserted. The IRC
//! driver runs here against modchat's own IRC gateway (accounts registered
//! over JSON, `PASS name:password`); its test against a stand-in IRC server
//! is bench/tests/irc.rs: the suite never needs ngircd or InspIRCd.

mod common;

use common::{Backend, TestServer};
use modchat_bench::{fanout, idle, log, saturate, storm, Proto};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn tiny_fanout_and_idle_runs() {
    let s = TestServer::start(Backend::Sqlite);
    let pid = Some(std::process::id());
    let t0 = std::time::Instant::now();
    let report = runtime()
        .block_on(fanout::run(fanout::Fanout {
            proto: Proto::Modchat,
            servers: vec![s.addr],
            rooms: 2,
            members: 4,
            senders: 2,
            rate: 50.0,
            seconds: 1.0,
            password: common::server::PASSWORD.into(),
            prefix: "smoke".into(),
            server_pids: pid.into_iter().collect(),
            irc_accounts: None,
        }))
        .expect("fanout");
    assert!(t0.elapsed().as_secs() < 30, "the run stops by itself");
    for key in [
        "sent",
        "acked",
        "expected_deliveries",
        "delivered",
        "lost",
        "duplicates",
        "reordered",
        "deliveries_per_s",
        "server_cpu_s",
        "server_rss_bytes",
        "client_cpu_s",
    ] {
        assert!(report.get(key).is_some(), "{key} missing: {report}");
    }
    for key in ["p50", "p99", "max"] {
        assert!(report["latency_ms"][key].as_f64().is_some(), "{report}");
    }
    let sent = report["sent"].as_u64().expect("sent");
    assert!(
        sent >= 20,
        "2 rooms x 2 senders x ~50 in a second: {report}"
    );
    assert_eq!(report["acked"], sent, "every say acknowledged: {report}");
    assert_eq!(report["expected_deliveries"], sent * 3, "{report}");
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
    assert_eq!(report["reordered"], 0, "{report}");
    // the JSON line parses back
    let line = report.to_string();
    assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok());

    let report = runtime()
        .block_on(saturate::run(saturate::Saturate {
            base: fanout::Fanout {
                proto: Proto::Modchat,
                servers: vec![s.addr],
                rooms: 1,
                members: 3,
                senders: 1,
                rate: 20.0,
                seconds: 0.5,
                password: common::server::PASSWORD.into(),
                prefix: "sat".into(),
                server_pids: pid.into_iter().collect(),
                irc_accounts: None,
            },
            p99_limit_ms: 10_000.0,
            max_steps: 2,
        }))
        .expect("saturate");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(
        steps.len(),
        2,
        "both steps held with a 10 s limit: {report}"
    );
    assert!((steps[1]["rate_per_sender"].as_f64().unwrap_or(0.0) - 30.0).abs() < 1e-9);
    assert!(
        report["max_sustained_deliveries_per_s"].as_f64().is_some(),
        "{report}"
    );

    let report = runtime()
        .block_on(idle::run(idle::Idle {
            proto: Proto::Modchat,
            server: s.addr,
            connections: 20,
            room_size: 5,
            source_ips: 3,
            password: common::server::PASSWORD.into(),
            prefix: "smoke".into(),
            server_pid: pid,
            irc_accounts: None,
        }))
        .expect("idle");
    assert_eq!(report["connections"], 20);
    assert!(
        report["server_bytes_per_connection"].as_f64().is_some(),
        "{report}"
    );
}

#[test]
fn tiny_fanout_over_websocket() {
    let s = TestServer::start(Backend::Sqlite);
    let report = runtime()
        .block_on(fanout::run(fanout::Fanout {
            proto: Proto::Ws,
            servers: vec![s.http.expect("http listener")],
            rooms: 1,
            members: 3,
            senders: 1,
            rate: 50.0,
            seconds: 0.5,
            password: common::server::PASSWORD.into(),
            prefix: "ws".into(),
            server_pids: vec![std::process::id()],
            irc_accounts: None,
        }))
        .expect("fanout over ws");
    assert_eq!(report["proto"], "ws", "{report}");
    let sent = report["sent"].as_u64().expect("sent");
    assert!(sent >= 5, "{report}");
    assert_eq!(report["acked"], sent, "{report}");
    assert_eq!(report["expected_deliveries"], sent * 2, "{report}");
    assert_eq!(report["lost"], 0, "{report}");
}

#[test]
fn tiny_fanout_and_idle_over_the_irc_gateway() {
    let mut s = TestServer::start_with(Backend::Sqlite, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    });
    let irc = s.irc.expect("irc listener");
    let shape = |seconds| fanout::Fanout {
        proto: Proto::Irc,
        servers: vec![irc],
        rooms: 2,
        members: 3,
        senders: 1,
        rate: 50.0,
        seconds,
        password: common::server::PASSWORD.into(),
        prefix: "irc".into(),
        server_pids: vec![std::process::id()],
        irc_accounts: Some(s.addr),
    };
    let t0 = std::time::Instant::now();
    let report = runtime()
        .block_on(fanout::run(shape(0.5)))
        .expect("fanout over irc");
    assert!(t0.elapsed().as_secs() < 30, "the run stops by itself");
    assert_eq!(report["proto"], "irc", "{report}");
    let sent = report["sent"].as_u64().expect("sent");
    assert!(sent >= 10, "{report}");
    assert_eq!(report["expected_deliveries"], sent * 2, "{report}");
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
    assert_eq!(report["reordered"], 0, "{report}");

    // a second run with the same names: the accounts exist and are in
    // their rooms already (the gateway's JOIN burst, then the JOIN)
    let report = runtime()
        .block_on(fanout::run(shape(0.3)))
        .expect("second fanout over irc");
    assert_eq!(report["lost"], 0, "{report}");

    let report = runtime()
        .block_on(idle::run(idle::Idle {
            proto: Proto::Irc,
            server: irc,
            connections: 6,
            room_size: 3,
            source_ips: 2,
            password: common::server::PASSWORD.into(),
            prefix: "irc".into(),
            server_pid: Some(std::process::id()),
            irc_accounts: Some(s.addr),
        }))
        .expect("idle over irc");
    assert_eq!(report["connections"], 6, "{report}");

    // every PRIVMSG went through the one chat path: one chat_logs row each
    use diesel::prelude::*;
    use modchat::store::schema::chat_logs;
    let db = s.store();
    let mut c = db.conn().expect("conn");
    let rows: i64 = chat_logs::table.count().get_result(&mut c).expect("count");
    assert!(
        rows as u64 >= sent,
        "{rows} rows, {sent} sent in the first run"
    );
}

#[test]
fn tiny_storm_run() {
    let s = TestServer::start(Backend::Sqlite);
    let t0 = std::time::Instant::now();
    let report = runtime()
        .block_on(storm::run(storm::Storm {
            proto: Proto::Modchat,
            server: s.addr,
            accounts: 12,
            in_flight: 4,
            source_ips: 2,
            password: common::server::PASSWORD.into(),
            prefix: "storm".into(),
            server_pid: Some(std::process::id()),
        }))
        .expect("storm");
    assert!(t0.elapsed().as_secs() < 60, "the run stops by itself");
    assert_eq!(report["failures"], 0, "{report}");
    for phase in ["login", "resume"] {
        let p = &report[phase];
        assert_eq!(p["ok"], 12, "{phase}: {report}");
        assert_eq!(p["failures"], 0, "{phase}: {report}");
        assert!(p["ops_per_s"].as_f64().is_some(), "{report}");
        for key in ["p50", "p99", "max"] {
            assert!(p["latency_ms"][key].as_f64().is_some(), "{report}");
        }
        assert!(p["server_cpu_s"].as_f64().is_some(), "{report}");
    }
    assert!(report["logins_per_s"].as_f64().is_some(), "{report}");
    assert!(report["resumes_per_s"].as_f64().is_some(), "{report}");
}

#[test]
fn tiny_log_run() {
    let mut s = TestServer::start(Backend::Sqlite);
    let t0 = std::time::Instant::now();
    let report = runtime()
        .block_on(log::run(log::Log {
            proto: Proto::Modchat,
            server: s.addr,
            connections: 3,
            depth: 2,
            seconds: 0.5,
            database_url: Some(s.db.url.clone()),
            batches: vec![1, 10],
            raw_seconds: 0.2,
            password: common::server::PASSWORD.into(),
            prefix: "log".into(),
            server_pid: Some(std::process::id()),
        }))
        .expect("log");
    assert!(t0.elapsed().as_secs() < 60, "the run stops by itself");
    assert_eq!(report["errors"], 0, "{report}");
    let acked = report["acked"].as_u64().expect("acked");
    assert!(acked >= 3, "{report}");
    assert!(report["commits_per_s"].as_f64().is_some(), "{report}");
    for key in ["p50", "p99", "max"] {
        assert!(report["latency_ms"][key].as_f64().is_some(), "{report}");
    }
    let runs = report["raw"]["runs"].as_array().expect("raw runs");
    assert_eq!(runs.len(), 2, "{report}");
    assert_eq!(runs[1]["batch"], 10, "{report}");
    let raw_rows: u64 = runs
        .iter()
        .map(|r| r["rows"].as_u64().unwrap_or(0))
        .sum::<u64>()
        + report["raw"]["warm_up_rows"]
            .as_u64()
            .expect("warm-up rows");
    assert!(raw_rows >= 11, "{report}");
    // every acknowledged say and every raw row is in the chat log
    use diesel::prelude::*;
    use modchat::store::schema::chat_logs;
    let db = s.store();
    let mut c = db.conn().expect("conn");
    let rows: i64 = chat_logs::table.count().get_result(&mut c).expect("count");
    assert_eq!(rows as u64, acked + raw_rows, "{report}");
}
