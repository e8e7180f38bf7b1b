//! The load tool's smoke test (docs/performance.md): a tiny fan-out,
//! saturate and idle run against an in-process server. It checks the report's shape,
//! zero loss and that the run stops by itself. Speed is never asserted.

mod common;

use common::{Backend, TestServer};
use modchat_bench::{fanout, idle, saturate};

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
            server: s.addr,
            rooms: 2,
            members: 4,
            senders: 2,
            rate: 50.0,
            seconds: 1.0,
            password: common::server::PASSWORD.into(),
            prefix: "smoke".into(),
            server_pid: pid,
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
                server: s.addr,
                rooms: 1,
                members: 3,
                senders: 1,
                rate: 20.0,
                seconds: 0.5,
                password: common::server::PASSWORD.into(),
                prefix: "sat".into(),
                server_pid: pid,
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
            server: s.addr,
            connections: 20,
            room_size: 5,
            source_ips: 3,
            password: common::server::PASSWORD.into(),
            prefix: "smoke".into(),
            server_pid: pid,
        }))
        .expect("idle");
    assert_eq!(report["connections"], 20);
    assert!(
        report["server_bytes_per_connection"].as_f64().is_some(),
        "{report}"
    );
}
