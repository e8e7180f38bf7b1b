//! Configuration: a TOML file, then `MODCHAT_<SECTION>__<KEY>` environment
//! variables, then command-line flags, each overriding the one before.
//! Loaded and validated once at start and passed around as `Arc<Config>`:
//! an unknown key or a bad value stops the server with a message naming it.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub moderation: ModerationConfig,
    pub tls: TlsConfig,
    pub cluster: ClusterConfig,
    pub irc: IrcConfig,
}

/// `[irc]`: the IRC gateway (docs/irc.md). Off unless `listen` is set; with
/// `[tls]` it speaks TLS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IrcConfig {
    /// Where IRC clients connect; empty: no IRC listener.
    pub listen: String,
    /// The prefix of server lines and numerics.
    pub server_name: String,
    /// What `005 NETWORK=` says.
    pub network: String,
    /// `true`: NICK/USER without logging in makes a guest account.
    pub guests: bool,
    /// The message of the day (375/372/376); empty: 422.
    pub motd: String,
}

impl Default for IrcConfig {
    fn default() -> Self {
        IrcConfig {
            listen: String::new(),
            server_name: "modchat.local".into(),
            network: "modchat".into(),
            guests: false,
            motd: String::new(),
        }
    }
}

impl IrcConfig {
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

/// `[cluster]`: with `nats_url` set, this node joins a cluster of nodes that
/// share one MySQL/MariaDB database and one NATS (DEVELOPING.md, "A
/// cluster"). Empty: a single server, no NATS needed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    pub nats_url: String,
    /// Unique per node; empty: the host name and the TCP port.
    pub node: String,
    /// Every subject starts with it, so several clusters can share a NATS.
    pub subject_prefix: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nats_url: String::new(),
            node: String::new(),
            subject_prefix: "modchat".into(),
        }
    }
}

impl ClusterConfig {
    pub fn enabled(&self) -> bool {
        !self.nats_url.is_empty()
    }

    pub fn prefix(&self) -> &str {
        &self.subject_prefix
    }
}

/// TLS for both listeners: with `cert` and `key` set, the TCP listener
/// speaks TLS and the HTTP listener HTTPS (WebSocket as `wss`).
/// `modchat gen-cert` writes a self-signed pair to try it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM file: the certificate chain, server certificate first.
    pub cert: String,
    /// PEM file: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        !self.cert.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModerationConfig {
    /// Word-filter hits within `filter_window_s` that mute the sender.
    pub filter_strikes: u32,
    pub filter_window_s: u64,
    /// Length of that automatic mute.
    pub auto_mute_s: u64,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        ModerationConfig {
            filter_strikes: 3,
            filter_window_s: 600,
            auto_mute_s: 600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// TCP listener (newline-delimited JSON).
    pub listen: String,
    /// HTTP listener: WebSocket (`/ws`), the web client, `/healthz`, `/metrics`.
    pub http_listen: String,
    /// Who may create rooms: "anyone" or "moderators".
    pub room_creation: String,
    /// How long a graceful stop waits for connections to drain, in seconds.
    pub shutdown_grace_s: u64,
    /// Threads that write to connections (fan-out is mostly writes);
    /// 0: one per core.
    pub io_threads: usize,
    /// Load balancers whose TCP connections start with a PROXY protocol
    /// header and whose HTTP requests carry `X-Forwarded-For`: the client
    /// address found there is the one every per-address rule uses.
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`).
    pub proxy_protocol_from: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:6001".into(),
            http_listen: "127.0.0.1:8080".into(),
            room_creation: "anyone".into(),
            shutdown_grace_s: 5,
            io_threads: 0,
            proxy_protocol_from: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH`, `sqlite:///abs/path` or `mysql://USER:PASS@HOST:PORT/DB`.
    pub url: String,
    /// Connections in the pool; also the cap on concurrent blocking store work.
    pub pool_size: u32,
    /// How long a request waits for a connection before `unavailable`.
    pub connect_timeout_s: u64,
    /// SQLite `synchronous`: FULL (default; an `ok` is on disk) or NORMAL.
    pub sqlite_synchronous: String,
    /// Most chat-log rows written in one transaction by the group commit.
    pub chat_log_batch_rows: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://modchat.db".into(),
            pool_size: 8,
            connect_timeout_s: 5,
            sqlite_synchronous: "FULL".into(),
            chat_log_batch_rows: 1000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// bcrypt work factor (4-31); 12 costs ~0.3 s a hash on the reference box.
    pub bcrypt_cost: u32,
    /// Lifetime of a login token, for `resume`.
    pub token_ttl_s: u64,
    /// Whether `register` is open to anyone.
    pub open_registration: bool,
    /// Shortest password accepted, in bytes (the longest is bcrypt's 72).
    pub min_password_bytes: usize,
    /// Names `register` and `rename` refuse (compared by their skeleton);
    /// `modchat-admin user add` may still use them.
    pub reserved_names: Vec<String>,
    /// Days a name given up by `rename` stays its old owner's.
    pub name_hold_days: u32,
}

