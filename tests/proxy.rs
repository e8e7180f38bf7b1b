//! docs/cluster.md "Behind a load balancer": from an address in
//! `[server] proxy_protocol_from`, a TCP connection starts with a PROXY
//! header (v1 or v2) and a WebSocket upgrade carries `X-Forwarded-For`;
//! the client's address found there is the one `login_events.ip`, `who`
//! and the per-address rules use. The headers here are written by hand.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::client::TestClient;
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::accounts;
use modchat::store::schema::login_events;
use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;

both_backends!(
    headers_name_the_client,
    a_proxy_must_send_a_header,
    a_proxy_line_from_anyone_else_is_bad_json,
    the_cap_counts_the_proxied_address,
    websocket_uses_the_last_forwarded_for
);

const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

fn v1(client: &str, port: u16) -> Vec<u8> {
    let family = if client.contains(':') { "TCP6" } else { "TCP4" };
    let server = if client.contains(':') {
        "::1"
    } else {
        "127.0.0.1"
    };
    format!("PROXY {family} {client} {server} {port} 6001\r\n").into_bytes()
}

/// A v2 PROXY header for `client` (IPv4 or IPv6), with a NOOP TLV after the
/// addresses as HAProxy may add TLVs.
fn v2(client: SocketAddr) -> Vec<u8> {
    let (family, mut body) = match client {
        SocketAddr::V4(a) => (
            0x11,
            [a.ip().octets().to_vec(), vec![127, 0, 0, 1]].concat(),
        ),
        SocketAddr::V6(a) => (0x21, [a.ip().octets().to_vec(), [0; 16].to_vec()].concat()),
    };
    body.extend_from_slice(&client.port().to_be_bytes());
    body.extend_from_slice(&6001u16.to_be_bytes());
    body.extend_from_slice(&[0x04, 0, 1, 0]);
    let mut h = V2_SIGNATURE.to_vec();
    h.extend_from_slice(&[0x21, family]);
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(&body);
    h
}

/// v2 `LOCAL`: the proxy's own connection (a health check).
fn v2_local() -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    h.extend_from_slice(&[0x20, 0x00, 0, 0]);
    h
}

fn trusting(b: Backend, f: impl FnOnce(&mut modchat::config::Config)) -> TestServer {
    TestServer::start_with(b, |c| {
        c.server.proxy_protocol_from = vec!["127.0.0.1/32".into()];
        f(c);
    })
}

/// A connection through the "proxy": `header` first.
fn through(srv: &TestServer, header: &[u8]) -> TestClient {
    let mut c = TestClient::connect(srv.addr);
    c.send_raw(header);
    c
}

/// The `ip` of every login event of `name`.
fn login_ips(srv: &mut TestServer, name: &str) -> Vec<String> {
    let db = srv.store();
    let mut conn = db.conn().expect("conn");
    login_events::table
        .filter(login_events::username.eq(name))
        .order(login_events::id)
        .select(login_events::ip)
        .load(&mut conn)
        .expect("login events")
}

/// An admin's `who`: each user's connections as (addr, transport).
fn connections(admin: &mut TestClient, name: &str) -> Vec<(String, String)> {
    let r = admin.ok(json!({"type": "who"}));
    let users = r["users"].as_array().expect("users");
    let u = users
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("{name} in who: {r}"));
    u["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| {
            (
                c["addr"].as_str().expect("addr").to_owned(),
                c["transport"].as_str().expect("transport").to_owned(),
            )
        })
        .collect()
}

fn admin(srv: &mut TestServer) -> TestClient {
    let db = srv.store();
    let hash = modchat::auth::hash_password(PASSWORD, 4).expect("hash");
    accounts::create(&mut db.conn().expect("conn"), "boss", &hash, Role::Admin).expect("admin");
    let mut c = through(srv, &v2("198.51.100.20:40000".parse().expect("addr")));
    c.login("boss");
    c
}

fn headers_name_the_client(b: Backend) {
    let mut srv = trusting(b, |_| {});
    let mut boss = admin(&mut srv);

    // v1, with the first request in the same write as the header
    let mut alice = TestClient::connect(srv.addr);
    let register = json!({"type": "register", "id": 0, "username": "alice", "password": PASSWORD});
    alice.send_raw(
        &[
            v1("203.0.113.7", 51000),
            format!("{register}\n").into_bytes(),
        ]
        .concat(),
    );
    assert_eq!(alice.next_frame()["type"], "ok");
    alice.login("alice");

    // v2 over IPv6
    let mut bob = through(&srv, &v2("[2001:db8::5]:41000".parse().expect("addr")));
    bob.ok(json!({"type": "register", "username": "bob", "password": PASSWORD}));
    bob.login("bob");

    // v1 over IPv6, and v2 LOCAL (the proxy's own check: its own address)
    let mut carol = through(&srv, &v1("2001:db8::7", 42000));
    carol.ok(json!({"type": "register", "username": "carol", "password": PASSWORD}));
    carol.login("carol");
    let mut check = through(&srv, &v2_local());
    check.ok(json!({"type": "ping"}));
    check.ok(json!({"type": "register", "username": "dave", "password": PASSWORD}));
    check.login("dave");

    assert_eq!(login_ips(&mut srv, "alice"), ["203.0.113.7"]);
    assert_eq!(login_ips(&mut srv, "bob"), ["2001:db8::5"]);
    assert_eq!(login_ips(&mut srv, "carol"), ["2001:db8::7"]);
    assert_eq!(login_ips(&mut srv, "dave"), ["127.0.0.1"]);
    assert_eq!(login_ips(&mut srv, "boss"), ["198.51.100.20"]);
    let tcp = |a: &str| vec![(a.to_owned(), "tcp".to_owned())];
    assert_eq!(connections(&mut boss, "alice"), tcp("203.0.113.7:51000"));
    assert_eq!(connections(&mut boss, "bob"), tcp("[2001:db8::5]:41000"));
    assert_eq!(connections(&mut boss, "carol"), tcp("[2001:db8::7]:42000"));
    assert_eq!(connections(&mut boss, "boss"), tcp("198.51.100.20:40000"));
    let dave = connections(&mut boss, "dave");
    assert!(dave[0].0.starts_with("127.0.0.1:"), "{dave:?}");
}

