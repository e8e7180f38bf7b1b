//! `modchat serve`: args, then config, then the database, then the server.
//! `modchat gen-cert`: a self-signed certificate to try TLS with.

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
        /// IRC listener, HOST:PORT (default: none; docs/irc.md).
        #[arg(long)]
        irc_listen: Option<String>,
    },
    /// The terminal client: a full-screen chat, or a plain line mode when
    /// stdin or stdout is not a terminal (for scripts: each input line is a
    /// message or a /command, each event an output line).
    Chat {
        /// The server's TCP address.
        #[arg(long, default_value = "127.0.0.1:6001")]
        server: String,
        /// Speak TLS, verifying the server's certificate.
        #[arg(long)]
        tls: bool,
        /// PEM file of the CA (or self-signed certificate) to trust with --tls;
        /// default: the system's roots.
        #[arg(long, requires = "tls")]
        ca: Option<PathBuf>,
        /// The account (asked for when absent; in the plain mode the first
        /// line of stdin). The password: MODCHAT_PASSWORD, else asked for
        /// without echo (plain mode: the next line of stdin).
        #[arg(long)]
        user: Option<String>,
        /// Create the account first.
        #[arg(long)]
        register: bool,
    },
    /// Writes a self-signed TLS certificate and key, for trying TLS (a real
    /// deployment uses a certificate from a CA). Set them as [tls] cert and
    /// key; clients trust the certificate file as their CA.
    GenCert {
        /// A name or IP address the certificate is for (repeatable).
        #[arg(long = "host", default_values_t = ["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()])]
        hosts: Vec<String>,
        /// Where the certificate goes (must not exist).
        #[arg(long, default_value = "modchat-cert.pem")]
        cert: PathBuf,
        /// Where the private key goes (must not exist; mode 0600).
        #[arg(long, default_value = "modchat-key.pem")]
        key: PathBuf,
    },
}

fn main() -> ExitCode {
    init_logging();
    let (config, overrides) = match Cli::parse().command {
        Command::Serve {
            config,
            database_url,
            listen,
            http_listen,
            irc_listen,
        } => (
            config,
            Overrides {
                database_url,
                listen,
                http_listen,
                irc_listen,
            },
        ),
        Command::Chat {
            server,
            tls,
            ca,
            user,
            register,
        } => {
            let opts = modchat::client::Options {
                target: modchat::client::conn::Target { server, tls, ca },
                user,
                register,
            };
            return match modchat::client::run(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("modchat: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::GenCert { hosts, cert, key } => {
            return match gen_cert(&hosts, &cert, &key) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("modchat: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
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
    let mut listeners = Listeners::bind(&config)?;
    listeners.announce = true;
    actix_rt::System::new().block_on(server::run(config, db, passwords, listeners, stop_signal()))
}

fn gen_cert(hosts: &[String], cert: &std::path::Path, key: &std::path::Path) -> anyhow::Result<()> {
    use modchat::transport::tls;
    // both checked first, so a refusal leaves no half of a pair behind
    for path in [cert, key] {
        if path.exists() {
            anyhow::bail!(
                "{} exists; gen-cert never overwrites a file",
                path.display()
            );
        }
    }
    let (cert_pem, key_pem) = tls::self_signed(hosts)?;
    tls::write_new(cert, &cert_pem, true)?;
    tls::write_new(key, &key_pem, true)?;
    println!(
        "wrote {} and {} for {}\n\nto use them:\n  MODCHAT_TLS__CERT={} MODCHAT_TLS__KEY={} modchat serve\nor in the config file:\n  [tls]\n  cert = \"{}\"\n  key = \"{}\"\nclients trust {} as their CA (modchat chat --tls --ca {})",
        cert.display(),
        key.display(),
        hosts.join(", "),
        cert.display(),
        key.display(),
        cert.display(),
        key.display(),
        cert.display(),
        cert.display(),
    );
    Ok(())
}

/// Logs to stderr at `MODCHAT_LOG` (default `info`), coloured only on a
/// terminal: a log file or journald gets plain text, not escape codes.
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_env("MODCHAT_LOG")
        .unwrap_or_else(|_| "info".into());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(tracing_subscriber::filter::filter_fn(|m| !is_peer_fault(m)));
    // PeerFaults last: its DEBUG copy is dispatched only once the fmt layer
    // is done with the original event (a nested event in the middle of
    // another's dispatch would confuse the per-layer filter's state)
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(PeerFaults)
        .init();
}

/// Where libraries report, at ERROR or WARN, what one remote peer did wrong
/// on its own connection: actix-http's "stream error: request parse error"
/// for oversized headers, a bad HTTP version or a garbage request line.
/// An ERROR line must mean the server has a fault an operator should act
/// on, and a stranger must not be able to write them (nor fill the disk
/// with them at that level).
const PEER_FAULT_TARGETS: &[&str] = &["actix_http::h1::dispatcher", "actix_http::h2::dispatcher"];

fn is_peer_fault(m: &tracing::Metadata<'_>) -> bool {
    *m.level() <= tracing::Level::WARN && PEER_FAULT_TARGETS.contains(&m.target())
}

/// Logs each peer fault again at DEBUG (target `modchat::peer`), where it
/// still helps whoever debugs a client; the original event is kept from
/// the output by the fmt layer's filter.
struct PeerFaults;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PeerFaults {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !is_peer_fault(event.metadata()) {
            return;
        }
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        tracing::debug!(target: "modchat::peer", origin = event.metadata().target(), "{}", message.0);
    }
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
