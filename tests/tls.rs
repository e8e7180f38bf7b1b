//! docs/protocol.md "Transports and framing" (TLS): with `[tls] cert` and
//! `key`, TCP speaks TLS and HTTP speaks HTTPS, WebSocket as `wss`; a TLS
//! user and a WSS user talk in one room; clients verify the server.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::server::PASSWORD;
use common::{Backend, TestServer};
use modchat::transport::tls;
use serde_json::{json, Value};

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A certificate for localhost and 127.0.0.1, and a server using it.
fn tls_server(dir: &Path) -> TestServer {
    tls_server_on(dir, Backend::Sqlite)
}

fn tls_server_on(dir: &Path, b: Backend) -> TestServer {
    let (cert, key) = tls::self_signed(&["localhost".into(), "127.0.0.1".into()]).expect("cert");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    tls::write_new(&c, &cert, false).expect("write cert");
    tls::write_new(&k, &key, true).expect("write key");
    TestServer::start_with(b, |cfg| {
        cfg.tls.cert = c.display().to_string();
        cfg.tls.key = k.display().to_string();
    })
}

fn connect_tls(addr: SocketAddr, ca: &Path) -> Result<Tls, std::io::Error> {
    let config = tls::client_config(Some(ca)).expect("client config");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(config, name).expect("client");
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // finish the handshake now, so a bad certificate shows here
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock)?;
    }
    Ok(s)
}

/// The protocol over TLS, a line at a time.
struct LineClient {
    r: BufReader<Tls>,
    next: u64,
}

impl LineClient {
    fn request(&mut self, mut req: Value) -> Value {
        self.next += 1;
        req["id"] = json!(self.next);
        let w = self.r.get_mut();
        w.write_all(format!("{req}\n").as_bytes()).expect("write");
        w.flush().expect("flush");
        loop {
            let v = self.frame();
            if v["re"] == json!(self.next) {
                return v;
            }
        }
    }
    fn frame(&mut self) -> Value {
        let mut line = String::new();
        self.r.read_line(&mut line).expect("read");
        serde_json::from_str(&line).expect("json line")
    }
    fn event(&mut self, ty: &str) -> Value {
        loop {
            let v = self.frame();
            if v["type"] == ty {
                return v;
            }
        }
    }
}

