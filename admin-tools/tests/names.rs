//! `modchat-admin user add` and `user passwd` and the name rules
//! (docs/protocol.md, "Names"): the console may create reserved names, not
//! look-alikes of an existing account; `[auth] min_password_bytes` reaches
//! the tool as `--min-password-bytes` or its environment variable.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use serde_json::json;
use support::{admin_env, Backend, TestServer, PASSWORD};

both_backends!(
    console_adds_reserved_names_not_look_alikes,
    console_password_minimum
);

fn console_adds_reserved_names_not_look_alikes(b: Backend) {
    let s = TestServer::start(b);
    let url = s.db.url.clone();
    s.user("bob");
    let pw = format!("{PASSWORD}\n");
    let out = admin_env(&url, &["user", "add", "system"], &pw, &[]);
    out.ok();
    // the protocol may not, whatever the case
    let mut c = s.connect();
    c.err(
        json!({"type": "register", "username": "SYSTEM", "password": PASSWORD}),
        "username_taken",
    );
    c.login("system");
    admin_env(&url, &["user", "add", "B0B"], &pw, &[])
        .fails(1, "taken or looks like an existing name");
}

fn console_password_minimum(b: Backend) {
    let s = TestServer::start(b);
    let url = s.db.url.clone();
    admin_env(&url, &["user", "add", "ann"], "1234567\n", &[]).fails(1, "at least 8 bytes");
    admin_env(
        &url,
        &["user", "add", "ann", "--min-password-bytes", "12"],
        "elevenchars\n",
        &[],
    )
    .fails(1, "at least 12 bytes");
    admin_env(
        &url,
        &["user", "add", "ann"],
        "elevenchars\n",
        &[("MODCHAT_AUTH__MIN_PASSWORD_BYTES", "12")],
    )
    .fails(1, "at least 12 bytes");
    admin_env(
        &url,
        &["user", "add", "ann", "--min-password-bytes", "4"],
        "four\n",
        &[],
    )
    .ok();
    admin_env(
        &url,
        &["user", "passwd", "ann"],
        "short\n",
        &[("MODCHAT_AUTH__MIN_PASSWORD_BYTES", "6")],
    )
    .fails(1, "at least 6 bytes");
    admin_env(
        &url,
        &["user", "passwd", "ann", "--min-password-bytes", "5"],
        "short\n",
        &[],
    )
    .ok();
    let mut c = s.connect();
    c.ok(json!({"type": "login", "username": "ann", "password": "short"}));
}
