//! README "Chat in a browser": the web client at `GET /`, driven in
//! headless Chromium through chromedriver, for two users: register, log in,
//! create and join a room, talk both ways, whisper and reply with one
//! click; a moderator mutes one, who sees it and cannot send; a dropped
//! connection resumes by itself without losing what was typed.
//! Screenshots go to target/tmp/web-client/ (on failure too).

mod common;

use std::path::PathBuf;

use common::client::TestClient;
use common::proxy::Proxy;
use common::webdriver::{Browser, Driver};
use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::json;

const ENTER: &str = "\u{E007}";

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-client")
}

/// Screenshots of every browser when the test ends, failing or not.
struct Shots<'a>(Vec<(&'a str, &'a Browser)>);

impl Drop for Shots<'_> {
    fn drop(&mut self) {
        let failed = if std::thread::panicking() {
            "-failed"
        } else {
            ""
        };
        for (name, b) in &self.0 {
            b.screenshot(&shots().join(format!("{name}{failed}.png")));
        }
    }
}

fn log_in(b: &Browser, base: &str, name: &str) {
    b.go(base);
    let user = b.wait("[data-test=login-username]");
    b.type_into(&user, name);
    b.type_into(
        &b.wait("[data-test=login-password]"),
        common::server::PASSWORD,
    );
    b.click_on("[data-test=register-submit]");
    b.wait_until("the chat view", || {
        b.find("[data-test=me-name]").filter(|e| b.text(e) == name)
    });
}

fn say(b: &Browser, text: &str) {
    let input = b.wait("[data-test=message-input]");
    b.type_into(&input, &format!("{text}{ENTER}"));
}

/// Waits for a message element of this kind, author and text.
fn message(b: &Browser, kind: &str, from: &str, text: &str) {
    let css = format!(
        "[data-test=message][data-kind={kind}][data-from=\"{from}\"] [data-test=message-text]"
    );
    b.wait_until(&format!("{kind} from {from}: {text}"), || {
        b.find_all(&css).into_iter().find(|e| b.text(e) == text)
    });
}

fn open_room(b: &Browser, room: &str, create: bool) {
    b.click_on("[data-test=open-rooms]");
    let input = b.wait("[data-test=room-name-input]");
    b.type_into(&input, room);
    b.click_on(if create {
        "[data-test=create-room]"
    } else {
        "[data-test=join-room]"
    });
    b.wait(&format!("[data-test=room][data-room={room}]"));
}

#[test]
fn two_users_chat_whisper_get_muted_and_reconnect() {
    let mut s = TestServer::start(Backend::Sqlite);
    let http = s.http.expect("http listener");
    let proxy = Proxy::start(http.to_string());
    let base = format!("http://{}/", proxy.addr);
    let driver = Driver::start();
    let alice = driver.session(1280, 800);
    let bob = driver.session(1280, 800);
    let _shots = Shots(vec![("alice", &alice), ("bob", &bob)]);

    log_in(&alice, &base, "alice");
    log_in(&bob, &base, "bob");
    open_room(&alice, "lobby", true);
    open_room(&bob, "lobby", false);
    // a TCP member, to check what is (not) delivered
    let mut carol: TestClient = s.user("carol");
    carol.ok(json!({"type": "join", "room": "lobby"}));

    say(&alice, "hello bob");
    message(&bob, "message", "alice", "hello bob");
    say(&bob, "hi alice, <b>not bold</b>");
    message(&alice, "message", "bob", "hi alice, <b>not bold</b>");
    assert_eq!(carol.event("message")["text"], "hello bob");
    assert!(
        alice.find("[data-test=message-text] b").is_none(),
        "text was rendered as HTML"
    );
    // "/me" is an emote: sent with `action`, shown as a sentence about its author
    say(&alice, "/me waves at everyone");
    message(&bob, "message", "alice", "* alice waves at everyone");
    let ev = carol.expect("alice's emote", |v| {
        v["type"] == "message" && v["text"] == "waves at everyone"
    });
    assert_eq!(ev["action"], json!(true), "{ev}");

    // bob whispers from alice's entry in the member list; alice replies with one click
    bob.click_on("[data-test=member][data-name=alice]");
    bob.click_on("[data-test=menu-whisper]");
    say(&bob, "psst");
    alice.click_on("#whispers-entry");
    message(&alice, "whisper-in", "bob", "psst");
    alice.click_on("[data-test=message][data-kind=whisper-in] [data-test=reply]");
    say(&alice, "psst back");
    bob.click_on("#whispers-entry");
    message(&bob, "whisper-in", "alice", "psst back");
    bob.click_on("[data-test=room][data-room=lobby]");
    alice.click_on("[data-test=room][data-room=lobby]");

    // a moderator mutes bob: he sees it and cannot send
    let mut moderator = s.account("mo", Role::Moderator);
    moderator.ok(json!({"type": "mute", "user": "bob", "duration_s": 600, "reason": "spam"}));
    bob.wait_until("the mute notice", || {
        bob.find_all("[data-test=notice]")
            .into_iter()
            .find(|n| bob.text(n).to_lowercase().contains("muted"))
    });
    bob.wait("[data-test=mute-banner]");
    say(&bob, "can I still talk?");
    let err = bob.wait("[data-test=composer-error]");
    assert!(
        bob.text(&err).to_lowercase().contains("muted"),
        "{}",
        bob.text(&err)
    );
    carol.assert_none("bob's muted message", |v| v["text"] == "can I still talk?");

    // the connection drops; what alice typed meanwhile survives the resume
    let input = alice.wait("[data-test=message-input]");
    alice.type_into(&input, "typed while offline");
    proxy.down();
    alice.wait_until("a reconnecting state", || {
        alice
            .find("[data-test=conn-status]")
            .and_then(|e| alice.attr(&e, "data-state"))
            .filter(|st| st != "connected")
    });
    alice.screenshot(&shots().join("alice-reconnecting.png"));
    proxy.restore();
    alice.wait_until("connected again", || {
        alice
            .find("[data-test=conn-status]")
            .and_then(|e| alice.attr(&e, "data-state"))
            .filter(|st| st == "connected")
    });
    assert_eq!(alice.prop(&input, "value"), "typed while offline");
    alice.type_into(&input, ENTER);
    let m = carol.expect("alice's draft, sent after the resume", |v| {
        v["type"] == "message" && v["text"] == "typed while offline"
    });
    assert_eq!(m["from"], "alice");
    message(&bob, "message", "alice", "typed while offline");

    // one more line for the README picture
    carol.ok(json!({"type": "say", "room": "lobby", "text": "welcome back, alice"}));
    message(&alice, "message", "carol", "welcome back, alice");
    alice.js("document.querySelectorAll('[data-test=notice-close]').forEach(b => b.click()); return true;");
    alice.wait_until("the toasts to go", || {
        alice
            .find_all("[data-test=notice]")
            .is_empty()
            .then_some(())
    });
    alice.screenshot(&shots().join("readme.png"));
}
