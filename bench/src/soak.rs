//! `soak`: a long mixed load that must leave the server flat and lose
//! nothing (issue 17; `scripts/soak` runs it, docs/reliability.md "Soak"
//! has the method and the figures).
//!
//! For the whole run, on every transport (TCP, WebSocket, and TLS and
//! secure WebSocket when a TLS server on the same database is given):
//!
//! - chatters: logged-in members of shared rooms, each saying at a fixed
//!   rate and waiting for each `ok` (say→ok latency; the id of every `ok`
//!   is kept);
//! - slow readers: members of the busiest room and of the flooded one
//!   that stop reading for 2 s every 10 s;
//! - reconnect storms: every `storm_every_s`, a crowd of accounts reconnects
//!   at once (`resume` with the token of the previous storm, `login` when it
//!   has none), says one line and leaves;
//! - non-readers: at the start of every period but the last, a wave of
//!   members joins a room with a 4 KiB receive buffer and never reads
//!   again; a flooder then fills the room with long texts until the room's
//!   `members` shows them all offline (at most 45 s), so the server must
//!   drop them (`max_outbound_bytes`). Their sockets stay open
//!   on this side until the end: if the server kept them, its descriptors
//!   and memory would grow each period;
//! - bans and kicks mid-login: victims reconnect with `resume` (or `login`)
//!   in a loop while a moderator bans, checks `who`, unbans and kicks them.
//!   A `login`/`resume` sent after the moderator got the ban's `ok` and
//!   answered `ok` before the unban was sent, or the victim in `who` 300 ms
//!   after the ban's `ok`, is a violation. (`who` asked at once may still
//!   list sessions the ban told to close: counted as `who_closing`.)
//!
//! The database may be restarted under the load (scripts/soak does it):
//! requests meanwhile get `unavailable`, which is counted, never treated as
//! loss. Every period it prints each server's RSS and open descriptors
//! (/proc) and the period's say→ok p99. At the end it stops the load, waits
//! for the servers' descriptors to come back, checks that no server holds
//! a socket to the non-readers' address any more, and reads `chat_logs` with the server's own store code:
//! every acknowledged id must be there, with its sender. It fails (the
//! report's `passed` is false) on a missing row, a ban violation, a server
//! that died, a server socket left to a non-reader, RSS in the last period above `rss_growth` × the second
//! period's, or descriptors above baseline + `fd_slack` (at the end, with
//! the load gone, and in the last period against the second).

mod conn;
mod load;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use modchat::model::MessageId;
use modchat::store::{chat_log, DatabaseUrl, Db, PoolOptions};
use serde_json::{json, Value};

pub use conn::{Endpoints, TlsEndpoints, Transport};

use crate::procfs;
use crate::stats;

#[derive(Clone)]
pub struct Soak {
    pub endpoints: Endpoints,
    /// How long the load runs.
    pub minutes: f64,
    /// Seconds between two samples (a "minute" of the report).
    pub period_s: f64,
    /// The servers' names and pids, for RSS and descriptors.
    pub servers: Vec<(String, u32)>,
    /// The servers' database, read at the end.
    pub database_url: String,
    /// A moderator account (scripts/soak creates it with modchat-admin).
    pub moderator: String,
    pub moderator_password: String,
    /// Password of every other account of the soak.
    pub password: String,
    /// Account and room names start with this.
    pub prefix: String,
    /// Chatters per transport.
    pub chatters: usize,
    /// Says per second of each chatter.
    pub rate: f64,
    /// Accounts reconnecting in each storm.
    pub storm: usize,
    pub storm_every_s: f64,
    /// Non-readers per transport in each wave.
    pub non_readers: usize,
    /// Accounts the moderator bans and kicks.
    pub victims: usize,
    /// Allowed ratio of the last period's RSS to the second period's.
    pub rss_growth: f64,
    /// Allowed descriptors above the baseline.
    pub fd_slack: usize,
}

