//! `modchat serve`: args, then config, then the database, then the server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use modchat::auth::Passwords;
use modchat::config::{Config, Overrides};
use modchat::server::{self, Listeners};
use modchat::store::{DatabaseUrl, Db};

#[derive(Parser)]
#[command(name = "modchat", version, about = "A moderated chat server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// sqlite://PATH or mysql://USER:PASS@HOST:PORT/DB (default sqlite://modchat.db).
        #[arg(long)]
        database_url: Option<String>,
        /// TCP listener, HOST:PORT (default 127.0.0.1:6001; port 0 picks one).
        #[arg(long)]
        listen: Option<String>,
        /// HTTP listener, HOST:PORT (default 127.0.0.1:8080).
        #[arg(long)]
        http_listen: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MODCHAT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let Command::Serve {
        config,
        database_url,
        listen,
        http_listen,
    } = Cli::parse().command;
    let overrides = Overrides {
        database_url,
        listen,
        http_listen,
    };
    let config = match Config::load(config.as_deref(), std::env::vars(), &overrides) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("modchat: {e}");
            return ExitCode::from(2);
        }
    };
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modchat: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Arc<Config>) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&config.database.url).map_err(anyhow::Error::msg)?;
    let db = Db::open(&url, &config.pool_options())?;
    let passwords = Passwords::new(config.auth.bcrypt_cost, Passwords::default_parallelism())
        .map_err(anyhow::Error::msg)?;
    let listeners = Listeners::bind(&config)?;
    println!("{}", listeners.listening_line()?);
    actix_rt::System::new().block_on(server::run(config, db, passwords, listeners, stop_signal()))
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
