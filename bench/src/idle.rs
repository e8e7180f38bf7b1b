//! `idle`: C logged-in connections in rooms of N, then the server's memory
//! per connection (its RSS growth over C), on modchat or IRC alike.
//! Connections come from several 127.0.0.x addresses, so more than one
//! address's ephemeral ports can be used.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::driver::{self, Seat};
use crate::{procfs, stats, Proto};

#[derive(Debug, Clone)]
pub struct Idle {
    pub proto: Proto,
    pub server: SocketAddr,
    pub connections: usize,
    pub room_size: usize,
    /// Source addresses 127.0.0.1 .. 127.0.0.N.
    pub source_ips: u8,
    pub password: String,
    pub prefix: String,
    pub server_pid: Option<u32>,
    /// As [`crate::fanout::Fanout::irc_accounts`].
    pub irc_accounts: Option<SocketAddr>,
}

pub async fn run(cfg: Idle) -> anyhow::Result<Value> {
    anyhow::ensure!(cfg.room_size >= 1 && cfg.source_ips >= 1);
    let pid = cfg.server_pid.map(|p| p.to_string());
    let before = pid.as_deref().and_then(procfs::rss_bytes);
    let start = Instant::now();
    let seats = (0..cfg.connections)
        .map(|c| Seat {
            from: Some(IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                0,
                1 + (c % cfg.source_ips as usize) as u8,
            ))),
            name: format!("{}i{c}", cfg.prefix),
            room: format!("{}i{}", cfg.prefix, c / cfg.room_size),
        })
        .collect();
    let total = cfg.connections;
    let conns = driver::members(
        cfg.proto,
        std::slice::from_ref(&cfg.server),
        &cfg.password,
        cfg.irc_accounts,
        cfg.proto.setup_limit(32),
        seats,
        |n| {
            if n % 1000 == 0 {
                eprintln!("idle: {n} of {total} connected");
            }
        },
    )
    .await?;
    let setup = start.elapsed().as_secs_f64();
    // let the server settle (joins, presence events) before measuring
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = pid.as_deref().and_then(procfs::rss_bytes);
    let per = before
        .zip(after)
        .map(|(b, a)| a.saturating_sub(b) as f64 / cfg.connections.max(1) as f64);
    drop(conns);
    // leave the server as it was found: closing C connections is work
    // (presence events) the next scenario should not be measured with
    let waited = stats::settle(cfg.server_pid.as_slice(), Duration::from_secs(30)).await;
    if waited > 0.5 {
        eprintln!("idle: the server took {waited:.1} s to close the connections");
    }
    Ok(json!({
        "scenario": "idle",
        "proto": cfg.proto.name(),
        "connections": cfg.connections,
        "room_size": cfg.room_size,
        "source_ips": cfg.source_ips,
        "setup_s": setup,
        "server_rss_before": before,
        "server_rss_after": after,
        "server_bytes_per_connection": per,
    }))
}
