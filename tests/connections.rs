//! docs/protocol.md "Connections": the per-address connection cap over
//! every transport, the login deadline, and the TLS listener's handshake
//! limit and ALPN.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::client::TestClient;
use common::ws::WsClient;
use common::{Backend, TestServer};
use modchat::transport::tls;
use serde_json::{json, Value};

both_backends!(
    cap_counts_every_transport,
    cap_counts_tls_connections,
    login_deadline,
    tls_handshake_limit_and_alpn
);

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

/// A TCP connection that was accepted: it answers `ping`.
fn accepted(addr: SocketAddr) -> TestClient {
    let mut c = TestClient::connect(addr);
    c.ok(json!({"type": "ping"}));
    c
}

/// What a connection over the cap gets on TCP: one `error` line, then the
/// end of the stream. `None` when the connection was accepted instead.
fn refusal(addr: SocketAddr) -> Option<Value> {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    // an accepted connection answers; a refused one has written its line
    // already
    (&s).write_all(b"{\"type\":\"ping\",\"id\":1}\n").ok();
    let mut line = String::new();
    r.read_line(&mut line).expect("a line");
    let v: Value = serde_json::from_str(&line).expect("json");
    if v["type"] == "ok" {
        return None;
    }
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    assert!(rest.is_empty(), "nothing after the refusal: {rest:?}");
    Some(v)
}

/// Whether an upgrade is accepted (the WebSocket is closed at once), or its
/// HTTP status.
fn ws_status(http: SocketAddr) -> Result<(), u16> {
    let stream = TcpStream::connect(http).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    match tungstenite::client(format!("ws://{http}/ws"), stream) {
        Ok(_) => Ok(()),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            Err(r.status().as_u16())
        }
        Err(e) => panic!("upgrade: {e}"),
    }
}

/// At most `max_connections_per_address` open at once from one address,
/// TCP and WebSocket together; the next TCP connection gets one
/// `rate_limited` line and is closed, the next upgrade gets 429; a slot
/// comes back when a connection closes.
fn cap_counts_every_transport(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.limits.max_connections_per_address = 5);
    let http = srv.http.expect("http");
    let mut alice = srv.user("alice");
    let mut tcp: Vec<TestClient> = (0..2).map(|_| accepted(srv.addr)).collect();
    let mut ws = WsClient::user(http, "bob");
    let mut ws2 = WsClient::connect(http);
    ws2.ok(json!({"type": "ping"}));
    // five open: alice, two TCP, two WebSocket

    let r = refusal(srv.addr).expect("the sixth TCP connection is refused");
    assert_eq!(
        (&r["type"], &r["code"], &r["for"], &r["re"]),
        (
            &json!("error"),
            &json!("rate_limited"),
            &Value::Null,
            &Value::Null
        ),
        "{r}"
    );
    assert_eq!(ws_status(http).err(), Some(429), "the sixth upgrade");
    // those open are untouched
    alice.ok(json!({"type": "ping"}));
    ws.ok(json!({"type": "ping"}));

    // one closes: its slot is free again (once the server has seen it go)
    drop(tcp.pop());
    assert!(
        within(Duration::from_secs(10), || refusal(srv.addr).is_none()),
        "a connection is accepted again after one closed"
    );
    drop(ws2);
    assert!(
        within(Duration::from_secs(10), || ws_status(http).is_ok()),
        "an upgrade is accepted again after a WebSocket closed"
    );
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A certificate for localhost and a server using it, adjusted by `f`.
fn tls_server(b: Backend, dir: &Path, f: impl FnOnce(&mut modchat::config::Config)) -> TestServer {
    let (cert, key) = tls::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("cert");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    tls::write_new(&c, &cert, false).expect("write cert");
    tls::write_new(&k, &key, true).expect("write key");
    TestServer::start_with(b, |cfg| {
        cfg.tls.cert = c.display().to_string();
        cfg.tls.key = k.display().to_string();
        f(cfg);
    })
}

/// A TLS client that offers `alpn` (nothing when empty).
fn connect_tls(addr: SocketAddr, ca: &Path, alpn: &[&str]) -> std::io::Result<Tls> {
    let mut config = (*tls::client_config(Some(ca)).expect("client config")).clone();
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(s)
}

/// One request over a TLS line connection; its reply.
fn tls_request(s: &mut BufReader<Tls>, req: Value) -> Value {
    let w = s.get_mut();
    w.write_all(format!("{req}\n").as_bytes()).expect("write");
    w.flush().expect("flush");
    loop {
        let mut line = String::new();
        s.read_line(&mut line).expect("read");
        assert!(
            !line.is_empty(),
            "closed while waiting for the reply to {req}"
        );
        let v: Value = serde_json::from_str(&line).expect("json");
        if v["re"] == req["id"] {
            return v;
        }
    }
}

