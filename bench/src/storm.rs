//! `storm`: what a crowd reconnecting at once costs. N accounts are
//! registered first (not timed); then N logins, K in flight, each on a
//! fresh connection closed after its `ok`; then N resumes with the tokens
//! those logins got, K in flight, each on a fresh connection too.
//!
//! A login is bcrypt-bound by design (its cost is the server's
//! `auth.bcrypt_cost`), so its rate says how fast the password work goes; a
//! resume checks a token (a hash and a lookup) and should cost far less:
//! this is what a web client does on every reload and what every client
//! does after a server restart. The protocol allows several sessions of one
//! account, so the resumes need no logout first.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::progress::Progress;
use crate::stats::{self, Cpu};
use crate::{client, Proto};

#[derive(Debug, Clone)]
pub struct Storm {
    /// `Modchat` (TCP) or `Ws`.
    pub proto: Proto,
    pub server: SocketAddr,
    /// Accounts, logins and resumes.
    pub accounts: usize,
    /// Operations in flight at once.
    pub in_flight: usize,
    /// Source addresses 127.0.0.1 .. 127.0.0.N: 2·N short connections
    /// leave as many sockets in TIME_WAIT.
    pub source_ips: u8,
    pub password: String,
    pub prefix: String,
    pub server_pid: Option<u32>,
}

/// How one timed phase went.
#[derive(Default)]
struct Phase {
    latencies_us: Vec<u64>,
    failures: u64,
    first_failure: Option<String>,
    /// Login tokens, by account index (the login phase only).
    tokens: Vec<(usize, String)>,
}

pub async fn run(cfg: Storm) -> anyhow::Result<Value> {
    anyhow::ensure!(
        matches!(cfg.proto, Proto::Modchat | Proto::Ws),
        "storm speaks modchat only (IRC has no accounts)"
    );
    anyhow::ensure!(cfg.accounts >= 1 && cfg.in_flight >= 1 && cfg.source_ips >= 1);
    let cfg = Arc::new(cfg);
    let t0 = Instant::now();
    register_all(&cfg).await?;
    eprintln!(
        "storm: {} accounts ready in {:.1} s",
        cfg.accounts,
        t0.elapsed().as_secs_f64()
    );

    let (login, login_json) = phase(&cfg, "login", None).await?;
    let mut tokens = vec![None; cfg.accounts];
    for (i, t) in login.tokens {
        tokens[i] = Some(t);
    }
    let (_, resume_json) = phase(&cfg, "resume", Some(Arc::new(tokens))).await?;
    Ok(json!({
        "scenario": "storm",
        "proto": cfg.proto.name(),
        "accounts": cfg.accounts,
        "in_flight": cfg.in_flight,
        "logins_per_s": login_json["ops_per_s"],
        "login_p99_ms": login_json["latency_ms"]["p99"],
        "resumes_per_s": resume_json["ops_per_s"],
        "resume_p99_ms": resume_json["latency_ms"]["p99"],
        "failures": login_json["failures"].as_u64().unwrap_or(0)
            + resume_json["failures"].as_u64().unwrap_or(0),
        "login": login_json,
        "resume": resume_json,
    }))
}

fn name(cfg: &Storm, i: usize) -> String {
    format!("{}s{i}", cfg.prefix)
}

fn source(cfg: &Storm, i: usize) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        0,
        1 + (i % cfg.source_ips as usize) as u8,
    )))
}

/// Registers every account, K connections each registering its share.
async fn register_all(cfg: &Arc<Storm>) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for k in 0..cfg.in_flight.min(cfg.accounts) {
        let cfg = cfg.clone();
        tasks.push(tokio::spawn(async move {
            let (mut r, mut w) = client::connect(cfg.proto, cfg.server, source(&cfg, k)).await?;
            for i in (k..cfg.accounts).step_by(cfg.in_flight) {
                client::register(&mut r, &mut w, &name(&cfg, i), &cfg.password).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// N operations (login, or resume with `tokens`), K in flight, each on a
/// fresh connection; latency runs from the connect to the reply.
async fn phase(
    cfg: &Arc<Storm>,
    what: &'static str,
    tokens: Option<Arc<Vec<Option<String>>>>,
) -> anyhow::Result<(Phase, Value)> {
    // the previous phase's connections are still being closed
    stats::settle(cfg.server_pid.as_slice(), Duration::from_secs(10)).await;
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let merged = Arc::new(Mutex::new(Phase::default()));
    let cpu = Cpu::start(cfg.server_pid.as_slice());
    let start = Instant::now();
    let progress = {
        let (done, n) = (done.clone(), cfg.accounts);
        Progress::start(Duration::from_secs(2), move || {
            format!("storm: {what}: {} of {n}", done.load(Ordering::Relaxed))
        })
    };
    let mut workers = Vec::new();
    for _ in 0..cfg.in_flight.min(cfg.accounts) {
        let (cfg, next, done, merged, tokens) = (
            cfg.clone(),
            next.clone(),
            done.clone(),
            merged.clone(),
            tokens.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut local = Phase::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cfg.accounts {
                    break;
                }
                let req = match &tokens {
                    None => json!({"type": "login", "username": name(&cfg, i), "password": cfg.password}),
                    Some(t) => match &t[i] {
                        Some(t) => json!({"type": "resume", "token": t}),
                        None => {
                            // its login failed: counted there
                            done.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    },
                };
                let t0 = Instant::now();
                match once(&cfg, i, req).await {
                    Ok(reply) => {
                        local.latencies_us.push(t0.elapsed().as_micros() as u64);
                        if let (None, Some(t)) = (&tokens, reply["token"].as_str()) {
                            local.tokens.push((i, t.to_owned()));
                        }
                    }
                    Err(e) => {
                        local.failures += 1;
                        local.first_failure.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(mut m) = merged.lock() {
                m.latencies_us.append(&mut local.latencies_us);
                m.tokens.append(&mut local.tokens);
                m.failures += local.failures;
                if m.first_failure.is_none() {
                    m.first_failure = local.first_failure;
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    drop(progress);
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu = cpu.server();
    let client_cpu = cpu.client();
    let mut p = std::mem::take(&mut *merged.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let ok = p.latencies_us.len() as u64;
    let latency = stats::percentiles_ms(std::mem::take(&mut p.latencies_us));
    eprintln!(
        "storm: {} {what}s in {seconds:.1} s, {} failed",
        ok, p.failures
    );
    let report = json!({
        "ok": ok,
        "failures": p.failures,
        "first_failure": p.first_failure,
        "seconds": seconds,
        "ops_per_s": ok as f64 / seconds,
        "latency_ms": latency,
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_op": server_cpu.map(|c| c * 1e3 / ok.max(1) as f64),
        "client_cpu_s": client_cpu,
    });
    Ok((p, report))
}

/// Connects, sends `req`, and returns its `ok`; the connection closes when
/// this returns.
async fn once(cfg: &Storm, i: usize, req: Value) -> anyhow::Result<Value> {
    let steps = async {
        let (mut r, mut w) = client::connect(cfg.proto, cfg.server, source(cfg, i)).await?;
        let v = client::call(&mut r, &mut w, req).await?;
        anyhow::ensure!(v["type"] == "ok", "{}: {v}", name(cfg, i));
        Ok(v)
    };
    tokio::time::timeout(Duration::from_secs(30), steps)
        .await
        .map_err(|_| anyhow::anyhow!("{}: no reply in 30 s", name(cfg, i)))?
}
