//! `fanout`: R rooms of M members, S senders per room at a fixed rate. Each
//! text carries its sender, a sequence number and the send time, so every
//! receiver measures latency and notices loss, duplicates and reordering.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{self, Reader, Writer};
use crate::procfs;

#[derive(Debug, Clone)]
pub struct Fanout {
    pub server: SocketAddr,
    pub rooms: usize,
    pub members: usize,
    pub senders: usize,
    /// Messages per second, per sender.
    pub rate: f64,
    pub seconds: f64,
    pub password: String,
    /// Account and room names start with this (several runs can share a
    /// database).
    pub prefix: String,
    /// The server's pid, for its CPU time and memory.
    pub server_pid: Option<u32>,
}

/// What the receivers saw, merged at the end.
#[derive(Default)]
struct Seen {
    latencies_us: Vec<u64>,
    delivered: u64,
    duplicates: u64,
    reordered: u64,
}

pub async fn run(cfg: Fanout) -> anyhow::Result<Value> {
    anyhow::ensure!(cfg.members >= 2 && cfg.senders >= 1 && cfg.senders <= cfg.members);
    let start = Instant::now();
    let logins = Arc::new(tokio::sync::Semaphore::new(16));
    // connect everyone, room by room (the first member creates the room)
    let mut conns: Vec<Vec<(Reader, Writer)>> = Vec::new();
    for r in 0..cfg.rooms {
        let room = format!("{}r{r}", cfg.prefix);
        let mut tasks = Vec::new();
        for m in 0..cfg.members {
            let (cfg, logins, room) = (cfg.clone(), logins.clone(), room.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = logins.acquire().await?;
                let name = format!("{}r{r}m{m}", cfg.prefix);
                let (mut rd, mut wr) =
                    client::login(cfg.server, None, &name, &cfg.password).await?;
                let v = client::call(
                    &mut rd,
                    &mut wr,
                    json!({"type": "create_room", "room": room}),
                )
                .await?;
                if v["type"] != "ok" {
                    let j = client::call(&mut rd, &mut wr, json!({"type": "join", "room": room}))
                        .await?;
                    anyhow::ensure!(j["type"] == "ok", "join {room}: {j}");
                }
                anyhow::Ok((rd, wr))
            }));
        }
        let mut room_conns = Vec::new();
        for t in tasks {
            room_conns.push(t.await??);
        }
        conns.push(room_conns);
        eprintln!("fanout: {} of {} rooms ready", r + 1, cfg.rooms);
    }
    eprintln!(
        "fanout: {} connections in {:.1} s",
        cfg.rooms * cfg.members,
        start.elapsed().as_secs_f64()
    );

    let epoch = Instant::now();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());
    let pid = cfg.server_pid.map(|p| p.to_string());
    let (cpu0, client0) = (
        pid.as_deref().and_then(procfs::cpu_seconds),
        procfs::cpu_seconds("self"),
    );
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    let mut senders = Vec::new();
    let mut quiet = Vec::new();
    for (r, room) in conns.into_iter().enumerate() {
        for (m, (rd, wr)) in room.into_iter().enumerate() {
            readers.push(tokio::spawn(receive(
                rd,
                seen.clone(),
                acked.clone(),
                epoch,
                done_rx.clone(),
            )));
            if m < cfg.senders {
                let id = r * cfg.senders + m;
                let room = format!("{}r{r}", cfg.prefix);
                senders.push(tokio::spawn(send(
                    wr,
                    room,
                    id,
                    cfg.rate,
                    stop.clone(),
                    epoch,
                )));
            } else {
                quiet.push(wr);
            }
        }
    }
    tokio::time::sleep(Duration::from_secs_f64(cfg.seconds)).await;
    stop.notify_waiters();
    let window = epoch.elapsed().as_secs_f64();
    let mut sent = 0;
    for s in senders {
        // keep the writer: dropping it would end the connection (the
        // server reads EOF) while others' messages are still on their way
        let (w, n) = s.await??;
        quiet.push(w);
        sent += n;
    }
    // deliveries still in flight
    let expected = |acked: u64| acked * (cfg.members as u64 - 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = acked.load(Ordering::Relaxed);
        let done = seen.lock().map(|s| s.delivered).unwrap_or(0);
        if (a == sent && done >= expected(a)) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = done_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    drop(quiet);
    let acked = acked.load(Ordering::Relaxed);
    let cpu = pid
        .as_deref()
        .and_then(procfs::cpu_seconds)
        .zip(cpu0)
        .map(|(b, a)| b - a);
    let client_cpu = procfs::cpu_seconds("self").zip(client0).map(|(b, a)| b - a);
    let rss = pid.as_deref().and_then(procfs::rss_bytes);
    let mut s = std::mem::take(&mut *seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    s.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if s.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((s.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        s.latencies_us[i] as f64 / 1000.0
    };
    let exp = expected(acked);
    let per_s = s.delivered as f64 / window;
    Ok(json!({
        "scenario": "fanout",
        "rooms": cfg.rooms, "members": cfg.members, "senders": cfg.senders,
        "rate_per_sender": cfg.rate, "seconds": window,
        "sent": sent, "acked": acked,
        "expected_deliveries": exp, "delivered": s.delivered,
        "lost": exp.saturating_sub(s.delivered),
        "duplicates": s.duplicates, "reordered": s.reordered,
        "deliveries_per_s": per_s,
        "latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)},
        "server_cpu_s": cpu,
        "server_cpu_us_per_delivery": cpu.map(|c| c * 1e6 / (s.delivered.max(1) as f64)),
        "server_rss_bytes": rss,
        "client_cpu_s": client_cpu,
    }))
}

/// Sends `b ID SEQ MICROS` at `rate` until told to stop; returns the writer
/// and how many it sent.
async fn send(
    mut w: Writer,
    room: String,
    id: usize,
    rate: f64,
    stop: Arc<tokio::sync::Notify>,
    epoch: Instant,
) -> anyhow::Result<(Writer, u64)> {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = stop.notified();
    tokio::pin!(stopped);
    let mut seq = 0u64;
    loop {
        tokio::select! {
            _ = &mut stopped => return Ok((w, seq)),
            _ = tick.tick() => {
                let us = epoch.elapsed().as_micros();
                w.send(json!({"type": "say", "room": room, "text": format!("b {id} {seq} {us}")})).await?;
                seq += 1;
            }
        }
    }
}

/// Counts what arrives: `ok` replies to `say` (acknowledged messages) and
/// `message` events from the benchmark's senders.
async fn receive(
    mut r: Reader,
    seen: Arc<Mutex<Seen>>,
    acked: Arc<AtomicU64>,
    epoch: Instant,
    mut done: tokio::sync::watch::Receiver<bool>,
) {
    let mut last: HashMap<u64, u64> = HashMap::new();
    let mut local = Seen::default();
    let flush = |local: &mut Seen| {
        if let Ok(mut s) = seen.lock() {
            s.delivered += local.delivered;
            s.duplicates += local.duplicates;
            s.reordered += local.reordered;
            s.latencies_us.append(&mut local.latencies_us);
        }
        local.delivered = 0;
        local.duplicates = 0;
        local.reordered = 0;
    };
    loop {
        let pending = local.delivered > 0;
        let line = tokio::select! {
            _ = done.changed() => break,
            _ = tokio::time::sleep(Duration::from_millis(10)), if pending => {
                flush(&mut local);
                continue;
            }
            l = r.next_line() => match l {
                Ok(Some(l)) => l,
                _ => break,
            },
        };
        // no JSON parsing per delivery: the server writes `type` first, and
        // the benchmark's texts are plain `b ID SEQ MICROS`
        if line.starts_with(r#"{"type":"ok","for":"say""#) {
            acked.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if !line.starts_with(r#"{"type":"message""#) {
            continue;
        }
        let Some(at) = line.find(r#""text":"b "#) else {
            continue;
        };
        let rest = &line[at + 10..];
        let text = rest.split('"').next().unwrap_or_default();
        let mut f = text.split(' ').filter_map(|x| x.parse::<u64>().ok());
        let (Some(id), Some(seq), Some(us)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let now = epoch.elapsed().as_micros() as u64;
        local.latencies_us.push(now.saturating_sub(us));
        match last.get(&id) {
            Some(&l) if seq == l => local.duplicates += 1,
            Some(&l) if seq < l => local.reordered += 1,
            _ => {
                last.insert(id, seq);
            }
        }
        local.delivered += 1;
        // often enough for the drain check, rarely enough to stay cheap
        if local.delivered >= 32 {
            flush(&mut local);
        }
    }
    flush(&mut local);
}
