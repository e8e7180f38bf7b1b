//! A raw IRC client for tests: lines out, lines in, with a deadline.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub struct IrcClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Every line read so far, for failure messages.
    pub seen: Vec<String>,
}

impl IrcClient {
    pub fn connect(addr: SocketAddr) -> IrcClient {
        let s = TcpStream::connect(addr).expect("connect to the IRC listener");
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        IrcClient {
            reader: BufReader::new(s.try_clone().expect("clone")),
            writer: s,
            seen: Vec::new(),
        }
    }

    pub fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("send");
    }

    /// The next line, or `None` at the end of the stream or after `wait`.
    pub fn next_line(&mut self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        let mut buf = Vec::new();
        loop {
            match self.reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) if buf.ends_with(b"\n") => {
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\r', '\n'])
                        .to_owned();
                    assert!(buf.ends_with(b"\r\n"), "a line without CRLF: {line:?}");
                    self.seen.push(line.clone());
                    return Some(line);
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() > deadline {
                        return None;
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Reads until a line matches (within 5 s), and returns it.
    pub fn expect(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(l) = self.next_line(Duration::from_millis(200)) {
                if pred(&l) {
                    return l;
                }
            }
        }
        panic!(
            "no {what} within 5 s; lines seen:\n{}",
            self.seen.join("\n")
        );
    }

    /// The next line whose command (after tags and source) is `cmd`.
    pub fn expect_cmd(&mut self, cmd: &str) -> String {
        self.expect(cmd, |l| command_of(l) == cmd)
    }

    /// Asserts no line matching `pred` comes within `wait`.
    pub fn assert_none(&mut self, what: &str, wait: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Some(l) = self.next_line(Duration::from_millis(50)) {
                assert!(!pred(&l), "unexpected {what}: {l}");
            }
        }
    }

    /// Reads until the server closes the connection (within 5 s).
    pub fn expect_closed(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.next_line(Duration::from_millis(200)).is_none() {
                let mut b = [0u8; 1];
                match std::io::Read::read(self.reader.get_mut(), &mut b) {
                    Ok(0) => return,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => return,
                    Ok(_) => {}
                }
            }
        }
        panic!(
            "the connection stayed open; lines seen:\n{}",
            self.seen.join("\n")
        );
    }

    /// CAP, SASL PLAIN, NICK/USER and the welcome: a logged-in client with
    /// `caps` (sasl is added).
    pub fn login(addr: SocketAddr, name: &str, password: &str, caps: &str) -> IrcClient {
        let mut c = IrcClient::connect(addr);
        c.send("CAP LS 302");
        c.send(&format!("NICK {name}"));
        c.send(&format!("USER {name} 0 * :{name}"));
        c.expect_cmd("CAP");
        let want = format!("sasl {caps}");
        c.send(&format!("CAP REQ :{}", want.trim()));
        c.expect("CAP ACK", |l| l.contains(" ACK "));
        c.send("AUTHENTICATE PLAIN");
        c.expect("AUTHENTICATE +", |l| l == "AUTHENTICATE +");
        c.send(&format!("AUTHENTICATE {}", sasl_plain(name, password)));
        c.expect_cmd("903");
        c.send("CAP END");
        c.expect_cmd("001");
        c.expect("end of the MOTD", |l| {
            matches!(command_of(l), "422" | "376")
        });
        c
    }
}

/// The command of a line: after the tags and the source.
pub fn command_of(line: &str) -> &str {
    let mut rest = line;
    if rest.starts_with('@') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    if rest.starts_with(':') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    rest.split(' ').next().unwrap_or("")
}

/// The value of tag `key` of a line.
pub fn tag<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let tags = line.strip_prefix('@')?.split(' ').next()?;
    tags.split(';').find_map(|t| match t.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        None if t == key => Some(""),
        _ => None,
    })
}

/// `AUTHENTICATE` PLAIN's blob: base64 of `\0name\0password`.
pub fn sasl_plain(name: &str, password: &str) -> String {
    let raw = format!("\0{name}\0{password}");
    let bytes = raw.as_bytes();
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
