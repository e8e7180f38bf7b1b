//! Clusters for tests: a `nats-server` of the test's own on a free port,
//! one fresh MariaDB database, and `modchat serve` node processes (the
//! real binary, so a node can be killed with SIGKILL), each cluster with
//! its own subject prefix.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::TestClient;
use super::db::{Backend, TestDb};
use super::server::PASSWORD;
use modchat::store::Db;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn nats_server() -> PathBuf {
    if let Ok(p) = std::env::var("NATS_SERVER") {
        return p.into();
    }
    for p in [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    "nats-server".into()
}

fn wait_port(port: u16, up: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "port {port} did not become {}",
        if up { "open" } else { "closed" }
    );
}

/// A NATS server of the test's own, so stopping it touches nothing else.
pub struct Nats {
    child: Option<Child>,
    pub port: u16,
}

impl Nats {
    pub fn start() -> Nats {
        let mut n = Nats {
            child: None,
            port: free_port(),
        };
        n.start_again();
        n
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on the same port.
    pub fn start_again(&mut self) {
        let child = Command::new(nats_server())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nats-server ({e}); scripts/test installs it"));
        self.child = Some(child);
        wait_port(self.port, true);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        wait_port(self.port, false);
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One `modchat serve` process.
pub struct Node {
    child: Option<Child>,
    pub name: String,
    pub addr: SocketAddr,
    pub http: SocketAddr,
    /// The node's IRC gateway.
    pub irc: SocketAddr,
    pub log: PathBuf,
}

impl Node {
    pub fn connect(&self) -> TestClient {
        TestClient::connect(self.addr)
    }

    /// SIGKILL: no goodbye, nothing flushed.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, and the exit status once it has stopped.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("a running node");
        let status = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        c.wait().expect("wait")
    }

    /// `GET path` on the node's HTTP listener: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.http).expect("http connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").expect("http write");
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// A `modchat_...` series' value in /metrics (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        let (_, body) = self.get("/metrics");
        body.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub nats: Nats,
    pub db: TestDb,
    pub prefix: String,
    dir: tempfile::TempDir,
}

impl Cluster {
    /// `n` nodes on loopback, each seeing the others.
    pub fn start(n: usize) -> Cluster {
        let db = TestDb::new(Backend::Mysql);
        let nats = Nats::start();
        let prefix = format!(
            "t{}x{}",
            std::process::id(),
            free_port() // unique enough among concurrent tests
        );
        let mut c = Cluster {
            nodes: Vec::new(),
            nats,
            db,
            prefix,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        // the first node creates the schema alone
        for i in 1..=n {
            let node = c.spawn(&format!("n{i}"));
            c.nodes.push(node);
        }
        c.wait_mesh();
        c
    }

    /// Starts a node process and waits for its listening line.
    pub fn spawn(&self, name: &str) -> Node {
        let log = self.dir.path().join(format!("{name}.log"));
        let err = std::fs::File::create(&log).expect("log file");
        // option_env: admin-tools' tests include tests/common too, and
        // have no modchat binary
        let Some(bin) = option_env!("CARGO_BIN_EXE_modchat") else {
            panic!("no modchat binary in this test crate");
        };
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--http-listen",
                "127.0.0.1:0",
                "--irc-listen",
                "127.0.0.1:0",
            ])
            .env("MODCHAT_DATABASE_URL", &self.db.url)
            .env("MODCHAT_CLUSTER__NATS_URL", self.nats.url())
            .env("MODCHAT_CLUSTER__NODE", name)
            .env("MODCHAT_CLUSTER__SUBJECT_PREFIX", &self.prefix)
            .env("MODCHAT_AUTH__BCRYPT_COST", "4")
            .env("MODCHAT_LIMITS__SAY_BURST", "1000")
            .env("MODCHAT_LIMITS__SAY_PER_S", "1000")
            .env("MODCHAT_LIMITS__MAX_CONNECTIONS_PER_ADDRESS", "0")
            .env("MODCHAT_LIMITS__ACTION_BURST", "1000000")
            .env("MODCHAT_LIMITS__ACTION_PER_S", "1000000")
            .env(
                "MODCHAT_LIMITS__REGISTRATIONS_PER_ADDRESS_PER_HOUR",
                "1000000",
            )
            .env("MODCHAT_SERVER__IO_THREADS", "1")
            .env("MODCHAT_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("start a node");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("listening line");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "node {name} did not start ({e}): {line}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let addr = v["listening"]["tcp"]
            .as_str()
            .expect("tcp")
            .parse()
            .expect("addr");
        let http = v["listening"]["http"]
            .as_str()
            .expect("http")
            .parse()
            .expect("addr");
        let irc = v["listening"]["irc"]
            .as_str()
            .expect("irc")
            .parse()
            .expect("addr");
        Node {
            child: Some(child),
            name: name.to_owned(),
            addr,
            http,
            irc,
            log,
        }
    }

    /// Waits until every live node hears all the others.
    pub fn wait_mesh(&self) {
        let live: Vec<&Node> = self.nodes.iter().filter(|n| n.child.is_some()).collect();
        let want = (live.len() - 1) as f64;
        let deadline = Instant::now() + Duration::from_secs(15);
        for n in &live {
            while n.metric("modchat_cluster_nodes") != want {
                if Instant::now() > deadline {
                    self.dump_logs();
                    panic!("node {} does not hear the other {want} nodes", n.name);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Registers `name` on node `i` (0-based) and logs it in there.
    pub fn user(&self, i: usize, name: &str) -> TestClient {
        let mut c = self.nodes[i].connect();
        c.ok(json!({"type": "register", "username": name, "password": PASSWORD}));
        c.login(name);
        c
    }

    /// Logs an existing account in on node `i`.
    pub fn login(&self, i: usize, name: &str) -> TestClient {
        let mut c = self.nodes[i].connect();
        c.login(name);
        c
    }

    /// Creates an account with a role in the database and logs it in on
    /// node `i`.
    pub fn account(&self, i: usize, name: &str, role: modchat::model::Role) -> TestClient {
        let db = self.store();
        let hash = modchat::auth::hash_password(PASSWORD, 4).expect("hash");
        modchat::store::accounts::create(&mut db.conn().expect("conn"), name, &hash, role)
            .expect("create account");
        self.login(i, name)
    }

    pub fn store(&self) -> Db {
        self.db.open()
    }

    pub fn dump_logs(&self) {
        for n in &self.nodes {
            eprintln!(
                "---- {} ----\n{}",
                n.name,
                std::fs::read_to_string(&n.log).unwrap_or_default()
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump_logs();
        }
    }
}
