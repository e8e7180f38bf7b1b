//! `fanout`: R rooms of M members, S senders per room at a fixed rate, on
//! modchat (TCP or WebSocket) or IRC. Each text carries its sender, a
//! sequence number and the send time, so every receiver measures latency
//! and notices loss, duplicates and reordering.
//!
//! Deliveries are counted the same way on both protocols: the sender's own
//! connection gets no copy (modchat sends it the `ok`, IRC nothing), so a
//! message is expected M − 1 times. modchat's `ok`s count as acknowledged;
//! IRC has no acknowledgement, so what was sent counts as acknowledged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::driver::{self, Line, Member, Sayer, Seat};
use crate::irc;
use crate::lines::LineReader;
use crate::progress::Progress;
use crate::stats::{self, Cpu};
use crate::Proto;

#[derive(Debug, Clone)]
pub struct Fanout {
    pub proto: Proto,
    /// One server, or the nodes of a cluster: members are spread over them
    /// in turn (a room's members sit on every node).
    pub servers: Vec<SocketAddr>,
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
    /// The servers' pids, for their CPU time and memory (summed).
    pub server_pids: Vec<u32>,
    /// With `Proto::Irc` against modchat's gateway: modchat's JSON listener,
    /// where the accounts are registered before their IRC logins
    /// (`PASS name:password`). `None` for other IRC servers.
    pub irc_accounts: Option<SocketAddr>,
}

/// What a receiver saw; merged at the end.
#[derive(Default)]
struct Seen {
    latencies_us: Vec<u64>,
    delivered: u64,
    duplicates: u64,
    reordered: u64,
}

/// Counters shared by the senders, the receivers and the progress line.
#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acked: AtomicU64,
    delivered: AtomicU64,
}

pub async fn run(cfg: Fanout) -> anyhow::Result<Value> {
    anyhow::ensure!(cfg.members >= 2 && cfg.senders >= 1 && cfg.senders <= cfg.members);
    let start = Instant::now();
    // connect everyone, room by room (the first member creates the room)
    let mut conns: Vec<Vec<Member>> = Vec::new();
    for r in 0..cfg.rooms {
        let room = format!("{}r{r}", cfg.prefix);
        let seats = (0..cfg.members)
            .map(|m| Seat {
                from: None,
                name: format!("{}r{r}m{m}", cfg.prefix),
                room: room.clone(),
            })
            .collect();
        let at_once = cfg.proto.setup_limit(16);
        // each room starts on the next server, so the rooms' first members
        // (who create them and send) are spread too
        let mut servers = cfg.servers.clone();
        let n = servers.len().max(1);
        servers.rotate_left(r % n);
        let room_conns = driver::members(
            cfg.proto,
            &servers,
            &cfg.password,
            cfg.irc_accounts,
            at_once,
            seats,
            |_| {},
        )
        .await?;
        conns.push(room_conns);
        if (r + 1) % 5 == 0 || r + 1 == cfg.rooms {
            eprintln!("fanout: {} of {} rooms ready", r + 1, cfg.rooms);
        }
    }
    eprintln!(
        "fanout: {} connections ({}) in {:.1} s",
        cfg.rooms * cfg.members,
        cfg.proto.name(),
        start.elapsed().as_secs_f64()
    );

    let waited = stats::settle(&cfg.server_pids, Duration::from_secs(10)).await;
    if waited > 0.5 {
        eprintln!("fanout: waited {waited:.1} s for the server to settle");
    }
    let epoch = Instant::now();
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(tokio::sync::Notify::new());
    let cpu = Cpu::start(&cfg.server_pids);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    let mut senders = Vec::new();
    let mut quiet = Vec::new();
    for (r, room) in conns.into_iter().enumerate() {
        for (m, member) in room.into_iter().enumerate() {
            readers.push(tokio::spawn(receive(
                cfg.proto,
                member.lines,
                member.writer.pong(),
                counters.clone(),
                epoch,
                done_rx.clone(),
            )));
            if m < cfg.senders {
                let id = r * cfg.senders + m;
                let room = format!("{}r{r}", cfg.prefix);
                senders.push(tokio::spawn(send(
                    cfg.proto,
                    member.writer,
                    room,
                    id,
                    cfg.rate,
                    stop.clone(),
                    counters.clone(),
                    epoch,
                )));
            } else {
                quiet.push(member.writer);
            }
        }
    }
    let progress = {
        let (c, seconds) = (counters.clone(), cfg.seconds);
        Progress::start(Duration::from_secs(2), move || {
            format!(
                "fanout: {:.0} of {seconds:.0} s: {} sent, {} delivered",
                epoch.elapsed().as_secs_f64(),
                c.sent.load(Ordering::Relaxed),
                c.delivered.load(Ordering::Relaxed)
            )
        })
    };
    tokio::time::sleep(Duration::from_secs_f64(cfg.seconds)).await;
    stop.notify_waiters();
    drop(progress);
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
        let a = counters.acked.load(Ordering::Relaxed);
        let done = counters.delivered.load(Ordering::Relaxed);
        if (a == sent && done >= expected(a)) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = done_tx.send(true);
    let mut s = Seen::default();
    for r in readers {
        let mut seen = r.await?;
        s.delivered += seen.delivered;
        s.duplicates += seen.duplicates;
        s.reordered += seen.reordered;
        s.latencies_us.append(&mut seen.latencies_us);
    }
    drop(quiet);
    let acked = counters.acked.load(Ordering::Relaxed);
    let (server_cpu, client_cpu, rss) = (cpu.server(), cpu.client(), cpu.server_rss());
    let exp = expected(acked);
    let per_s = s.delivered as f64 / window;
    Ok(json!({
        "scenario": "fanout",
        "proto": cfg.proto.name(),
        "rooms": cfg.rooms, "members": cfg.members, "senders": cfg.senders,
        "rate_per_sender": cfg.rate, "seconds": window,
        "sent": sent, "acked": acked,
        "expected_deliveries": exp, "delivered": s.delivered,
        "lost": exp.saturating_sub(s.delivered),
        "duplicates": s.duplicates, "reordered": s.reordered,
        "deliveries_per_s": per_s,
        "latency_ms": stats::percentiles_ms(s.latencies_us),
        "server_cpu_s": server_cpu,
        "server_cpu_us_per_delivery": server_cpu.map(|c| c * 1e6 / (s.delivered.max(1) as f64)),
        "server_rss_bytes": rss,
        "client_cpu_s": client_cpu,
    }))
}