/// From a trusted proxy, a connection without a valid header is closed
/// before anything it sent is read as a request.
fn a_proxy_must_send_a_header(b: Backend) {
    let srv = trusting(b, |_| {});
    let mut bare = TestClient::connect(srv.addr);
    bare.send(json!({"type": "ping", "id": 1}));
    bare.expect_closed();
    let mut bad = through(&srv, b"PROXY TCP4 nope 127.0.0.1 1 2\r\n");
    bad.send(json!({"type": "ping", "id": 1}));
    bad.expect_closed();
    let mut long = through(&srv, &[&b"PROXY TCP4 "[..], &[b'1'; 300]].concat());
    long.expect_closed();
    // a header and nothing else stays open
    let mut good = through(&srv, &v1("203.0.113.7", 1));
    good.ok(json!({"type": "ping"}));
}

/// From any other address a PROXY line is just a line that is not JSON,
/// and the peer's own address counts.
fn a_proxy_line_from_anyone_else_is_bad_json(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        c.server.proxy_protocol_from = vec!["10.0.0.0/8".into()];
    });
    let mut c = through(&srv, &v1("203.0.113.7", 51000));
    let r = c.next_frame();
    assert_eq!(
        (&r["type"], &r["code"]),
        (&json!("error"), &json!("bad_json")),
        "{r}"
    );
    c.ok(json!({"type": "register", "username": "alice", "password": PASSWORD}));
    c.login("alice");
    assert_eq!(login_ips(&mut srv, "alice"), ["127.0.0.1"]);
}

fn the_cap_counts_the_proxied_address(b: Backend) {
    let srv = trusting(b, |c| c.limits.max_connections_per_address = 2);
    let mut open: Vec<TestClient> = (0..2)
        .map(|i| {
            let mut c = through(&srv, &v1("203.0.113.7", 1000 + i));
            c.ok(json!({"type": "ping"}));
            c
        })
        .collect();
    let mut third = through(&srv, &v1("203.0.113.7", 1003));
    let r = third.next_frame();
    assert_eq!(r["code"], "rate_limited", "{r}");
    third.expect_closed();
    // the proxy's own address and other clients behind it are not counted
    // against 203.0.113.7
    let mut other = through(&srv, &v1("203.0.113.8", 1004));
    other.ok(json!({"type": "ping"}));
    open[0].ok(json!({"type": "ping"}));
    open.clear();
}

type Ws = tungstenite::WebSocket<TcpStream>;

/// A WebSocket through the "proxy", with these `X-Forwarded-For` headers;
/// the HTTP status when the upgrade is refused.
fn ws_forwarded(http: SocketAddr, xff: &[&str]) -> Result<Ws, u16> {
    let mut req = format!("ws://{http}/ws")
        .into_client_request()
        .expect("request");
    for v in xff {
        req.headers_mut()
            .append("X-Forwarded-For", v.parse().expect("header value"));
    }
    let stream = TcpStream::connect(http).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    match tungstenite::client(req, stream) {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            Err(r.status().as_u16())
        }
        Err(e) => panic!("upgrade: {e}"),
    }
}

fn ws_ok(ws: &mut Ws, id: u64, mut req: Value) -> Value {
    req["id"] = json!(id);
    ws.send(tungstenite::Message::text(req.to_string()))
        .expect("send");
    loop {
        if let tungstenite::Message::Text(t) = ws.read().expect("read") {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["re"] == json!(id) {
                assert_eq!(v["type"], "ok", "{req}: {v}");
                return v;
            }
        }
    }
}

/// Behind the proxy a WebSocket's client is the rightmost
/// `X-Forwarded-For` entry (the one the proxy added; those to its left came
/// with the request); without one the upgrade is refused (400); the cap
/// counts that address.
fn websocket_uses_the_last_forwarded_for(b: Backend) {
    let mut srv = trusting(b, |c| c.limits.max_connections_per_address = 2);
    let http = srv.http.expect("http");
    let mut boss = admin(&mut srv);

    let spoofed = ["198.51.100.1", "10.0.0.1, 203.0.113.9"];
    let mut ws = ws_forwarded(http, &spoofed).expect("upgrade");
    ws_ok(
        &mut ws,
        1,
        json!({"type": "register", "username": "erin", "password": PASSWORD}),
    );
    ws_ok(
        &mut ws,
        2,
        json!({"type": "login", "username": "erin", "password": PASSWORD}),
    );
    assert_eq!(login_ips(&mut srv, "erin"), ["203.0.113.9"]);
    assert_eq!(
        connections(&mut boss, "erin"),
        [("203.0.113.9".to_owned(), "ws".to_owned())]
    );

    assert_eq!(
        ws_forwarded(http, &[]).err(),
        Some(400),
        "no X-Forwarded-For"
    );
    assert_eq!(ws_forwarded(http, &["not an address"]).err(), Some(400));

    let _second = ws_forwarded(http, &["203.0.113.9"]).expect("the second from 203.0.113.9");
    assert_eq!(
        ws_forwarded(http, &["203.0.113.9"]).err(),
        Some(429),
        "the third from 203.0.113.9"
    );
    assert!(
        ws_forwarded(http, &["203.0.113.10"]).is_ok(),
        "another client"
    );
}
