//! The client's connection: TCP, or TLS verified against `--ca` (or the
//! system's roots). Lines in, lines out; a reader task turns lines into
//! [`Incoming`] for the UI's loop, and [`Sender`] numbers each request so
//! its reply can be matched.

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Where to connect and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub server: String,
    pub tls: bool,
    pub ca: Option<std::path::PathBuf>,
}

/// What the reader task reports.
#[derive(Debug)]
pub enum Incoming {
    Frame(Value),
    Closed(String),
}

type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// Sends requests; cheap to share within the UI task.
pub struct Sender {
    writer: Writer,
    next_id: u64,
}

impl Sender {
    /// Sends `req` with a fresh `id`, which it returns.
    pub async fn send(&mut self, mut req: Value) -> anyhow::Result<u64> {
        self.next_id += 1;
        req["id"] = json!(self.next_id);
        let mut line = serde_json::to_vec(&req)?;
        line.push(b'\n');
        self.writer
            .write_all(&line)
            .await
            .context("the connection is gone")?;
        self.writer.flush().await?;
        Ok(self.next_id)
    }
}

/// Connects; frames arrive on the returned receiver.
pub async fn connect(t: &Target) -> anyhow::Result<(Sender, mpsc::UnboundedReceiver<Incoming>)> {
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        TcpStream::connect(&t.server),
    )
    .await
    .with_context(|| format!("{}: no answer within 10 s", t.server))?
    .with_context(|| format!("cannot connect to {}", t.server))?;
    let _ = tcp.set_nodelay(true);
    let (tx, rx) = mpsc::unbounded_channel();
    let writer: Writer = if t.tls {
        let config = crate::transport::tls::client_config(t.ca.as_deref())?;
        let host = t
            .server
            .rsplit_once(':')
            .map_or(t.server.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let name = rustls::pki_types::ServerName::try_from(host)
            .with_context(|| format!("{}: not a host name", t.server))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(&config))
            .connect(name, tcp)
            .await
            .with_context(|| format!("TLS with {} failed", t.server))?;
        let (rd, wr) = tokio::io::split(stream);
        tokio::spawn(read_lines(rd, tx));
        Box::new(wr)
    } else {
        let (rd, wr) = tcp.into_split();
        tokio::spawn(read_lines(rd, tx));
        Box::new(wr)
    };
    Ok((Sender { writer, next_id: 0 }, rx))
}

async fn read_lines<R: AsyncRead + Unpin>(rd: R, tx: mpsc::UnboundedSender<Incoming>) {
    let mut lines = BufReader::new(rd).lines();
    let why = loop {
        match lines.next_line().await {
            Ok(Some(l)) => match serde_json::from_str(&l) {
                Ok(v) => {
                    if tx.send(Incoming::Frame(v)).is_err() {
                        return;
                    }
                }
                Err(_) => continue,
            },
            Ok(None) => break "the server closed the connection".to_owned(),
            Err(e) => break format!("connection lost: {e}"),
        }
    };
    let _ = tx.send(Incoming::Closed(why));
}
