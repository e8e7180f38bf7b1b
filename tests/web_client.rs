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

/// axe-core, which scripts/test installs with npm.
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/npm/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; scripts/test installs axe-core there \
             (npm install --prefix target/npm --no-save axe-core@4)",
            path.display()
        )
    })
}

/// Moderate rules that issue 20 names too: a `<h1>` and no content outside
/// landmarks.
const ISSUE_20_RULES: &[&str] = &["page-has-heading-one", "landmark-one-main", "region"];

/// Runs axe-core on the page as it is now and returns a line for each
/// violation of impact serious or critical or of [`ISSUE_20_RULES`], with
/// `what` (the view) first. Every violation's rule and impact go to stderr,
/// for the record.
fn axe_check(b: &Browser, axe: &str, what: &str) -> Vec<String> {
    // a WebDriver script is not the page's: the page's CSP does not stop it
    let loaded = b.js(&format!(
        "if (!window.axe) {{ {axe}\n }} return typeof window.axe;"
    ));
    assert_eq!(loaded, json!("object"), "axe-core did not load in the page");
    let v = b.js_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {resultTypes: ['violations']})
           .then(r => done({violations: r.violations.map(v => ({
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
           }))}))
           .catch(e => done({error: String(e && e.stack || e)}));",
        vec![],
        std::time::Duration::from_secs(30),
    );
    assert!(
        v["error"].is_null(),
        "axe.run failed on {what}: {}",
        v["error"]
    );
    let mut bad = Vec::new();
    for violation in v["violations"].as_array().cloned().unwrap_or_default() {
        let impact = violation["impact"].as_str().unwrap_or("?");
        let id = violation["id"].as_str().unwrap_or("?");
        let nodes = violation["nodes"].as_array().cloned().unwrap_or_default();
        eprintln!("axe on {what}: {id} ({impact}), {} node(s)", nodes.len());
        if impact == "serious" || impact == "critical" || ISSUE_20_RULES.contains(&id) {
            let mut line = format!(
                "{what}: {id} ({impact}): {}",
                violation["help"].as_str().unwrap_or("")
            );
            for n in &nodes {
                line.push_str(&format!(
                    "\n    {}: {}",
                    n["target"].as_str().unwrap_or("?"),
                    n["summary"].as_str().unwrap_or("").replace('\n', " ")
                ));
            }
            bad.push(line);
        }
    }
    bad
}

/// Waits for the page's transitions (a drawer sliding) to end.
fn settle(b: &Browser) {
    b.wait_until("the page's transitions to end", || {
        (b.js("return document.getAnimations().filter(a => a instanceof CSSTransition && a.playState === 'running').length;")
            == json!(0))
        .then_some(())
    });
}

/// Issue 20: axe-core finds no serious or critical accessibility problem on
/// the login page and in the chat view (a room with messages and its member
/// list, the rooms dialog, a member's menu), at a desktop and at a phone
/// size (the drawers open and closed); nor a missing `<h1>` or content
/// outside landmarks.
#[test]
fn axe_finds_no_serious_violation() {
    let axe = axe_source();
    let s = TestServer::start(Backend::Sqlite);
    let base = format!("http://{}/", s.http.expect("http listener"));
    let driver = Driver::start();
    let b = driver.session(1280, 800);
    let _shots = Shots(vec![("axe", &b)]);
    let mut bad = Vec::new();

    b.go(&base);
    b.wait("[data-test=login-username]");
    b.wait_until("the login page to connect", || {
        b.find("#login-conn")
            .and_then(|e| b.attr(&e, "data-state"))
            .filter(|st| st == "connected")
    });
    b.screenshot(&shots().join("axe-login.png"));
    bad.extend(axe_check(&b, &axe, "login page"));

    log_in(&b, &base, "alice");
    open_room(&b, "lobby", true);
    let mut carol: TestClient = s.user("carol");
    carol.ok(json!({"type": "join", "room": "lobby"}));
    say(&b, "hello, is anyone here?");
    carol.ok(json!({"type": "say", "room": "lobby", "text": "hi alice, welcome"}));
    say(&b, "/me waves");
    message(&b, "message", "carol", "hi alice, welcome");
    b.wait_until("alice's emote", || {
        b.find_all("[data-test=message][data-from=alice] [data-test=message-text]")
            .into_iter()
            .find(|e| b.text(e).contains("waves"))
    });
    b.wait("[data-test=member-list] [data-test=member][data-name=carol]");
    // a member who left: the list shows him offline, greyed
    let mut dave: TestClient = s.user("dave");
    dave.ok(json!({"type": "join", "room": "lobby"}));
    drop(dave);
    b.wait("[data-test=member-list] [data-test=member].offline[data-name=dave]");
    // the toast "Created #lobby" stays: the notices are checked too
    b.screenshot(&shots().join("axe-chat.png"));
    bad.extend(axe_check(&b, &axe, "chat view"));
    // the modal dialog (rooms) and a member's menu
    b.click_on("[data-test=open-rooms]");
    b.wait("[data-test=room-name-input]");
    bad.extend(axe_check(&b, &axe, "the rooms dialog"));
    b.click_on("[data-test=dialog-close]");
    b.click_on("[data-test=member][data-name=carol]");
    b.wait("[data-test=menu] [role=menuitem]");
    bad.extend(axe_check(&b, &axe, "a member's menu"));
    // a click elsewhere closes it
    b.click_on("[data-test=view-title]");
    b.wait_until("the menu to close", || {
        b.find("[data-test=menu]")
            .filter(|m| !b.displayed(m))
            .map(|_| ())
    });

    // a phone: the member list is a drawer, opened from the header
    b.set_viewport(390, 844);
    b.click_on("[data-test=toggle-members]");
    b.wait("[data-test=member-list] [data-test=member][data-name=carol]");
    settle(&b);
    b.screenshot(&shots().join("axe-phone-members.png"));
    bad.extend(axe_check(&b, &axe, "chat view on a phone, members open"));
    // the scrim beside the drawer closes it (its middle is under the drawer)
    b.js("document.getElementById('scrim').click(); return true;");
    b.click_on("[data-test=toggle-sidebar]");
    b.wait("[data-test=room][data-room=lobby]");
    settle(&b);
    b.screenshot(&shots().join("axe-phone-rooms.png"));
    bad.extend(axe_check(&b, &axe, "chat view on a phone, rooms open"));
    b.js("document.getElementById('scrim').click(); return true;");
    settle(&b);
    b.screenshot(&shots().join("axe-phone.png"));
    bad.extend(axe_check(&b, &axe, "chat view on a phone"));

    assert!(
        bad.is_empty(),
        "axe-core found {} violation(s) that must not be:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
