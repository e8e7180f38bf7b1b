//! `saturate`: fan-out runs at a rising rate (×1.5 a step) until the p99
//! passes the limit, messages are lost, or deliveries fall behind what was
//! offered; reports the highest step that held. Each step is a fresh
//! fan-out run (new connections), on either protocol.

use serde_json::{json, Value};

use crate::fanout::{self, Fanout};

#[derive(Debug, Clone)]
pub struct Saturate {
    /// The shape of each step; its `rate` is the first step's.
    pub base: Fanout,
    pub p99_limit_ms: f64,
    pub max_steps: usize,
}

pub async fn run(cfg: Saturate) -> anyhow::Result<Value> {
    let mut rate = cfg.base.rate;
    let mut steps = Vec::new();
    let mut best: Option<Value> = None;
    for step in 0..cfg.max_steps {
        let r = fanout::run(Fanout {
            rate,
            ..cfg.base.clone()
        })
        .await?;
        let p99 = r["latency_ms"]["p99"].as_f64().unwrap_or(f64::MAX);
        let offered =
            rate * (cfg.base.rooms * cfg.base.senders) as f64 * (cfg.base.members - 1) as f64;
        let got = r["deliveries_per_s"].as_f64().unwrap_or(0.0);
        let held = p99 <= cfg.p99_limit_ms && r["lost"] == 0 && got >= 0.9 * offered;
        eprintln!(
            "saturate: step {step}: {rate:.0} msg/s per sender, {got:.0} deliveries/s of {offered:.0} offered, p99 {p99:.1} ms: {}",
            if held { "held" } else { "did not hold" }
        );
        steps.push(json!({
            "rate_per_sender": rate, "offered_per_s": offered, "deliveries_per_s": got,
            "p99_ms": p99, "lost": r["lost"], "held": held,
            // who was out of CPU: the server, or the tool on the same cores
            "server_cpu_s": r["server_cpu_s"], "client_cpu_s": r["client_cpu_s"],
        }));
        if !held {
            break;
        }
        best = Some(r);
        rate *= 1.5;
    }
    Ok(json!({
        "scenario": "saturate",
        "proto": cfg.base.proto.name(),
        "rooms": cfg.base.rooms, "members": cfg.base.members, "senders": cfg.base.senders,
        "p99_limit_ms": cfg.p99_limit_ms,
        "max_sustained_deliveries_per_s": best.as_ref().and_then(|b| b["deliveries_per_s"].as_f64()),
        "best_step": best,
        "steps": steps,
    }))
}