/// Sends `b ID SEQ MICROS` at `rate` until told to stop; returns the writer
/// and how many it sent.
#[allow(clippy::too_many_arguments)]
async fn send(
    proto: Proto,
    mut w: Sayer,
    room: String,
    id: usize,
    rate: f64,
    stop: Arc<tokio::sync::Notify>,
    counters: Arc<Counters>,
    epoch: Instant,
) -> anyhow::Result<(Sayer, u64)> {
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
                w.say(&room, &format!("b {id} {seq} {us}")).await?;
                seq += 1;
                counters.sent.fetch_add(1, Ordering::Relaxed);
                if !proto.acks() {
                    counters.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Counts what arrives: `ok` replies to `say` (acknowledged messages) and
/// the benchmark's texts; answers IRC PINGs. Its latencies and counts are
/// its own until the end (returned, not shared); only the two totals the
/// drain check watches are shared atomics, so a delivery costs no lock, no
/// timer and no allocation here.
async fn receive(
    proto: Proto,
    mut r: LineReader,
    pong: Option<irc::Writer>,
    counters: Arc<Counters>,
    epoch: Instant,
    mut done: tokio::sync::watch::Receiver<bool>,
) -> Seen {
    let mut last: HashMap<u64, u64> = HashMap::new();
    let mut local = Seen::default();
    let mut line = String::new();
    let stopped = done.changed();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            l = r.read_line(&mut line) => match l {
                Ok(true) => {}
                _ => break,
            },
        }
        let text = match driver::classify(proto, &line) {
            Line::Text(t) => t,
            Line::Ack => {
                counters.acked.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Line::Ping => {
                if let Some(w) = &pong {
                    let _ = w.pong(&line).await;
                }
                continue;
            }
            Line::Other => continue,
        };
        let Some((id, seq, us)) = driver::parse_text(text) else {
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
        counters.delivered.fetch_add(1, Ordering::Relaxed);
    }
    local
}
