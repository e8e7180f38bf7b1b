//! Lines in, lines out, over plain TCP (newline-delimited) or a WebSocket
//! (one text frame a line). Both protocol drivers (modchat's JSON in
//! [`crate::client`], IRC in [`crate::irc`]) sit on these, and the receivers
//! of every scenario read raw lines from a [`LineReader`] without parsing
//! them as JSON, so the tool stays cheaper than the server it loads.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context as _;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Ws = WebSocketStream<TcpStream>;

/// The receiving half of a connection.
pub enum LineReader {
    Tcp(BufReader<OwnedReadHalf>),
    Ws(SplitStream<Ws>),
}

/// The sending half of a connection. Dropping it ends the connection for
/// the server (EOF on TCP; the WebSocket's TCP stream closes once both
/// halves are gone).
pub enum LineWriter {
    /// With the line end to add: `\n` for modchat, `\r\n` for IRC.
    Tcp(OwnedWriteHalf, &'static [u8]),
    Ws(SplitSink<Ws, Message>),
}

impl LineReader {
    /// The next line (TCP, without its `\n` or `\r\n`) or text frame, as it
    /// came; `None` when the server closed the connection.
    pub async fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        let mut line = String::new();
        Ok(self.read_line(&mut line).await?.then_some(line))
    }

    /// [`Self::next_line`] into `line` (cleared first), so a receiver
    /// reuses one buffer instead of allocating a string per delivery;
    /// false when the server closed the connection.
    pub async fn read_line(&mut self, line: &mut String) -> anyhow::Result<bool> {
        line.clear();
        match self {
            LineReader::Tcp(r) => {
                if r.read_line(line).await? == 0 {
                    return Ok(false);
                }
                let end = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(end);
                Ok(true)
            }
            LineReader::Ws(s) => loop {
                match s.next().await {
                    None | Some(Ok(Message::Close(_))) => return Ok(false),
                    Some(Ok(Message::Text(t))) => {
                        line.push_str(t.as_str());
                        return Ok(true);
                    }
                    // pings are answered by tungstenite itself
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                }
            },
        }
    }
}

impl LineWriter {
    /// Sends one line; `line` holds no newline (TCP adds it).
    pub async fn send_line(&mut self, line: &str) -> anyhow::Result<()> {
        match self {
            LineWriter::Tcp(w, eol) => {
                // one write, one segment: the line and its end together
                let mut buf = Vec::with_capacity(line.len() + eol.len());
                buf.extend_from_slice(line.as_bytes());
                buf.extend_from_slice(eol);
                w.write_all(&buf).await?;
            }
            LineWriter::Ws(s) => s.send(Message::text(line.to_owned())).await?,
        }
        Ok(())
    }
}

/// A TCP connection to `server`, from `from` (a 127.0.0.x address, to
/// spread connections past one source address's ephemeral ports) or any
/// address; Nagle off, since every line is a request someone waits for.
pub async fn dial(server: SocketAddr, from: Option<IpAddr>) -> anyhow::Result<TcpStream> {
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
    Ok(s)
}

/// Lines over TCP, each sent with `eol` after it.
pub async fn tcp(
    server: SocketAddr,
    from: Option<IpAddr>,
    eol: &'static [u8],
) -> anyhow::Result<(LineReader, LineWriter)> {
    let (rd, wr) = dial(server, from).await?.into_split();
    Ok((
        LineReader::Tcp(BufReader::new(rd)),
        LineWriter::Tcp(wr, eol),
    ))
}

/// Text frames over a WebSocket at `ws://SERVER/ws` (the server's HTTP
/// listener).
pub async fn ws(
    server: SocketAddr,
    from: Option<IpAddr>,
) -> anyhow::Result<(LineReader, LineWriter)> {
    let stream = dial(server, from).await?;
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{server}/ws"), stream)
        .await
        .with_context(|| format!("WebSocket handshake with {server}/ws"))?;
    let (sink, stream) = ws.split();
    Ok((LineReader::Ws(stream), LineWriter::Ws(sink)))
}
