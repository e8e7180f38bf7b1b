//! docs/protocol.md "Transports and framing": a session whose unsent output
//! passes `max_outbound_bytes` is disconnected and its memory freed, on
//! every transport. A member of a flooded room that stops reading (over
//! TCP, TLS and WebSocket) must lose its socket on the server (its file
//! descriptor closed, so it sees the end of the stream once it reads) and
//! the server's memory must come back near where it was.
//!
//! RSS and descriptors are the test process's own (the server runs in
//! it), so the tests of this file run one at a time and nothing else
//! runs in this binary.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::client::TestClient;
use common::server::PASSWORD;
use common::ws::WsClient;
use common::{Backend, TestServer};
use modchat::transport::tls;
use serde_json::{json, Value};

both_backends!(
    tcp_non_reader,
    tls_non_reader,
    websocket_non_reader,
    kicked_tcp_non_reader,
    kicked_websocket_non_reader
);

/// One measuring test at a time: they read the whole process's RSS and
/// descriptors.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How far above its starting point the server's RSS may stay once the
/// non-reader is gone (the allocator keeps some of what the flood used).
const RSS_SLACK: u64 = 15 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Tcp,
    Tls,
    Ws,
}

fn tcp_non_reader(b: Backend) {
    non_reader(b, Kind::Tcp)
}

fn tls_non_reader(b: Backend) {
    non_reader(b, Kind::Tls)
}

fn websocket_non_reader(b: Backend) {
    non_reader(b, Kind::Ws)
}

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("VmRSS");
    kb * 1024
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("fd dir").count()
}

/// The inode of the server's end of the TCP connection from `client` to
/// `server`, from /proc/net/tcp.
fn server_socket_inode(server: SocketAddr, client: SocketAddr) -> Option<u64> {
    let hex = |a: SocketAddr| match a {
        SocketAddr::V4(v4) => format!(
            "{:08X}:{:04X}",
            u32::from_le_bytes(v4.ip().octets()),
            v4.port()
        ),
        SocketAddr::V6(_) => String::new(),
    };
    let (local, remote) = (hex(server), hex(client));
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&local.as_str()) && f.get(2) == Some(&remote.as_str()))
            .then(|| f.get(9)?.parse().ok())
            .flatten()
    })
}

/// How many descriptors this process holds on connections accepted by a
/// listener on one of `ports`: the server's ends of its clients'
/// connections, whatever the database pool and the test's own clients do.
fn server_conns(ports: &[u16]) -> usize {
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(t) = std::fs::read_to_string(table) else {
            continue;
        };
        for l in t.lines().skip(1) {
            let f: Vec<&str> = l.split_whitespace().collect();
            let port = f
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // 0A: LISTEN, the listeners themselves
            if port.is_some_and(|p| ports.contains(&p)) && f.get(3) != Some(&"0A") {
                if let Some(i) = f.get(9).and_then(|i| i.parse::<u64>().ok()) {
                    inodes.insert(i);
                }
            }
        }
    }
    std::fs::read_dir("/proc/self/fd")
        .expect("fd dir")
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            l.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()
        })
        .filter(|i| inodes.contains(i))
        .count()
}

/// Whether this process still holds a descriptor on socket `inode`.
fn holds_socket(inode: u64) -> bool {
    let want = format!("socket:[{inode}]");
    std::fs::read_dir("/proc/self/fd")
        .expect("fd dir")
        .flatten()
        .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy() == want))
}

