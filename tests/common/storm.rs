//! Bare connections for storms of logins: a connection may be closed
//! before its reply, which `TestClient` treats as a failure.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// A bare connection for the storm: it may be closed before it gets a
/// reply, which `TestClient` treats as a failure.
pub struct Raw {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    /// Sends `req` (with id 1); whether its reply is `ok`. An error reply,
    /// or the connection closed first, is `false`.
    pub fn request_ok(&mut self, req: &Value) -> bool {
        self.request(req) == Some(true)
    }

    /// Sends `req` (with id 1): `Some(ok?)` with its reply, `None` when the
    /// connection closed (or the write failed) before any reply.
    pub fn request(&mut self, req: &Value) -> Option<bool> {
        if self
            .writer
            .write_all(format!("{req}\n").as_bytes())
            .is_err()
        {
            return None;
        }
        let mut line = String::new();
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {
                    let v: Value = serde_json::from_str(&line).unwrap();
                    if v["re"] == 1 {
                        return Some(v["type"] == "ok");
                    }
                }
            }
        }
    }

    /// Reads (and drops) whatever comes until the server closes.
    pub fn closed_within(&mut self, limit: Duration) -> bool {
        self.writer.set_read_timeout(Some(limit)).unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
            }
        }
    }
}