/// Counts shared by the loops and the sampler.
#[derive(Default)]
pub(crate) struct Counters {
    pub says: AtomicU64,
    pub acked: AtomicU64,
    pub unavailable: AtomicU64,
    pub refused: AtomicU64,
    pub disconnects: AtomicU64,
    pub logins: AtomicU64,
    pub resumes: AtomicU64,
    pub storm_ok: AtomicU64,
    pub storm_failed: AtomicU64,
    pub bans: AtomicU64,
    pub kicks: AtomicU64,
    pub banned_refusals: AtomicU64,
    pub non_readers: AtomicU64,
    pub slow_dropped: AtomicU64,
    pub flood_acked: AtomicU64,
    /// Milliseconds of flooding until a wave's non-readers were all
    /// offline, summed; and floods that gave up.
    pub flood_ms: AtomicU64,
    pub flood_timeouts: AtomicU64,
    /// `who` asked right after a ban's `ok` still listed the victim.
    pub who_closing: AtomicU64,
}

/// What every loop shares.
pub(crate) struct Shared {
    pub cfg: Soak,
    pub c: Counters,
    /// Every acknowledged message: (id, sender).
    pub acked: Mutex<Vec<(i64, String)>>,
    /// This period's say→ok latencies of the chatters, in µs, by
    /// transport.
    pub latencies: Mutex<Vec<(Transport, u64)>>,
    /// Error codes and failures seen, with counts.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// What broke a rule (bans), in words.
    pub violations: Mutex<Vec<String>>,
    /// Per victim: odd while a ban the moderator saw acknowledged is in
    /// force (raised after the ban's `ok`, before the `unban` is sent).
    pub ban_gen: Vec<AtomicU64>,
    /// Non-readers' connections, kept open (unread) until the end.
    pub held: Mutex<Vec<(Transport, conn::Conn)>>,
    pub stop: tokio::sync::watch::Receiver<bool>,
}

impl Shared {
    pub fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleeps `d`, or less if the soak stops meanwhile; false if it did.
    pub async fn sleep(&self, d: Duration) -> bool {
        let mut stop = self.stop.clone();
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !*stop.borrow(),
            _ = stop.changed() => false,
        }
    }

    pub fn error(&self, what: impl Into<String>) {
        if let Ok(mut e) = self.errors.lock() {
            *e.entry(what.into()).or_default() += 1;
        }
    }

    pub fn violation(&self, what: String) {
        eprintln!("soak: VIOLATION: {what}");
        if let Ok(mut v) = self.violations.lock() {
            v.push(what);
        }
    }

    /// Counts an error reply: `unavailable` apart (the database is down),
    /// any other code as refused.
    pub fn refusal(&self, what: &str, v: &Value) {
        let code = v["code"].as_str().unwrap_or("?");
        if code == "unavailable" {
            self.c.unavailable.fetch_add(1, Ordering::Relaxed);
        } else {
            self.c.refused.fetch_add(1, Ordering::Relaxed);
        }
        self.error(format!("{what}: {code}"));
    }

    /// Keeps an acknowledged message (the `ok` of a `say`).
    pub fn ack(&self, v: &Value, sender: &str, latency_us: Option<(Transport, u64)>) {
        let Some(id) = v["id"].as_i64() else {
            self.error("say: ok without an id");
            return;
        };
        self.c.acked.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut a) = self.acked.lock() {
            a.push((id, sender.to_owned()));
        }
        if let (Some(us), Ok(mut l)) = (latency_us, self.latencies.lock()) {
            l.push(us);
        }
    }
}

