//! The soak's connections, on every transport the server has: JSON lines
//! over TCP or TLS, JSON text frames over WebSocket or secure WebSocket.
//! One type for all four, so each load loop runs on any of them; a
//! non-reader asks for a small receive buffer, so the server's queue for
//! it fills within seconds rather than after the kernel's megabytes.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::TcpSocket;
use tokio_rustls::rustls;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A byte stream, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type BoxIo = Box<dyn Io>;
type Ws = WebSocketStream<BoxIo>;

/// How long a request may wait for its reply before the connection is
/// given up: the contract answers `unavailable` within 10 s, so longer
/// means something is stuck.
pub const REPLY_LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ws,
    Tls,
    Wss,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ws => "ws",
            Transport::Tls => "tls",
            Transport::Wss => "wss",
        }
    }

    pub fn is_tls(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }
}

/// Where the servers listen. Under `[tls]` a modchat server speaks TLS on
/// both listeners, so the TLS transports are a second server on the same
/// database.
#[derive(Clone)]
pub struct Endpoints {
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    pub tls: Option<TlsEndpoints>,
}

#[derive(Clone)]
pub struct TlsEndpoints {
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    pub config: Arc<rustls::ClientConfig>,
}

impl Endpoints {
    /// The transports there are: TCP and WebSocket, and their TLS forms
    /// when a TLS server was given.
    pub fn transports(&self) -> Vec<Transport> {
        let mut t = vec![Transport::Tcp, Transport::Ws];
        if self.tls.is_some() {
            t.extend([Transport::Tls, Transport::Wss]);
        }
        t
    }
}

enum Reader {
    Lines(BufReader<ReadHalf<BoxIo>>),
    Ws(SplitStream<Ws>),
}

enum Writer {
    Lines(WriteHalf<BoxIo>),
    Ws(SplitSink<Ws, Message>),
}

/// One connection to the server, requests numbered from 1.
pub struct Conn {
    r: Reader,
    w: Writer,
    next: u64,
    line: String,
}

impl Conn {
    /// Connects over `t` from `from` (a 127.0.0.x address: the server's
    /// per-address rules then see each part of the load as its own
    /// client); `small_rcvbuf` asks the kernel for a 4 KiB receive buffer
    /// (a non-reader).
    pub async fn open(
        ep: &Endpoints,
        t: Transport,
        from: IpAddr,
        small_rcvbuf: bool,
    ) -> anyhow::Result<Conn> {
        let steps = async {
            let (tcp, http) = match (&ep.tls, t.is_tls()) {
                (_, false) => (ep.tcp, ep.http),
                (Some(tls), true) => (tls.tcp, tls.http),
                (None, true) => bail!("no TLS server to connect to"),
            };
            let addr = match t {
                Transport::Tcp | Transport::Tls => tcp,
                Transport::Ws | Transport::Wss => http,
            };
            let sock = TcpSocket::new_v4()?;
            sock.bind(SocketAddr::new(from, 0))
                .with_context(|| format!("cannot bind {from}"))?;
            if small_rcvbuf {
                sock.set_recv_buffer_size(4096)?;
            }
            let s = sock
                .connect(addr)
                .await
                .with_context(|| format!("cannot connect to {addr}"))?;
            let _ = s.set_nodelay(true);
            let io: BoxIo = match &ep.tls {
                Some(tls) if t.is_tls() => {
                    let name = rustls::pki_types::ServerName::try_from("localhost")?;
                    let s = tokio_rustls::TlsConnector::from(tls.config.clone())
                        .connect(name, s)
                        .await
                        .with_context(|| format!("TLS with {addr}"))?;
                    Box::new(s)
                }
                _ => Box::new(s),
            };
            anyhow::Ok(match t {
                Transport::Tcp | Transport::Tls => {
                    let (r, w) = tokio::io::split(io);
                    (Reader::Lines(BufReader::new(r)), Writer::Lines(w))
                }
                Transport::Ws | Transport::Wss => {
                    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), io)
                        .await
                        .with_context(|| format!("WebSocket handshake with {addr}"))?;
                    let (sink, stream) = ws.split();
                    (Reader::Ws(stream), Writer::Ws(sink))
                }
            })
        };
        let (r, w) = tokio::time::timeout(Duration::from_secs(15), steps)
            .await
            .map_err(|_| anyhow::anyhow!("{}: no connection in 15 s", t.name()))??;
        Ok(Conn {
            r,
            w,
            next: 0,
            line: String::new(),
        })
    }

    /// Sends a request with a fresh id and returns the id.
    pub async fn send(&mut self, mut req: Value) -> anyhow::Result<u64> {
        self.next += 1;
        req["id"] = json!(self.next);
        let text = req.to_string();
        match &mut self.w {
            Writer::Lines(w) => {
                let mut buf = text.into_bytes();
                buf.push(b'\n');
                w.write_all(&buf).await?;
                w.flush().await?;
            }
            Writer::Ws(s) => s.send(Message::text(text)).await?,
        }
        Ok(self.next)
    }

    /// The next line or text frame, unparsed; `None` once the server
    /// closed the connection.
    pub async fn next_line(&mut self) -> anyhow::Result<Option<&str>> {
        self.line.clear();
        match &mut self.r {
            Reader::Lines(r) => {
                if r.read_line(&mut self.line).await? == 0 {
                    return Ok(None);
                }
                let end = self.line.trim_end_matches(['\n', '\r']).len();
                self.line.truncate(end);
            }
            Reader::Ws(s) => loop {
                match s.next().await {
                    None | Some(Ok(Message::Close(_))) => return Ok(None),
                    Some(Ok(Message::Text(t))) => {
                        self.line.push_str(t.as_str());
                        break;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                }
            },
        }
        Ok(Some(&self.line))
    }

    /// The next frame that is JSON; `None` once the server closed.
    pub async fn next(&mut self) -> anyhow::Result<Option<Value>> {
        loop {
            match self.next_line().await? {
                None => return Ok(None),
                Some(l) => {
                    if let Ok(v) = serde_json::from_str(l) {
                        return Ok(Some(v));
                    }
                }
            }
        }
    }

    /// Reads until the reply to `id`, handing every event before it to
    /// `event` (which may end the wait with an error, e.g. on `banned`).
    pub async fn reply_with(
        &mut self,
        id: u64,
        mut event: impl FnMut(&Value) -> anyhow::Result<()>,
    ) -> anyhow::Result<Value> {
        let wait = async {
            while let Some(v) = self.next().await? {
                if v["re"] == json!(id) {
                    return Ok(v);
                }
                event(&v)?;
            }
            bail!("the server closed the connection")
        };
        tokio::time::timeout(REPLY_LIMIT, wait)
            .await
            .map_err(|_| anyhow::anyhow!("no reply in {} s", REPLY_LIMIT.as_secs()))?
    }

    /// Sends a request and waits for its reply, events before it dropped.
    pub async fn call(&mut self, req: Value) -> anyhow::Result<Value> {
        let id = self.send(req).await?;
        self.reply_with(id, |_| Ok(())).await
    }

    /// Reads whatever arrives for `for_`, or until the server closes:
    /// true if it closed.
    pub async fn drain_for(&mut self, for_: Duration) -> bool {
        let wait = async {
            loop {
                match self.next_line().await {
                    Ok(Some(_)) => continue,
                    _ => return true,
                }
            }
        };
        tokio::time::timeout(for_, wait).await.unwrap_or(false)
    }
}
