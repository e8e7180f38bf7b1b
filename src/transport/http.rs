//! The HTTP listener: the protocol over WebSocket (`/ws`), the web client
//! (`/`), a health check for load balancers (`/healthz`; `/health` is the
//! older liveness-only form) and Prometheus metrics (`/metrics`).
//!
//! Every path answers `GET` and `HEAD` alike (actix-http leaves the body
//! out of a `HEAD` answer); any other method on a known path gets 405 with
//! `Allow`, an unknown path 404. Answers are compressed as the client's
//! `Accept-Encoding` asks (gzip or br), and under TLS every answer carries
//! `Strict-Transport-Security`, so a browser that once reached the server
//! over HTTPS never falls back to plain HTTP, where a password could be read.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, Condition, DefaultHeaders};
use actix_web::{web, App, FromRequest, Handler, HttpRequest, HttpResponse, HttpServer, Responder};

use crate::actors::registry::RoomCount;
use crate::actors::Env;
use crate::metrics::Format;

/// What every HTTP worker shares.
pub struct HttpState {
    pub env: Arc<Env>,
    /// Upgraded and held by every WebSocket writer, so the server can wait
    /// for them at shutdown (as for TCP). Weak here: the state itself lives
    /// as long as the HTTP server.
    pub live: std::sync::Weak<()>,
    /// `ws`, or `wss` when the listener speaks TLS.
    pub ws_transport: &'static str,
}

/// A year, the value browsers' preload lists ask for; without
/// `includeSubDomains`, since other hosts of the domain may not speak HTTPS.
const HSTS: &str = "max-age=31536000";

/// What a known path allows.
const ALLOW: &str = "GET, HEAD";

/// A path that answers `GET` and `HEAD` with `handler`, and 405 to any
/// other method.
pub fn get_or_head<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    tracing::debug!(method = %req.method(), path = req.path(), "method not allowed");
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, HeaderValue::from_static(ALLOW)))
        .body(format!(
            "{} is not allowed here; use {ALLOW}\n",
            req.method()
        ))
}

/// How long `/healthz` waits for the database.
const HEALTH_WAIT: Duration = Duration::from_secs(3);

/// Starts the HTTP server on an already bound listener.
pub fn start(
    listener: std::net::TcpListener,
    state: HttpState,
    tls: Option<Arc<rustls::ServerConfig>>,
    workers: usize,
) -> std::io::Result<actix_web::dev::ServerHandle> {
    let state = web::Data::new(state);
    let https = tls.is_some();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(Compress::default())
            .wrap(Condition::new(
                https,
                DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, HSTS)),
            ))
            .configure(super::web::routes)
            .service(get_or_head("/ws", super::ws::upgrade))
            .service(get_or_head("/healthz", healthz))
            .service(get_or_head("/metrics", metrics))
            .service(get_or_head("/health", || async {
                HttpResponse::Ok().body("ok\n")
            }))
    })
    .workers(workers.max(1))
    // as on the TCP listener: with Nagle on, a reply written while the
    // previous frame is unacknowledged waited for the client's delayed ACK
    // (WebSocket say→ok p99 ~50 ms against TCP's ~7 ms in the soak)
    .tcp_nodelay(true)
    .disable_signals()
    .shutdown_timeout(1)
    // a handle on each socket, so a WebSocket whose client stopped reading
    // can be closed (http_conn.rs)
    .on_connect(super::http_conn::on_connect)
    // the same limit as the TCP listener's (actix-web's default is 3 s)
    .tls_handshake_timeout(Duration::from_secs(10));
    let server = match tls {
        Some(config) => {
            // ALPN for HTTPS only: the JSON port's clients speak no HTTP
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            server.listen_rustls_0_23(listener, config)?
        }
        None => server.listen(listener)?,
    }
    .run();
    let handle = server.handle();
    actix_rt::spawn(server);
    Ok(handle)
}

/// 200 when the database answers (and, in a cluster, NATS), 503
/// otherwise; the body says which part.
async fn healthz(state: web::Data<HttpState>) -> HttpResponse {
    let ping = state.env.db.run(crate::store::ping);
    let database = match tokio::time::timeout(HEALTH_WAIT, ping).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", HEALTH_WAIT.as_secs())),
    };
    let nats = state.env.cluster.as_ref().map(|c| match c.connected() {
        true => Ok(()),
        false => Err("not connected (reconnecting)".to_owned()),
    });
    let part = |r: &Result<(), String>| match r {
        Ok(()) => serde_json::Value::from("ok"),
        Err(why) => serde_json::Value::from(why.as_str()),
    };
    let healthy = database.is_ok() && nats.as_ref().is_none_or(|n| n.is_ok());
    let mut body = serde_json::json!({
        "status": if healthy { "ok" } else { "unavailable" },
        "database": part(&database),
    });
    if let (Some(n), Some(c)) = (&nats, &state.env.cluster) {
        body["nats"] = part(n);
        body["node"] = c.node.clone().into();
    }
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(%body, "health check: a part is down");
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text 0.0.4, which every scraper and `promtool` read;
/// OpenMetrics only for a client whose `Accept` prefers it (as Prometheus
/// itself does), the way client_golang and the Python client choose.
async fn metrics(req: HttpRequest, state: web::Data<HttpState>) -> HttpResponse {
    let env = &state.env;
    if let Ok(rooms) = env.registry.send(RoomCount).await {
        env.metrics.rooms.set(rooms as i64);
    }
    let format = match req.headers().get(header::ACCEPT).map(HeaderValue::to_str) {
        Some(Ok(accept)) if prefers_openmetrics(accept) => Format::OpenMetrics,
        _ => Format::Text,
    };
    HttpResponse::Ok()
        .content_type(format.content_type())
        .body(env.metrics.encode(format))
}

/// Whether an `Accept` header ranks `application/openmetrics-text` above
/// (or equal to) plain text.
pub fn prefers_openmetrics(accept: &str) -> bool {
    let (mut openmetrics, mut text) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(q),
            "text/plain" | "text/*" | "*/*" => text = text.max(q),
            _ => {}
        }
    }
    openmetrics > 0.0 && openmetrics >= text
}
