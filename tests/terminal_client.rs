//! README "Chat from a terminal": `modchat chat` as a person uses it, in
//! tmux (send-keys, capture-pane): log in with a password that is not
//! echoed, join, send, receive, whisper and reply; and the plain line mode
//! from a pipe, for scripts.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::PASSWORD;
use common::tmux::Tmux;
use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::json;

#[test]
fn full_screen_in_tmux() {
    let s = TestServer::start(Backend::Sqlite);
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    alice.ok(json!({"type": "say", "room": "lobby", "text": "earlier message"}));
    let bin = env!("CARGO_BIN_EXE_modchat");
    let cmd = format!("{bin} chat --server {} --register; sleep 60", s.addr);
    let t = Tmux::start(&cmd, 110, 30);

    t.wait_for("username:");
    t.line("bob");
    // --register: the new password, twice, never echoed
    t.wait_for("new password");
    t.line(PASSWORD);
    t.wait_for("the same again");
    t.line(PASSWORD);
    let screen = t.wait_for("logged in as bob");
    assert!(
        !screen.contains(PASSWORD),
        "the password was echoed:\n{screen}"
    );

    t.line("/join lobby");
    let screen = t.wait_for("earlier message");
    assert!(screen.contains("Members"), "{screen}");
    assert_eq!(alice.event("joined")["user"], "bob");

    t.line("hello from the terminal");
    assert_eq!(alice.event("message")["text"], "hello from the terminal");
    alice.ok(json!({"type": "say", "room": "lobby", "text": "hi bob, welcome"}));
    t.wait_for("alice hi bob, welcome");

    alice.ok(json!({"type": "whisper", "to": "bob", "text": "psst"}));
    t.wait_for("alice whispers: psst");
    t.line("/r got it");
    let w = alice.event("whisper");
    assert_eq!(
        (w["from"].as_str(), w["text"].as_str()),
        (Some("bob"), Some("got it"))
    );
    t.line("/w alice one more");
    assert_eq!(alice.event("whisper")["text"], "one more");

    // emotes, both ways
    t.line("/me waves");
    let m = alice.event("message");
    assert_eq!(
        (&m["text"], &m["action"]),
        (&json!("waves"), &json!(true)),
        "{m}"
    );
    t.wait_for("* bob waves");
    alice.ok(json!({"type": "say", "room": "lobby", "text": "nods", "action": true}));
    t.wait_for("* alice nods");

    t.line("/frobnicate");
    t.wait_for("unknown command /frobnicate");
    let screen = t.screen();
    // what a person sees, in the test log
    eprintln!("--- the terminal client ---\n{screen}");
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("terminal-client.txt");
    let _ = std::fs::write(log, &screen);
    assert!(screen.contains("#lobby"), "{screen}");
    assert!(screen.contains("● connected"), "{screen}");

    t.line("/quit");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !alice.sync().iter().any(|v| v["type"] == "offline") {
        assert!(
            Instant::now() < deadline,
            "bob never went offline after /quit"
        );
    }
}

