//! `modchat-admin user add`: the password from stdin, the account usable at
//! once, clear failures with a non-zero exit.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use modchat::model::Role;
use modchat::store::{accounts, DatabaseUrl, Db, PoolOptions};

fn admin(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modchat-admin"))
        .args(["--database-url", url])
        .args(args)
        .env("MODCHAT_AUTH__BCRYPT_COST", "4")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run modchat-admin");
    // a tool that refuses its arguments exits without reading stdin: the
    // write may then find the pipe closed, which is not the test's failure
    match child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write: {e}"),
        _ => {}
    }
    child.wait_with_output().expect("wait")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn adds_accounts_and_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("admin.db").display());

    let o = admin(
        &url,
        &["user", "add", "Root", "--role", "admin"],
        "first admin pw\nignored\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = admin(
        &url,
        &["user", "add", "mod1", "--role", "moderator"],
        "windows line\r\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = admin(&url, &["user", "add", "plain"], "no newline at all");
    assert!(o.status.success(), "{}", stderr(&o));

    let db = Db::open(
        &DatabaseUrl::parse(&url).expect("url"),
        &PoolOptions::default(),
    )
    .expect("open");
    let mut c = db.conn().expect("conn");
    let root = accounts::find_by_name(&mut c, "root")
        .expect("q")
        .expect("root exists");
    assert_eq!((root.username.as_str(), root.role), ("Root", Role::Admin));
    assert!(modchat::auth::verify_password(
        "first admin pw",
        root.password_hash.as_deref().expect("a hash")
    ));
    let m = accounts::find_by_name(&mut c, "mod1")
        .expect("q")
        .expect("mod1");
    assert!(
        modchat::auth::verify_password("windows line", m.password_hash.as_deref().expect("hash")),
        "CR LF stripped"
    );
    assert_eq!(m.role, Role::Moderator);
    let p = accounts::find_by_name(&mut c, "plain")
        .expect("q")
        .expect("plain");
    assert_eq!(p.role, Role::User);

    for (args, pw, why) in [
        (vec!["user", "add", "ROOT"], "another pw", "taken"),
        (vec!["user", "add", "shorty"], "short\n", "password"),
        (
            vec!["user", "add", "longy"],
            &"x".repeat(73) as &str,
            "password",
        ),
        (
            vec!["user", "add", "king", "--role", "king"],
            "long enough\n",
            "role",
        ),
        (vec!["user", "add", "bad name"], "long enough\n", "username"),
    ] {
        let o = admin(&url, &args, pw);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
    assert!(accounts::find_by_name(&mut c, "king").expect("q").is_none());

    let o = admin("postgres://x", &["user", "add", "x"], "long enough\n");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("sqlite:// or mysql://"),
        "{}",
        stderr(&o)
    );
}
