//! TCP: one JSON object per line, plain or in TLS. A reader task feeds the
//! session one frame at a time (with the line cap and the idle timeout); a
//! writer task drains the session's outbound queue, batching whatever is
//! ready into one write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::lazy_read::LazyBufReader;
use super::workers::Workers;
use crate::actors::session::outbound::{self, Next, OutboundRx};
use crate::actors::session::{Close, Inbound, Session};
use crate::actors::{ConnInfo, Env};
use crate::protocol::framing::LineReader;
use crate::store;

/// How long a TLS client may take over its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Accepts until the task is aborted. `live` is held by every connection's
/// writer, so the server can wait for them to finish at shutdown. With
/// `tls`, each connection's handshake runs in its own task first.
pub async fn accept_loop(
    listener: TcpListener,
    env: Arc<Env>,
    live: Arc<()>,
    tls: Option<TlsAcceptor>,
    workers: Arc<Workers>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                match &tls {
                    None => {
                        let (rd, wr) = stream.into_split();
                        start_connection(&env, rd, wr, peer, "tcp", live.clone(), &workers);
                    }
                    Some(acceptor) => {
                        let (acceptor, env, live, workers) =
                            (acceptor.clone(), env.clone(), live.clone(), workers.clone());
                        actix_rt::spawn(async move {
                            match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => {
                                    let (rd, wr) = tokio::io::split(tls);
                                    start_connection(&env, rd, wr, peer, "tls", live, &workers);
                                }
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed")
                                }
                                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                            }
                        });
                    }
                }
            }
            Err(e) => {
                // EMFILE and friends: back off rather than spin
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The session and its reader run here, beside the actors they talk to on
/// every request; the writer runs on one of `workers` (see workers.rs).
fn start_connection<R, W>(
    env: &Arc<Env>,
    rd: R,
    wr: W,
    peer: SocketAddr,
    transport: &'static str,
    live: Arc<()>,
    workers: &Workers,
) where
    R: AsyncRead + Unpin + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let limits = &env.config.limits;
    let (out, rx) = outbound::channel(limits.max_outbound_bytes);
    let (max_line, idle) = (limits.max_line_bytes, env.config.idle_timeout());
    let info = ConnInfo {
        ip: peer.ip().to_string(),
        addr: peer.to_string(),
        transport,
        since: store::now(),
    };
    tracing::debug!(%peer, "connection opened");
    let writer = workers.pick();
    Session::start(env.clone(), info, out, move |addr| {
        let session = addr.clone();
        if !writer.spawn(write_loop(wr, rx, addr.clone(), peer, live)) {
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
                if session.send(Inbound(frame)).await.is_err() {
                    return;
                }
            }
        }
    };
    session.do_send(Close::because(why));
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: OutboundRx,
    session: Addr<Session>,
    peer: SocketAddr,
    _live: Arc<()>,
) {
    loop {
        let frames = match rx.next().await {
            Next::Close => break,
            Next::Overflow => break slow_consumer(&session, peer),
            Next::Frames(f) => f,
        };
        // one write for the whole batch; allocated per batch, so an idle
        // connection holds no buffer
        let mut buf = Vec::with_capacity(frames.iter().map(|f| f.len() + 1).sum());
        for f in &frames {
            buf.extend_from_slice(f);
            buf.push(b'\n');
        }
        let written = tokio::select! {
            r = wr.write_all(&buf) => r,
            _ = rx.overflowed() => break slow_consumer(&session, peer),
        };
        if written.is_err() {
            session.do_send(Close::because("write error"));
            return;
        }
        rx.written(frames);
    }
    let _ = wr.shutdown().await;
}

fn slow_consumer(session: &Addr<Session>, peer: SocketAddr) {
    tracing::warn!(%peer, "disconnecting a client that does not read: outbound queue over its cap");
    session.do_send(Close::because("outbound queue over its cap"));
}
