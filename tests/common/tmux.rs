//! A tmux server of a test's own, for full-screen clients (the terminal
//! client, irssi): keys in, the screen out.

#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(cmd: &str, width: u16, height: u16) -> Tmux {
        // one server per Tmux, however many a test binary runs at once
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("modchat-test-{}-{n}", std::process::id());
        let _ = height;
        let t = Tmux { socket };
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "chat",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(cmd)
            .status()
            .expect("tmux must be installed: scripts/test installs it");
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    pub fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "chat"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    /// Types `text` literally, then Enter.
    pub fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// Pastes `text` as a terminal does: bracketed (`paste-buffer -p`)
    /// when the program asked for it.
    pub fn paste(&self, text: &str) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "set-buffer", "--", text])
            .status()
            .expect("tmux set-buffer")
            .success();
        assert!(ok, "tmux set-buffer failed");
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "paste-buffer", "-p", "-t", "chat"])
            .status()
            .expect("tmux paste-buffer")
            .success();
        assert!(ok, "tmux paste-buffer failed");
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "chat"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `ok` holds for the screen; returns it.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "never {what}:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen shows `what`; returns the screen.
    pub fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
