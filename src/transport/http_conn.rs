//! A handle on each HTTP connection's socket, so a WebSocket can really be
//! closed.
//!
//! actix-web owns the socket of an upgraded connection and writes the
//! WebSocket's frames from its own buffer. When the client stops reading,
//! that write never completes, and actix-web has no timer that ends it: the
//! connection, its buffers and its descriptor stayed until the client went
//! away, long after its session was dropped. With this handle the session's
//! writer shuts the socket down (both directions) when it gives the client
//! up; actix-web's pending write then fails and it drops the connection.
//!
//! The handle is a duplicate of the socket's descriptor, made when the
//! connection is accepted (the only moment safe code can reach the
//! socket) and kept in the connection's data, so it lives exactly as long
//! as actix-web keeps the connection. The writer holds only a weak
//! reference and a signal of its end: it never keeps a connection open.

use std::any::Any;
use std::rc::{Rc, Weak};

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// The duplicated socket of one HTTP connection, in its connection data.
pub struct ConnSocket {
    sock: socket2::Socket,
    /// Dropped with the connection: wakes whoever waits for its end.
    gone: tokio::sync::watch::Sender<()>,
}

/// `HttpServer::on_connect`: the handle for a plain or TLS connection.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    let tcp = conn.downcast_ref::<TcpStream>().or_else(|| {
        conn.downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<TcpStream>>()
            .map(|tls| tls.get_ref().0)
    });
    let Some(tcp) = tcp else {
        return;
    };
    match socket2::SockRef::from(tcp).try_clone() {
        Ok(sock) => {
            let (gone, _) = tokio::sync::watch::channel(());
            ext.insert(Rc::new(ConnSocket { sock, gone }));
        }
        // out of descriptors: the connection works, it just cannot be cut
        // short (it ends when its client goes)
        Err(e) => tracing::debug!(error = %e, "no handle on an HTTP connection's socket"),
    }
}

/// What a WebSocket's writer keeps of its connection.
pub struct SocketHandle {
    sock: Weak<ConnSocket>,
    gone: Option<tokio::sync::watch::Receiver<()>>,
}

impl SocketHandle {
    /// The handle of the connection `req` came on (an empty one when the
    /// connection has none).
    pub fn of(req: &actix_web::HttpRequest) -> SocketHandle {
        match req.conn_data::<Rc<ConnSocket>>() {
            Some(c) => SocketHandle {
                sock: Rc::downgrade(c),
                gone: Some(c.gone.subscribe()),
            },
            None => SocketHandle {
                sock: Weak::new(),
                gone: None,
            },
        }
    }

    /// Resolves when actix-web has dropped the connection.
    pub async fn closed(&mut self) {
        if let Some(rx) = &mut self.gone {
            // Err: the sender is gone, with the connection
            while rx.changed().await.is_ok() {}
        }
    }

    /// Shuts the socket down in both directions, if the connection is
    /// still there: the client sees the end of the stream, actix-web's
    /// pending reads and writes fail and it drops the connection.
    pub fn shut_down(&self) {
        if let Some(c) = self.sock.upgrade() {
            let _ = c.sock.shutdown(std::net::Shutdown::Both);
        }
    }
}
