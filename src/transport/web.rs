//! The web client: static HTML, CSS and JavaScript from `web/`, compiled
//! into the binary, so running the server needs no Node and no files beside
//! it. Text is never rendered as HTML by the client; the Content Security
//! Policy forbids inline scripts besides.

use actix_web::{web, HttpResponse};

const INDEX: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");

/// Scripts and styles from this server only; the WebSocket anywhere (the
/// client may be pointed at another server with `?server=HOST:PORT`).
const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async { asset(INDEX, "text/html; charset=utf-8") }),
    )
    .route(
        "/app.js",
        web::get().to(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
    )
    .route(
        "/app.css",
        web::get().to(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
    );
}

fn asset(body: &'static str, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}