#[test]
fn tls_and_wss_share_a_room() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = tls_server(dir.path());
    let ca = dir.path().join("cert.pem");
    let http = s.http.expect("http");

    let mut alice = LineClient {
        r: BufReader::new(connect_tls(s.addr, &ca).expect("TLS to the TCP listener")),
        next: 0,
    };
    assert_eq!(
        alice.request(json!({"type": "register", "username": "alice", "password": PASSWORD}))
            ["type"],
        "ok"
    );
    assert_eq!(
        alice.request(json!({"type": "login", "username": "alice", "password": PASSWORD}))["type"],
        "ok"
    );
    alice.request(json!({"type": "create_room", "room": "secure"}));

    let stream = connect_tls(http, &ca).expect("TLS to the HTTP listener");
    let (mut bob, _) = tungstenite::client(format!("wss://localhost:{}/ws", http.port()), stream)
        .expect("wss handshake");
    let bob_req = |bob: &mut tungstenite::WebSocket<Tls>, v: Value| -> Value {
        bob.send(tungstenite::Message::text(v.to_string()))
            .expect("send");
        loop {
            if let tungstenite::Message::Text(t) = bob.read().expect("read") {
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if v.get("re").is_some() || v["type"] != "joined" && v["type"] != "message" {
                    return v;
                }
            }
        }
    };
    bob_req(
        &mut bob,
        json!({"type": "register", "id": 1, "username": "bob", "password": PASSWORD}),
    );
    bob_req(
        &mut bob,
        json!({"type": "login", "id": 2, "username": "bob", "password": PASSWORD}),
    );
    assert_eq!(
        bob_req(&mut bob, json!({"type": "join", "id": 3, "room": "secure"}))["type"],
        "ok"
    );
    alice.request(json!({"type": "say", "room": "secure", "text": "over tls"}));
    let got = loop {
        if let tungstenite::Message::Text(t) = bob.read().expect("read") {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "message" {
                break v;
            }
        }
    };
    assert_eq!(got["text"], "over tls");
    bob.send(tungstenite::Message::text(
        json!({"type": "say", "id": 4, "room": "secure", "text": "over wss"}).to_string(),
    ))
    .expect("send");
    assert_eq!(alice.event("message")["text"], "over wss");
    // an admin over TLS sees both connections' transports
    let mut s = s;
    let db = s.store();
    let hash = modchat::auth::hash_password(PASSWORD, 4).expect("hash");
    modchat::store::accounts::create(
        &mut db.conn().expect("conn"),
        "root",
        &hash,
        modchat::model::Role::Admin,
    )
    .expect("admin");
    let mut root = LineClient {
        r: BufReader::new(connect_tls(s.addr, &ca).expect("tls")),
        next: 0,
    };
    assert_eq!(
        root.request(json!({"type": "login", "username": "root", "password": PASSWORD}))["type"],
        "ok"
    );
    let who = root.request(json!({"type": "who"}));
    let mut transports: Vec<&str> = who["users"]
        .as_array()
        .expect("users")
        .iter()
        .flat_map(|u| u["connections"].as_array().into_iter().flatten())
        .filter_map(|c| c["transport"].as_str())
        .collect();
    transports.sort();
    assert_eq!(
        transports,
        ["tls", "tls", "wss"],
        "alice and root on TLS, bob on WSS"
    );

    // HTTPS health check
    let mut h = connect_tls(http, &ca).expect("https");
    h.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut resp = String::new();
    let _ = h.read_to_string(&mut resp);
    assert!(
        resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200"),
        "{resp}"
    );
}

#[test]
fn clients_verify_the_server_and_plain_clients_get_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = tls_server(dir.path());
    // a client trusting another certificate refuses the server
    let other = tempfile::tempdir().expect("tempdir");
    let (cert, _) = tls::self_signed(&["localhost".into()]).expect("cert");
    let wrong = other.path().join("other.pem");
    tls::write_new(&wrong, &cert, false).expect("write");
    let e = connect_tls(s.addr, &wrong).expect_err("an unknown issuer");
    assert!(
        e.to_string().contains("certificate") || e.to_string().contains("issuer"),
        "{e}"
    );

    // plain JSON to the TLS port gets no reply, and the server carries on
    let mut plain = TcpStream::connect(s.addr).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain.write_all(b"{\"type\":\"ping\"}\n").expect("write");
    let mut buf = [0u8; 256];
    let n = plain.read(&mut buf).unwrap_or(0);
    assert!(!String::from_utf8_lossy(&buf[..n]).contains("\"ok\""));
    let ok = connect_tls(s.addr, &dir.path().join("cert.pem")).expect("the server still works");
    let mut c = LineClient {
        r: BufReader::new(ok),
        next: 0,
    };
    assert_eq!(c.request(json!({"type": "ping"}))["type"], "ok");
}

#[test]
fn a_bad_certificate_stops_the_server_at_start() {
    let mut config = modchat::config::Config::default();
    config.server.listen = "127.0.0.1:0".into();
    config.server.http_listen = String::new();
    config.tls.cert = "/nonexistent/cert.pem".into();
    config.tls.key = "/nonexistent/key.pem".into();
    let e = modchat::server::Listeners::bind(&config)
        .err()
        .expect("refused");
    assert!(format!("{e:#}").contains("tls.cert"), "{e:#}");
}

