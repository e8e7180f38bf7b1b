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
//! - a text frame that is not UTF-8: closed with 1007; reserved bits (no
//!   extension is ever negotiated) or an unknown opcode: closed with 1002;
//! - an upgrade over HTTP/1.0 is refused (400);
//! - fragmented messages are put together (up to the same hard cap);
//! - ping gets pong; a close frame gets its close reply.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;

use super::admission::{Admission, Slot};
use super::http::HttpState;
use super::http_conn::SocketHandle;
use super::proxy;
use super::writing::{self, Watched};
use crate::actors::session::outbound::{self, Next, OutboundRx};
use crate::actors::session::{Close, Inbound, Session};
use crate::actors::ConnInfo;
use crate::net;
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
    if let Some(refusal) = refuse_handshake(&req) {
        return Ok(refusal);
    }
    let env = state.env.clone();
    // who the client is (behind a trusted proxy: X-Forwarded-For), and
    // whether its address may open one more connection
    let (ip, peer) = match client_of(&req, &env.admission) {
        Ok(c) => c,
        Err(why) => return Ok(HttpResponse::BadRequest().body(why)),
    };
    let Some(slot) = env.admission.admit(ip) else {
        tracing::debug!(%peer, "refusing a WebSocket: too many connections from its address");
        return Ok(HttpResponse::TooManyRequests()
            .body("too many connections from your address; close one and try again\n"));
    };
    let (response, ws, stream) = actix_ws::handle(&req, body)?;
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
    let info = ConnInfo {
        ip: ip.to_string(),
        addr: peer.clone(),
        transport: state.ws_transport,
        since: store::now(),
    };
    let (out, rx) = outbound::channel(limits.max_outbound_bytes);
    tracing::debug!(%peer, "websocket opened");
    let socket = SocketHandle::of(&req);
    Session::start(env.clone(), info, out, move |addr| {
        let held = (slot, live);
        actix_rt::spawn(write_loop(ws.clone(), rx, addr.clone(), peer, socket, held));
        actix_rt::spawn(read_loop(stream, ws, addr, max_line, idle)).abort_handle()
    });
    Ok(response)
}

/// The client's address, and how `who` shows it: the peer's own, or from a
/// trusted proxy the rightmost `X-Forwarded-For` entry (the one that proxy
/// added; see proxy.rs). A request from a trusted proxy without a usable
/// entry is refused (400, with the text of the `Err`).
fn client_of(req: &HttpRequest, admission: &Admission) -> Result<(IpAddr, String), &'static str> {
    let Some(peer) = req.peer_addr() else {
        return Err("no peer address\n");
    };
    if !admission.trusts(peer.ip()) {
        let ip = net::canonical(peer.ip());
        return Ok((ip, SocketAddr::new(ip, peer.port()).to_string()));
    }
    let values = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.as_bytes());
    match proxy::forwarded_for(values) {
        // the proxy tells no port: the address alone
        Some(ip) => Ok((ip, ip.to_string())),
        None => {
            tracing::info!(%peer, "a request from a trusted proxy without X-Forwarded-For");
            Err("X-Forwarded-For is required from this address\n")
        }
    }
}

/// What actix-ws does not check, answered before it looks: RFC 6455 4.1
/// needs HTTP/1.1 or later (an HTTP/1.0 proxy would not keep the upgraded
/// connection), so HTTP/1.0 gets 400; a request that cannot open a
/// WebSocket (HEAD, or GET without `Upgrade: websocket`, as from a browser's
/// address bar) gets 426 naming the protocol, so HEAD answers as GET does.
fn refuse_handshake(req: &HttpRequest) -> Option<HttpResponse> {
    use actix_web::http::{header, Method, StatusCode, Version};
    if req.version() < Version::HTTP_11 {
        return Some(HttpResponse::BadRequest().body("a WebSocket upgrade needs HTTP/1.1\n"));
    }
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if req.method() == Method::HEAD || !upgrade {
        return Some(
            HttpResponse::build(StatusCode::UPGRADE_REQUIRED)
                .insert_header((header::UPGRADE, "websocket"))
                .body("this is the WebSocket endpoint: GET with Upgrade: websocket\n"),
        );
    }
    None
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
                let (code, why) = close_for(&e);
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

/// The close code for a frame the codec refused. actix-http reports both
/// reserved bits and text that is not UTF-8 as `InvalidData` I/O errors;
/// only the second is 1007 (RFC 6455 7.4.1), every other breach of the
/// framing (reserved bits with no extension negotiated, an unknown opcode,
/// an unmasked frame, a stray continuation) is 1002.
fn close_for(e: &ProtocolError) -> (CloseCode, &'static str) {
    match e {
        ProtocolError::Overflow => (CloseCode::Size, "frame too large"),
        ProtocolError::Io(io) if io.to_string().contains("continuation size") => {
            (CloseCode::Size, "message too large")
        }
        ProtocolError::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidData
                && (io.get_ref().is_some_and(|e| e.is::<std::str::Utf8Error>())
                    || io.to_string().to_ascii_lowercase().contains("utf-8")) =>
        {
            (CloseCode::Invalid, "text frame not UTF-8")
        }
        _ => (CloseCode::Protocol, "websocket protocol error"),
    }
}

/// Turns the outbound queue into text frames. A client that stops reading
/// is dropped as soon as its queue passes the cap, and once the session has
/// ended what is left (the close frame included) gets
/// [`LINGER`](crate::actors::session::outbound::LINGER); either
/// way the socket is then shut down, so actix-web's buffers and the
/// descriptor go with it (see http_conn.rs).
async fn write_loop(
    mut ws: actix_ws::Session,
    mut rx: OutboundRx,
    session: Addr<Session>,
    peer: String,
    mut socket: SocketHandle,
    _held: (Slot, Arc<()>),
) {
    // set once the session has ended
    let mut linger = None;
    loop {
        let frames = match rx.next().await {
            Next::Close => break,
            Next::Overflow => return slow_consumer(&session, &peer, &socket),
            Next::Frames(f) => f,
        };
        for f in &frames {
            let Ok(text) = ByteString::try_from(f.json().clone()) else {
                tracing::error!("an outbound frame is not UTF-8; dropped");
                continue;
            };
            let sent = match writing::watched(ws.text(text), &rx, &mut linger).await {
                Watched::Done(r) => r,
                Watched::Overflow => return slow_consumer(&session, &peer, &socket),
                Watched::Lingered => {
                    tracing::debug!(%peer, "dropping a closed WebSocket whose client does not read");
                    return socket.shut_down();
                }
            };
            if sent.is_err() {
                session.do_send(Close::because("write error"));
                return socket.shut_down();
            }
        }
        rx.written(frames);
    }
    // the close frame; actix-web then ends the connection once it is
    // written, which a client that does not read never lets happen
    let mut linger = linger.unwrap_or_else(writing::linger);
    tokio::select! {
        _ = ws.close(None) => {}
        _ = &mut linger => {}
    }
    tokio::select! {
        _ = socket.closed() => {}
        _ = &mut linger => {}
    }
    socket.shut_down();
}

fn slow_consumer(session: &Addr<Session>, peer: &str, socket: &SocketHandle) {
    tracing::warn!(%peer, "disconnecting a client that does not read: outbound queue over its cap");
    session.do_send(Close::because("outbound queue over its cap"));
    socket.shut_down();
}
