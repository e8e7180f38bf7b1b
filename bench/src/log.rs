//! `log`: how many chat-log commits per second the server gets through,
//! and, measured beside it, how many the same database takes raw.
//!
//! (a) C connections, each alone in its own room (so no delivery work),
//! each keeping D `say`s in flight in a closed loop for S seconds: every
//! `ok` means a committed chat-log row (the contract's durability rule), so
//! acknowledged says per second is the server's commit rate, group commit
//! included, and the `ok` latency is what durability costs a sender.
//!
//! (b) The tool opens the server's database itself (`--database-url`, the
//! server's URL) and inserts chat-log rows with the server's own store code
//! (`store::chat_log::insert_batch`, one transaction a batch) on one
//! thread, for batches of 1, 10 and 100 rows: the ceiling the server's
//! writer could reach on this disk and database, to read (a) against. The
//! rows go into the room and account (a) used, so they are real rows of a
//! benchmark database: never point this at a database you keep.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use modchat::store::chat_log::{self, NewChatLog};
use modchat::store::{self, accounts, rooms, DatabaseUrl, Db, PoolOptions};
use serde_json::{json, Value};

use crate::client::Writer;
use crate::driver::{self, Line, Sayer, Seat};
use crate::lines::LineReader;
use crate::progress::Progress;
use crate::stats::{self, Cpu};
use crate::Proto;

#[derive(Debug, Clone)]
pub struct Log {
    /// `Modchat` (TCP) or `Ws`.
    pub proto: Proto,
    pub server: SocketAddr,
    pub connections: usize,
    /// `say`s in flight per connection.
    pub depth: usize,
    pub seconds: f64,
    /// The server's database, for (b); `None` skips (b).
    pub database_url: Option<String>,
    /// Batch sizes for (b), one run each.
    pub batches: Vec<usize>,
    /// Seconds per batch size in (b).
    pub raw_seconds: f64,
    pub password: String,
    pub prefix: String,
    pub server_pid: Option<u32>,
}

