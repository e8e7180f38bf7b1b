//! What the modchat-admin tests share: the server's own test harness
//! (`tests/common`: an in-process server over a fresh SQLite file or MariaDB
//! database, a protocol client), and running the real `modchat-admin`
//! binary as a process.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

#[allow(unused_imports)]
pub use crate::common::{client::TestClient, server::PASSWORD, Backend, TestServer};

/// One run of `modchat-admin`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "exit {}: {}{}",
            self.code, self.stderr, self.stdout
        );
        &self.stdout
    }

    /// Asserts this exit code and that stderr says `why`.
    pub fn fails(&self, code: i32, why: &str) {
        assert_eq!(
            self.code, code,
            "expected exit {code}: {}{}",
            self.stderr, self.stdout
        );
        assert!(
            self.stderr.contains(why),
            "stderr should say {why:?}: {}",
            self.stderr
        );
    }

    /// The CSV lines after the header.
    pub fn csv_rows(&self) -> Vec<String> {
        self.ok()
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Runs `modchat-admin ARGS` against `url`, with `stdin` and extra `env`.
pub fn admin_env(url: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modchat-admin"))
        .args(["--database-url", url])
        .args(args)
        .env("MODCHAT_AUTH__BCRYPT_COST", "4")
        .env_remove("MODCHAT_ADMIN_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run modchat-admin");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_owned();
    // a writer thread: a large stdin must not block against a full stdout
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    let _ = feeder.join();
    Run::from(out)
}

pub fn admin(url: &str, args: &[&str]) -> Run {
    admin_env(url, args, "", &[])
}

/// A live command against `server`, as `name` with the test password.
pub fn live(server: &TestServer, name: &str, args: &[&str]) -> Run {
    let addr = server.addr.to_string();
    let mut all = vec!["--server", addr.as_str(), "--as", name];
    all.extend_from_slice(args);
    admin_env(&server.db.url, &all, &format!("{PASSWORD}\n"), &[])
}
