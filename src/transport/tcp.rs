//! TCP: one JSON object per line, plain or in TLS. A reader task feeds the
//! session one frame at a time (with the line cap and the idle timeout); a
//! writer task drains the session's outbound queue, batching whatever is
//! ready into one write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::admission::Slot;
use super::lazy_read::LazyBufReader;
use super::proxy;
use super::workers::Workers;
use super::writing::{self, Batch, Outcome};
use crate::actors::session::outbound::{self, Next, OutboundRx};
use crate::actors::session::{Close, Inbound, Session};
use crate::actors::{ConnInfo, Env};
use crate::error::{ErrorCode, Failure};
use crate::net;
use crate::protocol::{self, framing::LineReader};
use crate::store;

/// What a listener speaks: the JSON lines of the protocol, or IRC (the
/// gateway, `crate::irc`). Both get the same admission, PROXY header, TLS
/// and Session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Json,
    Irc,
}

impl Proto {
    /// The transport's name in `who` and the metrics.
    fn transport(self, tls: bool) -> &'static str {
        match (self, tls) {
            (Proto::Json, false) => "tcp",
            (Proto::Json, true) => "tls",
            (Proto::Irc, false) => "irc",
            (Proto::Irc, true) => "ircs",
        }
    }
}

/// How long a TLS client may take over its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Accepts until the task is aborted. `live` is held by every connection's
/// writer, so the server can wait for them to finish at shutdown. A
/// connection from a trusted proxy first has its PROXY header read, and
/// with `tls` the handshake follows, both in the connection's own task;
/// then the client's address must get a slot under the per-address cap.
pub async fn accept_loop(
    listener: TcpListener,
    env: Arc<Env>,
    live: Arc<()>,
    tls: Option<TlsAcceptor>,
    workers: Arc<Workers>,
    proto: Proto,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let proxied = env.admission.trusts(peer.ip());
                if tls.is_none() && !proxied {
                    // the common case needs no task of its own
                    let client = SocketAddr::new(net::canonical(peer.ip()), peer.port());
                    match env.admission.admit(client.ip()) {
                        Some(slot) => {
                            let (rd, wr) = stream.into_split();
                            let conn =
                                Conn::new(client, proto.transport(false), slot, live.clone());
                            start_connection(&env, rd, wr, conn, &workers, proto);
                        }
                        None => {
                            actix_rt::spawn(refuse(stream, client, proto));
                        }
                    }
                    continue;
                }
                let (tls, env, live, workers) =
                    (tls.clone(), env.clone(), live.clone(), workers.clone());
                actix_rt::spawn(async move {
                    let mut stream = stream;
                    let client = match proxy::client_addr(&mut stream, peer, &env.admission).await {
                        Ok(c) => c,
                        Err(e) => {
                            // the contract: closed, whatever it sent
                            tracing::info!(%peer, error = %e, "closing a proxied connection");
                            return;
                        }
                    };
                    let Some(slot) = env.admission.admit(client.ip()) else {
                        match tls {
                            None => refuse(stream, client, proto).await,
                            // a refusal in words would cost a handshake, the
                            // very work the cap is there to bound
                            Some(_) => tracing::debug!(
                                %client,
                                "refusing a TLS connection: too many open from its address"
                            ),
                        }
                        return;
                    };
                    match tls {
                        None => {
                            let (rd, wr) = stream.into_split();
                            let conn = Conn::new(client, proto.transport(false), slot, live);
                            start_connection(&env, rd, wr, conn, &workers, proto);
                        }
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => {
                                    let (rd, wr) = tokio::io::split(tls);
                                    let conn = Conn::new(client, proto.transport(true), slot, live);
                                    start_connection(&env, rd, wr, conn, &workers, proto);
                                }
                                Ok(Err(e)) => {
                                    tracing::debug!(%client, error = %e, "TLS handshake failed")
                                }
                                Err(_) => tracing::debug!(%client, "TLS handshake timed out"),
                            }
                        }
                    }
                });
            }
            Err(e) => {
                // EMFILE and friends: back off rather than spin
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Over the per-address cap: one `error` line (`rate_limited`), then the
/// connection is closed. The line is small enough for the socket's buffer;
/// a peer that does not take it within a second is dropped all the same.
async fn refuse(mut stream: TcpStream, client: SocketAddr, proto: Proto) {
    tracing::debug!(%client, "refusing a connection: too many open from its address");
    let why = "too many connections from your address; close one and try again";
    let line = match proto {
        Proto::Json => {
            let f = Failure::msg(ErrorCode::RateLimited, why);
            let mut line = protocol::error_reply(None, &serde_json::Value::Null, &f).to_vec();
            line.push(b'\n');
            line
        }
        Proto::Irc => format!("ERROR :{why}\r\n").into_bytes(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&line).await?;
        stream.shutdown().await
    })
    .await;
}

