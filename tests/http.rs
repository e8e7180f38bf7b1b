//! docs/protocol.md "HTTP": every path answers `HEAD` as it answers `GET`,
//! another method gets 405 with `Allow`; `/metrics` is Prometheus text
//! 0.0.4 unless the client asks for OpenMetrics, and `promtool check
//! metrics` finds nothing in it; the web client's files are compressed as
//! the client asks, with an `ETag` that `If-None-Match` turns into 304;
//! nothing a remote client sends makes the server log at ERROR, and its log
//! has no colour codes when stderr is not a terminal.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::ws::WsClient;
use common::{Backend, TestServer};
use serde_json::json;

/// An answer read off the socket: status, headers (names lower-cased; a
/// repeated header keeps its last value), body (de-chunked, not decoded).
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` as written (`Connection: close` is the caller's) and reads
/// the answer to the end of the connection.
fn exchange(stream: &mut (impl Read + Write), request: &str) -> Answer {
    stream.write_all(request.as_bytes()).expect("write");
    stream.flush().expect("flush");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw, request.starts_with("HEAD "))
}

fn parse(raw: &[u8], head: bool) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    let head_text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&rest[..eol]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        rest = &rest[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn connect(http: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(http).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

/// `METHOD path` over HTTP/1.1 with extra header lines.
fn request(http: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method != "GET" && method != "HEAD" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    exchange(&mut connect(http), &req)
}

const PATHS: &[&str] = &[
    "/", "/app.css", "/net.js", "/healthz", "/metrics", "/health", "/ws",
];

both_backends!(
    head_answers_as_get_and_other_methods_get_405,
    metrics_are_prometheus_text_that_promtool_accepts,
    web_client_files_are_compressed_and_revalidated,
    remote_clients_cannot_make_error_log_lines
);

/// HEAD: GET's status and headers, no body. POST, PUT, DELETE, PATCH,
/// OPTIONS on a known path: 405 with `Allow: GET, HEAD`; unknown paths 404.
fn head_answers_as_get_and_other_methods_get_405(b: Backend) {
    let s = TestServer::start(b);
    let http = s.http.expect("http");
    for &path in PATHS {
        let get = request(http, "GET", path, &[]);
        let head = request(http, "HEAD", path, &[]);
        assert_eq!(head.status, get.status, "HEAD {path}: {head:?}");
        assert_ne!(head.status, 404, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} sent a body: {head:?}");
        for h in ["content-type", "etag", "content-security-policy", "upgrade"] {
            assert_eq!(head.header(h), get.header(h), "HEAD {path}: {h}");
        }
        if let Some(len) = get.header("content-length") {
            assert_eq!(head.header("content-length"), Some(len), "HEAD {path}");
        }
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let a = request(http, method, path, &[]);
            assert_eq!(a.status, 405, "{method} {path}: {a:?}");
            assert_eq!(a.header("allow"), Some("GET, HEAD"), "{method} {path}");
        }
    }
    assert_eq!(request(http, "GET", "/nowhere", &[]).status, 404);
    assert_eq!(request(http, "HEAD", "/nowhere", &[]).status, 404);
    assert_eq!(request(http, "POST", "/nowhere", &[]).status, 404);
}

/// `/metrics` with `body`'s every check: names, HELP and TYPE per family,
/// and `promtool check metrics` printing nothing.
fn check_exposition(body: &str) {
    let mut helped = Vec::new();
    let mut typed = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.push(rest.split(' ').next().unwrap_or("").to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.push(rest.split(' ').next().unwrap_or("").to_owned());
        } else if !line.is_empty() {
            assert!(line.starts_with("modchat_"), "{line}");
            assert!(!line.starts_with('#'), "{line}");
        }
    }
    assert_eq!(helped, typed, "each family has HELP and TYPE:\n{body}");
    assert!(typed.iter().all(|n| n.starts_with("modchat_")), "{typed:?}");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus)");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("feed promtool");
    let out = promtool.wait_with_output().expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}\n---\n{body}"
    );
}

/// Text 0.0.4 by default and for Prometheus-text clients; OpenMetrics only
/// when `Accept` prefers it; every family there from the first scrape,
/// labelled ones with their series at zero; promtool finds nothing before
/// and after traffic.
fn metrics_are_prometheus_text_that_promtool_accepts(b: Backend) {
    let s = TestServer::start(b);
    let http = s.http.expect("http");
    let fresh = request(http, "GET", "/metrics", &[]);
    assert_eq!(fresh.status, 200);
    assert_eq!(
        fresh.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = fresh.text();
    check_exposition(&body);
    for series in [
        "modchat_messages_total 0",
        r#"modchat_connections{transport="tcp"} 0"#,
        r#"modchat_connections{transport="wss"} 0"#,
        r#"modchat_errors_total{code="rate_limited"} 0"#,
        r#"modchat_errors_total{code="internal"} 0"#,
        "modchat_chat_log_commit_seconds_count 0",
        "# TYPE modchat_build_info gauge",
    ] {
        assert!(
            body.lines().any(|l| l.starts_with(series)),
            "{series} in\n{body}"
        );
    }
    assert!(!body.contains("# EOF"), "OpenMetrics' trailer in 0.0.4");

    // some traffic: every transport's count, messages, errors
    let mut a = s.user("alice");
    let mut w = WsClient::user(http, "bob");
    a.ok(json!({"type": "create_room", "room": "lobby"}));
    w.ok(json!({"type": "join", "room": "lobby"}));
    a.ok(json!({"type": "say", "room": "lobby", "text": "hi"}));
    w.err(json!({"type": "join", "room": "nowhere"}), "no_such_room");
    let busy = request(
        http,
        "GET",
        "/metrics",
        &[("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")],
    );
    assert_eq!(
        busy.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = busy.text();
    check_exposition(&body);
    assert!(body.contains("modchat_messages_total 1\n"), "{body}");
    assert!(
        body.contains("modchat_errors_total{code=\"no_such_room\"} 1\n"),
        "{body}"
    );

    // Prometheus's own Accept header prefers OpenMetrics
    let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for accept in [prom, "application/openmetrics-text"] {
        let om = request(http, "GET", "/metrics", &[("Accept", accept)]);
        assert_eq!(
            om.header("content-type"),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            "{accept}"
        );
        assert!(om.text().ends_with("# EOF\n"), "{}", om.text());
    }
    let text_first = request(
        http,
        "GET",
        "/metrics",
        &[(
            "Accept",
            "text/plain;version=0.0.4,application/openmetrics-text;q=0.5",
        )],
    );
    assert!(text_first
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
}

/// gzip and br as asked, the same bytes once decoded, `Vary`, an `ETag`
/// that holds across encodings, 304 for a matching `If-None-Match`.
fn web_client_files_are_compressed_and_revalidated(b: Backend) {
    let s = TestServer::start(b);
    let http = s.http.expect("http");
    for path in ["/", "/app.css", "/net.js", "/timeline.js"] {
        let plain = request(http, "GET", path, &[]);
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        let etag = plain.header("etag").expect("an ETag").to_owned();
        assert!(etag.ends_with('"'), "{etag}");

        let gz = request(http, "GET", path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{path}");
        assert!(gz
            .header("vary")
            .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")));
        assert_eq!(gz.header("etag"), Some(etag.as_str()));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz.body[..])
            .read_to_end(&mut unzipped)
            .expect("gunzip");
        assert_eq!(unzipped, plain.body, "{path}");
        assert!(gz.body.len() < plain.body.len(), "{path} smaller gzipped");

        let br = request(
            http,
            "GET",
            path,
            &[("Accept-Encoding", "br;q=1.0, gzip;q=0.5")],
        );
        assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
        let mut unbrotli = Vec::new();
        brotli::Decompressor::new(&br.body[..], 4096)
            .read_to_end(&mut unbrotli)
            .expect("brotli");
        assert_eq!(unbrotli, plain.body, "{path}");

        for tag in [etag.as_str(), "\"nope\", W/\"x\", ", "*"] {
            let tags = if tag.ends_with(", ") {
                format!("{tag}{etag}")
            } else {
                tag.to_owned()
            };
            let again = request(
                http,
                "GET",
                path,
                &[("If-None-Match", &tags), ("Accept-Encoding", "gzip")],
            );
            assert_eq!(again.status, 304, "{path} If-None-Match {tags}");
            assert!(again.body.is_empty());
            assert_eq!(again.header("etag"), Some(etag.as_str()));
        }
        let changed = request(http, "GET", path, &[("If-None-Match", "W/\"other\"")]);
        assert_eq!(changed.status, 200);
        assert_eq!(changed.body, plain.body);
    }
}

/// `modchat serve` as a process with stderr on a pipe: oversized headers,
/// bad HTTP versions, garbage request lines, a WebSocket upgrade over
/// HTTP/1.0, broken frames, and TLS garbage on both TLS listeners give no
/// ERROR line, and no line carries an ANSI escape.
fn remote_clients_cannot_make_error_log_lines(b: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let (c, k) = modchat::transport::tls::self_signed(&["localhost".into()]).expect("cert");
    modchat::transport::tls::write_new(&cert, &c, true).expect("cert");
    modchat::transport::tls::write_new(&key, &k, true).expect("key");
    let db = common::db::TestDb::new(b);

    // plain listeners: HTTP-level garbage
    // peer faults asked for at DEBUG: there they are, at DEBUG
    let plain = Served::start(&db.url, None, Some("info,modchat::peer=debug"));
    let http = plain.http;
    let mut huge = connect(http);
    let big = "x".repeat(128 * 1024);
    let _ = write!(
        huge,
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n"
    );
    drain(&mut huge);
    for garbage in [
        "GET / HTTP/9.9\r\nHost: localhost\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: localhost\r\n".to_owned() + &"X-A: b\r\n".repeat(200) + "\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\x7c\x03\x03garbage\r\n\r\n".to_owned(),
        "BREW /pot HTCPCP/1.0\r\n\r\n".to_owned(),
        "GET /ws HTTP/1.0\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_owned(),
        "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_owned(),
        "\0\0\0\0\r\n\r\n".to_owned(),
    ] {
        let mut s = connect(http);
        let _ = s.write_all(garbage.as_bytes());
        drain(&mut s);
    }
    let mut ws = WsClient::connect(http);
    ws.ws
        .get_mut()
        .write_all(&[0xf1, 0x80, 0, 0, 0, 0])
        .expect("a frame with reserved bits");
    let _ = ws.expect_close();
    let mut tcp = connect(plain.tcp);
    tcp.write_all(&[0xff; 70_000]).expect("a long line");
    tcp.write_all(b"\n").expect("newline");
    let _ = BufReader::new(&mut tcp).read_line(&mut String::new());
    let plain_log = plain.stop();

    // TLS listeners: handshake garbage, and a client that hangs up mid-way
    let tls = Served::start(&db.url, Some((&cert, &key)), None);
    for addr in [tls.tcp, tls.http] {
        for garbage in [
            &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
            &[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5][..],
            &[0x16, 0x03, 0x03, 0xff, 0xff][..],
            &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28][..],
        ] {
            let mut s = connect(addr);
            let _ = s.write_all(garbage);
            drain(&mut s);
        }
        // an HTTPS request with oversized headers
        let config = modchat::transport::tls::client_config(Some(&cert)).expect("client");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let conn = rustls::ClientConnection::new(config, name).expect("client");
        let mut s = rustls::StreamOwned::new(conn, connect(addr));
        let _ = write!(
            s,
            "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n\r\n"
        );
        let _ = s.flush();
        drain(&mut s);
    }
    let config = modchat::transport::tls::client_config(Some(&cert)).expect("client");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(config, name).expect("client");
    let mut s = rustls::StreamOwned::new(conn, connect(tls.http));
    let _ = s.write_all(b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n");
    let _ = s.flush();
    drain(&mut s);
    let tls_log = tls.stop();

    assert!(
        plain_log.contains("DEBUG modchat::peer: stream error: request parse error"),
        "{plain_log}"
    );
    for (what, log) in [("plain", plain_log), ("tls", tls_log)] {
        assert!(
            !log.contains('\x1b'),
            "{what}: ANSI codes in a piped log:\n{log}"
        );
        let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
        assert!(
            errors.is_empty(),
            "{what}: ERROR lines from remote input:\n{log}"
        );
        assert!(log.contains("accepting connections"), "{what}: {log}");
    }
}

/// Reads until the server closes (or 10 s pass).
fn drain(s: &mut impl Read) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// `modchat serve` as a child process on port 0.
struct Served {
    child: std::process::Child,
    /// stderr, read as it comes so a full pipe never blocks the server
    log: std::thread::JoinHandle<String>,
    tcp: SocketAddr,
    http: SocketAddr,
}

impl Served {
    fn start(
        url: &str,
        tls: Option<(&std::path::Path, &std::path::Path)>,
        log: Option<&str>,
    ) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modchat"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--database-url",
            url,
        ])
        .env_remove("MODCHAT_LOG")
        .env("MODCHAT_AUTH__BCRYPT_COST", "4")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if let Some(filter) = log {
            cmd.env("MODCHAT_LOG", filter);
        }
        if let Some((cert, key)) = tls {
            cmd.env("MODCHAT_TLS__CERT", cert)
                .env("MODCHAT_TLS__KEY", key);
        }
        let mut child = cmd.spawn().expect("modchat serve");
        let mut stderr = child.stderr.take().expect("stderr");
        let log = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("the listening line");
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let addr = |k: &str| {
            v["listening"][k]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("no {k} in {line}"))
        };
        Served {
            log,
            tcp: addr("tcp"),
            http: addr("http"),
            child,
        }
    }

    /// SIGTERM, then everything it wrote to stderr.
    fn stop(mut self) -> String {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(term.success());
        let status = self.child.wait().expect("wait");
        let log = self.log.join().expect("stderr reader");
        assert!(status.success(), "exit {status:?}:\n{log}");
        log
    }
}
