//! What `GET /metrics` shows (every series `modchat_...`), through the
//! `prometheus-client` crate. One [`Metrics`] per server, in
//! [`Env`](crate::actors::Env); each figure is updated where its state
//! lives: connections and errors by the Session, texts and commits by the
//! chat-log writer, rooms by the registry when scraped.
//!
//! One registry, two encodings: Prometheus text 0.0.4 (the default; what
//! `promtool check metrics` reads) and OpenMetrics 1.0 (on request). Every
//! labelled family is filled with its known label values at zero when the
//! server starts, so each family and its series are there from the first
//! scrape: a `rate()` over a series that appears only at its first event
//! misses that event, and an alert on an absent series never fires.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::error::ErrorCode;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Transport {
    pub transport: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Code {
    pub code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Build {
    version: &'static str,
    protocol: &'static str,
}

/// The transports a connection is counted under (`who`'s `transport`).
pub const TRANSPORTS: &[&str] = &["tcp", "tls", "ws", "wss"];

/// The two text encodings of the same registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text exposition format 0.0.4.
    Text,
    /// OpenMetrics text 1.0.0.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    /// Open connections, by transport (`tcp`, `ws`, with `+tls`).
    pub connections: Family<Transport, Gauge>,
    /// Logged-in sessions.
    pub sessions: Gauge,
    pub rooms: Gauge,
    /// Texts committed to the chat log, by kind.
    pub messages: Counter,
    pub whispers: Counter,
    pub announcements: Counter,
    /// Rows per chat-log transaction, and how long each took to commit.
    pub batch_rows: Histogram,
    pub commit_seconds: Histogram,
    pub rate_limited: Counter,
    pub filter_blocked: Counter,
    /// Error replies, by code.
    pub errors: Family<Code, Counter>,
    /// In a cluster: this node's NATS link (1 up, 0 down), the other nodes
    /// it hears, its traffic and how old what it receives is.
    pub cluster_connected: Gauge,
    pub cluster_nodes: Gauge,
    pub cluster_out_messages: Counter,
    pub cluster_out_bytes: Counter,
    pub cluster_in_messages: Counter,
    pub cluster_in_bytes: Counter,
    pub cluster_lag_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("modchat");
        let m = Metrics {
            connections: Family::default(),
            sessions: Gauge::default(),
            rooms: Gauge::default(),
            messages: Counter::default(),
            whispers: Counter::default(),
            announcements: Counter::default(),
            batch_rows: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            commit_seconds: Histogram::new(exponential_buckets(0.000_1, 2.0, 16)),
            rate_limited: Counter::default(),
            filter_blocked: Counter::default(),
            errors: Family::default(),
            cluster_connected: Gauge::default(),
            cluster_nodes: Gauge::default(),
            cluster_out_messages: Counter::default(),
            cluster_out_bytes: Counter::default(),
            cluster_in_messages: Counter::default(),
            cluster_in_bytes: Counter::default(),
            cluster_lag_seconds: Histogram::new(exponential_buckets(0.000_1, 2.0, 16)),
            registry: Registry::default(),
        };
        r.register(
            "connections",
            "Open connections, by transport",
            m.connections.clone(),
        );
        r.register("sessions", "Logged-in sessions", m.sessions.clone());
        r.register("rooms", "Rooms", m.rooms.clone());
        r.register("messages", "Room messages committed", m.messages.clone());
        r.register("whispers", "Whispers committed", m.whispers.clone());
        r.register(
            "announcements",
            "Announcements committed",
            m.announcements.clone(),
        );
        r.register(
            "chat_log_batch_rows",
            "Rows per chat-log transaction",
            m.batch_rows.clone(),
        );
        r.register(
            "chat_log_commit_seconds",
            "Time to insert and commit one chat-log batch",
            m.commit_seconds.clone(),
        );
        r.register(
            "rate_limited",
            "Requests refused by flood control",
            m.rate_limited.clone(),
        );
        r.register(
            "filter_blocked",
            "Texts blocked by the word filter",
            m.filter_blocked.clone(),
        );
        r.register("errors", "Error replies, by code", m.errors.clone());
        r.register(
            "cluster_connected",
            "1 while this node's NATS link is up (cluster mode)",
            m.cluster_connected.clone(),
        );
        r.register(
            "cluster_nodes",
            "Other nodes this node hears (cluster mode)",
            m.cluster_nodes.clone(),
        );
        r.register(
            "cluster_out_messages",
            "Messages this node published to NATS",
            m.cluster_out_messages.clone(),
        );
        r.register(
            "cluster_out_bytes",
            "Bytes this node published to NATS",
            m.cluster_out_bytes.clone(),
        );
        r.register(
            "cluster_in_messages",
            "Messages this node received from other nodes",
            m.cluster_in_messages.clone(),
        );
        r.register(
            "cluster_in_bytes",
            "Bytes this node received from other nodes",
            m.cluster_in_bytes.clone(),
        );
        r.register(
            "cluster_lag_seconds",
            "From another node's publish to this node's receipt",
            m.cluster_lag_seconds.clone(),
        );
        r.register(
            "build",
            "The server's version",
            Info::new(Build {
                version: env!("CARGO_PKG_VERSION"),
                protocol: "1",
            }),
        );
        for &transport in TRANSPORTS {
            let _ = m.connections.get_or_create(&Transport { transport });
        }
        for &code in ErrorCode::ALL {
            let _ = m.errors.get_or_create(&Code {
                code: code.as_str(),
            });
        }
        Metrics { registry: r, ..m }
    }

    /// Counts an error reply.
    pub fn error(&self, code: ErrorCode) {
        self.errors
            .get_or_create(&Code {
                code: code.as_str(),
            })
            .inc();
        match code {
            ErrorCode::RateLimited => {
                self.rate_limited.inc();
            }
            ErrorCode::Blocked => {
                self.filter_blocked.inc();
            }
            _ => {}
        }
    }

    /// Every family, in `format`.
    pub fn encode(&self, format: Format) -> String {
        use prometheus_client::encoding::{prometheus_text, text};
        let mut s = String::new();
        let done = match format {
            Format::Text => prometheus_text::encode(&mut s, &self.registry),
            Format::OpenMetrics => text::encode(&mut s, &self.registry),
        };
        if done.is_err() {
            tracing::error!("could not encode the metrics");
        }
        s
    }
}
