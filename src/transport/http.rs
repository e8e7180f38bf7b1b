//! The HTTP listener: the protocol over WebSocket (`/ws`), the web client
//! (`/`), a health check for load balancers (`/healthz`; `/health` is the
//! older liveness-only form) and Prometheus metrics (`/metrics`).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};

use crate::actors::registry::ListRooms;
use crate::actors::Env;

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
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(super::web::routes)
            .route("/ws", web::get().to(super::ws::upgrade))
            .route("/healthz", web::get().to(healthz))
            .route("/metrics", web::get().to(metrics))
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok\n") }),
            )
    })
    .workers(workers.max(1))
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

async fn metrics(state: web::Data<HttpState>) -> HttpResponse {
    let env = &state.env;
    if let Ok(rooms) = env.registry.send(ListRooms).await {
        env.metrics.rooms.set(rooms.len() as i64);
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(env.metrics.encode())
}
