//! A 200,000-row `logs chat --format jsonl` export: every row comes out,
//! once, in id order, and memory stays flat (the reports stream page by
//! page). The peak RSS goes to the test log with a loose bound; speed and
//! memory goals live in docs/performance.md, not here.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use modchat::model::{AccountId, RoomId};
use modchat::store::chat_log::{self, NewChatLog};
use support::Backend;

both_backends!(export_200k_rows_in_constant_memory);

const ROWS: usize = 200_000;

/// The process's peak resident set (VmHWM), in KiB, while it runs.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn export_200k_rows_in_constant_memory(b: Backend) {
    let db = common::db::TestDb::new(b);
    let store = db.open();
    let mut conn = store.conn().expect("conn");
    let at = modchat::store::now();
    let t0 = Instant::now();
    for batch in 0..ROWS / 1000 {
        let rows: Vec<NewChatLog> = (0..1000)
            .map(|i| NewChatLog {
                kind: "message",
                room_id: Some(RoomId(1)),
                sender_id: Some(AccountId(1)),
                sender_name: "loader".into(),
                recipient_id: None,
                text: format!(
                    "row {} of the export, with some text to make it a realistic length",
                    batch * 1000 + i
                ),
                action: false,
                at,
            })
            .collect();
        chat_log::insert_batch(&mut conn, &rows, store.mysql_ids()).expect("insert");
    }
    eprintln!("export test: {ROWS} rows inserted in {:?}", t0.elapsed());

    let mut child = Command::new(env!("CARGO_BIN_EXE_modchat-admin"))
        .args([
            "--database-url",
            &db.url,
            "logs",
            "chat",
            "--format",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run modchat-admin");
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let t0 = Instant::now();
    let mut first_line = None;
    let (mut lines, mut last_id) = (0usize, 0i64);
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("read");
        first_line.get_or_insert_with(|| t0.elapsed());
        // only the id is checked per line, so the test itself stays small
        let id: i64 = line
            .strip_prefix("{\"id\":")
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("line {lines}: {line}"));
        assert!(id > last_id, "ids in order, once each");
        last_id = id;
        lines += 1;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.join().expect("watcher");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines, ROWS, "every row exactly once");
    let report = format!(
        "export test ({b:?}): {lines} lines of logs chat --format jsonl in {:?} (debug build), first line after {:?}, peak RSS {peak} KiB\n",
        t0.elapsed(),
        first_line.unwrap_or_default(),
    );
    eprint!("{report}");
    // the test log: scripts/test prints target/tmp/*.log at the end
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export-{b:?}.log"));
    std::fs::write(log, report).expect("write the test log");
    // loose: a buffered export of these rows would need well over 60 MiB
    assert!(
        peak < 48 * 1024,
        "peak RSS {peak} KiB: the export is not streaming"
    );
}