/// What the connections saw, merged at the end.
#[derive(Default)]
struct Acks {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

pub async fn run(cfg: Log) -> anyhow::Result<Value> {
    anyhow::ensure!(
        matches!(cfg.proto, Proto::Modchat | Proto::Ws),
        "log speaks modchat only"
    );
    anyhow::ensure!(
        cfg.connections >= 1
            && cfg.depth >= 1
            && !cfg.batches.is_empty()
            && !cfg.batches.contains(&0),
        "log needs a connection, a depth and batch sizes of at least 1"
    );
    // (a) one room per connection, created by it
    let start = Instant::now();
    let seats = (0..cfg.connections)
        .map(|c| {
            let name = format!("{}l{c}", cfg.prefix);
            Seat {
                from: None,
                room: name.clone(),
                name,
            }
        })
        .collect();
    let members = driver::members(
        cfg.proto,
        std::slice::from_ref(&cfg.server),
        &cfg.password,
        None,
        16,
        seats,
        |_| {},
    )
    .await?;
    eprintln!(
        "log: {} connections in {:.1} s",
        cfg.connections,
        start.elapsed().as_secs_f64()
    );
    stats::settle(cfg.server_pid.as_slice(), Duration::from_secs(10)).await;
    let acked = Arc::new(AtomicU64::new(0));
    let merged = Arc::new(Mutex::new(Acks::default()));
    let cpu = Cpu::start(cfg.server_pid.as_slice());
    let epoch = Instant::now();
    let deadline = epoch + Duration::from_secs_f64(cfg.seconds);
    let progress = {
        let (acked, seconds) = (acked.clone(), cfg.seconds);
        Progress::start(Duration::from_secs(2), move || {
            format!(
                "log: {:.0} of {seconds:.0} s: {} acknowledged",
                epoch.elapsed().as_secs_f64(),
                acked.load(Ordering::Relaxed)
            )
        })
    };
    let mut loops = Vec::new();
    for (c, m) in members.into_iter().enumerate() {
        let Sayer::Modchat(w) = m.writer else {
            anyhow::bail!("not a modchat connection");
        };
        let room = format!("{}l{c}", cfg.prefix);
        loops.push(tokio::spawn(closed_loop(
            m.lines,
            w,
            room,
            cfg.depth,
            deadline,
            acked.clone(),
            merged.clone(),
        )));
    }
    for l in loops {
        l.await??;
    }
    drop(progress);
    let window = epoch.elapsed().as_secs_f64();
    let (server_cpu, client_cpu) = (cpu.server(), cpu.client());
    let a = std::mem::take(&mut *merged.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let n = a.latencies_us.len() as u64;
    let server_rate = n as f64 / window;
    eprintln!("log: {n} says acknowledged in {window:.1} s ({server_rate:.0}/s)");

    // (b) the same database, raw
    let raw = match &cfg.database_url {
        Some(url) => {
            let (url, batches, secs) = (url.clone(), cfg.batches.clone(), cfg.raw_seconds);
            let (user, room) = (format!("{}l0", cfg.prefix), format!("{}l0", cfg.prefix));
            tokio::task::spawn_blocking(move || raw_inserts(&url, &user, &room, &batches, secs))
                .await??
        }
        None => Value::Null,
    };
    let best_raw = raw["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["rows_per_s"].as_f64())
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    Ok(json!({
        "scenario": "log",
        "proto": cfg.proto.name(),
        "connections": cfg.connections,
        "depth": cfg.depth,
        "seconds": window,
        "acked": n,
        "errors": a.errors,
        "first_error": a.first_error,
        "commits_per_s": server_rate,
        "latency_ms": stats::percentiles_ms(a.latencies_us),
        "server_cpu_s": server_cpu,
        "server_cpu_us_per_commit": server_cpu.map(|c| c * 1e6 / n.max(1) as f64),
        "client_cpu_s": client_cpu,
        "raw_best_rows_per_s": best_raw,
        "raw": raw,
    }))
}

/// Keeps `depth` says in flight until `deadline`, then waits for the rest.
/// Replies come in request order, so the oldest send time is the one a
/// reply answers.
async fn closed_loop(
    mut r: LineReader,
    mut w: Writer,
    room: String,
    depth: usize,
    deadline: Instant,
    acked: Arc<AtomicU64>,
    merged: Arc<Mutex<Acks>>,
) -> anyhow::Result<()> {
    let mut local = Acks::default();
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(depth);
    let mut seq = 0u64;
    for _ in 0..depth {
        say(&mut w, &room, &mut seq, &mut sent).await?;
    }
    while !sent.is_empty() {
        let line = tokio::time::timeout(Duration::from_secs(30), r.next_line())
            .await
            .context("no reply to a say in 30 s")??
            .context("the server closed the connection")?;
        let ok = match driver::classify(Proto::Modchat, &line) {
            Line::Ack => true,
            _ if line.starts_with(r#"{"type":"error""#) => false,
            _ => continue,
        };
        let Some(t0) = sent.pop_front() else { break };
        if ok {
            local.latencies_us.push(t0.elapsed().as_micros() as u64);
            acked.fetch_add(1, Ordering::Relaxed);
        } else {
            local.errors += 1;
            local.first_error.get_or_insert(line);
        }
        if Instant::now() < deadline {
            say(&mut w, &room, &mut seq, &mut sent).await?;
        }
    }
    if let Ok(mut m) = merged.lock() {
        m.latencies_us.append(&mut local.latencies_us);
        m.errors += local.errors;
        if m.first_error.is_none() {
            m.first_error = local.first_error;
        }
    }
    Ok(())
}

/// Sends the next `say`, noting when.
async fn say(
    w: &mut Writer,
    room: &str,
    seq: &mut u64,
    sent: &mut VecDeque<Instant>,
) -> anyhow::Result<()> {
    *seq += 1;
    sent.push_back(Instant::now());
    w.send(json!({"type": "say", "room": room, "text": format!("log {seq}")}))
        .await?;
    Ok(())
}

/// Inserts chat-log rows in batches of each size for `seconds` each, on
/// this thread, through the server's store code; rows per second and the
/// latency of one batch's transaction.
fn raw_inserts(
    url: &str,
    user: &str,
    room: &str,
    batches: &[usize],
    seconds: f64,
) -> anyhow::Result<Value> {
    let parsed = DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!(e))?;
    // the server's defaults (synchronous=FULL on SQLite); the schema is
    // the server's already, so no migration
    let opts = PoolOptions {
        max_size: 1,
        migrate: false,
        ..PoolOptions::default()
    };
    let db = Db::open(&parsed, &opts).with_context(|| format!("opening {url}"))?;
    let mut conn = db.conn()?;
    let sender_id = accounts::id_of(&mut conn, user)?
        .with_context(|| format!("no account {user} in {url}: is it the server's database?"))?;
    let room_id = rooms::find(&mut conn, &room.to_lowercase())?
        .with_context(|| format!("no room {room} in {url}: is it the server's database?"))?
        .id;
    let mut insert = |size: usize, n: u64| -> anyhow::Result<Duration> {
        let at = store::now();
        let rows: Vec<NewChatLog> = (0..size)
            .map(|k| NewChatLog {
                kind: chat_log::Kind::Message.as_str(),
                room_id: Some(room_id),
                sender_id: Some(sender_id),
                sender_name: user.to_owned(),
                recipient_id: None,
                text: format!("raw {size} {n} {k}"),
                action: false,
                at,
            })
            .collect();
        let t0 = Instant::now();
        chat_log::insert_batch(&mut conn, &rows, db.mysql_ids())?;
        Ok(t0.elapsed())
    };
    // The server's commits of (a) leave dirty pages the kernel is still
    // writing back, and an fsync queued behind them took ten times as long
    // here (300 instead of 3,500 commits/s of one row on SQLite). Flush
    // them and warm up untimed, so (b) measures the database, not the tail
    // of (a).
    let _ = std::process::Command::new("sync").status();
    let mut warm_up_rows = 0u64;
    let warm_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < warm_until {
        insert(batches[0], warm_up_rows)?;
        warm_up_rows += batches[0] as u64;
    }
    let mut runs = Vec::new();
    for &size in batches {
        let mut latencies_us = Vec::new();
        let mut rows_done = 0u64;
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(seconds);
        while Instant::now() < end {
            latencies_us.push(insert(size, rows_done)?.as_micros() as u64);
            rows_done += size as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        let commits = latencies_us.len();
        eprintln!(
            "log: raw batches of {size}: {rows_done} rows in {commits} commits, {:.0} rows/s",
            rows_done as f64 / secs
        );
        runs.push(json!({
            "batch": size,
            "rows": rows_done,
            "commits": commits,
            "seconds": secs,
            "rows_per_s": rows_done as f64 / secs,
            "commits_per_s": commits as f64 / secs,
            "commit_ms": stats::percentiles_ms(latencies_us),
        }));
    }
    Ok(json!({
        "backend": format!("{:?}", db.backend()).to_lowercase(),
        "warm_up_rows": warm_up_rows,
        "runs": runs,
    }))
}