/// A connection admitted, on its way to a session.
struct Conn {
    /// The client's address (from the PROXY header behind a proxy).
    client: SocketAddr,
    transport: &'static str,
    /// Held by the writer: the socket is open as long as it runs.
    slot: Slot,
    live: Arc<()>,
}

impl Conn {
    fn new(client: SocketAddr, transport: &'static str, slot: Slot, live: Arc<()>) -> Conn {
        Conn {
            client,
            transport,
            slot,
            live,
        }
    }
}

/// The session and its reader run here, beside the actors they talk to on
/// every request; the writer runs on one of `workers` (see workers.rs).
fn start_connection<R, W>(env: &Arc<Env>, rd: R, wr: W, conn: Conn, workers: &Workers, proto: Proto)
where
    R: AsyncRead + Unpin + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    if proto == Proto::Irc {
        let held = (conn.slot, conn.live);
        crate::irc::conn::start(env, rd, wr, conn.client, conn.transport, held, workers);
        return;
    }
    let limits = &env.config.limits;
    let (out, rx) = outbound::channel(limits.max_outbound_bytes);
    let (max_line, idle) = (limits.max_line_bytes, env.config.idle_timeout());
    let peer = conn.client;
    let info = ConnInfo {
        ip: peer.ip().to_string(),
        addr: peer.to_string(),
        transport: conn.transport,
        since: store::now(),
    };
    tracing::debug!(%peer, "connection opened");
    let writer = workers.pick();
    Session::start(env.clone(), info, out, move |addr| {
        let session = addr.clone();
        let held = (conn.slot, conn.live);
        if !writer.spawn(write_loop(wr, rx, addr.clone(), peer, held)) {
            // the workers are stopping: so is the server
            session.do_send(Close::because("server stopping"));
        }
        actix_rt::spawn(read_loop(rd, addr, max_line, idle)).abort_handle()
    });
}

async fn read_loop<R: AsyncRead + Unpin>(
    rd: R,
    session: Addr<Session>,
    max_line: usize,
    idle: Duration,
) {
    // no buffer held between lines: idle connections must stay small
    let mut lines = LineReader::new(LazyBufReader::new(rd), max_line);
    let why = loop {
        match tokio::time::timeout(idle, lines.next()).await {
            Err(_) => break "idle timeout",
            Ok(Err(_)) => break "read error",
            Ok(Ok(None)) => break "peer closed",
            Ok(Ok(Some(frame))) => {
                // boxed: a request's wait is short, and unboxed its state
                // would be part of every idle connection's task
                if Box::pin(session.send(Inbound(frame))).await.is_err() {
                    return;
                }
            }
        }
    };
    session.do_send(Close::because(why));
}

/// Writes until the session ends. A client that stops reading is dropped
/// as soon as its queue passes the cap; once the session has ended, what is
/// left gets [`LINGER`] to be written and the stream closed. Returning drops
/// this half of the socket (the session has stopped the reader, which holds
/// the other), so the descriptor is closed even if the peer never reads
/// again.
/// Its state across a wait is kept small: see [`writing`].
async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: OutboundRx,
    session: Addr<Session>,
    peer: SocketAddr,
    _held: (Slot, Arc<()>),
) {
    // set once the session has ended
    let mut linger = None;
    loop {
        let frames = match rx.next().await {
            Next::Close => break,
            Next::Overflow => return slow_consumer(&session, peer),
            Next::Frames(f) => f,
        };
        match writing::write_batch(&mut wr, &rx, &mut linger, Batch::lines(&frames)).await {
            Outcome::Written => rx.written(frames),
            Outcome::Failed => {
                session.do_send(Close::because("write error"));
                return;
            }
            Outcome::Overflow => return slow_consumer(&session, peer),
            Outcome::Lingered => {
                tracing::debug!(%peer, "dropping a closed connection whose client does not read");
                return;
            }
        }
    }
    writing::shut_down(&mut wr, linger).await;
}

fn slow_consumer(session: &Addr<Session>, peer: SocketAddr) {
    tracing::warn!(%peer, "disconnecting a client that does not read: outbound queue over its cap");
    session.do_send(Close::because("outbound queue over its cap"));
}