#[test]
fn plain_mode_from_a_pipe() {
    let s = TestServer::start(Backend::Sqlite);
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    let mut child = Command::new(env!("CARGO_BIN_EXE_modchat"))
        .args(["chat", "--server", &s.addr.to_string(), "--register"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("modchat chat");
    let script = format!(
        "carol\n{PASSWORD}\n/join lobby\nhello from a script\n/w alice psst\n/rooms\n/nonsense\n"
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(alice.event("message")["text"], "hello from a script");
    assert_eq!(alice.event("whisper")["text"], "psst");
    for expected in [
        "logged in as carol (user)",
        "[lobby]",
        "you joined lobby",
        "carol: hello from a script",
        "(whisper to alice) psst",
        "#lobby (joined): 2 members, 2 online",
        "! unknown command /nonsense",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }

    // a wrong password: a clear error and a failing exit
    let out = Command::new(env!("CARGO_BIN_EXE_modchat"))
        .args(["chat", "--server", &s.addr.to_string(), "--user", "carol"])
        .env("MODCHAT_PASSWORD", "not the password")
        .stdin(Stdio::null())
        .output()
        .expect("modchat chat");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad_credentials"));
}

/// Issue 20: a 40-line paste is one message, whole; lines typed faster
/// than the rate limit all arrive, in order (a `rate_limited` text is sent
/// again after its wait, never dropped).
#[test]
fn a_paste_and_a_fast_typist_lose_nothing() {
    // a small bucket, so typing outruns it for sure
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.limits.say_burst = 3;
        c.limits.say_per_s = 4.0;
    });
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    let _bob = s.user("bob");
    let bin = env!("CARGO_BIN_EXE_modchat");
    let cmd = format!(
        "MODCHAT_PASSWORD={PASSWORD} {bin} chat --server {} --user bob; sleep 60",
        s.addr
    );
    let t = Tmux::start(&cmd, 100, 30);
    t.wait_for("logged in as bob");
    t.line("/join lobby");
    t.wait_for("you joined lobby");
    assert_eq!(alice.event("joined")["user"], "bob");

    let pasted: Vec<String> = (1..=40).map(|i| format!("pasted line {i}")).collect();
    t.paste(&pasted.join("\n"));
    t.keys(&["Enter"]);
    let m = alice.event("message");
    assert_eq!(m["text"], pasted.join("\n"), "one message, every line");

    // readline's keys edit the line instead of typing letters
    t.keys(&["-l", "hello wrld"]);
    t.keys(&["C-w"]);
    t.keys(&["-l", "world"]);
    t.keys(&["C-a", "C-k"]);
    t.keys(&["-l", "hi there wrld"]);
    t.keys(&["M-b", "C-k"]);
    t.keys(&["-l", "world"]);
    t.keys(&["Enter"]);
    assert_eq!(alice.event("message")["text"], "hi there world");
    // Tab completes a nick of the room
    t.keys(&["-l", "thanks al"]);
    t.keys(&["Tab"]);
    t.keys(&["-l", "!"]);
    t.keys(&["Enter"]);
    assert_eq!(alice.event("message")["text"], "thanks alice !");

    // 12 lines typed at once: 3 pass the burst, the rest wait and go
    for i in 1..=12 {
        t.line(&format!("fast {i}"));
    }
    let mut got = Vec::new();
    while got.len() < 12 {
        let m = alice.event("message");
        got.push(m["text"].as_str().unwrap_or_default().to_owned());
    }
    let want: Vec<String> = (1..=12).map(|i| format!("fast {i}")).collect();
    assert_eq!(got, want, "all of them, in order");
    let screen = t.wait_for("slow down: sending again in");
    assert!(!screen.contains("rate_limited"), "{screen}");
}

/// Issue 20: the plain mode paces a piped file: every line arrives, in
/// order, however far past the rate limit the file goes.
#[test]
fn plain_mode_paces_a_piped_file() {
    let s = TestServer::start(Backend::Sqlite);
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    let _dave = s.user("dave");
    let mut child = Command::new(env!("CARGO_BIN_EXE_modchat"))
        .args(["chat", "--server", &s.addr.to_string(), "--user", "dave"])
        .env("MODCHAT_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("modchat chat");
    let mut script = String::from("/join lobby\n");
    for i in 1..=40 {
        script.push_str(&format!("line {i}\n"));
    }
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let mut got = Vec::new();
    while got.len() < 40 {
        let m = alice.event("message");
        got.push(m["text"].as_str().unwrap_or_default().to_owned());
    }
    let want: Vec<String> = (1..=40).map(|i| format!("line {i}")).collect();
    assert_eq!(got, want);
    assert!(!stdout.contains("rate_limited"), "{stdout}");
}

/// Issue 20, as an irssi user meets it at 80x24: a wrong password is
/// asked again; the rooms list in the top bar with unread whispers from
/// before the login; the topic above the room; a conversation with its
/// history; the member list back after a kick; -MORE- when scrolled up.
#[test]
fn an_irssi_user_at_80x24() {
    let mut s = TestServer::start(Backend::Sqlite);
    let mut alice = s.user("alice");
    let _bob = s.user("bob");
    let mut dave = s.user("dave");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    dave.ok(json!({"type": "join", "room": "lobby"}));
    for i in 0..30 {
        alice.ok(json!({"type": "say", "room": "lobby", "text": format!("earlier message {i}")}));
    }
    alice.ok(json!({"type": "whisper", "to": "bob", "text": "an old secret"}));
    let bin = env!("CARGO_BIN_EXE_modchat");
    let cmd = format!("{bin} chat --server {} --user bob; sleep 60", s.addr);
    let t = Tmux::start(&cmd, 80, 24);

    // a typo in the password is asked again, not the end
    t.wait_for("password:");
    t.line("not-the-password");
    t.wait_for("Wrong password");
    t.line("");
    t.wait_for("password:");
    t.line(PASSWORD);
    let screen = t.wait_for("logged in as bob");
    // no side panes at 80 columns: the rooms are in the top bar, with the
    // whisper that came before the login counted
    t.wait_for("@alice(1)");
    assert!(!screen.contains("Members"), "{screen}");

    t.line("/join lobby");
    t.wait_for("earlier message 29");
    t.wait_for("1:#lobby");
    alice.ok(json!({"type": "set_topic", "room": "lobby", "topic": "say hi, be nice"}));
    t.wait_for("alice set the topic: say hi, be nice");
    t.wait_for("#lobby say hi, be nice");

    // scrolled up: the top bar says so
    t.keys(&["PageUp"]);
    t.wait_for("-MORE- 10 newer");
    // a line that comes meanwhile does not move the window
    alice.ok(json!({"type": "say", "room": "lobby", "text": "while scrolled"}));
    let screen = t.wait_for("-MORE- 11 newer");
    assert!(!screen.contains("while scrolled"), "{screen}");
    t.keys(&["PageDown"]);
    t.wait_for("-MORE- 1 newer");
    t.keys(&["PageDown"]);
    let screen = t.wait_for("while scrolled");
    assert!(!screen.contains("-MORE-"), "{screen}");
    // the mouse wheel (SGR mouse reports, as a terminal sends them)
    t.keys(&["-l", "\x1b[<64;20;10M"]);
    t.wait_for("-MORE- 3 newer");
    t.keys(&["-l", "\x1b[<65;20;10M"]);
    t.wait_until("the wheel back at the bottom", |s| !s.contains("-MORE-"));

    // the conversation, with what was whispered before
    t.line("/query alice");
    t.wait_for("alice whispers: an old secret");
    t.line("hello there");
    let w = alice.event("whisper");
    assert_eq!(
        (&w["from"], &w["text"]),
        (&json!("bob"), &json!("hello there"))
    );
    t.line("/join lobby");
    t.wait_for("1:#lobby");

    // the members pane on request; a kicked member comes back online
    t.keys(&["F3"]);
    t.wait_for("Members 3/3");
    let mut mo = s.account("mo", Role::Moderator);
    mo.ok(json!({"type": "kick", "user": "dave", "reason": "cool off"}));
    t.wait_for("dave was kicked by mo");
    t.wait_for("Members 2/2");
    let mut dave = s.connect();
    dave.login("dave");
    t.wait_for("Members 3/3");
    t.keys(&["F3"]);

    // /me, and one legal 2,000-character line: the room is never blank
    t.line("/me waves");
    t.wait_for("* bob waves");
    let long: String = (0..2000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    alice.ok(json!({"type": "say", "room": "lobby", "text": long}));
    let screen = t.wait_for("alice abcdefghij");
    // its top, and -MORE- for the rest, which PageDown shows
    assert!(screen.contains("-MORE-"), "{screen}");
    t.keys(&["PageDown", "PageDown"]);
    let end: String = long
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    t.wait_for(&end);
    t.keys(&["PageUp", "PageUp"]);
    eprintln!("--- 80x24 ---\n{screen}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("terminal-80x24.txt"),
        &screen,
    );
    t.line("/quit");
}
