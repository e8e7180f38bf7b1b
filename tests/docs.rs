//! The user-facing reference and the example config keep up with the code.

#[test]
fn every_command_and_error_code_is_documented() {
    let doc = std::fs::read_to_string("docs/protocol.md").expect("docs/protocol.md");
    let mut missing = Vec::new();
    for c in modchat::commands::COMMANDS {
        if !doc.contains(&format!("`{}`", c.name)) {
            missing.push(format!("command {}", c.name));
        }
        assert!(!c.summary.is_empty(), "{} has no summary", c.name);
    }
    for e in modchat::error::ErrorCode::ALL {
        if !doc.contains(&format!("`{}`", e.as_str())) {
            missing.push(format!("error code {}", e.as_str()));
        }
        assert!(!e.describe().is_empty(), "{:?} has no description", e);
    }
    assert!(
        missing.is_empty(),
        "docs/protocol.md does not mention: {missing:?}"
    );
}

#[test]
fn every_contract_command_is_implemented() {
    let contract = [
        "register",
        "login",
        "resume",
        "logout",
        "rooms",
        "create_room",
        "join",
        "leave",
        "say",
        "whisper",
        "history",
        "members",
        "who",
        "rename",
        "ping",
        "version",
        "kick",
        "mute",
        "unmute",
        "ban",
        "unban",
        "delete_message",
        "modlog",
        "set_role",
        "announce",
        "filter_add",
        "filter_remove",
        "filter_list",
        "set_room_role",
        "set_topic",
        "set_capacity",
        "delete_room",
        "mark_read",
    ];
    for name in contract {
        assert!(
            modchat::commands::find(name).is_some(),
            "{name} is not a command"
        );
    }
    // beyond the contract, each documented in docs/protocol.md as such
    let ours = ["conversations", "room_bans"];
    for name in ours {
        assert!(modchat::commands::find(name).is_some(), "{name}");
    }
    assert_eq!(
        modchat::commands::COMMANDS.len(),
        contract.len() + ours.len()
    );
}

#[test]
fn example_config_has_every_key_at_its_default() {
    use modchat::config::{Config, Overrides};
    let path = std::path::Path::new("config/example.toml");
    let loaded =
        Config::load(Some(path), Vec::new(), &Overrides::default()).expect("example parses");
    let defaults = Config::default();
    assert_eq!(
        toml::to_string(&loaded).unwrap(),
        toml::to_string(&defaults).unwrap(),
        "config/example.toml must show every default"
    );
    // and every key is written out in the file
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table = toml::to_string(&defaults).unwrap().parse().unwrap();
    for (section, keys) in table {
        assert!(
            text.contains(&format!("[{section}]")),
            "[{section}] missing"
        );
        for key in keys.as_table().unwrap().keys() {
            assert!(
                text.contains(&format!("{key} =")),
                "{section}.{key} missing"
            );
        }
    }
}

#[test]
fn config_env_and_errors() {
    use modchat::config::{Config, Overrides};
    let env = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    let c = Config::load(
        None,
        env("MODCHAT_LIMITS__SAY_PER_S", "100000"),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.limits.say_per_s, 100000.0);
    let c = Config::load(
        None,
        env("MODCHAT_DATABASE_URL", "sqlite://x.db"),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.database.url, "sqlite://x.db");
    let flags = Overrides {
        listen: Some("127.0.0.1:9".into()),
        ..Overrides::default()
    };
    let c = Config::load(None, env("MODCHAT_SERVER__LISTEN", "127.0.0.1:8"), &flags).unwrap();
    assert_eq!(
        c.server.listen, "127.0.0.1:9",
        "flags win over the environment"
    );
    let e = Config::load(
        None,
        env("MODCHAT_LIMITS__NOPE", "1"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(e.contains("nope"), "{e}");
    let e = Config::load(
        None,
        env("MODCHAT_AUTH__BCRYPT_COST", "99"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(e.contains("auth.bcrypt_cost"), "{e}");
    let e = Config::load(
        None,
        env("MODCHAT_LIMITS__SAY_PER_S", "fast"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(e.contains("say_per_s"), "{e}");
}

/// docs/cluster.md "What each node needs": `[cluster]` is checked at start.
#[test]
fn cluster_config_is_checked() {
    use modchat::config::{Config, Overrides};
    let load = |vars: &[(&str, &str)]| {
        Config::load(
            None,
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            &Overrides::default(),
        )
    };
    let mysql = ("MODCHAT_DATABASE_URL", "mysql://root@127.0.0.1:3306/x");
    let nats = ("MODCHAT_CLUSTER__NATS_URL", "nats://127.0.0.1:4222");
    let c = load(&[mysql, nats]).unwrap();
    assert!(c.cluster.enabled());
    assert_eq!(c.cluster.prefix(), "modchat");
    assert!(
        !load(&[mysql]).unwrap().cluster.enabled(),
        "no [cluster]: one server"
    );
    let e = load(&[("MODCHAT_DATABASE_URL", "sqlite://x.db"), nats]).unwrap_err();
    assert!(
        e.contains("cluster.nats_url") && e.contains("SQLite"),
        "{e}"
    );
    let e = load(&[mysql, nats, ("MODCHAT_CLUSTER__NODE", "n 1")]).unwrap_err();
    assert!(e.contains("cluster.node"), "{e}");
    let e = load(&[mysql, nats, ("MODCHAT_CLUSTER__SUBJECT_PREFIX", "a.>")]).unwrap_err();
    assert!(e.contains("cluster.subject_prefix"), "{e}");
    let c = load(&[
        mysql,
        nats,
        ("MODCHAT_CLUSTER__SUBJECT_PREFIX", "acme.chat"),
    ])
    .unwrap();
    assert_eq!(c.cluster.prefix(), "acme.chat");
}

/// Every command, event and field issue 18 added has its example in
/// docs/protocol.md: a `### \`name\`` section with a request line for a
/// command, a frame of the event's type, and each new field by name.
#[test]
fn rooms_of_their_own_are_documented() {
    let doc = std::fs::read_to_string("docs/protocol.md").expect("docs/protocol.md");
    let compact = doc.replace(": ", ":");
    let mut missing = Vec::new();
    for c in [
        "set_room_role",
        "set_topic",
        "set_capacity",
        "delete_room",
        "mark_read",
        "history",
    ] {
        if !doc.contains(&format!("### `{c}`")) {
            missing.push(format!("section for {c}"));
        }
        if !compact.contains(&format!(r#"> {{"type":"{c}""#)) {
            missing.push(format!("example request of {c}"));
        }
    }
    for e in modchat::protocol::Event::NAMES {
        if !doc.contains(&format!("| `{e}` |")) {
            missing.push(format!("row of event {e} in the events table"));
        }
        if !compact.contains(&format!(r#"{{"type":"{e}""#)) {
            missing.push(format!("example of event {e}"));
        }
    }
    for field in [
        "room_role",
        "topic",
        "action",
        "unread",
        "last_read",
        "before",
        "after",
        "around",
        "since",
        "until",
        "with",
    ] {
        if !compact.contains(&format!(r#""{field}":"#)) {
            missing.push(format!("field {field} in an example"));
        }
    }
    for code in ["banned_from_room"] {
        if !doc.contains(&format!("`{code}`")) {
            missing.push(format!("error code {code}"));
        }
    }
    assert!(missing.is_empty(), "docs/protocol.md lacks: {missing:#?}");
}
