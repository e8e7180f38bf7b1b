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
    logged_in_as(b, name);
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
    // on a phone the button sits in the closed sidebar drawer
    b.js("document.querySelector('[data-test=open-rooms]').click(); return true;");
    let input = b.wait("[data-test=room-name-input]");
    b.type_into(&input, room);
    b.click_on(if create {
        "[data-test=create-room]"
    } else {
        "[data-test=join-room]"
    });
    let css = format!("[data-test=room][data-room={room}]");
    b.wait_until(&format!("{css} in the sidebar"), || b.find(&css));
    b.wait_until("the dialog to close", || {
        (b.js("return document.getElementById('dialog').open;") == json!(false)).then_some(())
    });
}

#[test]
fn two_users_chat_whisper_get_muted_and_reconnect() {
    let mut s = TestServer::start(Backend::Sqlite);
    let http = s.http.expect("http listener");
    let proxy = Proxy::start(http.to_string());
    let base = format!("http://{}/", proxy.addr);
    let driver = Driver::start();
    let alice = driver.session(1366, 768);
    let bob = driver.session(1366, 768);
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

    // bob messages alice from her entry in the member list: a conversation
    // of its own in the sidebar, where alice answers
    bob.click_on("[data-test=member][data-name=alice]");
    bob.click_on("[data-test=menu-whisper]");
    say(&bob, "psst");
    alice.click_on("[data-test=dm][data-with=bob]");
    message(&alice, "message", "bob", "psst");
    say(&alice, "psst back");
    message(&bob, "message", "alice", "psst back");
    bob.click_on("[data-test=room][data-room=lobby]");
    alice.click_on("[data-test=room][data-room=lobby]");

    // a moderator mutes bob: one banner says so, and the composer is off
    let mut moderator = s.account("mo", Role::Moderator);
    moderator.ok(json!({"type": "mute", "user": "bob", "duration_s": 600, "reason": "spam"}));
    let banner = bob.wait("[data-test=mute-banner]");
    let text = bob.text(&banner);
    assert!(text.contains("muted") && text.contains("spam"), "{text}");
    let input = bob.wait("[data-test=message-input]");
    bob.wait_until("the composer to be disabled", || {
        (bob.prop(&input, "disabled") == json!(true)).then_some(())
    });
    assert_eq!(
        bob.prop(&bob.wait("[data-test=send-button]"), "disabled"),
        json!(true)
    );
    let saying_muted = bob.js(
        "return [...document.querySelectorAll('[data-test=mute-banner], [data-test=composer-error], [data-test=notice]')]
           .filter(e => !e.hidden && e.offsetParent !== null && /muted/i.test(e.textContent)).length;",
    );
    assert_eq!(saying_muted, json!(1), "one banner says bob is muted");
    bob.screenshot(&shots().join("bob-muted.png"));

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

/// Waits for the chat view of this user (the sidebar with the name may be
/// a closed drawer on a phone: the page's state says it).
fn logged_in_as(b: &Browser, name: &str) {
    b.wait_until("the chat view", || {
        let me = b.js("return window.modchat && window.modchat.state.me;");
        (me == json!(name) && b.find("#chat-view:not([hidden])").is_some()).then_some(())
    });
}

/// Reloads the page: the session resumes with its token.
fn reload(b: &Browser, base: &str, name: &str) {
    b.go(base);
    logged_in_as(b, name);
}

/// The text of the first element matching `css` once it shows.
fn text_of(b: &Browser, css: &str) -> String {
    let e = b.wait(css);
    b.text(&e)
}

/// Waits until the first element matching `css` shows with this text.
fn wait_text(b: &Browser, css: &str, want: &str) {
    b.wait_until(&format!("{css} to read {want:?}"), || {
        b.find(css)
            .filter(|e| b.displayed(e) && b.text(e).contains(want))
    });
}

#[test]
fn direct_messages_unread_and_mentions_survive_a_reload() {
    let s = TestServer::start(Backend::Sqlite);
    let base = format!("http://{}/", s.http.expect("http listener"));
    let driver = Driver::start();
    let alice = driver.session(1366, 768);
    let _shots = Shots(vec![("dm-unread-alice", &alice)]);
    log_in(&alice, &base, "alice");
    open_room(&alice, "lobby", true);
    open_room(&alice, "music", true);
    let mut bob = s.user("bob");
    bob.ok(json!({"type": "join", "room": "lobby"}));
    bob.ok(json!({"type": "join", "room": "music"}));

    // a direct message: its own conversation in the sidebar, with a badge
    bob.ok(json!({"type": "whisper", "to": "alice", "text": "dm one"}));
    wait_text(
        &alice,
        "[data-test=dm][data-with=bob] [data-test=unread]",
        "1",
    );
    // alice looks at #music: what bob says in #lobby is unread there
    bob.ok(json!({"type": "say", "room": "lobby", "text": "r1"}));
    bob.ok(json!({"type": "say", "room": "lobby", "text": "r2"}));
    bob.ok(json!({"type": "say", "room": "lobby", "text": "look @Alice, here"}));
    let lobby = "[data-test=room][data-room=lobby]";
    wait_text(&alice, &format!("{lobby} [data-test=unread]"), "3");
    wait_text(&alice, &format!("{lobby} [data-test=mentions]"), "@1");
    alice.screenshot(&shots().join("unread-badges.png"));

    // after a reload: the conversation, the counts and the mention are still there
    reload(&alice, &base, "alice");
    wait_text(&alice, &format!("{lobby} [data-test=unread]"), "3");
    wait_text(&alice, &format!("{lobby} [data-test=mentions]"), "@1");
    wait_text(
        &alice,
        "[data-test=dm][data-with=bob] [data-test=unread]",
        "1",
    );
    alice.click_on("[data-test=dm][data-with=bob]");
    message(&alice, "message", "bob", "dm one");
    say(&alice, "dm two");
    let m = bob.expect("alice's answer", |v| v["type"] == "whisper");
    assert_eq!(m["text"], "dm two");
    alice.wait_until("the DM badge to go", || {
        alice
            .find("[data-test=dm][data-with=bob] [data-test=unread]")
            .is_none()
            .then_some(())
    });

    // #lobby opens on a NEW line above the first unread message, the mention lit
    alice.click_on(lobby);
    message(&alice, "message", "bob", "look @Alice, here");
    alice.wait("[data-test=new-divider]");
    let first_new = alice.js(
        "const d = document.querySelector('[data-test=new-divider]');
         const m = d.closest('.seps').nextElementSibling;
         return m.querySelector('[data-test=message-text]').textContent;",
    );
    assert_eq!(first_new, json!("r1"));
    assert_eq!(text_of(&alice, "[data-test=mention]"), "@Alice");
    alice.wait(".msg.mentions-me");
    alice.wait_until("the lobby badges to go", || {
        alice
            .find(&format!("{lobby} [data-test=badges] .badge"))
            .is_none()
            .then_some(())
    });
    alice.screenshot(&shots().join("new-divider-mention.png"));

    // the marker is on the server: a new session of alice finds nothing unread
    let mut again = s.connect();
    again.login("alice");
    let mut rooms = json!(null);
    for _ in 0..50 {
        rooms = again.ok(json!({"type": "rooms"}))["rooms"].clone();
        if rooms[0]["unread"] == json!(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(rooms[0]["name"], "lobby", "{rooms}");
    assert_eq!(rooms[0]["unread"], json!(0), "{rooms}");
    // and the page follows the marker another session sets
    bob.ok(json!({"type": "say", "room": "music", "text": "in music"}));
    wait_text(
        &alice,
        "[data-test=room][data-room=music] [data-test=unread]",
        "1",
    );
    let last = again.ok(json!({"type": "history", "room": "music", "limit": 1}))["messages"][0]
        ["id"]
        .clone();
    again.ok(json!({"type": "mark_read", "room": "music", "message_id": last}));
    alice.wait_until("the music badge to go after a read elsewhere", || {
        alice
            .find("[data-test=room][data-room=music] [data-test=unread]")
            .is_none()
            .then_some(())
    });
}

#[test]
fn room_owner_sets_topic_names_an_op_and_bans() {
    let s = TestServer::start(Backend::Sqlite);
    let base = format!("http://{}/", s.http.expect("http listener"));
    let driver = Driver::start();
    let alice = driver.session(1366, 768);
    let bob = driver.session(390, 844);
    bob.set_viewport(390, 844);
    let _shots = Shots(vec![("settings-alice", &alice), ("settings-bob", &bob)]);
    log_in(&alice, &base, "alice");
    open_room(&alice, "lobby", true);
    log_in(&bob, &base, "bob");
    open_room(&bob, "lobby", false);
    let mut carol = s.user("carol");
    carol.ok(json!({"type": "join", "room": "lobby"}));
    alice.wait("[data-test=member][data-name=carol]");

    // the topic: set in the settings, shown in the header of another member
    alice.click_on("[data-test=room-settings]");
    let topic = alice.wait("[data-test=settings-topic]");
    alice.type_into(&topic, "be nice");
    alice.click_on("[data-test=settings-topic-save]");
    wait_text(&bob, "[data-test=room-topic]", "be nice");
    assert_eq!(carol.event("topic_changed")["topic"], "be nice");

    // an op: carol is told, and the member lists show it
    alice.click_on("[data-test=settings-op][data-name=carol]");
    let ev = carol.event("room_role_changed");
    assert_eq!(ev["room_role"], "op", "{ev}");
    alice.wait("[data-test=member][data-name=carol][data-room-role=op]");
    bob.wait_until("carol shown as op for bob", || {
        bob.find("[data-test=member][data-name=carol][data-room-role=op]")
    });

    // a room ban with a reason: a line in the room, a clear view for bob
    // (the settings are still open)
    let who = alice.wait("[data-test=settings-ban-user]");
    alice.type_into(&who, "bob");
    alice.type_into(&alice.wait("[data-test=settings-ban-reason]"), "spam");
    alice.click_on("[data-test=settings-ban-add]");
    alice.wait("[data-test=settings-ban][data-name=bob]");
    alice.screenshot(&shots().join("room-settings.png"));
    alice.click_on("[data-test=dialog-close]");
    wait_text(
        &alice,
        "[data-line=ban-line]",
        "bob was banned from the room by alice",
    );
    wait_text(
        &bob,
        "[data-test=removed-title]",
        "You were banned from #lobby",
    );
    let text = text_of(&bob, "[data-test=removed-text]");
    assert!(text.contains("by alice") && text.contains("spam"), "{text}");
    assert!(bob.find("[data-test=rejoin]").is_none());
    bob.screenshot(&shots().join("room-banned-phone.png"));
    alice.screenshot(&shots().join("room-ban-line.png"));
}

#[test]
fn kicked_muted_and_blocked_say_so_clearly() {
    let mut s = TestServer::start(Backend::Sqlite);
    let base = format!("http://{}/", s.http.expect("http listener"));
    let driver = Driver::start();
    let bob = driver.session(390, 844);
    bob.set_viewport(390, 844);
    let _shots = Shots(vec![("kicked-bob", &bob)]);
    log_in(&bob, &base, "bob");
    open_room(&bob, "lobby", true);
    let mut mo = s.account("mo", Role::Moderator);
    let mut admin = s.account("root", Role::Admin);
    admin.ok(json!({"type": "filter_add", "word": "frobnicate"}));

    // a blocked word: the strikes left are counted down before the mute
    say(&bob, "I frobnicate");
    wait_text(
        &bob,
        "[data-test=composer-error]",
        "2 more and you are muted for 10 minutes",
    );
    bob.screenshot(&shots().join("blocked-phone.png"));
    bob.js("document.querySelector('[data-test=message-input]').value = ''; return true;");

    // kicked from the room: a clear view with Rejoin
    mo.ok(json!({"type": "kick", "user": "bob", "room": "lobby", "reason": "calm down"}));
    wait_text(
        &bob,
        "[data-test=removed-title]",
        "You were kicked from #lobby",
    );
    let text = text_of(&bob, "[data-test=removed-text]");
    assert!(
        text.contains("by mo") && text.contains("calm down"),
        "{text}"
    );
    bob.screenshot(&shots().join("kicked-phone.png"));
    bob.click_on("[data-test=rejoin]");
    bob.wait_until("lobby open again", || {
        bob.find("[data-test=view-title]")
            .filter(|e| bob.text(e).contains("lobby"))
    });

    // kicked from the server: the login view says by whom and why
    mo.ok(json!({"type": "kick", "user": "bob", "reason": "bye"}));
    wait_text(
        &bob,
        "[data-test=login-error]",
        "You were kicked from the server by mo: bye",
    );
    bob.screenshot(&shots().join("server-kick-phone.png"));
}

#[test]
fn texts_typed_fast_wait_out_the_rate_limit_one_by_one() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.limits.say_burst = 2;
        c.limits.say_per_s = 2.0;
    });
    let base = format!("http://{}/", s.http.expect("http listener"));
    let driver = Driver::start();
    let bob = driver.session(1366, 768);
    let _shots = Shots(vec![("rate-bob", &bob)]);
    log_in(&bob, &base, "bob");
    open_room(&bob, "lobby", true);
    let mut carol = s.user("carol");
    carol.ok(json!({"type": "join", "room": "lobby"}));
    let input = bob.wait("[data-test=message-input]");
    for i in 1..=5 {
        bob.type_into(&input, &format!("fast {i}{ENTER}"));
    }
    // each text arrives on its own, in order, none glued to another
    for i in 1..=5 {
        let m = carol.expect(&format!("fast {i}"), |v| v["type"] == "message");
        assert_eq!(m["text"], format!("fast {i}"), "{m}");
    }
    message(&bob, "mine", "bob", "fast 5");
    assert_eq!(bob.prop(&input, "value"), json!(""));
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
    let b = driver.session(1366, 768);
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