/// The contract's default reserved names: service-like names an impostor
/// would want.
pub const DEFAULT_RESERVED_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "moderator",
    "modchat",
    "server",
    "nickserv",
    "chanserv",
    "modserv",
];

/// The longest `token_ttl_s` (366 days): beyond it a token's expiry would
/// be a time no one means, and far enough out it overflows the clock.
pub const MAX_TOKEN_TTL_S: u64 = 366 * 24 * 3600;

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            bcrypt_cost: 12,
            token_ttl_s: 3600,
            open_registration: true,
            min_password_bytes: 8,
            reserved_names: DEFAULT_RESERVED_NAMES
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
            name_hold_days: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub max_line_bytes: usize,
    pub idle_timeout_s: u64,
    /// A connection not logged in this long after it opened is closed.
    pub login_timeout_s: u64,
    pub say_burst: u32,
    pub say_per_s: f64,
    /// The second bucket: join, leave, create_room, delete_room, rename,
    /// set_topic.
    pub action_burst: u32,
    pub action_per_s: f64,
    /// Rooms one account (not a moderator or admin) may own.
    pub rooms_per_account: u32,
    /// Failed logins per address and name in a sliding minute.
    pub login_failures_per_min: u32,
    /// Failed logins per address over all names in a sliding minute.
    pub login_failures_per_address_per_min: u32,
    /// `register` attempts per address in a sliding hour.
    pub registrations_per_address_per_hour: u32,
    /// Open connections from one address, all transports together; 0: no cap.
    pub max_connections_per_address: u32,
    pub default_room_capacity: u32,
    pub max_text_chars: usize,
    /// Bytes queued for a client that does not read before it is dropped.
    pub max_outbound_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_line_bytes: 16384,
            idle_timeout_s: 300,
            login_timeout_s: 60,
            say_burst: 10,
            say_per_s: 5.0,
            action_burst: 20,
            action_per_s: 2.0,
            rooms_per_account: 100,
            login_failures_per_min: 10,
            login_failures_per_address_per_min: 100,
            registrations_per_address_per_hour: 20,
            max_connections_per_address: 64,
            default_room_capacity: 1000,
            max_text_chars: 2000,
            max_outbound_bytes: 1 << 20,
        }
    }
}

/// Command-line values that win over file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub http_listen: Option<String>,
    pub irc_listen: Option<String>,
}

