//! The real `modchat serve` binary (README.md: Run; docs/protocol.md:
//! transports and framing for `GET /health`, events for `shutdown`): the
//! listening line, a short chat, SIGTERM, and refusing a bad configuration.
//! SQLite only: these need no MariaDB.

// only the client is used here
#[allow(unused_imports)]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::client::TestClient;
use serde_json::{json, Value};

/// `modchat serve` over a database in `dir`, with no MODCHAT_* variables
/// but the given ones, on port 0.
fn serve(dir: &tempfile::TempDir, url: Option<&str>, env: &[(&str, &str)]) -> Command {
    let default_url = format!("sqlite://{}", dir.path().join("s.db").display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modchat"));
    cmd.args([
        "serve",
        "--database-url",
        url.unwrap_or(&default_url),
        "--listen",
        "127.0.0.1:0",
        "--http-listen",
        "127.0.0.1:0",
    ])
    .current_dir(dir.path())
    .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("MODCHAT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("MODCHAT_AUTH__BCRYPT_COST", "4");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Waits (bounded) for the process to exit; kills it and fails if it does not.
fn wait_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("modchat did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a `serve` that must refuse to start; returns its status and stderr.
fn refused(cmd: &mut Command) -> (ExitStatus, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn modchat");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = wait_exit(&mut child, Duration::from_secs(10));
    (status, reader.join().expect("stderr reader"))
}

fn health(addr: SocketAddr) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connect http");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read http response");
    let (head, body) = resp.split_once("\r\n\r\n").expect("headers end");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

/// README.md: Run; docs/protocol.md: transports and framing (`GET /health`),
/// events (`shutdown`)
#[test]
fn serve_chat_health_and_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = serve(&dir, None, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn modchat");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(line)) => line,
        other => {
            let _ = child.kill();
            panic!("no listening line on stdout: {other:?}");
        }
    };
    let v: Value = serde_json::from_str(&first).expect("the listening line is JSON");
    let addr = |k: &str| -> SocketAddr {
        v["listening"][k]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("listening.{k} in {first}"))
    };
    let (tcp, http) = (addr("tcp"), addr("http"));
    assert_ne!(tcp.port(), 0);

    let mut c = TestClient::connect(tcp);
    c.ok(json!({"type": "register", "username": "alice", "password": "password1"}));
    let r = c.login("alice");
    assert_eq!(r["rooms"], json!([]));
    let r = c.ok(json!({"type": "create_room", "room": "Smoke"}));
    assert_eq!(r["room"]["name"], "smoke");
    let said = c.ok(json!({"type": "say", "room": "smoke", "text": "hello 👋"}));
    let r = c.ok(json!({"type": "history", "room": "smoke"}));
    assert_eq!(r["messages"][0]["id"], said["id"]);
    assert_eq!(r["messages"][0]["text"], "hello 👋");
    let mut idle = TestClient::connect(tcp);
    idle.ok(json!({"type": "ping"}));

    let (status, body) = health(http);
    assert!(status.contains(" 200"), "status line {status:?}");
    assert_eq!(body.trim_end(), "ok");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let e = c.event("shutdown");
    assert!(e["reason"].is_string(), "{e}");
    c.expect_closed();
    idle.event("shutdown");
    idle.expect_closed();
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(
        rx.recv_timeout(Duration::from_secs(1))
            .map_or(true, |l| l.is_err()),
        "one line on stdout only"
    );
    assert!(dir.path().join("s.db").exists());
}

/// README.md: Configuration (an unknown key stops the server, exit code 2)
#[test]
fn serve_refuses_an_unknown_config_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, stderr) = refused(&mut serve(&dir, None, &[("MODCHAT_LIMITS__NOPE", "1")]));
    assert!(!status.success(), "exit status {status}; stderr: {stderr}");
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("nope"), "stderr names the key: {stderr}");
}

/// README.md: Configuration (a bad value stops the server, exit code 2)
#[test]
fn serve_refuses_a_bad_config_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, stderr) = refused(&mut serve(
        &dir,
        None,
        &[("MODCHAT_LIMITS__IDLE_TIMEOUT_S", "0")],
    ));
    assert!(!status.success(), "exit status {status}; stderr: {stderr}");
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("idle_timeout_s"),
        "stderr names the key: {stderr}"
    );
}

/// README.md: Run (`--database-url` is `sqlite://` or `mysql://`)
#[test]
fn serve_refuses_an_unsupported_database_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (status, stderr) = refused(&mut serve(&dir, Some("postgres://x"), &[]));
    assert!(!status.success(), "exit status {status}; stderr: {stderr}");
    assert!(
        stderr.contains("postgres://x") && stderr.contains("sqlite://"),
        "stderr says what is wrong with the url: {stderr}"
    );
}
