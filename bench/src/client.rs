//! A minimal protocol client for load: newline JSON over TCP, split into a
//! reading and a writing half so one connection can send and receive at once.

use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpSocket;

pub struct Reader(Lines<BufReader<OwnedReadHalf>>);
pub struct Writer {
    wr: OwnedWriteHalf,
    next: u64,
}

impl Reader {
    /// The next line as it came, unparsed (the receivers' fast path).
    pub async fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        Ok(self.0.next_line().await?)
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
        let mut line = serde_json::to_vec(&req)?;
        line.push(b'\n');
        self.wr.write_all(&line).await?;
        Ok(self.next)
    }
}

/// Connects from `from` (a 127.0.0.x address, to spread connections past
/// one source address's ephemeral ports) or any address.
pub async fn connect(server: SocketAddr, from: Option<IpAddr>) -> anyhow::Result<(Reader, Writer)> {
    let sock = if server.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = from {
        sock.bind(SocketAddr::new(ip, 0))
            .with_context(|| format!("cannot bind {ip}"))?;
    }
    let s = sock
        .connect(server)
        .await
        .with_context(|| format!("cannot connect to {server}"))?;
    let _ = s.set_nodelay(true);
    let (rd, wr) = s.into_split();
    Ok((Reader(BufReader::new(rd).lines()), Writer { wr, next: 0 }))
}

/// Connects and logs in as `name`, registering it first when it is new.
pub async fn login(
    server: SocketAddr,
    from: Option<IpAddr>,
    name: &str,
    password: &str,
) -> anyhow::Result<(Reader, Writer)> {
    let (mut r, mut w) = connect(server, from).await?;
    let id = w
        .send(json!({"type": "register", "username": name, "password": password}))
        .await?;
    let reg = r.reply(id).await?;
    if reg["type"] != "ok" && reg["code"] != "username_taken" {
        bail!("register {name}: {reg}");
    }
    let id = w
        .send(json!({"type": "login", "username": name, "password": password}))
        .await?;
    let v = r.reply(id).await?;
    if v["type"] != "ok" {
        bail!("login {name}: {v}");
    }
    Ok((r, w))
}

/// Sends a request and waits for its reply.
pub async fn call(r: &mut Reader, w: &mut Writer, req: Value) -> anyhow::Result<Value> {
    let id = w.send(req).await?;
    r.reply(id).await
}