impl Config {
    /// File, then environment (`vars`, usually `std::env::vars()`), then flags.
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, String> {
        let table: toml::Table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read config {}: {e}", p.display()))?;
                text.parse()
                    .map_err(|e| format!("config {}: {e}", p.display()))?
            }
            None => toml::Table::new(),
        };
        Config::from_table(table, vars, flags)
    }

    /// [`Config::load`] from the file's parsed TOML on: what the config
    /// fuzz target feeds, with no file to write.
    pub fn from_table(
        mut table: toml::Table,
        vars: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, String> {
        apply_env(&mut table, vars)?;
        let text = toml::to_string(&table).map_err(|e| e.to_string())?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| format!("bad configuration: {e}"))?;
        if let Some(u) = &flags.database_url {
            config.database.url = u.clone();
        }
        if let Some(l) = &flags.listen {
            config.server.listen = l.clone();
        }
        if let Some(l) = &flags.http_listen {
            config.server.http_listen = l.clone();
        }
        if let Some(l) = &flags.irc_listen {
            config.irc.listen = l.clone();
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |key: &str, why: &str| Err(format!("bad configuration: {key}: {why}"));
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return bad("auth.bcrypt_cost", "must be 4 to 31");
        }
        if self.auth.token_ttl_s == 0 || self.auth.token_ttl_s > MAX_TOKEN_TTL_S {
            return bad("auth.token_ttl_s", "must be 1 to 31622400 (366 days)");
        }
        if !(1..=72).contains(&self.auth.min_password_bytes) {
            return bad("auth.min_password_bytes", "must be 1 to 72");
        }
        if self.auth.name_hold_days > 3660 {
            return bad("auth.name_hold_days", "must be 0 to 3660");
        }
        for p in &self.server.proxy_protocol_from {
            if crate::net::Cidr::parse(p).is_none() {
                return bad(
                    "server.proxy_protocol_from",
                    &format!("{p:?} is not an address or CIDR block"),
                );
            }
        }
        let l = &self.limits;
        if l.max_line_bytes < 256 {
            return bad("limits.max_line_bytes", "must be at least 256");
        }
        if l.idle_timeout_s == 0 {
            return bad("limits.idle_timeout_s", "must be positive");
        }
        if l.login_timeout_s == 0 {
            return bad("limits.login_timeout_s", "must be positive");
        }
        if l.say_burst == 0 {
            return bad("limits.say_burst", "must be positive");
        }
        if !(l.say_per_s.is_finite() && l.say_per_s > 0.0) {
            return bad("limits.say_per_s", "must be a positive number");
        }
        if l.action_burst == 0 {
            return bad("limits.action_burst", "must be positive");
        }
        if !(l.action_per_s.is_finite() && l.action_per_s > 0.0) {
            return bad("limits.action_per_s", "must be a positive number");
        }
        for (key, v) in [
            ("limits.login_failures_per_min", l.login_failures_per_min),
            (
                "limits.login_failures_per_address_per_min",
                l.login_failures_per_address_per_min,
            ),
            (
                "limits.registrations_per_address_per_hour",
                l.registrations_per_address_per_hour,
            ),
        ] {
            if v == 0 {
                return bad(key, "must be positive");
            }
        }
        if l.default_room_capacity == 0 || l.default_room_capacity > i32::MAX as u32 {
            return bad("limits.default_room_capacity", "must be a positive integer");
        }
        // 16,000 four-byte characters fit MySQL's TEXT column (65,535 bytes)
        if l.max_text_chars == 0 || l.max_text_chars > 16_000 {
            return bad("limits.max_text_chars", "must be 1 to 16000");
        }
        if l.max_outbound_bytes < 4096 {
            return bad("limits.max_outbound_bytes", "must be at least 4096");
        }
        if self.tls.cert.is_empty() != self.tls.key.is_empty() {
            return bad(
                "tls.cert",
                "tls.cert and tls.key go together: set both or neither",
            );
        }
        let m = &self.moderation;
        if m.filter_strikes == 0 {
            return bad("moderation.filter_strikes", "must be positive");
        }
        if m.filter_window_s == 0 {
            return bad("moderation.filter_window_s", "must be positive");
        }
        if m.auto_mute_s == 0 {
            return bad("moderation.auto_mute_s", "must be positive");
        }
        let irc = &self.irc;
        // a server name goes into every line's prefix: no spaces, no
        // line ends, and a dot so clients do not take it for a nick
        let server_name_ok = !irc.server_name.is_empty()
            && irc.server_name.len() <= 63
            && irc.server_name.contains('.')
            && irc
                .server_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !server_name_ok {
            return bad(
                "irc.server_name",
                "must be a host name with a dot (letters, digits, '-', '.'; at most 63)",
            );
        }
        if irc.network.is_empty()
            || irc.network.len() > 32
            || !irc
                .network
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad("irc.network", "must be 1 to 32 letters, digits, '-' or '_'");
        }
        if irc.motd.chars().any(|c| c == '\r' || c == '\0') || irc.motd.len() > 8192 {
            return bad("irc.motd", "must be at most 8192 bytes without CR or NUL");
        }
        if !matches!(self.server.room_creation.as_str(), "anyone" | "moderators") {
            return bad(
                "server.room_creation",
                "must be \"anyone\" or \"moderators\"",
            );
        }
        if self.database.pool_size == 0 {
            return bad("database.pool_size", "must be positive");
        }
        if self.database.chat_log_batch_rows == 0 || self.database.chat_log_batch_rows > 4000 {
            return bad("database.chat_log_batch_rows", "must be 1 to 4000");
        }
        if !matches!(
            self.database
                .sqlite_synchronous
                .to_ascii_uppercase()
                .as_str(),
            "FULL" | "NORMAL" | "EXTRA"
        ) {
            return bad(
                "database.sqlite_synchronous",
                "must be FULL, NORMAL or EXTRA",
            );
        }
        let url = crate::store::DatabaseUrl::parse(&self.database.url)
            .map_err(|e| format!("bad configuration: database.url: {e}"))?;
        if self.cluster.enabled() {
            if !matches!(url, crate::store::DatabaseUrl::Mysql { .. }) {
                return bad(
                    "cluster.nats_url",
                    "a cluster needs a MySQL/MariaDB database (database.url = \"mysql://...\"); SQLite is one node's file",
                );
            }
            let token = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            };
            if !self.cluster.node.is_empty() && !token(&self.cluster.node) {
                return bad("cluster.node", "must be letters, digits, _ or -");
            }
            if !self.cluster.prefix().split('.').all(token) {
                return bad(
                    "cluster.subject_prefix",
                    "must be NATS tokens (letters, digits, _ or -) separated by dots",
                );
            }
        }
        Ok(())
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.limits.idle_timeout_s)
    }

    pub fn pool_options(&self) -> crate::store::PoolOptions {
        crate::store::PoolOptions {
            max_size: self.database.pool_size,
            connection_timeout: Duration::from_secs(self.database.connect_timeout_s.max(1)),
            sqlite_synchronous: self.database.sqlite_synchronous.to_ascii_uppercase(),
            migrate: true,
            sqlite_checkpointer: true,
        }
    }
}

/// `MODCHAT_LIMITS__SAY_PER_S=100` sets `[limits] say_per_s = 100`. A value
/// that parses as TOML (number, boolean, quoted string) is taken as such,
/// anything else as a plain string. `MODCHAT_DATABASE_URL` is the contract's
/// short form of `MODCHAT_DATABASE__URL`. Variables without `__` are not ours.
fn apply_env(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), String> {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("MODCHAT_") else {
            continue;
        };
        let (section, key) = if rest == "DATABASE_URL" {
            ("database".to_owned(), "url".to_owned())
        } else if let Some((s, k)) = rest.split_once("__") {
            (s.to_ascii_lowercase(), k.to_ascii_lowercase())
        } else {
            continue;
        };
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.clone()));
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(sec) = entry else {
            return Err(format!(
                "bad configuration: {name}: [{section}] is not a section"
            ));
        };
        sec.insert(key, parsed);
    }
    Ok(())
}