/// `modchat chat --tls --ca FILE` verifies the server and talks over TLS
/// (the plain line mode, from a pipe); without the CA it refuses.
#[test]
fn terminal_client_over_tls() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("tempdir");
    let s = tls_server(dir.path());
    let ca = dir.path().join("cert.pem");
    let run = |ca: Option<&Path>, script: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modchat"));
        cmd.args([
            "chat",
            "--tls",
            "--server",
            &s.addr.to_string(),
            "--register",
        ]);
        if let Some(ca) = ca {
            cmd.arg("--ca").arg(ca);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("modchat chat");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = run(
        Some(&ca),
        &format!("tina\n{PASSWORD}\n/create vault\nsecret hello\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("[vault]") && stdout.contains("tina: secret hello"),
        "{stdout}"
    );

    let out = run(None, &format!("tom\n{PASSWORD}\n"));
    assert!(!out.status.success(), "an unknown issuer must be refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS"), "{err}");
}

/// `modchat gen-cert` writes a certificate and a key only its owner may
/// read, never overwrites, and a server starts with what it wrote.
#[test]
fn gen_cert_writes_a_pair_a_server_can_use() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_modchat"))
            .args([
                "gen-cert",
                "--host",
                "localhost",
                "--host",
                "127.0.0.1",
                "--cert",
            ])
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .output()
            .expect("modchat gen-cert")
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("MODCHAT_TLS__CERT="));
    let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key is for its owner only");
    let again = run();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let s = TestServer::start_with(Backend::Sqlite, |cfg| {
        cfg.tls.cert = cert.display().to_string();
        cfg.tls.key = key.display().to_string();
    });
    let mut c = LineClient {
        r: BufReader::new(connect_tls(s.addr, &cert).expect("TLS with the generated pair")),
        next: 0,
    };
    assert_eq!(c.request(json!({"type": "version"}))["protocol"], 1);
}

both_backends!(every_https_answer_carries_hsts);

