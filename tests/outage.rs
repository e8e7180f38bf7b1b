//! docs/protocol.md: Durability — while the database cannot be reached a
//! request gets `unavailable` within 10 s, `/healthz` answers 503, the
//! server stays up, and it recovers by itself. The database is cut off by a TCP proxy the test
//! controls, so the shared MariaDB itself is never stopped.
#![cfg(feature = "mysql")]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, TestServer};
use serde_json::json;

struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let mut list = conns2.lock().expect("lock");
                for s in [&client, &server] {
                    list.push(s.try_clone().expect("clone"));
                }
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Proxy { addr, up, conns }
    }

    /// Cuts every connection and refuses new ones.
    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().expect("lock").drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn unavailable_while_the_database_is_down_then_recovers() {
    let base = common::db::mysql_base_url();
    let hostport = base
        .split('@')
        .next_back()
        .and_then(|r| r.split('/').next())
        .expect("host:port");
    let proxy = Proxy::start(hostport.to_owned());
    let srv = TestServer::start_with(Backend::Mysql, |c| {
        c.database.url = c.database.url.replace(hostport, &proxy.addr.to_string());
        c.database.connect_timeout_s = 2;
    });
    let mut u = srv.user("patient");
    u.ok(json!({"type": "create_room", "room": "r"}));
    u.ok(json!({"type": "say", "room": "r", "text": "before"}));

    proxy.down();
    let t0 = Instant::now();
    u.err(
        json!({"type": "say", "room": "r", "text": "during"}),
        "unavailable",
    );
    u.err(json!({"type": "history", "room": "r"}), "unavailable");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t0.elapsed()
    );
    u.ok(json!({"type": "ping"}));
    // the health check says so: 503, naming the database
    let http = srv.http.expect("http listener");
    let (code, body) = common::ws::http_get(http, "/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains(r#""database":"#) && body.contains("unavailable"),
        "{body}"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = u.request(json!({"type": "say", "room": "r", "text": "after"}));
        if r["type"] == "ok" {
            break;
        }
        assert_eq!(r["code"], "unavailable", "{r}");
        assert!(Instant::now() < deadline, "did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, body) = common::ws::http_get(http, "/healthz");
    assert_eq!(code, 200, "healthy again: {body}");
    let h = u.ok(json!({"type": "history", "room": "r"}));
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["before", "after"], "nothing refused was logged");
}
