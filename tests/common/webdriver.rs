//! Just enough of W3C WebDriver to drive Debian's Chromium through
//! chromedriver from a test: sessions, navigation, elements, keys, scripts,
//! screenshots. Plain HTTP/1.0 over a std socket and serde_json: no crate
//! for a few dozen lines.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WAIT: Duration = Duration::from_secs(10);

/// A chromedriver process, killed on drop.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    pub fn start() -> Driver {
        for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: scripts/test installs Debian's chromium and chromium-driver"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let d = Driver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + WAIT;
        while http(d.addr, "GET", "/status", None)
            .map(|v| v["value"]["ready"] != true)
            .unwrap_or(true)
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    /// A headless browser window of this size.
    pub fn session(&self, width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
        }}});
        let v = http(self.addr, "POST", "/session", Some(&caps)).expect("new session");
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        let b = Browser {
            driver: self.addr,
            id,
            _profile: profile,
        };
        // the page, not the window, is `width` x `height`: screenshots are
        // what a screen of that size shows
        b.set_viewport(width, height);
        b
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session.
pub struct Browser {
    driver: SocketAddr,
    id: String,
    _profile: tempfile::TempDir,
}

/// An element of a page.
#[derive(Clone, Debug)]
pub struct El(String);

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let v = http(
            self.driver,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        )?;
        if let Some(e) = v["value"]["error"].as_str() {
            return Err(format!("{e}: {}", v["value"]["message"]));
        }
        Ok(v["value"].clone())
    }

    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})))
            .expect("navigate");
    }

    pub fn find(&self, css: &str) -> Option<El> {
        self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v[ELEMENT].as_str().map(|s| El(s.to_owned())))
    }

    pub fn find_all(&self, css: &str) -> Vec<El> {
        self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e[ELEMENT].as_str().map(|s| El(s.to_owned())))
        .collect()
    }

    /// Waits for an element matching `css` that is displayed.
    pub fn wait(&self, css: &str) -> El {
        self.wait_until(&format!("{css} to show"), || {
            self.find(css).filter(|e| self.displayed(e))
        })
    }

    /// Polls `f` until it gives something, up to [`WAIT`].
    pub fn wait_until<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(t) = f() {
                return t;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn click(&self, e: &El) {
        self.call("POST", &format!("/element/{}/click", e.0), Some(json!({})))
            .expect("click");
    }

    /// Clicks what matches `css` once it shows, finding it again when the
    /// page re-rendered it meanwhile (a member list refreshed by an event)
    /// or something covered it for a moment (a toast).
    pub fn click_on(&self, css: &str) {
        self.wait_until(&format!("{css} to be clickable"), || {
            let e = self.find(css).filter(|e| self.displayed(e))?;
            match self.call("POST", &format!("/element/{}/click", e.0), Some(json!({}))) {
                Ok(_) => Some(()),
                Err(err) if err.contains("stale element") || err.contains("click intercepted") => {
                    None
                }
                Err(err) => panic!("click {css}: {err}"),
            }
        });
    }

    /// Types text into an element (`\u{E007}` is Enter).
    pub fn type_into(&self, e: &El, text: &str) {
        self.call(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        )
        .expect("send keys");
    }

    pub fn text(&self, e: &El) -> String {
        self.call("GET", &format!("/element/{}/text", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn attr(&self, e: &El, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{}/attribute/{name}", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    pub fn prop(&self, e: &El, name: &str) -> Value {
        self.call("GET", &format!("/element/{}/property/{name}", e.0), None)
            .unwrap_or(Value::Null)
    }

    pub fn displayed(&self, e: &El) -> bool {
        self.call("GET", &format!("/element/{}/displayed", e.0), None)
            .map(|v| v == true)
            .unwrap_or(false)
    }

    /// Runs a script (`return ...;`) in the page.
    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Runs an asynchronous script: it gets a callback as its last argument
    /// (`arguments[arguments.length - 1]`) and ends by calling it with the
    /// value to return. `args` come first. Waits up to `timeout`.
    pub fn js_async(&self, script: &str, args: Vec<Value>, timeout: Duration) -> Value {
        self.call(
            "POST",
            "/timeouts",
            Some(json!({"script": timeout.as_millis() as u64})),
        )
        .unwrap_or_else(|e| panic!("set the script timeout: {e}"));
        self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    /// Resizes the window so that the page's viewport (`innerWidth` ×
    /// `innerHeight`) is this size, whatever the browser's frame takes.
    pub fn set_viewport(&self, width: u32, height: u32) {
        let mut size = (width, height);
        for _ in 0..3 {
            self.call(
                "POST",
                "/window/rect",
                Some(json!({"width": size.0, "height": size.1})),
            )
            .unwrap_or_else(|e| panic!("resize the window: {e}"));
            let v = self.js("return [innerWidth, innerHeight];");
            let (w, h) = (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0));
            if (w, h) == (width as u64, height as u64) {
                return;
            }
            size.0 = (size.0 as i64 + width as i64 - w as i64).max(1) as u32;
            size.1 = (size.1 as i64 + height as i64 - h as i64).max(1) as u32;
        }
    }

    /// Saves a PNG of the window.
    pub fn screenshot(&self, path: &Path) {
        if let Ok(v) = self.call("GET", "/screenshot", None) {
            if let (Some(b64), Some(dir)) = (v.as_str(), path.parent()) {
                let _ = std::fs::create_dir_all(dir);
                let _ = std::fs::write(path, base64_decode(b64));
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
    }
}

/// One WebDriver call: JSON in, JSON out.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    // chromedriver speaks HTTP/1.1 only, and keeps the socket open after
    // the answer: read the head, then exactly Content-Length bytes
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (head_end, length) = loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!(
                "chromedriver closed the connection: {}",
                String::from_utf8_lossy(&raw)
            ));
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while raw.len() < head_end + length {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = &raw[head_end..(head_end + length).min(raw.len())];
    serde_json::from_slice(body).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&raw)))
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