/// Under TLS every HTTP answer (files, endpoints, 404, 405, a refused
/// upgrade, HTTP/1.0) carries `Strict-Transport-Security`; without TLS
/// none does (a browser ignores it over plain HTTP anyway).
fn every_https_answer_carries_hsts(b: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = tls_server_on(dir.path(), b);
    let ca = dir.path().join("cert.pem");
    let http = s.http.expect("http");
    let answer = |method: &str, path: &str, version: &str| -> String {
        let req = format!(
            "{method} {path} {version}\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        let mut raw = Vec::new();
        let mut h = connect_tls(http, &ca).expect("https");
        h.write_all(req.as_bytes()).expect("write");
        let _ = h.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        text.split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    for (method, path, version, status) in [
        ("GET", "/", "HTTP/1.1", "200"),
        ("HEAD", "/app.js", "HTTP/1.1", "200"),
        ("GET", "/healthz", "HTTP/1.1", "200"),
        ("GET", "/metrics", "HTTP/1.1", "200"),
        ("GET", "/nowhere", "HTTP/1.1", "404"),
        ("POST", "/", "HTTP/1.1", "405"),
        ("GET", "/ws", "HTTP/1.1", "426"),
        ("GET", "/ws", "HTTP/1.0", "400"),
        ("GET", "/", "HTTP/1.0", "200"),
    ] {
        let head = answer(method, path, version);
        assert!(
            head.starts_with(&format!("{} {status}", version.to_ascii_lowercase()))
                || head.starts_with(&format!("http/1.1 {status}")),
            "{method} {path} {version}: {head}"
        );
        assert!(
            head.contains("\r\nstrict-transport-security: max-age=31536000"),
            "{method} {path} {version}: {head}"
        );
    }
    drop(s);
    let plain = TestServer::start(b);
    let mut h = TcpStream::connect(plain.http.expect("http")).expect("http");
    h.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    h.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut raw = String::new();
    let _ = h.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase()
            .contains("strict-transport-security"),
        "{raw}"
    );
}

/// `openssl` with `args`: (exit success, stdout and stderr).
fn openssl(args: &[&str], cert: &Path) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .arg(cert)
        .output()
        .expect("openssl (Debian package openssl)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `modchat gen-cert` makes a certificate a CA could have issued for the
/// hosts given: CN and SANs, at most 825 days, keyUsage, extendedKeyUsage
/// serverAuth, both key identifiers; OpenSSL verifies it for a TLS server
/// once trusted; both files 0600, never over an existing file.
#[test]
fn gen_cert_is_a_server_certificate_for_the_hosts_given() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let gen = |dir: &Path, hosts: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modchat"));
        cmd.arg("gen-cert").current_dir(dir);
        for h in hosts {
            cmd.args(["--host", h]);
        }
        cmd.output().expect("modchat gen-cert")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = gen(dir.path(), &["chat.example.org", "10.1.2.3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (cert, key) = (
        dir.path().join("modchat-cert.pem"),
        dir.path().join("modchat-key.pem"),
    );
    for f in [&cert, &key] {
        let mode = std::fs::metadata(f).expect("written").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }

    let (ok, text) = openssl(&["x509", "-noout", "-text", "-in"], &cert);
    assert!(ok, "{text}");
    let after = |label: &str| -> String {
        let mut lines = text.lines();
        lines.find(|l| l.contains(label));
        lines.next().unwrap_or("").trim().to_owned()
    };
    assert!(
        text.lines()
            .any(|l| l.trim() == "Subject: CN = chat.example.org"),
        "{text}"
    );
    assert!(!text.contains("rcgen"), "{text}");
    assert_eq!(
        after("X509v3 Subject Alternative Name"),
        "DNS:chat.example.org, IP Address:10.1.2.3"
    );
    assert_eq!(
        after("X509v3 Key Usage"),
        "Digital Signature, Key Encipherment"
    );
    assert_eq!(
        after("X509v3 Extended Key Usage"),
        "TLS Web Server Authentication"
    );
    assert!(!after("X509v3 Subject Key Identifier").is_empty(), "{text}");
    assert!(
        !after("X509v3 Authority Key Identifier").is_empty(),
        "{text}"
    );
    assert_eq!(after("X509v3 Basic Constraints"), "CA:FALSE");

    // valid now, for 825 days at most (and more than 824: not a short one)
    let day = 86_400u64;
    let (lasts_824, _) = openssl(
        &[
            "x509",
            "-noout",
            "-checkend",
            &(824 * day).to_string(),
            "-in",
        ],
        &cert,
    );
    assert!(lasts_824, "valid for at least 824 days");
    let (beyond, _) = openssl(
        &[
            "x509",
            "-noout",
            "-checkend",
            &(825 * day + 120).to_string(),
            "-in",
        ],
        &cert,
    );
    assert!(!beyond, "expires within 825 days");
    let ca = cert.display().to_string();
    let (verified, said) = openssl(
        &[
            "verify",
            "-CAfile",
            &ca,
            "-purpose",
            "sslserver",
            "-verify_hostname",
            "chat.example.org",
        ],
        &cert,
    );
    assert!(verified, "openssl verify: {said}");

    // never over existing files: neither is touched, nothing half-written
    let before = (
        std::fs::read(&cert).expect("cert"),
        std::fs::read(&key).expect("key"),
    );
    assert!(!gen(dir.path(), &["other.example.org"]).status.success());
    assert_eq!(
        (
            std::fs::read(&cert).expect("cert"),
            std::fs::read(&key).expect("key")
        ),
        before
    );
    let lone = tempfile::tempdir().expect("tempdir");
    std::fs::write(lone.path().join("modchat-key.pem"), "mine").expect("a key of one's own");
    assert!(!gen(lone.path(), &[]).status.success());
    assert!(
        !lone.path().join("modchat-cert.pem").exists(),
        "no half pair"
    );

    // the default is localhost
    let plain = tempfile::tempdir().expect("tempdir");
    assert!(gen(plain.path(), &[]).status.success());
    let (_, text) = openssl(
        &[
            "x509",
            "-noout",
            "-subject",
            "-ext",
            "subjectAltName",
            "-in",
        ],
        &plain.path().join("modchat-cert.pem"),
    );
    assert!(text.contains("subject=CN = localhost"), "{text}");
    assert!(text.contains("DNS:localhost"), "{text}");
}