/// Whether `f` came true within `limit`.
fn within(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !f() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A member that logs in, joins, then stops reading; only its socket is
/// kept to read the end of the stream later.
enum Silent {
    Tcp(TestClient),
    Tls(Box<BufReader<Tls>>),
    Ws(Box<WsClient>),
}

impl Silent {
    fn connect(kind: Kind, srv: &TestServer, ca: &Path, name: &str, room: &str) -> Silent {
        match kind {
            Kind::Tcp => {
                let mut c = srv.user(name);
                c.ok(json!({"type": "join", "room": room}));
                Silent::Tcp(c)
            }
            Kind::Ws => {
                let mut c = WsClient::user(srv.http.expect("http"), name);
                c.ok(json!({"type": "join", "room": room}));
                Silent::Ws(Box::new(c))
            }
            Kind::Tls => {
                let mut c = BufReader::new(connect_tls(srv.addr, ca));
                for req in [
                    json!({"type": "register", "id": 1, "username": name, "password": PASSWORD}),
                    json!({"type": "login", "id": 2, "username": name, "password": PASSWORD}),
                    json!({"type": "join", "id": 3, "room": room}),
                ] {
                    let w = c.get_mut();
                    w.write_all(format!("{req}\n").as_bytes()).expect("write");
                    w.flush().expect("flush");
                    loop {
                        let mut line = String::new();
                        c.read_line(&mut line).expect("read");
                        let v: Value = serde_json::from_str(&line).expect("json");
                        if v["re"] == req["id"] {
                            assert_eq!(v["type"], "ok", "{req}: {v}");
                            break;
                        }
                    }
                }
                Silent::Tls(Box::new(c))
            }
        }
    }

    fn local_addr(&self) -> SocketAddr {
        match self {
            Silent::Tcp(c) => c.local_addr(),
            Silent::Tls(c) => c.get_ref().sock.local_addr().expect("addr"),
            Silent::Ws(c) => c.ws.get_ref().local_addr().expect("addr"),
        }
    }

    /// Reads what is left until the server's end of the stream (or a
    /// reset); panics if it does not come within `limit`.
    fn read_to_end(self, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        let timed_out = |e: &std::io::Error| {
            matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                && Instant::now() < deadline
        };
        match self {
            Silent::Tcp(mut c) => total += c.drain_until_closed(limit),
            Silent::Tls(mut c) => {
                c.get_ref()
                    .sock
                    .set_read_timeout(Some(Duration::from_millis(200)))
                    .expect("timeout");
                loop {
                    match c.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => total += n,
                        Err(e) if timed_out(&e) => {}
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                        {
                            panic!(
                                "the server did not close the TLS connection ({total} bytes read)"
                            )
                        }
                        Err(_) => break,
                    }
                }
            }
            Silent::Ws(mut c) => loop {
                match c.ws.read() {
                    Ok(m) => total += m.len(),
                    Err(tungstenite::Error::Io(e)) if timed_out(&e) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                    {
                        panic!("the server did not close the WebSocket ({total} bytes read)")
                    }
                    Err(_) => break,
                }
            },
        }
        total
    }
}

fn connect_tls(addr: SocketAddr, ca: &Path) -> Tls {
    let config = tls::client_config(Some(ca)).expect("client config");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(config, name).expect("client");
    let tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).expect("handshake");
    }
    s
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// The member that floods the room, over the transport under test's
/// listener (TLS when the server has it): requests are written in batches
/// as deep as the server pipelines `say`s, then their replies read.
struct Talker {
    io: BufReader<Box<dyn Stream>>,
    next: u64,
}

impl Talker {
    fn connect(srv: &TestServer, ca: &Path, tls: bool) -> Talker {
        let io: Box<dyn Stream> = match tls {
            true => Box::new(connect_tls(srv.addr, ca)),
            false => {
                let s = TcpStream::connect(srv.addr).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("timeout");
                Box::new(s)
            }
        };
        let mut t = Talker {
            io: BufReader::new(io),
            next: 0,
        };
        t.ok(json!({"type": "register", "username": "talker", "password": PASSWORD}));
        t.ok(json!({"type": "login", "username": "talker", "password": PASSWORD}));
        t
    }

    fn send(&mut self, mut req: Value) -> u64 {
        self.next += 1;
        req["id"] = json!(self.next);
        let w = self.io.get_mut();
        w.write_all(format!("{req}\n").as_bytes()).expect("write");
        self.next
    }

    /// The reply to `id` (events in between are skipped).
    fn reply(&mut self, id: u64) -> Value {
        loop {
            let mut line = String::new();
            self.io.read_line(&mut line).expect("read");
            assert!(!line.is_empty(), "the talker was disconnected");
            let v: Value = serde_json::from_str(&line).expect("json");
            if v["re"] == json!(id) {
                return v;
            }
        }
    }

    fn ok(&mut self, req: Value) -> Value {
        let id = self.send(req.clone());
        self.io.get_mut().flush().expect("flush");
        let r = self.reply(id);
        assert_eq!(r["type"], "ok", "{req}: {r}");
        r
    }

    /// `n` says of `text` in `room`.
    fn flood(&mut self, room: &str, n: usize, text: &str) {
        for batch in (0..n).collect::<Vec<_>>().chunks(32) {
            let ids: Vec<u64> = batch
                .iter()
                .map(|_| self.send(json!({"type": "say", "room": room, "text": text})))
                .collect();
            self.io.get_mut().flush().expect("flush");
            for id in ids {
                let r = self.reply(id);
                assert_eq!(r["type"], "ok", "say {id}: {r}");
            }
        }
    }
}