/// One server's resident memory and descriptors now.
fn measure(pid: u32) -> Option<(u64, usize)> {
    let rss = procfs::rss_bytes(&pid.to_string())?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

pub async fn run(cfg: Soak) -> anyhow::Result<Value> {
    anyhow::ensure!(
        cfg.minutes > 0.0 && cfg.period_s >= 10.0 && cfg.rate > 0.0 && cfg.chatters >= 1,
        "soak needs a duration, a period of at least 10 s, a rate and a chatter"
    );
    anyhow::ensure!(!cfg.servers.is_empty(), "soak needs the servers' pids");
    let mut baseline = Vec::new();
    for (name, pid) in &cfg.servers {
        let (rss, fds) = measure(*pid).with_context(|| format!("no process {pid} ({name})"))?;
        baseline.push(fds);
        eprintln!(
            "soak: {name} (pid {pid}) before the load: rss {:.1} MiB, {fds} descriptors",
            mib(rss)
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shared = Arc::new(Shared {
        c: Counters::default(),
        acked: Mutex::new(Vec::new()),
        latencies: Mutex::new(Vec::new()),
        errors: Mutex::new(BTreeMap::new()),
        violations: Mutex::new(Vec::new()),
        ban_gen: (0..cfg.victims).map(|_| AtomicU64::new(0)).collect(),
        held: Mutex::new(Vec::new()),
        stop: stop_rx,
        cfg: cfg.clone(),
    });
    let epoch = Instant::now();
    let duration = Duration::from_secs_f64(cfg.minutes * 60.0);
    let tasks = load::start(&shared, epoch, duration).await?;
    eprintln!(
        "soak: load started on {} for {:.1} min",
        cfg.endpoints
            .transports()
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", "),
        cfg.minutes
    );

    // one sample a period
    let period = Duration::from_secs_f64(cfg.period_s);
    let periods = (duration.as_secs_f64() / cfg.period_s).ceil().max(1.0) as u32;
    let mut samples: Vec<Value> = Vec::new();
    let mut last = Snapshot::take(&shared.c);
    let mut failures: Vec<String> = Vec::new();
    for m in 1..=periods {
        let at = epoch + (period * m).min(duration);
        tokio::time::sleep_until(at.into()).await;
        let now = Snapshot::take(&shared.c);
        let d = now.minus(&last);
        last = now;
        let lat = std::mem::take(&mut *shared.latencies.lock().map_err(poisoned)?);
        let n = lat.len();
        let mut by_transport = serde_json::Map::new();
        for t in cfg.endpoints.transports() {
            let of_t: Vec<u64> = lat.iter().filter(|l| l.0 == t).map(|l| l.1).collect();
            by_transport.insert(t.name().to_owned(), stats::percentiles_ms(of_t));
        }
        let pct = stats::percentiles_ms(lat.into_iter().map(|l| l.1).collect());
        let p99s: Vec<String> = by_transport
            .iter()
            .map(|(t, p)| format!("{t} {:.1}", p["p99"].as_f64().unwrap_or(0.0)))
            .collect();
        let mut servers = Vec::new();
        let mut line = format!("soak: {m}/{periods}:");
        for (name, pid) in &cfg.servers {
            match measure(*pid) {
                Some((rss, fds)) => {
                    line.push_str(&format!(" {name} rss {:.1} MiB fds {fds};", mib(rss)));
                    servers.push(json!({"name": name, "rss_bytes": rss, "rss_mib": (mib(rss) * 10.0).round() / 10.0, "fds": fds}));
                }
                None => {
                    failures.push(format!("{name} (pid {pid}) is gone at period {m}"));
                    servers.push(json!({"name": name, "gone": true}));
                }
            }
        }
        line.push_str(&format!(
            " say p99 {:.1} ms (p50 {:.1}, {n} acked; p99 {}); unavailable {}, refused {}, disconnects {}; logins {}, resumes {}, storm {}/{}; bans {}, kicks {}, banned refusals {}; non-readers {} (flood {} ms, {} timeouts)",
            pct["p99"].as_f64().unwrap_or(0.0),
            pct["p50"].as_f64().unwrap_or(0.0),
            p99s.join(", "),
            d["unavailable"], d["refused"], d["disconnects"], d["logins"], d["resumes"],
            d["storm_ok"], d["storm_failed"], d["bans"], d["kicks"], d["banned_refusals"], d["non_readers"], d["flood_ms"], d["flood_timeouts"],
        ));
        eprintln!("{line}");
        let sample = json!({
            "period": m,
            "at_s": (epoch.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "servers": servers,
            "say_ms": pct,
            "say_ms_by_transport": by_transport,
            "counts": d,
        });
        println!("{sample}");
        samples.push(sample);
        if !failures.is_empty() {
            break;
        }
    }

    // the end: stop the load, let the servers close what it left
    let _ = stop_tx.send(true);
    let ended = Instant::now();
    for t in tasks {
        if tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .is_err()
        {
            shared.error("a load loop did not stop within 60 s");
        }
    }
    eprintln!(
        "soak: load stopped in {:.1} s; waiting for the descriptors",
        ended.elapsed().as_secs_f64()
    );
    let settle = Instant::now() + Duration::from_secs(30);
    let end_fds = loop {
        let fds: Vec<Option<usize>> = cfg
            .servers
            .iter()
            .map(|(_, pid)| measure(*pid).map(|m| m.1))
            .collect();
        let flat = fds
            .iter()
            .zip(&baseline)
            .all(|(f, b)| f.is_some_and(|f| f <= b + cfg.fd_slack));
        if flat || Instant::now() > settle {
            break fds;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let end_rss: Vec<Option<u64>> = cfg
        .servers
        .iter()
        .map(|(_, pid)| measure(*pid).map(|m| m.0))
        .collect();

    // the server's own sockets to the non-readers' address, by TCP state
    let server_side: Vec<BTreeMap<String, usize>> = cfg
        .servers
        .iter()
        .map(|(_, pid)| sockets_to(*pid, load::local(load::NON_READERS)))
        .collect();
    for ((name, _), states) in cfg.servers.iter().zip(&server_side) {
        if !states.is_empty() {
            failures.push(format!(
                "{name} still holds sockets to the non-readers (by TCP state: {states:?})"
            ));
        }
    }

    // the non-readers: do they see the end of the stream? (Informative: a
    // socket the server closed with unsent bytes for a peer whose window
    // stays shut is the kernel's to finish, and it may give up without a
    // word; the server's part is the check above.)
    let held = std::mem::take(&mut *shared.held.lock().map_err(poisoned)?);
    let held_n = held.len();
    let drains: Vec<_> = held
        .into_iter()
        .map(|(t, mut c)| {
            tokio::spawn(async move { (t, c.drain_for(Duration::from_secs(20)).await) })
        })
        .collect();
    let mut dropped = 0usize;
    let mut by_transport: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    for d in drains {
        if let Ok((t, closed)) = d.await {
            let e = by_transport.entry(t.name()).or_default();
            e.1 += 1;
            if closed {
                e.0 += 1;
                dropped += 1;
            }
        }
    }
    let by_transport: BTreeMap<&str, String> = by_transport
        .into_iter()
        .map(|(t, (d, n))| (t, format!("{d}/{n}")))
        .collect();
    eprintln!(
        "soak: {dropped} of {held_n} non-readers were dropped by the server ({by_transport:?})"
    );

    // every acknowledged id, in chat_logs with its sender
    let acked = std::mem::take(&mut *shared.acked.lock().map_err(poisoned)?);
    let n_acked = acked.len();
    let url = cfg.database_url.clone();
    let (missing, wrong) = tokio::task::spawn_blocking(move || check_log(&url, acked)).await??;
    eprintln!(
        "soak: {n_acked} acknowledged messages checked in chat_logs: {} missing, {} with another sender",
        missing.len(),
        wrong.len()
    );

    // the verdict
    if !missing.is_empty() {
        failures.push(format!(
            "{} acknowledged messages missing from chat_logs (first ids: {:?})",
            missing.len(),
            &missing[..missing.len().min(20)]
        ));
    }
    if !wrong.is_empty() {
        failures.push(format!(
            "{} acknowledged ids stored with another sender (first: {:?})",
            wrong.len(),
            &wrong[..wrong.len().min(20)]
        ));
    }
    let violations = std::mem::take(&mut *shared.violations.lock().map_err(poisoned)?);
    if !violations.is_empty() {
        failures.push(format!("{} ban violations", violations.len()));
    }
    let mut per_server = Vec::new();
    for (i, (name, _)) in cfg.servers.iter().enumerate() {
        let at = |p: usize, k: &str| samples.get(p).and_then(|s| s["servers"][i][k].as_u64());
        let first_rss = at(0, "rss_bytes");
        let second_rss = at(1, "rss_bytes");
        let last_rss = samples
            .len()
            .checked_sub(1)
            .and_then(|p| at(p, "rss_bytes"));
        let second_fds = at(1, "fds");
        let last_fds = samples.len().checked_sub(1).and_then(|p| at(p, "fds"));
        if samples.len() >= 3 {
            if let (Some(a), Some(b)) = (second_rss, last_rss) {
                if b as f64 > a as f64 * cfg.rss_growth {
                    failures.push(format!(
                        "{name}: RSS grew from {:.1} MiB (period 2) to {:.1} MiB (last period), more than x{}",
                        mib(a),
                        mib(b),
                        cfg.rss_growth
                    ));
                }
            }
            if let (Some(a), Some(b)) = (second_fds, last_fds) {
                if b > a + cfg.fd_slack as u64 {
                    failures.push(format!(
                        "{name}: descriptors grew from {a} (period 2) to {b} (last period), more than +{}",
                        cfg.fd_slack
                    ));
                }
            }
        }
        match end_fds[i] {
            Some(f) if f <= baseline[i] + cfg.fd_slack => {}
            Some(f) => failures.push(format!(
                "{name}: {f} descriptors 30 s after the load ended, baseline {} (+{} allowed)",
                baseline[i], cfg.fd_slack
            )),
            None => failures.push(format!("{name} is gone at the end")),
        }
        per_server.push(json!({
            "name": name,
            "baseline_fds": baseline[i],
            "end_fds": end_fds[i],
            "first_rss_mib": first_rss.map(mib),
            "second_rss_mib": second_rss.map(mib),
            "last_rss_mib": last_rss.map(mib),
            "end_rss_mib": end_rss[i].map(mib),
        }));
    }
    let s = Snapshot::take(&shared.c).minus(&Snapshot::default());
    let errors = std::mem::take(&mut *shared.errors.lock().map_err(poisoned)?);
    for f in &failures {
        eprintln!("soak: FAILED: {f}");
    }
    if failures.is_empty() {
        eprintln!("soak: passed");
    }
    Ok(json!({
        "scenario": "soak",
        "passed": failures.is_empty(),
        "failures": failures,
        "minutes": cfg.minutes,
        "transports": cfg.endpoints.transports().iter().map(|t| t.name()).collect::<Vec<_>>(),
        "servers": per_server,
        "acked_checked": n_acked,
        "missing": missing.len(),
        "non_readers": held_n,
        "non_readers_dropped": dropped,
        "non_readers_dropped_by_transport": by_transport,
        "server_sockets_to_non_readers": server_side,
        "violations": violations,
        "totals": s,
        "errors": errors,
        "periods": samples,
    }))
}

/// The TCP sockets `pid` holds open whose peer is `peer`, counted by
/// state (/proc/net/tcp: 01 established, 08 close-wait, ...): a server
/// that dropped its non-readers holds none.
fn sockets_to(pid: u32, peer: std::net::IpAddr) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let std::net::IpAddr::V4(v4) = peer else {
        return out;
    };
    let hex = format!("{:08X}", u32::from_le_bytes(v4.octets()));
    let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")) else {
        return out;
    };
    // inode -> state of every socket with that peer
    let mut wanted = BTreeMap::new();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if let (Some(rem), Some(st), Some(inode)) = (f.get(2), f.get(3), f.get(9)) {
            if rem.split(':').next() == Some(hex.as_str()) {
                wanted.insert((*inode).to_owned(), (*st).to_owned());
            }
        }
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return out;
    };
    for fd in fds.flatten() {
        let Ok(link) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let link = link.to_string_lossy();
        let Some(inode) = link
            .strip_prefix("socket:[")
            .and_then(|l| l.strip_suffix(']'))
        else {
            continue;
        };
        if let Some(st) = wanted.get(inode) {
            *out.entry(st.clone()).or_default() += 1;
        }
    }
    out
}

fn poisoned<T>(_: T) -> anyhow::Error {
    anyhow::anyhow!("a lock was poisoned")
}

/// The counters at one moment.
#[derive(Default, Clone)]
struct Snapshot(BTreeMap<&'static str, u64>);

impl Snapshot {
    fn take(c: &Counters) -> Snapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Snapshot(BTreeMap::from([
            ("says", l(&c.says)),
            ("acked", l(&c.acked)),
            ("unavailable", l(&c.unavailable)),
            ("refused", l(&c.refused)),
            ("disconnects", l(&c.disconnects)),
            ("logins", l(&c.logins)),
            ("resumes", l(&c.resumes)),
            ("storm_ok", l(&c.storm_ok)),
            ("storm_failed", l(&c.storm_failed)),
            ("bans", l(&c.bans)),
            ("kicks", l(&c.kicks)),
            ("banned_refusals", l(&c.banned_refusals)),
            ("non_readers", l(&c.non_readers)),
            ("slow_dropped", l(&c.slow_dropped)),
            ("flood_acked", l(&c.flood_acked)),
            ("flood_ms", l(&c.flood_ms)),
            ("flood_timeouts", l(&c.flood_timeouts)),
            ("who_closing", l(&c.who_closing)),
        ]))
    }

    /// What happened since `before`, as JSON.
    fn minus(&self, before: &Snapshot) -> Value {
        let mut o = serde_json::Map::new();
        for (k, v) in &self.0 {
            let b = before.0.get(k).copied().unwrap_or(0);
            o.insert((*k).to_owned(), json!(v.saturating_sub(b)));
        }
        Value::Object(o)
    }
}

/// Acknowledged ids missing from `chat_logs`, and those stored with
/// another sender: (id, the sender the tool knew, the stored one).
type LogCheck = (Vec<i64>, Vec<(i64, String, String)>);

/// Reads `chat_logs` for every acknowledged id (in id ranges, so the
/// queries stay few): the ids that are missing, and those stored with
/// another sender. Retries the connection for a minute, since the
/// database may just have been restarted.
fn check_log(url: &str, mut acked: Vec<(i64, String)>) -> anyhow::Result<LogCheck> {
    let parsed = DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let opts = PoolOptions {
        max_size: 1,
        migrate: false,
        ..PoolOptions::default()
    };
    let until = Instant::now() + Duration::from_secs(60);
    let db = loop {
        match Db::open(&parsed, &opts) {
            Ok(db) => break db,
            Err(e) if Instant::now() < until => {
                eprintln!("soak: the database is not there yet ({e}); retrying");
                std::thread::sleep(Duration::from_secs(2));
            }
            Err(e) => return Err(anyhow::anyhow!("opening {url}: {e}")),
        }
    };
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    acked.sort_unstable_by_key(|a| a.0);
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut i = 0;
    while i < acked.len() {
        // a range of at most 2,000 ids starting at the next one to check
        let from = acked[i].0;
        let to = from + 1999;
        let rows = chat_log::range(&mut conn, MessageId(from), MessageId(to))
            .map_err(|e| anyhow::anyhow!("reading chat_logs: {e}"))?;
        let by_id: BTreeMap<i64, &str> = rows
            .iter()
            .map(|r| (r.id.0, r.sender_name.as_str()))
            .collect();
        while i < acked.len() && acked[i].0 <= to {
            let (id, sender) = &acked[i];
            match by_id.get(id) {
                None => missing.push(*id),
                Some(s) if *s != sender => wrong.push((*id, sender.clone(), (*s).to_owned())),
                Some(_) => {}
            }
            i += 1;
        }
    }
    Ok((missing, wrong))
}
