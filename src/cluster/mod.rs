//! The cluster link: one NATS connection per node (async-nats), through
//! which nodes that share one MySQL/MariaDB database tell each other what
//! their own sessions cannot see. DEVELOPING.md ("A cluster") has the
//! design and its diagram; [`wire`] has every message.
//!
//! The link is a handle, not an actor: the actors stay the unit inside a
//! node, and the Registry is the one actor that receives from other nodes
//! (`FromCluster`) and routes what arrives to rooms and the Moderation
//! actor. Publishing goes through one task, in order, so what one node
//! says arrives everywhere in the order it said it.

pub mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use anyhow::Context as _;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::actors::registry::{BusState, FromCluster, Registry, WhoLocal};
use crate::config::ClusterConfig;
use crate::error::{ErrorCode, Failure};
use crate::metrics::Metrics;
use wire::{Envelope, Event, WhoReply, WhoRequest, VERSION};

/// How long `who` waits for the other nodes' answers.
const WHO_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Cluster {
    client: async_nats::Client,
    /// This node's name, unique in the cluster.
    pub node: String,
    /// This process's incarnation: random at start.
    pub inc: u64,
    events_subject: String,
    who_subject: String,
    out: mpsc::UnboundedSender<Out>,
    up: AtomicBool,
    metrics: Arc<Metrics>,
}

/// What [`Cluster::connect`] opened and [`Cluster::start`] consumes.
pub struct Inbox {
    events: async_nats::Subscriber,
    who: async_nats::Subscriber,
    state: mpsc::UnboundedReceiver<bool>,
    out: mpsc::UnboundedReceiver<Out>,
}

/// What the publishing task does next.
enum Out {
    Publish(Bytes),
    /// Everything before this is handed to NATS and flushed: answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl Cluster {
    /// Connects to NATS and subscribes. A node that cannot reach NATS at
    /// start does not start: alone it would be a second, split server.
    /// Later outages are survived (async-nats reconnects by itself).
    pub async fn connect(
        config: &ClusterConfig,
        default_node: String,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<(Arc<Cluster>, Inbox)> {
        let node = if config.node.is_empty() {
            default_node
        } else {
            config.node.clone()
        };
        let (state_tx, state) = mpsc::unbounded_channel();
        let client = async_nats::ConnectOptions::new()
            .name(format!("modchat {node}"))
            .connection_timeout(Duration::from_secs(5))
            // a node never needs what it published itself
            .no_echo()
            .max_reconnects(None)
            // retry quickly: while NATS is away, requests that need other
            // nodes are refused
            .reconnect_delay_callback(|n| Duration::from_millis((100 * n as u64).min(1000)))
            .event_callback(move |ev| {
                let tx = state_tx.clone();
                async move {
                    match ev {
                        async_nats::Event::Connected => {
                            let _ = tx.send(true);
                        }
                        async_nats::Event::Disconnected => {
                            let _ = tx.send(false);
                        }
                        other => tracing::warn!(event = %other, "NATS"),
                    }
                }
            })
            .connect(config.nats_url.as_str())
            .await
            .with_context(|| format!("cannot reach NATS at {}", shown_url(&config.nats_url)))?;
        let prefix = config.prefix();
        let events_subject = format!("{prefix}.v{VERSION}.events");
        let who_subject = format!("{prefix}.v{VERSION}.who");
        let events = client.subscribe(events_subject.clone()).await?;
        let who = client.subscribe(who_subject.clone()).await?;
        let (out_tx, out) = mpsc::unbounded_channel();
        let cluster = Arc::new(Cluster {
            client,
            node,
            inc: rand::random(),
            events_subject,
            who_subject,
            out: out_tx,
            up: AtomicBool::new(true),
            metrics,
        });
        cluster.metrics.cluster_connected.set(1);
        Ok((
            cluster,
            Inbox {
                events,
                who,
                state,
                out,
            },
        ))
    }

    /// Starts the tasks (on the current arbiter) that publish, receive,
    /// answer `who` and follow the connection's state.
    pub fn start(self: &Arc<Self>, inbox: Inbox, registry: Addr<Registry>) {
        let Inbox {
            mut events,
            mut who,
            mut state,
            mut out,
        } = inbox;
        let me = self.clone();
        actix_rt::spawn(async move {
            while let Some(next) = out.recv().await {
                let payload = match next {
                    Out::Publish(p) => p,
                    Out::Flush(done) => {
                        let _ = me.client.flush().await;
                        let _ = done.send(());
                        continue;
                    }
                };
                let len = payload.len() as u64;
                match me.client.publish(me.events_subject.clone(), payload).await {
                    Ok(()) => {
                        me.metrics.cluster_out_messages.inc();
                        me.metrics.cluster_out_bytes.inc_by(len);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot publish to NATS"),
                }
            }
        });
        let me = self.clone();
        let reg = registry.clone();
        actix_rt::spawn(async move {
            while let Some(msg) = events.next().await {
                let env: Envelope = match serde_json::from_slice(&msg.payload) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable cluster message; ignored");
                        continue;
                    }
                };
                if env.node == me.node {
                    continue; // our own (or an earlier incarnation's)
                }
                if env.v != VERSION {
                    tracing::warn!(v = env.v, node = %env.node, "cluster message of an unknown version; ignored");
                    continue;
                }
                let m = &me.metrics;
                m.cluster_in_messages.inc();
                m.cluster_in_bytes.inc_by(msg.payload.len() as u64);
                let lag = (now_ms() - env.sent_ms).max(0) as f64 / 1000.0;
                m.cluster_lag_seconds.observe(lag);
                reg.do_send(FromCluster(env));
            }
        });
        let me = self.clone();
        let reg = registry.clone();
        actix_rt::spawn(async move {
            while let Some(msg) = who.next().await {
                let Some(reply) = msg.reply else { continue };
                match serde_json::from_slice::<WhoRequest>(&msg.payload) {
                    Ok(r) if r.node != me.node => {}
                    _ => continue,
                }
                let Ok(users) = reg.send(WhoLocal).await else {
                    continue;
                };
                let answer = WhoReply {
                    v: VERSION,
                    node: me.node.clone(),
                    users,
                };
                if let Ok(bytes) = serde_json::to_vec(&answer) {
                    if let Err(e) = me.client.publish(reply, bytes.into()).await {
                        tracing::warn!(error = %e, "cannot answer who");
                    }
                }
            }
        });
        let me = self.clone();
        actix_rt::spawn(async move {
            while let Some(up) = state.recv().await {
                me.up.store(up, Ordering::SeqCst);
                me.metrics.cluster_connected.set(up as i64);
                if up {
                    tracing::info!(node = %me.node, "connected to NATS");
                } else {
                    tracing::warn!(node = %me.node, "lost NATS; requests that need other nodes get unavailable until it is back");
                }
                registry.do_send(BusState { up });
            }
        });
    }