fn non_reader(b: Backend, kind: Kind) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("cert.pem");
    let srv = TestServer::start_with(b, |c| {
        if kind == Kind::Tls {
            let (cert, key) =
                tls::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("cert");
            let k = dir.path().join("key.pem");
            tls::write_new(&ca, &cert, false).expect("write cert");
            tls::write_new(&k, &key, true).expect("write key");
            c.tls.cert = ca.display().to_string();
            c.tls.key = k.display().to_string();
        }
    });
    let mut talker = Talker::connect(&srv, &ca, kind == Kind::Tls);
    talker.ok(json!({"type": "create_room", "room": "flood"}));
    let text = "😀".repeat(2000);
    // warm up: pools, caches and the allocator's arenas are as the flood
    // will find them
    talker.flood("flood", 300, &text);
    let ports = [srv.addr.port(), srv.http.expect("http").port()];
    let (rss0, fds0, conns0) = (rss(), fds(), server_conns(&ports));

    let silent = Silent::connect(kind, &srv, &ca, "silent", "flood");
    let server_end = match kind {
        Kind::Ws => srv.http.expect("http"),
        _ => srv.addr,
    };
    let inode = server_socket_inode(server_end, silent.local_addr())
        .expect("the server's end of the silent connection in /proc/net/tcp");
    assert!(holds_socket(inode));

    // 2000 messages of 8 kB: 16 MB, far past the 1 MiB queue and the
    // kernel's socket buffers
    talker.flood("flood", 2000, &text);
    let held = (rss(), fds(), server_conns(&ports));
    let closed = within(Duration::from_secs(15), || !holds_socket(inode));
    // the server's descriptors on its connections are back where they were
    let fds_back = within(Duration::from_secs(5), || server_conns(&ports) <= conns0);
    let after = (rss(), fds(), server_conns(&ports));
    eprintln!(
        "{kind:?} non-reader ({b:?}): RSS {} MB before, {} MB at the flood's end, {} MB after; \
         process fds {fds0} before, {} at the flood's end, {} after; the server's connection \
         fds {conns0} before, {} at the flood's end, {} after",
        rss0 / 1_000_000,
        held.0 / 1_000_000,
        after.0 / 1_000_000,
        held.1,
        after.1,
        held.2,
        after.2
    );
    assert!(
        closed,
        "the server still holds its end of the non-reader's socket"
    );
    assert!(
        fds_back,
        "the server holds {} descriptors on connections, {conns0} before",
        after.2
    );
    assert!(
        after.0 <= rss0 + RSS_SLACK,
        "RSS {} MB, was {} MB before the non-reader",
        after.0 / 1_000_000,
        rss0 / 1_000_000
    );
    let read = silent.read_to_end(Duration::from_secs(10));
    assert!(
        read < 2000 * 8000,
        "the non-reader was cut off ({read} bytes read)"
    );
    // the room lives on
    talker.ok(json!({"type": "say", "room": "flood", "text": "still here"}));
    drop(talker);
    assert!(
        within(Duration::from_secs(10), || server_conns(&ports) < conns0),
        "the talker's connection is closed too"
    );
}

fn kicked_tcp_non_reader(b: Backend) {
    kicked_non_reader(b, Kind::Tcp)
}

fn kicked_websocket_non_reader(b: Backend) {
    kicked_non_reader(b, Kind::Ws)
}

/// A member that stopped reading and is kicked while the server's write to
/// it is blocked (its queue under the cap, so it is not dropped for that):
/// its `kicked` event gets the linger (5 s) to be taken, then the socket is
/// closed all the same (a writer waited on it for ever before).
fn kicked_non_reader(b: Backend, kind: Kind) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("cert.pem");
    let mut srv = TestServer::start_with(b, |c| {
        // room for the whole flood: only the kick ends this session
        c.limits.max_outbound_bytes = 64 * 1024 * 1024;
    });
    let mut boss = srv.account("boss", modchat::model::Role::Admin);
    let mut talker = Talker::connect(&srv, &ca, false);
    talker.ok(json!({"type": "create_room", "room": "flood"}));
    let silent = Silent::connect(kind, &srv, &ca, "silent", "flood");
    let server_end = match kind {
        Kind::Ws => srv.http.expect("http"),
        _ => srv.addr,
    };
    let inode = server_socket_inode(server_end, silent.local_addr())
        .expect("the server's end of the silent connection in /proc/net/tcp");
    // 16 MB: the kernel's buffers take a few, the rest waits in the queue
    talker.flood("flood", 2000, &"😀".repeat(2000));
    assert!(
        holds_socket(inode),
        "not dropped: its queue is under the cap"
    );
    let kicked = Instant::now();
    boss.ok(json!({"type": "kick", "user": "silent", "reason": "asleep"}));
    assert!(
        within(Duration::from_secs(15), || !holds_socket(inode)),
        "the server still holds the kicked non-reader's socket after {:?}",
        kicked.elapsed()
    );
    eprintln!(
        "{kind:?} kicked non-reader ({b:?}): socket closed {:?} after the kick",
        kicked.elapsed()
    );
    silent.read_to_end(Duration::from_secs(10));
}
