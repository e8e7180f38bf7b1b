//! Real IRC clients on the gateway (issue 19): weechat (headless) and irssi
//! (in tmux), each logging in with SASL, joining, talking with a JSON
//! user, sending an emote and a whisper, and being kicked by a moderator.
//! scripts/test installs both. The database does not matter here: SQLite.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::client::TestClient;
use common::server::PASSWORD;
use common::tmux::Tmux;
use common::{Backend, TestServer};
use modchat::model::Role;
use serde_json::{json, Value};

fn server() -> TestServer {
    TestServer::start_with(Backend::Sqlite, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    })
}

/// The next event of `ty` from `from` (other events are skipped).
fn event_from(c: &mut TestClient, ty: &str, from: &str) -> Value {
    c.expect(&format!("{ty} from {from}"), |v| {
        v["type"] == ty && v["from"] == from
    })
}

/// Waits until `path` exists and contains `what`; returns the file.
fn wait_for_file(path: &Path, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(what) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never showed {what:?}:\n{text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn weechat_with_sasl() {
    let mut srv = server();
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    alice.ok(json!({"type": "set_topic", "room": "hall", "topic": "the hall"}));
    let _carol = srv.user("carol");
    let dir = tempfile::tempdir().expect("weechat dir");
    let buffer = "irc.modchat.#hall";
    let commands = [
        "/set irc.look.temporary_servers on".to_owned(),
        // every line in the log at once, for the test to read
        "/set logger.file.flush_delay 0".into(),
        format!(
            "/server add modchat {}/{} -notls -sasl_mechanism=plain -sasl_username=carol -sasl_password={PASSWORD} -nicks=carol",
            irc.ip(),
            irc.port()
        ),
        "/connect modchat".into(),
        "/wait 2 /command -buffer irc.server.modchat irc /join #hall".into(),
        format!("/wait 4 /command -buffer {buffer} irc /msg #hall hello from weechat"),
        format!("/wait 5 /command -buffer {buffer} irc /me dances"),
        format!("/wait 6 /command -buffer {buffer} irc /msg alice psst from weechat"),
        "/wait 20 /quit".into(),
    ];
    let mut weechat = Command::new("weechat-headless")
        .arg("--dir")
        .arg(dir.path())
        .args(["-r", &commands.join(";")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("weechat-headless must be installed: scripts/test installs it");

    assert_eq!(alice.event("joined")["user"], "carol");
    let m = event_from(&mut alice, "message", "carol");
    assert_eq!(m["text"], "hello from weechat");
    let m = event_from(&mut alice, "message", "carol");
    assert_eq!((&m["text"], &m["action"]), (&json!("dances"), &json!(true)));
    let w = event_from(&mut alice, "whisper", "carol");
    assert_eq!(w["text"], "psst from weechat");
    alice.ok(json!({"type": "say", "room": "hall", "text": "hi carol, from JSON"}));
    let log = dir.path().join("logs").join("irc.modchat.#hall.weechatlog");
    wait_for_file(&log, "hi carol, from JSON");
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "kick", "user": "carol", "room": "hall", "reason": "enough"}));
    let text = wait_for_file(&log, "has kicked carol");
    eprintln!("--- weechat's #hall ---\n{text}");
    for seen in [
        "Topic for #hall is \"the hall\"",
        "carol\thello from weechat",
        "carol dances",
        "alice\thi carol, from JSON",
        "mod has kicked carol (enough)",
    ] {
        assert!(text.contains(seen), "{seen:?} in:\n{text}");
    }
    let server_log = std::fs::read_to_string(
        dir.path()
            .join("logs")
            .join("irc.server.modchat.weechatlog"),
    )
    .unwrap_or_default();
    assert!(
        server_log.contains("SASL authentication successful"),
        "{server_log}"
    );
    let _ = weechat.kill();
    let _ = weechat.wait();
}

#[test]
fn irssi_in_tmux_with_sasl() {
    let mut srv = server();
    let irc = srv.irc.expect("irc listener");
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let _bob = srv.user("bob");
    let home = tempfile::tempdir().expect("irssi home");
    std::fs::write(
        home.path().join("config"),
        format!(
            r#"servers = ( {{ address = "{}"; chatnet = "modchat"; port = "{}"; }} );
chatnets = {{ modchat = {{ type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "bob"; sasl_password = "{PASSWORD}"; }}; }};
settings = {{ core = {{ real_name = "Bob"; user_name = "bob"; nick = "bob"; }}; "fe-common/core" = {{ theme = "default"; }}; }};
"#,
            irc.ip(),
            irc.port()
        ),
    )
    .expect("irssi config");
    let t = Tmux::start(&format!("irssi --home={}", home.path().display()), 110, 31);
    t.wait_for("Irssi");
    t.line("/connect modchat");
    t.wait_for("SASL authentication succeeded");
    t.wait_for("Welcome to the modchat IRC Network bob");
    t.line("/join #hall");
    t.wait_for("bob [bob@modchat/user/bob] has joined #hall");
    assert_eq!(alice.event("joined")["user"], "bob");
    t.line("hello from irssi");
    assert_eq!(
        event_from(&mut alice, "message", "bob")["text"],
        "hello from irssi"
    );
    t.line("/me nods");
    let m = event_from(&mut alice, "message", "bob");
    assert_eq!((&m["text"], &m["action"]), (&json!("nods"), &json!(true)));
    alice.ok(json!({"type": "say", "room": "hall", "text": "hi bob"}));
    t.wait_for("<~alice> hi bob");
    alice.ok(json!({"type": "say", "room": "hall", "text": "waves", "action": true}));
    t.wait_for("* alice waves");
    t.line("/msg alice psst from irssi");
    assert_eq!(
        event_from(&mut alice, "whisper", "bob")["text"],
        "psst from irssi"
    );
    let mut m = srv.account("mod", Role::Moderator);
    m.ok(json!({"type": "kick", "user": "bob", "room": "hall", "reason": "enough"}));
    let screen = t.wait_for("bob was kicked from #hall by mod [enough]");
    eprintln!("--- irssi ---\n{screen}");
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("irssi.txt");
    let _ = std::fs::write(log, &screen);
    t.line("/quit");
}