    /// Is the NATS connection up? While it is not, requests whose effect
    /// other nodes must see are refused with `unavailable`.
    pub fn connected(&self) -> bool {
        self.up.load(Ordering::SeqCst)
            && self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Refuses with `unavailable` while NATS is away.
    pub fn check(&self) -> Result<(), Failure> {
        if self.connected() {
            Ok(())
        } else {
            Err(Failure::msg(
                ErrorCode::Unavailable,
                "the cluster's message bus cannot be reached; try again shortly",
            ))
        }
    }

    /// Sends an event to every other node, after everything this node
    /// published before it. Never waits.
    pub fn publish(&self, event: Event) {
        let env = Envelope {
            v: VERSION,
            node: self.node.clone(),
            inc: self.inc,
            sent_ms: now_ms(),
            event,
        };
        match serde_json::to_vec(&env) {
            Ok(b) => {
                let _ = self.out.send(Out::Publish(b.into()));
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a cluster message"),
        }
    }

    /// Tells the other nodes this one is stopping, after everything it
    /// published before (its sessions' `Offline`s), and waits (at most two
    /// seconds) until NATS has it.
    pub async fn leave(&self) {
        self.publish(Event::Bye);
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.out.send(Out::Flush(tx)).is_ok()
            && tokio::time::timeout(Duration::from_secs(2), rx)
                .await
                .is_err()
        {
            tracing::warn!("could not say goodbye to the other nodes in time");
        }
    }

    /// `who` of the other nodes: the answers that arrive within two
    /// seconds, or until `peers` have answered.
    pub async fn who(&self, peers: usize) -> Result<Vec<WhoReply>, Failure> {
        self.check()?;
        if peers == 0 {
            return Ok(Vec::new());
        }
        let unavailable = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "who across the cluster failed");
            Failure::new(ErrorCode::Unavailable)
        };
        let inbox = self.client.new_inbox();
        let mut sub = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(|e| unavailable(&e))?;
        let req = serde_json::to_vec(&WhoRequest {
            v: VERSION,
            node: self.node.clone(),
        })
        .map_err(|e| unavailable(&e))?;
        self.client
            .publish_with_reply(self.who_subject.clone(), inbox, req.into())
            .await
            .map_err(|e| unavailable(&e))?;
        let mut replies = Vec::new();
        let deadline = tokio::time::Instant::now() + WHO_TIMEOUT;
        while replies.len() < peers {
            match tokio::time::timeout_at(deadline, sub.next()).await {
                Ok(Some(m)) => match serde_json::from_slice::<WhoReply>(&m.payload) {
                    Ok(r) if r.v == VERSION => replies.push(r),
                    _ => {}
                },
                _ => break,
            }
        }
        let _ = sub.unsubscribe().await;
        Ok(replies)
    }
}

/// A NATS URL as logs may show it: credentials (`nats://user:pass@host`)
/// hidden.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The default node name: the host name and the TCP port.
pub fn default_node_name(tcp_port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{host}-{tcp_port}")
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn credentials_stay_out_of_the_logs() {
        assert_eq!(
            shown_url("nats://modchat:secret@nats.internal:4222"),
            "nats://***@nats.internal:4222"
        );
        assert_eq!(shown_url("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(shown_url("tls://tok@host:4222"), "tls://***@host:4222");
    }
}
