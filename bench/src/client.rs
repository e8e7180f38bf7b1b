//! A minimal modchat protocol client for load: JSON requests with ids over
//! [`crate::lines`] (TCP or WebSocket), split into a reading and a writing
//! half so one connection can send and receive at once.

use std::net::{IpAddr, SocketAddr};

use anyhow::bail;
use serde_json::{json, Value};

use crate::lines::{self, LineReader, LineWriter};
use crate::Proto;

pub struct Reader(LineReader);
pub struct Writer {
    lines: LineWriter,
    next: u64,
}

impl Reader {
    /// The next line as it came, unparsed (the receivers' fast path).
    pub async fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        self.0.next_line().await
    }

    /// The raw line reader, for receivers that never parse JSON.
    pub fn into_lines(self) -> LineReader {
        self.0
    }

    /// The next frame; `None` when the server closed the connection.
    pub async fn next(&mut self) -> anyhow::Result<Option<Value>> {
        loop {
            match self.0.next_line().await? {
                None => return Ok(None),
                Some(l) => {
                    if let Ok(v) = serde_json::from_str(&l) {
                        return Ok(Some(v));
                    }
                }
            }
        }
    }

    /// Reads until the reply to `id` (events before it are dropped).
    pub async fn reply(&mut self, id: u64) -> anyhow::Result<Value> {
        while let Some(v) = self.next().await? {
            if v["re"] == json!(id) {
                return Ok(v);
            }
        }
        bail!("the server closed the connection")
    }
}

impl Writer {
    /// Sends a request with a fresh id and returns the id.
    pub async fn send(&mut self, mut req: Value) -> anyhow::Result<u64> {
        self.next += 1;
        req["id"] = json!(self.next);
        self.lines.send_line(&req.to_string()).await?;
        Ok(self.next)
    }
}

/// Connects over TCP (`Proto::Modchat`) or WebSocket (`Proto::Ws`, with
/// `server` the HTTP listener), from `from` or any address.
pub async fn connect(
    proto: Proto,
    server: SocketAddr,
    from: Option<IpAddr>,
) -> anyhow::Result<(Reader, Writer)> {
    let (r, w) = match proto {
        Proto::Modchat => lines::tcp(server, from, b"\n").await?,
        Proto::Ws => lines::ws(server, from).await?,
        Proto::Irc => bail!("the modchat client does not speak IRC (see irc.rs)"),
    };
    Ok((Reader(r), Writer { lines: w, next: 0 }))
}

/// Connects and logs in as `name`, registering it first when it is new.
pub async fn login(
    proto: Proto,
    server: SocketAddr,
    from: Option<IpAddr>,
    name: &str,
    password: &str,
) -> anyhow::Result<(Reader, Writer)> {
    let (mut r, mut w) = connect(proto, server, from).await?;
    register(&mut r, &mut w, name, password).await?;
    let v = call(
        &mut r,
        &mut w,
        json!({"type": "login", "username": name, "password": password}),
    )
    .await?;
    if v["type"] != "ok" {
        bail!("login {name}: {v}");
    }
    Ok((r, w))
}

/// Registers `name`; an account left by an earlier run (`username_taken`)
/// is fine, since runs with the same prefix share their accounts.
pub async fn register(
    r: &mut Reader,
    w: &mut Writer,
    name: &str,
    password: &str,
) -> anyhow::Result<()> {
    let v = call(
        r,
        w,
        json!({"type": "register", "username": name, "password": password}),
    )
    .await?;
    if v["type"] != "ok" && v["code"] != "username_taken" {
        bail!("register {name}: {v}");
    }
    Ok(())
}

/// Joins `room`, creating it when there is none yet (another member may
/// create it meanwhile: then joins it).
pub async fn enter(r: &mut Reader, w: &mut Writer, room: &str) -> anyhow::Result<()> {
    let v = call(r, w, json!({"type": "join", "room": room})).await?;
    if v["type"] == "ok" {
        return Ok(());
    }
    anyhow::ensure!(v["code"] == "no_such_room", "join {room}: {v}");
    let v = call(r, w, json!({"type": "create_room", "room": room})).await?;
    if v["type"] != "ok" {
        let j = call(r, w, json!({"type": "join", "room": room})).await?;
        anyhow::ensure!(j["type"] == "ok", "join {room}: {j}");
    }
    Ok(())
}

/// Sends a request and waits for its reply.
pub async fn call(r: &mut Reader, w: &mut Writer, req: Value) -> anyhow::Result<Value> {
    let id = w.send(req).await?;
    r.reply(id).await
}
