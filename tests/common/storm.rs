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

/// Threads that log in as one account in a loop, half with `resume` and
/// half with `login`, keeping every connection that got in: the storm a
/// ban must not be outrun by.
pub struct LoginStorm {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    admitted: std::sync::Arc<std::sync::Mutex<Vec<Raw>>>,
    unanswered: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl LoginStorm {
    pub fn start(
        addr: SocketAddr,
        name: &str,
        password: &str,
        token: &str,
        threads: usize,
    ) -> LoginStorm {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let admitted: std::sync::Arc<std::sync::Mutex<Vec<Raw>>> = Default::default();
        let unanswered: std::sync::Arc<std::sync::atomic::AtomicUsize> = Default::default();
        let threads = (0..threads)
            .map(|i| {
                let (stop, admitted, unanswered) = (stop.clone(), admitted.clone(), unanswered.clone());
                let req = if i % 2 == 0 {
                    serde_json::json!({"type": "resume", "id": 1, "token": token})
                } else {
                    serde_json::json!({"type": "login", "id": 1, "username": name, "password": password})
                };
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let mut c = Raw::connect(addr);
                        match c.request(&req) {
                            Some(true) => admitted.lock().unwrap().push(c),
                            Some(false) => {}
                            // every request gets its one reply, even one
                            // overtaken by a ban
                            None => {
                                unanswered.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        LoginStorm {
            stop,
            admitted,
            unanswered,
            threads,
        }
    }

    /// Waits (up to 10 s) until `n` connections got in.
    pub fn wait_admitted(&self, n: usize) {
        let t0 = std::time::Instant::now();
        while self.admitted.lock().unwrap().len() < n && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the threads; the connections that got in, and how many
    /// requests were closed without a reply.
    pub fn stop(self) -> (Vec<Raw>, usize) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let admitted = std::mem::take(&mut *self.admitted.lock().unwrap());
        (
            admitted,
            self.unanswered.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}
