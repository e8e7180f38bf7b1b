//! Latency percentiles, and the CPU time of the server and of the tool over
//! one measured window.

use serde_json::{json, Value};

use crate::procfs;

/// `{"p50", "p99", "max"}` in milliseconds of latencies in microseconds
/// (all zero when there are none).
pub fn percentiles_ms(mut us: Vec<u64>) -> Value {
    us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if us.is_empty() {
            return 0.0;
        }
        let i = ((us.len() as f64 - 1.0) * p).round() as usize;
        us[i] as f64 / 1000.0
    };
    json!({"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)})
}

/// CPU seconds used by the server (when its pid is known; summed over the
/// nodes of a cluster) and by this process since [`Cpu::start`].
pub struct Cpu {
    pids: Vec<String>,
    server0: Option<f64>,
    client0: Option<f64>,
}

/// The CPU seconds of every pid, summed; `None` if any is unknown.
fn cpu_sum(pids: &[String]) -> Option<f64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| procfs::cpu_seconds(p)).sum()
}

impl Cpu {
    pub fn start(server_pids: &[u32]) -> Cpu {
        let pids: Vec<String> = server_pids.iter().map(|p| p.to_string()).collect();
        Cpu {
            server0: cpu_sum(&pids),
            client0: procfs::cpu_seconds("self"),
            pids,
        }
    }

    /// Server CPU seconds since the start.
    pub fn server(&self) -> Option<f64> {
        Some(cpu_sum(&self.pids)? - self.server0?)
    }

    /// This tool's CPU seconds since the start.
    pub fn client(&self) -> Option<f64> {
        Some(procfs::cpu_seconds("self")? - self.client0?)
    }

    /// The servers' resident memory now, summed.
    pub fn server_rss(&self) -> Option<u64> {
        if self.pids.is_empty() {
            return None;
        }
        self.pids.iter().map(|p| procfs::rss_bytes(p)).sum()
    }
}

/// Waits until the server's CPU use drops below a tenth of a core over
/// 200 ms (at most `max`), so a measurement does not begin while the
/// server still works off what came before it: the presence events and
/// stored logins of a setup, or 2,000 connections an `idle` run just
/// closed. Returns how long it waited; at once when the pid is unknown.
pub async fn settle(server_pids: &[u32], max: std::time::Duration) -> f64 {
    if server_pids.is_empty() {
        return 0.0;
    }
    let pids: Vec<String> = server_pids.iter().map(|p| p.to_string()).collect();
    let start = std::time::Instant::now();
    let mut last = cpu_sum(&pids);
    while start.elapsed() < max {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let now = cpu_sum(&pids);
        match (last, now) {
            (Some(a), Some(b)) if b - a <= 0.02 => break,
            (_, None) => break,
            _ => last = now,
        }
    }
    start.elapsed().as_secs_f64()
}