/// TLS connections count too; one over the cap is closed before its
/// handshake (a refusal in words would cost the handshake).
fn cap_counts_tls_connections(b: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("cert.pem");
    let srv = tls_server(b, dir.path(), |c| c.limits.max_connections_per_address = 2);
    let mut open: Vec<BufReader<Tls>> = (0..2)
        .map(|_| BufReader::new(connect_tls(srv.addr, &ca, &[]).expect("TLS")))
        .collect();
    for c in &mut open {
        assert_eq!(
            tls_request(c, json!({"type": "ping", "id": 1}))["type"],
            "ok"
        );
    }
    assert!(
        connect_tls(srv.addr, &ca, &[]).is_err(),
        "the third TLS connection is closed before its handshake"
    );
    drop(open.pop());
    assert!(
        within(Duration::from_secs(10), || connect_tls(srv.addr, &ca, &[])
            .is_ok()),
        "accepted again once one closed"
    );
}

/// A connection that has not logged in within `login_timeout_s` is
/// closed, on TCP and WebSocket; a logged-in one stays.
fn login_deadline(b: Backend) {
    let srv = TestServer::start_with(b, |c| c.limits.login_timeout_s = 1);
    let http = srv.http.expect("http");
    let opened = Instant::now();
    let mut idle = TestClient::connect(srv.addr);
    let mut busy = TestClient::connect(srv.addr); // busy, but never logs in
    let mut idle_ws = WsClient::connect(http);
    let mut user = srv.user("alice");
    let mut ws_user = WsClient::user(http, "bob");
    for _ in 0..3 {
        busy.ok(json!({"type": "version"}));
        std::thread::sleep(Duration::from_millis(200));
    }
    idle.expect_closed();
    busy.expect_closed();
    idle_ws.expect_close();
    assert!(
        opened.elapsed() >= Duration::from_millis(900),
        "closed at the deadline, not before ({:?})",
        opened.elapsed()
    );
    // logged in in time: they stay, past the deadline
    std::thread::sleep(Duration::from_millis(500));
    user.ok(json!({"type": "ping"}));
    ws_user.ok(json!({"type": "ping"}));
}

/// Whether the server closes a connection that sends nothing (a
/// handshake never started) within `limit`; `false` when it is still open
/// after `limit`.
fn closes_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).expect("timeout");
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => panic!("{n} bytes from a server waiting for a handshake"),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    }
}

/// Both TLS listeners give a handshake 10 s (the JSON port and HTTPS); the
/// JSON port names no ALPN protocol and takes clients that offer any (or
/// none), while HTTPS still agrees on `http/1.1`.
fn tls_handshake_limit_and_alpn(b: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("cert.pem");
    let srv = tls_server(b, dir.path(), |_| {});
    let http = srv.http.expect("http");

    for offered in [&[][..], &["h2", "x-modchat"][..], &["http/1.1"][..]] {
        let s = connect_tls(srv.addr, &ca, offered)
            .unwrap_or_else(|e| panic!("the JSON port refused ALPN {offered:?}: {e}"));
        assert_eq!(s.conn.alpn_protocol(), None, "offered {offered:?}");
        let mut s = BufReader::new(s);
        assert_eq!(
            tls_request(&mut s, json!({"type": "ping", "id": 1}))["type"],
            "ok"
        );
    }
    let s = connect_tls(http, &ca, &["h2", "http/1.1"]).expect("HTTPS");
    assert_eq!(s.conn.alpn_protocol(), Some(&b"http/1.1"[..]));

    // a client that opens a connection and never starts its handshake
    let silent: Vec<(SocketAddr, &str)> = vec![(srv.addr, "the TLS JSON port"), (http, "HTTPS")];
    let waits: Vec<_> = silent
        .into_iter()
        .map(|(addr, what)| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).expect("connect");
                let opened = Instant::now();
                assert!(
                    !closes_within(&mut s, Duration::from_secs(8)),
                    "{what} closed a silent connection after {:?}, before 10 s",
                    opened.elapsed()
                );
                assert!(
                    closes_within(&mut s, Duration::from_secs(5)),
                    "{what} still holds a silent connection after {:?}",
                    opened.elapsed()
                );
            })
        })
        .collect();
    for w in waits {
        w.join().expect("a listener's handshake limit");
    }
}
