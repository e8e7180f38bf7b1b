//! Wires the actors and the transports together, and stops them in order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anyhow::Context as _;

use crate::actors::chat_log::{ChatLogWriter, Flush};
use crate::actors::moderation::{Initial, Moderation};
use crate::actors::registry::{Registry, Shutdown};
use crate::actors::session::{Close, Drain};
use crate::actors::Env;
use crate::auth::Passwords;
use crate::cluster::{default_node_name, Cluster};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{rooms, Db};
use crate::transport;
use crate::transport::workers::Workers;

/// The sockets, bound before the server runs (tests bind port 0 and read the
/// addresses; `serve` prints them).
pub struct Listeners {
    pub tcp: std::net::TcpListener,
    pub http: Option<std::net::TcpListener>,
    /// `[irc] listen`: the IRC gateway, when set.
    pub irc: Option<std::net::TcpListener>,
    /// `[tls]`, loaded (and checked) when binding, so a bad certificate
    /// stops the server before it accepts anyone.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Print [`Listeners::listening_line`] on stdout once the server is
    /// ready (`serve` does; tests read the addresses instead). In a
    /// cluster that is after joining it: a node that cannot reach NATS
    /// never says it listens.
    pub announce: bool,
}

impl Listeners {
    /// Binds `[server] listen` and `http_listen` (an empty `http_listen`
    /// means no HTTP listener).
    pub fn bind(config: &Config) -> anyhow::Result<Listeners> {
        let tcp = std::net::TcpListener::bind(&config.server.listen)
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let http = match config.server.http_listen.as_str() {
            "" => None,
            addr => Some(
                std::net::TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr}"))?,
            ),
        };
        let irc = match config.irc.listen.as_str() {
            "" => None,
            addr => Some(
                std::net::TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} (irc.listen)"))?,
            ),
        };
        let tls = if config.tls.enabled() {
            Some(transport::tls::server_config(
                &config.tls.cert,
                &config.tls.key,
            )?)
        } else {
            None
        };
        Ok(Listeners {
            tcp,
            http,
            irc,
            tls,
            announce: false,
        })
    }

    pub fn tcp_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.irc.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The one line `serve` prints on stdout once it accepts.
    pub fn listening_line(&self) -> std::io::Result<String> {
        let mut m = serde_json::Map::new();
        m.insert("tcp".into(), self.tcp_addr()?.to_string().into());
        if let Some(h) = self.http_addr() {
            m.insert("http".into(), h.to_string().into());
        }
        if let Some(i) = self.irc_addr() {
            m.insert("irc".into(), i.to_string().into());
        }
        Ok(serde_json::json!({ "listening": m }).to_string())
    }
}

/// Runs the server until `shutdown` resolves, then stops gracefully: no new
/// connections, `shutdown` to every session, in-flight requests answered,
/// the chat log flushed, every connection closed.
pub async fn run(
    config: Arc<Config>,
    db: Db,
    passwords: Passwords,
    listeners: Listeners,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let initial_rooms = db.run(rooms::all).await.context("loading rooms")?;
    let initial_policy = db
        .run(Initial::load)
        .await
        .context("loading moderation state")?;
    let metrics = Arc::new(Metrics::new());
    let writer = ChatLogWriter::new(
        db.clone(),
        config.database.chat_log_batch_rows,
        metrics.clone(),
        config.cluster.enabled(),
    )
    .start();
    let link = match config.cluster.enabled() {
        true => {
            let port = listeners.tcp_addr()?.port();
            let (c, inbox) =
                Cluster::connect(&config.cluster, default_node_name(port), metrics.clone()).await?;
            Some((c, inbox))
        }
        false => None,
    };
    let cluster = link.as_ref().map(|(c, _)| c.clone());
    if listeners.announce {
        println!("{}", listeners.listening_line()?);
    }
    let mut env_slot = None;
    let registry = Registry::create(|ctx| {
        let moderation = Moderation::new(
            config.clone(),
            db.clone(),
            ctx.address(),
            initial_policy,
            cluster.clone(),
        )
        .start();
        let env = Arc::new(Env {
            config: config.clone(),
            db: db.clone(),
            passwords,
            registry: ctx.address(),
            chat_log: writer.clone(),
            moderation,
            metrics: metrics.clone(),
            cluster: cluster.clone(),
            admission: transport::admission::Admission::new(&config),
        });
        env_slot = Some(env.clone());
        Registry::new(env, initial_rooms)
    });
    let env = env_slot.context("registry did not start")?;
    if let Some((c, inbox)) = link {
        c.start(inbox, registry.clone());
    }

    listeners.tcp.set_nonblocking(true)?;
    let tcp = tokio::net::TcpListener::from_std(listeners.tcp)?;
    let live = Arc::new(());
    let tls = listeners.tls.clone();
    let workers = Arc::new(Workers::start(config.server.io_threads));
    let accept = actix_rt::spawn(transport::tcp::accept_loop(
        tcp,
        env.clone(),
        live.clone(),
        tls.clone().map(tokio_rustls::TlsAcceptor::from),
        workers.clone(),
        transport::tcp::Proto::Json,
    ));
    let irc_accept = match listeners.irc {
        Some(l) => {
            l.set_nonblocking(true)?;
            Some(actix_rt::spawn(transport::tcp::accept_loop(
                tokio::net::TcpListener::from_std(l)?,
                env.clone(),
                live.clone(),
                tls.clone().map(tokio_rustls::TlsAcceptor::from),
                workers.clone(),
                transport::tcp::Proto::Irc,
            )))
        }
        None => None,
    };
    let http = match listeners.http {
        Some(l) => Some(transport::http::start(
            l,
            transport::http::HttpState {
                env: env.clone(),
                live: Arc::downgrade(&live),
                ws_transport: if tls.is_some() { "wss" } else { "ws" },
            },
            tls,
            workers.len(),
        )?),
        None => None,
    };
    match &cluster {
        Some(c) => tracing::info!(
            io_threads = workers.len(),
            node = %c.node,
            nats = %crate::cluster::shown_url(&config.cluster.nats_url),
            subject_prefix = %config.cluster.prefix(),
            "modchat is accepting connections, as node {} of the cluster",
            c.node
        ),
        None => tracing::info!(
            io_threads = workers.len(),
            "modchat is accepting connections"
        ),
    }

    shutdown.await;
    tracing::info!("shutting down");
    accept.abort();
    if let Some(a) = &irc_accept {
        a.abort();
    }
    let grace = Duration::from_secs(config.server.shutdown_grace_s);
    let sessions = registry
        .send(Shutdown {
            reason: "server shutting down".into(),
        })
        .await
        .unwrap_or_default();
    let drained = futures_join_all(sessions.iter().map(|s| s.send(Drain)));
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!("requests still in flight after the grace period");
    }
    if tokio::time::timeout(grace, writer.send(Flush))
        .await
        .is_err()
    {
        tracing::error!("the chat log could not be flushed in time");
    }
    for s in &sessions {
        s.do_send(Close::because("server shutdown"));
    }
    // every connection's writer holds a clone of `live`
    let deadline = tokio::time::Instant::now() + grace;
    while Arc::strong_count(&live) > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if let Some(h) = http {
        h.stop(true).await;
    }
    if let Some(c) = &cluster {
        c.leave().await;
    }
    // every connection has ended (or the grace period has): the writers'
    // threads may go (a TLS handshake still running holds a clone)
    workers.stop();
    tracing::info!(sessions = sessions.len(), "stopped");
    Ok(())
}

/// Awaits every future (no extra crate for one join).
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) {
    for f in futs {
        f.await;
    }
}
