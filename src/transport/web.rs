//! The web client: static HTML, CSS and JavaScript from `web/`, compiled
//! into the binary, so running the server needs no Node and no files beside
//! it. Text is never rendered as HTML by the client; the Content Security
//! Policy forbids inline scripts besides.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of the web client: its path, its text, its type. The scripts
/// are ES modules: `index.html` loads `app.js`, which imports the others.
const ASSETS: &[(&str, &str, &str)] = &[
    ("/", include_str!("../../web/index.html"), HTML),
    ("/app.css", include_str!("../../web/app.css"), CSS),
    ("/client.css", include_str!("../../web/client.css"), CSS),
    ("/util.js", include_str!("../../web/util.js"), JS),
    ("/state.js", include_str!("../../web/state.js"), JS),
    ("/net.js", include_str!("../../web/net.js"), JS),
    ("/words.js", include_str!("../../web/words.js"), JS),
    ("/session.js", include_str!("../../web/session.js"), JS),
    ("/sidebar.js", include_str!("../../web/sidebar.js"), JS),
    ("/views.js", include_str!("../../web/views.js"), JS),
    ("/history.js", include_str!("../../web/history.js"), JS),
    ("/timeline.js", include_str!("../../web/timeline.js"), JS),
    ("/message.js", include_str!("../../web/message.js"), JS),
    ("/composer.js", include_str!("../../web/composer.js"), JS),
    ("/mute.js", include_str!("../../web/mute.js"), JS),
    ("/notices.js", include_str!("../../web/notices.js"), JS),
    ("/events.js", include_str!("../../web/events.js"), JS),
    ("/members.js", include_str!("../../web/members.js"), JS),
    ("/menu.js", include_str!("../../web/menu.js"), JS),
    ("/dialog.js", include_str!("../../web/dialog.js"), JS),
    ("/moderate.js", include_str!("../../web/moderate.js"), JS),
    (
        "/roomsdialog.js",
        include_str!("../../web/roomsdialog.js"),
        JS,
    ),
    ("/modlog.js", include_str!("../../web/modlog.js"), JS),
    ("/filter.js", include_str!("../../web/filter.js"), JS),
    ("/drawers.js", include_str!("../../web/drawers.js"), JS),
    ("/dm.js", include_str!("../../web/dm.js"), JS),
    ("/unread.js", include_str!("../../web/unread.js"), JS),
    ("/mentions.js", include_str!("../../web/mentions.js"), JS),
    (
        "/roomsettings.js",
        include_str!("../../web/roomsettings.js"),
        JS,
    ),
    ("/app.js", include_str!("../../web/app.js"), JS),
];

/// Scripts, styles and the WebSocket from this server only (`'self'`
/// covers `ws:`/`wss:` to the page's own host and port): the client talks
/// to no other server, so nothing typed into it can be sent elsewhere.
const CSP: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    let dev_dir = std::env::var_os("MODCHAT_WEB_DIR").map(std::path::PathBuf::from);
    for &(path, body, content_type) in ASSETS {
        let etag = etag_of(body);
        let dev_dir = dev_dir.clone();
        cfg.service(super::http::get_or_head(path, move |req: HttpRequest| {
            let etag = etag.clone();
            let from_disk = dev_dir.as_ref().map(|d| from_dir(d, path));
            async move {
                match from_disk {
                    Some(Ok(text)) => {
                        let etag = etag_of(&text);
                        asset(&req, text, content_type, &etag)
                    }
                    Some(Err(e)) => HttpResponse::NotFound().body(e.to_string()),
                    None => asset(&req, body, content_type, &etag),
                }
            }
        }));
    }
}

/// `MODCHAT_WEB_DIR=web`: serve the client's files from that folder, read
/// at each request, so working on the client needs a reload instead of a
/// rebuild. Only the files listed in `ASSETS` are served; unset, the
/// compiled-in copies are (the tests and every release use those).
fn from_dir(dir: &std::path::Path, path: &str) -> std::io::Result<String> {
    let file = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    std::fs::read_to_string(dir.join(file))
}

/// A weak validator from the file's hash: weak, because the compressed and
/// plain answers carry the same tag (the compression middleware leaves it
/// alone) and are equal only in meaning, not byte for byte.
fn etag_of(body: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(body.as_bytes());
    let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// `If-None-Match` by weak comparison (RFC 9110 13.1.2): `*` or any listed
/// tag whose opaque part equals ours.
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

fn asset(
    req: &HttpRequest,
    body: impl actix_web::body::MessageBody + 'static,
    content_type: &str,
    etag: &str,
) -> HttpResponse {
    // no-cache: the browser revalidates each time (a 304 costs no body), so
    // a new server version's client is picked up at the next load
    if not_modified(req, etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}
