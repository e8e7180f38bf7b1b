//! `modchat-bench fanout|idle`: see the library's docs.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use modchat_bench::{fanout, idle, saturate};

#[derive(Parser)]
#[command(
    name = "modchat-bench",
    version,
    about = "Load generator for modchat (loopback only)"
)]
struct Cli {
    /// The server's TCP address (a loopback address).
    #[arg(long, default_value = "127.0.0.1:6001", global = true)]
    server: SocketAddr,
    /// The server's pid, to report its CPU time and memory.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// Password of the benchmark's accounts.
    #[arg(long, default_value = "bench-password", global = true)]
    password: String,
    /// Prefix of account and room names.
    #[arg(long, default_value = "b", global = true)]
    prefix: String,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2, global = true)]
    threads: usize,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// R rooms x M members, S senders per room at a fixed rate.
    Fanout {
        #[arg(long, default_value_t = 10)]
        rooms: usize,
        #[arg(long, default_value_t = 50)]
        members: usize,
        #[arg(long, default_value_t = 1)]
        senders: usize,
        /// Messages per second per sender.
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Fan-out at a rate rising x1.5 a step until p99 passes the limit or
    /// deliveries fall behind; the highest sustained deliveries/s.
    Saturate {
        #[arg(long, default_value_t = 10)]
        rooms: usize,
        #[arg(long, default_value_t = 50)]
        members: usize,
        #[arg(long, default_value_t = 1)]
        senders: usize,
        /// The first step's messages per second per sender.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Seconds per step.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        #[arg(long, default_value_t = 100.0)]
        p99_limit_ms: f64,
        #[arg(long, default_value_t = 12)]
        max_steps: usize,
    },
    /// C logged-in connections in rooms of N; server memory per connection.
    Idle {
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        #[arg(long, default_value_t = 50)]
        room_size: usize,
        /// Spread connections over 127.0.0.1 .. 127.0.0.N.
        #[arg(long, default_value_t = 4)]
        source_ips: u8,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::ensure!(
        cli.server.ip().is_loopback(),
        "modchat-bench sends load to loopback addresses only"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    // one fan-out shape, for `fanout` and each step of `saturate`
    let (server, password, prefix, server_pid) = (
        cli.server,
        cli.password.clone(),
        cli.prefix.clone(),
        cli.server_pid,
    );
    let shape = |rooms, members, senders, rate, seconds| fanout::Fanout {
        server,
        rooms,
        members,
        senders,
        rate,
        seconds,
        password: password.clone(),
        prefix: prefix.clone(),
        server_pid,
    };
    let report = rt.block_on(async {
        match cli.scenario {
            Scenario::Fanout {
                rooms,
                members,
                senders,
                rate,
                seconds,
            } => fanout::run(shape(rooms, members, senders, rate, seconds)).await,
            Scenario::Saturate {
                rooms,
                members,
                senders,
                rate,
                seconds,
                p99_limit_ms,
                max_steps,
            } => {
                saturate::run(saturate::Saturate {
                    base: shape(rooms, members, senders, rate, seconds),
                    p99_limit_ms,
                    max_steps,
                })
                .await
            }
            Scenario::Idle {
                connections,
                room_size,
                source_ips,
            } => {
                idle::run(idle::Idle {
                    server: cli.server,
                    connections,
                    room_size,
                    source_ips,
                    password: cli.password,
                    prefix: cli.prefix,
                    server_pid: cli.server_pid,
                })
                .await
            }
        }
    })?;
    print!("{}", modchat_bench::table(&report));
    println!("{report}");
    Ok(())
}
