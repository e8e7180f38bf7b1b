//! WebSocket at `GET /ws`: one JSON object per text frame, through the same
//! [`Session`] as TCP. A reader task turns frames into [`Inbound`] (one at a
//! time, with the idle timeout); a writer task turns the outbound queue into
//! text frames.
//!
//! Frame rules (the contract's, and what we chose where it is silent):
//! - a text frame longer than `max_line_bytes` gets `line_too_long` and the
//!   connection stays; one longer than [`hard_cap`] (4 × that, at least
//!   64 KiB) is not buffered: the connection is closed with 1009;
//! - a binary frame gets `bad_json`;
//! - a text frame that is not UTF-8: closed with 1007;
//! - fragmented messages are put together (up to the same hard cap);
//! - ping gets pong; a close frame gets its close reply.

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;

use super::http::HttpState;
use crate::actors::session::outbound::{self, Next, OutboundRx};
use crate::actors::session::{Close, Inbound, Session};
use crate::actors::ConnInfo;
use crate::protocol::framing::Frame;
use crate::store;

/// The largest frame or message read at all.
pub fn hard_cap(max_line: usize) -> usize {
    (max_line * 4).max(64 * 1024)
}

/// `GET /ws`: the upgrade, then a session like any other.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<HttpState>,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, ws, stream) = actix_ws::handle(&req, body)?;
    let env = state.env.clone();
    let Some(live) = state.live.upgrade() else {
        return Ok(HttpResponse::ServiceUnavailable().body("shutting down\n"));
    };
    let limits = &env.config.limits;
    let (max_line, idle) = (limits.max_line_bytes, env.config.idle_timeout());
    let cap = hard_cap(max_line);
    let stream = stream
        .max_frame_size(cap)
        .aggregate_continuations()
        .max_continuation_size(cap);
    let peer = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    let info = ConnInfo {
        ip: req
            .peer_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string()),
        addr: peer.clone(),
        transport: state.ws_transport,
        since: store::now(),
    };
    let (out, rx) = outbound::channel(limits.max_outbound_bytes);
    tracing::debug!(%peer, "websocket opened");
    Session::start(env.clone(), info, out, move |addr| {
        actix_rt::spawn(write_loop(ws.clone(), rx, addr.clone(), peer, live));
        actix_rt::spawn(read_loop(stream, ws, addr, max_line, idle)).abort_handle()
    });
    Ok(response)
}

async fn read_loop(
    mut stream: AggregatedMessageStream,
    mut ws: actix_ws::Session,
    session: Addr<Session>,
    max_line: usize,
    idle: Duration,
) {
    let why = loop {
        let msg = match tokio::time::timeout(idle, stream.recv()).await {
            Err(_) => break "idle timeout",
            Ok(None) => break "peer closed",
            Ok(Some(Err(e))) => {
                let (code, why) = match e {
                    ProtocolError::Overflow => (CloseCode::Size, "frame too large"),
                    ProtocolError::Io(ref io) if io.kind() == std::io::ErrorKind::InvalidData => {
                        (CloseCode::Invalid, "text frame not UTF-8")
                    }
                    ProtocolError::Io(ref io) if io.to_string().contains("continuation") => {
                        (CloseCode::Size, "message too large")
                    }
                    _ => (CloseCode::Protocol, "websocket protocol error"),
                };
                let _ = ws
                    .clone()
                    .close(Some(CloseReason {
                        code,
                        description: Some(why.into()),
                    }))
                    .await;
                break why;
            }
            Ok(Some(Ok(m))) => m,
        };
        let frame = match msg {
            AggregatedMessage::Text(t) => match text_frame(t, max_line) {
                Some(frame) => frame,
                None => continue,
            },
            AggregatedMessage::Binary(_) => Frame::Binary,
            AggregatedMessage::Ping(p) => {
                let _ = ws.pong(&p).await;
                continue;
            }
            AggregatedMessage::Pong(_) => continue,
            AggregatedMessage::Close(reason) => {
                let _ = ws.clone().close(reason).await;
                break "peer closed";
            }
        };
        if session.send(Inbound(frame)).await.is_err() {
            return;
        }
    };
    session.do_send(Close::because(why));
}

/// A text frame's payload as the session reads it; `None` for a blank one,
/// which is skipped. Its own function so the fuzz target runs it.
pub fn text_frame(t: ByteString, max_line: usize) -> Option<Frame> {
    if t.len() > max_line {
        Some(Frame::TooLong)
    } else if t.trim().is_empty() {
        None
    } else {
        Some(Frame::Line(t.into_bytes().to_vec()))
    }
}

async fn write_loop(
    mut ws: actix_ws::Session,
    mut rx: OutboundRx,
    session: Addr<Session>,
    peer: String,
    _live: Arc<()>,
) {
    loop {
        let frames = match rx.next().await {
            Next::Close => break,
            Next::Overflow => break slow_consumer(&session, &peer),
            Next::Frames(f) => f,
        };
        for f in &frames {
            let Ok(text) = ByteString::try_from(f.clone()) else {
                tracing::error!("an outbound frame is not UTF-8; dropped");
                continue;
            };
            let sent = tokio::select! {
                r = ws.text(text) => r,
                _ = rx.overflowed() => return slow_consumer(&session, &peer),
            };
            if sent.is_err() {
                session.do_send(Close::because("write error"));
                return;
            }
        }
        rx.written(frames);
    }
    let _ = ws.close(None).await;
}

fn slow_consumer(session: &Addr<Session>, peer: &str) {
    tracing::warn!(%peer, "disconnecting a client that does not read: outbound queue over its cap");
    session.do_send(Close::because("outbound queue over its cap"));
}
