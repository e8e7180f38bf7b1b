//! The web client: static HTML, CSS and JavaScript from `web/`, compiled
//! into the binary, so running the server needs no Node and no files beside
//! it. Text is never rendered as HTML by the client; the Content Security
//! Policy forbids inline scripts besides.

use actix_web::{web, HttpResponse};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of the web client: its path, its text, its type. The scripts
/// share one global scope and `index.html` loads them in order.
const ASSETS: &[(&str, &str, &str)] = &[
    ("/", include_str!("../../web/index.html"), HTML),
    ("/app.css", include_str!("../../web/app.css"), CSS),
    ("/base.js", include_str!("../../web/base.js"), JS),
    ("/net.js", include_str!("../../web/net.js"), JS),
    ("/rooms.js", include_str!("../../web/rooms.js"), JS),
    ("/timeline.js", include_str!("../../web/timeline.js"), JS),
    ("/events.js", include_str!("../../web/events.js"), JS),
    ("/dialogs.js", include_str!("../../web/dialogs.js"), JS),
    ("/app.js", include_str!("../../web/app.js"), JS),
];

/// Scripts and styles from this server only; the WebSocket anywhere (the
/// client may be pointed at another server with `?server=HOST:PORT`).
const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    for &(path, body, content_type) in ASSETS {
        cfg.route(
            path,
            web::get().to(move || async move { asset(body, content_type) }),
        );
    }
}

fn asset(body: &'static str, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}
