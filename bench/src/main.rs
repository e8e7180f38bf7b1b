//! `modchat-bench [--proto modchat|ws|irc] SCENARIO`: see the library's docs.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use modchat_bench::{fanout, idle, log, saturate, soak, storm, summary, Proto};

#[derive(Parser)]
#[command(
    name = "modchat-bench",
    version,
    about = "Load generator for modchat, and IRC for comparison (loopback only)"
)]
struct Cli {
    /// The server's address (a loopback address): modchat's TCP listener,
    /// its HTTP listener with `--proto ws`, or an IRC server's port with
    /// `--proto irc`. For `fanout` and `saturate`, the nodes of a cluster
    /// may be given separated by commas: members are spread over them.
    #[arg(
        long,
        default_value = "127.0.0.1:6001",
        global = true,
        value_delimiter = ','
    )]
    server: Vec<SocketAddr>,
    /// The protocol to speak.
    #[arg(long, value_enum, default_value_t = Proto::Modchat, global = true)]
    proto: Proto,
    /// The server's pid, to report its CPU time and memory (the nodes' pids
    /// separated by commas: their sum).
    #[arg(long, global = true, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Password of the benchmark's accounts.
    #[arg(long, default_value = "bench-password", global = true)]
    password: String,
    /// With `--proto irc` against modchat's IRC gateway: modchat's JSON (TCP)
    /// listener. Each account is registered there first, as the modchat
    /// runs register theirs, and the IRC login sends `PASS name:password`.
    /// Leave it out for other IRC servers (ngircd, InspIRCd): no PASS.
    #[arg(long, global = true, value_name = "HOST:PORT")]
    irc_accounts_via: Option<SocketAddr>,
    /// Connections to set up at once (default: 16 or 32 for modchat, 8 on
    /// IRC for ngircd's listen backlog of 10; InspIRCd, which holds each
    /// registration for a second, wants more).
    #[arg(long, global = true)]
    setup_at_once: Option<usize>,
    /// Prefix of account and room names (IRC nicks: keep it short, letters).
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
    /// N accounts registered (untimed), then N logins and N resumes, K in
    /// flight, each on a fresh connection (modchat only).
    Storm {
        #[arg(long, default_value_t = 1000)]
        accounts: usize,
        #[arg(long, default_value_t = 32)]
        in_flight: usize,
        /// Spread connections over 127.0.0.1 .. 127.0.0.N.
        #[arg(long, default_value_t = 4)]
        source_ips: u8,
    },
    /// Chat-log commits/s: C connections alone in their rooms, D says in
    /// flight each; then raw batched inserts into the same database
    /// (modchat only).
    Log {
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Says in flight per connection.
        #[arg(long, default_value_t = 1)]
        depth: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// The server's database URL, for the raw insert ceiling (omit it
        /// to skip that part). Its rows land in the benchmark's room, so it
        /// is never read from the environment: name it on purpose.
        #[arg(long)]
        database_url: Option<String>,
        /// Rows per transaction of the raw inserts, one run each.
        #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
        batches: Vec<usize>,
        /// Seconds per batch size.
        #[arg(long, default_value_t = 3.0)]
        raw_seconds: f64,
    },
    /// A long mixed load on every transport (scripts/soak): chatters, slow
    /// readers, reconnect storms, non-readers, bans and kicks mid-login;
    /// RSS, descriptors and say→ok p99 every period; at the end every
    /// acknowledged id must be in `chat_logs`. Exits 1 when a check fails.
    /// `--server` is the TCP listener, `--server-pid` the server's pid (and
    /// the TLS server's, second).
    Soak {
        /// The server's HTTP listener (WebSocket).
        #[arg(long)]
        http: SocketAddr,
        /// A second server with `[tls]` on the same database: its TCP
        /// listener (TLS) ...
        #[arg(long, requires_all = ["tls_http", "ca"])]
        tls_server: Option<SocketAddr>,
        /// ... its HTTP listener (secure WebSocket) ...
        #[arg(long)]
        tls_http: Option<SocketAddr>,
        /// ... and the certificate to trust (`modchat gen-cert`'s).
        #[arg(long)]
        ca: Option<std::path::PathBuf>,
        /// The servers' database, read at the end (never from the
        /// environment: name it on purpose).
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Seconds between samples.
        #[arg(long, default_value_t = 60.0)]
        period_s: f64,
        /// A moderator account that exists (scripts/soak adds it).
        #[arg(long, default_value = "soakmod")]
        moderator: String,
        #[arg(long, default_value = "soak-moderator-password")]
        moderator_password: String,
        /// Chatters per transport.
        #[arg(long, default_value_t = 4)]
        chatters: usize,
        /// Says per second of each chatter.
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        /// Accounts reconnecting in each storm.
        #[arg(long, default_value_t = 60)]
        storm: usize,
        #[arg(long, default_value_t = 15.0)]
        storm_every_s: f64,
        /// Non-readers per transport in each wave.
        #[arg(long, default_value_t = 5)]
        non_readers: usize,
        /// Accounts the moderator bans and kicks.
        #[arg(long, default_value_t = 3)]
        victims: usize,
        /// The last period's RSS may be at most this times the second's.
        #[arg(long, default_value_t = 1.5)]
        rss_growth: f64,
        /// Descriptors allowed above the baseline (at the end) or above
        /// the second period's (in the last).
        #[arg(long, default_value_t = 50)]
        fd_slack: usize,
    },
    /// Reads the `{"target": NAME, "run": REPORT}` lines `scripts/bench`
    /// collects (a file, or stdin) and prints one table with ratios of
    /// each target to the baseline.
    Summary {
        /// The JSON lines; stdin when absent.
        file: Option<std::path::PathBuf>,
        #[arg(long, default_value = "ngircd")]
        baseline: String,
        /// Print the summary as one JSON line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Scenario::Summary {
        file,
        baseline,
        json,
    } = &cli.scenario
    {
        let text = match file {
            Some(f) => std::fs::read_to_string(f)?,
            None => std::io::read_to_string(std::io::stdin())?,
        };
        let s = summary::Summary::from_lines(&text, baseline);
        if *json {
            println!("{}", s.to_json());
        } else {
            print!("{}", s.table());
        }
        return Ok(());
    }
    anyhow::ensure!(
        cli.server
            .iter()
            .chain(&cli.irc_accounts_via)
            .all(|s| s.ip().is_loopback()),
        "modchat-bench sends load to loopback addresses only"
    );
    anyhow::ensure!(
        cli.irc_accounts_via.is_none()
            || (cli.proto == Proto::Irc
                && matches!(
                    cli.scenario,
                    Scenario::Fanout { .. } | Scenario::Saturate { .. } | Scenario::Idle { .. }
                )),
        "--irc-accounts-via goes with --proto irc and fanout, saturate or idle"
    );
    let spread = matches!(
        cli.scenario,
        Scenario::Fanout { .. } | Scenario::Saturate { .. }
    );
    let two_pids = matches!(cli.scenario, Scenario::Soak { .. }) && cli.server_pid.len() <= 2;
    anyhow::ensure!(
        spread || (cli.server.len() == 1 && (cli.server_pid.len() <= 1 || two_pids)),
        "only fanout and saturate spread over several servers"
    );
    if let Scenario::Soak {
        http,
        tls_server,
        tls_http,
        ..
    } = &cli.scenario
    {
        anyhow::ensure!(
            [Some(*http), *tls_server, *tls_http]
                .iter()
                .flatten()
                .all(|a| a.ip().is_loopback()),
            "modchat-bench sends load to loopback addresses only"
        );
    }
    modchat_bench::set_setup_limit(cli.setup_at_once.unwrap_or(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    // one fan-out shape, for `fanout` and each step of `saturate`
    let (proto, servers, password, prefix, server_pids, irc_accounts) = (
        cli.proto,
        cli.server.clone(),
        cli.password.clone(),
        cli.prefix.clone(),
        cli.server_pid.clone(),
        cli.irc_accounts_via,
    );
    let (server, server_pid) = (servers[0], server_pids.first().copied());
    let shape = |rooms, members, senders, rate, seconds| fanout::Fanout {
        proto,
        servers: servers.clone(),
        rooms,
        members,
        senders,
        rate,
        seconds,
        password: password.clone(),
        prefix: prefix.clone(),
        server_pids: server_pids.clone(),
        irc_accounts,
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
                    proto,
                    server,
                    connections,
                    room_size,
                    source_ips,
                    password: cli.password,
                    prefix: cli.prefix,
                    server_pid,
                    irc_accounts,
                })
                .await
            }
            Scenario::Storm {
                accounts,
                in_flight,
                source_ips,
            } => {
                storm::run(storm::Storm {
                    proto,
                    server,
                    accounts,
                    in_flight,
                    source_ips,
                    password: cli.password,
                    prefix: cli.prefix,
                    server_pid,
                })
                .await
            }
            Scenario::Log {
                connections,
                depth,
                seconds,
                database_url,
                batches,
                raw_seconds,
            } => {
                log::run(log::Log {
                    proto,
                    server,
                    connections,
                    depth,
                    seconds,
                    database_url,
                    batches,
                    raw_seconds,
                    password: cli.password,
                    prefix: cli.prefix,
                    server_pid,
                })
                .await
            }
            Scenario::Soak {
                http,
                tls_server,
                tls_http,
                ca,
                database_url,
                minutes,
                period_s,
                moderator,
                moderator_password,
                chatters,
                rate,
                storm,
                storm_every_s,
                non_readers,
                victims,
                rss_growth,
                fd_slack,
            } => {
                let tls = match (tls_server, tls_http, ca) {
                    (Some(tcp), Some(http), Some(ca)) => Some(soak::TlsEndpoints {
                        tcp,
                        http,
                        config: modchat::transport::tls::client_config(Some(&ca))?,
                    }),
                    _ => None,
                };
                let mut servers = vec![];
                let names = ["modchat", "modchat-tls"];
                for (name, pid) in names.iter().zip(&server_pids) {
                    servers.push(((*name).to_owned(), *pid));
                }
                soak::run(soak::Soak {
                    endpoints: soak::Endpoints {
                        tcp: server,
                        http,
                        tls,
                    },
                    minutes,
                    period_s,
                    servers,
                    database_url,
                    moderator,
                    moderator_password,
                    password: cli.password,
                    prefix: cli.prefix,
                    chatters,
                    rate,
                    storm,
                    storm_every_s,
                    non_readers,
                    victims,
                    rss_growth,
                    fd_slack,
                })
                .await
            }
            Scenario::Summary { .. } => unreachable!("handled above"),
        }
    })?;
    print!("{}", modchat_bench::table(&report));
    println!("{report}");
    if report["passed"] == serde_json::json!(false) {
        std::process::exit(1);
    }
    Ok(())
}
