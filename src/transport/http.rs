//! The HTTP listener: a health check for load balancers and probes. The
//! WebSocket transport will live here too.

use actix_web::{web, App, HttpResponse, HttpServer};

/// Starts the HTTP server on an already bound listener.
pub fn start(listener: std::net::TcpListener) -> std::io::Result<actix_web::dev::ServerHandle> {
    let server = HttpServer::new(|| {
        App::new().route(
            "/health",
            web::get().to(|| async { HttpResponse::Ok().body("ok\n") }),
        )
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_rt::spawn(server);
    Ok(handle)
}
