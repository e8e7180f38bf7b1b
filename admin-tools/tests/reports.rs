//! `modchat-admin logs ...` and `sql ...` against a scripted conversation on
//! a running server, both backends: every report and every canned query
//! checked for its exact rows (docs/auditing.md).

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use diesel::prelude::*;
use modchat::model::{MessageId, Role};
use modchat::store::schema::{daily_logins, login_events, moderation_actions};
use modchat::store::{chat_log, fmt_time};
use serde_json::{json, Value};
use support::{admin, admin_env, Backend, Run, TestServer};

both_backends!(
    chat_report,
    logins_and_modlog_reports,
    canned_queries,
    ad_hoc_sql_is_read_only
);

/// What the script left, for the expected rows.
struct Script {
    s: TestServer,
    url: String,
    /// hello, hi (with a comma and a %), psst (whisper), delete me, bye
    ids: [i64; 5],
    today: String,
    tomorrow: String,
}

impl Script {
    /// alice and bob log in (bob also fails once, and someone tries a name
    /// that does not exist), talk in lobby, alice whispers to bob, boss
    /// deletes one of bob's messages and mutes bob in lobby.
    fn run(b: Backend) -> Script {
        let mut s = TestServer::start(b);
        let mut boss = s.account("boss", Role::Admin);
        let mut alice = s.user("alice");
        let mut bob = s.user("bob");
        let mut stranger = s.connect();
        stranger.err(
            json!({"type": "login", "username": "bob", "password": "not the one"}),
            "bad_credentials",
        );
        stranger.err(
            json!({"type": "login", "username": "Mallory", "password": "whatever1"}),
            "bad_credentials",
        );
        alice.ok(json!({"type": "create_room", "room": "lobby"}));
        bob.ok(json!({"type": "join", "room": "lobby"}));
        let id =
            |c: &mut common::client::TestClient, req: Value| c.ok(req)["id"].as_i64().expect("id");
        let hello = id(
            &mut alice,
            json!({"type": "say", "room": "lobby", "text": "hello bob"}),
        );
        let hi = id(
            &mut bob,
            json!({"type": "say", "room": "lobby", "text": "hi alice, 100% sure"}),
        );
        let psst = id(
            &mut alice,
            json!({"type": "whisper", "to": "bob", "text": "psst"}),
        );
        let del = id(
            &mut bob,
            json!({"type": "say", "room": "lobby", "text": "delete me"}),
        );
        boss.ok(json!({"type": "delete_message", "message_id": del}));
        let bye = id(
            &mut alice,
            json!({"type": "say", "room": "lobby", "text": "bye"}),
        );
        boss.ok(json!({"type": "mute", "user": "bob", "room": "lobby", "duration_s": 3600, "reason": "spam"}));
        let today = chrono::Utc::now().date_naive();
        Script {
            url: s.db.url.clone(),
            s,
            ids: [hello, hi, psst, del, bye],
            today: today.to_string(),
            tomorrow: today.succ_opt().expect("tomorrow").to_string(),
        }
    }

    fn admin(&self, args: &[&str]) -> Run {
        admin(&self.url, args)
    }

    /// CSV rows of a command (with `--format csv` added).
    fn csv(&self, args: &[&str]) -> Vec<String> {
        let mut a = args.to_vec();
        a.extend(["--format", "csv"]);
        self.admin(&a).csv_rows()
    }

    fn conn<T>(&mut self, f: impl FnOnce(&mut modchat::store::DbConn) -> T) -> T {
        let db = self.s.store();
        let mut c = db.conn().expect("conn");
        f(&mut c)
    }

    /// The stored time of a chat log row, as the CSV shows it.
    fn at(&mut self, id: i64) -> String {
        let row = self.conn(|c| chat_log::find(c, MessageId(id)).expect("q").expect("row"));
        fmt_time(&row.at)
    }

    /// (id, at, until) of every moderation record, oldest first.
    fn actions(&mut self) -> Vec<(i64, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> {
        self.conn(|c| {
            moderation_actions::table
                .order(moderation_actions::id)
                .select((
                    moderation_actions::id,
                    moderation_actions::at,
                    moderation_actions::until,
                ))
                .load(c)
                .expect("actions")
        })
    }

    fn deleted_at(&mut self, id: i64) -> String {
        let row = self.conn(|c| chat_log::find(c, MessageId(id)).expect("q").expect("row"));
        fmt_time(&row.deleted_at.expect("deleted"))
    }
}

/// `logs chat`: deleted texts left out unless asked for; every filter.
fn chat_report(b: Backend) {
    let mut t = Script::run(b);
    let [hello, hi, psst, del, bye] = t.ids;
    let row = |t: &mut Script, id: i64, rest: &str| format!("{id},{},{rest}", t.at(id));
    let all = vec![
        row(&mut t, hello, "message,lobby,alice,,hello bob"),
        row(&mut t, hi, "message,lobby,bob,,\"hi alice, 100% sure\""),
        row(&mut t, psst, "whisper,,alice,bob,psst"),
        row(&mut t, bye, "message,lobby,alice,,bye"),
    ];
    let out = t.admin(&["logs", "chat", "--format", "csv"]);
    assert!(
        out.stdout.starts_with("id,at,kind,room,from,to,text\r\n"),
        "{}",
        out.stdout
    );
    assert_eq!(out.csv_rows(), all);

    let with_deleted = t.csv(&["logs", "chat", "--include-deleted"]);
    let (deleted_at, del_at) = (t.deleted_at(del), t.at(del));
    assert_eq!(with_deleted.len(), 5);
    assert_eq!(with_deleted[0], format!("{},,", all[0]));
    assert_eq!(
        with_deleted[3],
        format!("{del},{del_at},message,lobby,bob,,delete me,{deleted_at},boss")
    );

    assert_eq!(
        t.csv(&["logs", "chat", "--room", "Lobby"]),
        [all[0].as_str(), all[1].as_str(), all[3].as_str()]
    );
    assert_eq!(t.csv(&["logs", "chat", "--user", "bob"]), [all[1].as_str()]);
    assert_eq!(t.csv(&["logs", "chat", "--with", "bob"]), [all[2].as_str()]);
    assert_eq!(
        t.csv(&["logs", "chat", "--user", "bob", "--with", "alice"]),
        [all[2].as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "chat", "--user", "alice", "--with", "alice"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.csv(&["logs", "chat", "--grep", "100%"]),
        [all[1].as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "chat", "--grep", "HELLO"]),
        [all[0].as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "chat", "--grep", "_"]),
        Vec::<String>::new()
    );
    let hi_at = t.at(hi);
    let since = t.csv(&["logs", "chat", "--since", &hi_at]);
    assert_eq!(since, &all[1..]);
    assert_eq!(
        t.csv(&["logs", "chat", "--until", &hi_at]),
        [all[0].as_str()]
    );
    let (today, tomorrow) = (t.today.clone(), t.tomorrow.clone());
    assert_eq!(
        t.csv(&["logs", "chat", "--since", &today, "--until", &today]),
        all
    );
    assert_eq!(
        t.csv(&["logs", "chat", "--since", &tomorrow]),
        Vec::<String>::new()
    );

    t.admin(&["logs", "chat", "--room", "nowhere"])
        .fails(1, "no room nowhere");
    t.admin(&["logs", "chat", "--user", "ghost"])
        .fails(1, "no user ghost");
    t.admin(&["logs", "chat", "--since", "yesterday"])
        .fails(2, "RFC 3339");

    // JSON lines: one object per row, times in UTC
    let jsonl = t.admin(&["logs", "chat", "--format", "jsonl"]);
    let lines: Vec<Value> = jsonl
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[2],
        json!({"id": psst, "at": t.at(psst), "kind": "whisper", "room": null, "from": "alice", "to": "bob", "text": "psst"})
    );

    // the table: aligned, local time with its offset, a count
    let table = admin_env(&t.url, &["logs", "chat"], "", &[("TZ", "IST-5:30")]);
    let lines: Vec<&str> = table.ok().lines().collect();
    assert!(lines[0].starts_with("id  at "), "{}", table.stdout);
    assert!(lines[1].starts_with("--  ---"), "{}", table.stdout);
    assert!(
        lines[2].contains(" +05:30  message  lobby  alice"),
        "{}",
        table.stdout
    );
    let text_col = lines[0].find("text").expect("text column");
    assert!(
        lines[2..6].iter().all(|l| l.chars().count() > text_col),
        "{}",
        table.stdout
    );
    assert_eq!(lines.last(), Some(&"(4 rows)"));
}

/// `logs logins` and `logs modlog`.
fn logins_and_modlog_reports(b: Backend) {
    let mut t = Script::run(b);
    let events: Vec<(i64, chrono::NaiveDateTime)> = t.conn(|c| {
        login_events::table
            .order(login_events::id)
            .select((login_events::id, login_events::at))
            .load(c)
            .expect("events")
    });
    let r = |i: usize, rest: &str| format!("{},{},{rest}", events[i].0, fmt_time(&events[i].1));
    let all = [
        r(0, "boss,127.0.0.1,true,login"),
        r(1, "alice,127.0.0.1,true,login"),
        r(2, "bob,127.0.0.1,true,login"),
        r(3, "bob,127.0.0.1,false,bad_credentials"),
        r(4, "Mallory,127.0.0.1,false,bad_credentials"),
    ];
    let out = t.admin(&["logs", "logins", "--format", "csv"]);
    assert!(out.stdout.starts_with("id,at,user,ip,success,reason\r\n"));
    assert_eq!(out.csv_rows(), all);
    assert_eq!(t.csv(&["logs", "logins", "--failed"]), &all[3..]);
    assert_eq!(t.csv(&["logs", "logins", "--user", "BOB"]), &all[2..4]);
    assert_eq!(t.csv(&["logs", "logins", "--user", "mallory"]), &all[4..]);
    let today = t.today.clone();
    assert_eq!(t.csv(&["logs", "logins", "--day", &today]), all);
    assert_eq!(
        t.csv(&["logs", "logins", "--day", "2001-01-01"]),
        Vec::<String>::new()
    );
    t.admin(&["logs", "logins", "--day", "01/01/2001"])
        .fails(2, "YYYY-MM-DD");

    let acts = t.actions();
    let del = t.ids[3];
    let delete = format!(
        "{},{},delete_message,bob,boss,lobby,,,{del}",
        acts[0].0,
        fmt_time(&acts[0].1)
    );
    let mute = format!(
        "{},{},mute,bob,boss,lobby,spam,{},",
        acts[1].0,
        fmt_time(&acts[1].1),
        fmt_time(&acts[1].2.expect("until"))
    );
    let out = t.admin(&["logs", "modlog", "--format", "csv"]);
    assert!(out
        .stdout
        .starts_with("id,at,action,target,by,room,reason,until,detail\r\n"));
    assert_eq!(out.csv_rows(), [delete.as_str(), mute.as_str()]);
    assert_eq!(
        t.csv(&["logs", "modlog", "--action", "mute"]),
        [mute.as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--actor", "boss", "--target", "bob"]),
        [delete.as_str(), mute.as_str()]
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--target", "alice"]),
        Vec::<String>::new()
    );
    assert_eq!(
        t.csv(&["logs", "modlog", "--since", &t.tomorrow.clone()]),
        Vec::<String>::new()
    );
    t.admin(&["logs", "modlog", "--action", "smite"])
        .fails(2, "expected one of");
    // issue 20: a change made at the console names the console as its actor
    t.admin(&["user", "set-role", "alice", "moderator"]);
    let rows = t.csv(&["logs", "modlog", "--action", "set_role"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains(",set_role,alice,(console),,,,moderator"),
        "{rows:?}"
    );
}

/// Every canned query of admin-tools/sql, exact rows, the same on both
/// backends.
fn canned_queries(b: Backend) {
    let mut t = Script::run(b);
    let [hello, hi, psst, del, bye] = t.ids;
    let (today, tomorrow) = (t.today.clone(), t.tomorrow.clone());

    let listed = t.admin(&["sql", "--list"]);
    for name in [
        "conversation",
        "deleted_messages",
        "failed_logins_by_ip",
        "in_force",
        "logins_on_day",
        "message_context",
        "moderator_acts",
    ] {
        assert!(
            listed.ok().lines().any(|l| l == name),
            "{name} in {}",
            listed.stdout
        );
    }

    let days: Vec<(String, String, String, i32)> = t.conn(|c| {
        daily_logins::table
            .inner_join(
                modchat::store::schema::accounts::table
                    .on(modchat::store::schema::accounts::id.eq(daily_logins::account_id)),
            )
            .order(daily_logins::first_at)
            .select((
                modchat::store::schema::accounts::username,
                daily_logins::first_at,
                daily_logins::last_at,
                daily_logins::logins,
            ))
            .load::<(String, chrono::NaiveDateTime, chrono::NaiveDateTime, i32)>(c)
            .expect("days")
            .into_iter()
            .map(|(u, f, l, n)| (u, fmt_time(&f), fmt_time(&l), n))
            .collect()
    });
    let expected: Vec<String> = days
        .iter()
        .map(|(u, f, l, n)| format!("{u},{f},{l},{n}"))
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(
        t.csv(&["sql", "logins_on_day", "--param", &format!("day={today}")]),
        expected
    );
    assert_eq!(
        t.csv(&["sql", "logins_on_day", "--param", "day=2001-01-01"]),
        Vec::<String>::new()
    );

    let row = |t: &mut Script, id: i64, rest: &str| format!("{id},{},{rest}", t.at(id));
    let conversation = vec![
        row(&mut t, hello, "message,lobby,alice,,hello bob,"),
        row(&mut t, psst, "whisper,,alice,bob,psst,"),
        row(&mut t, bye, "message,lobby,alice,,bye,"),
    ];
    let since = format!("since={today}T00:00:00Z");
    let until = format!("until={tomorrow}");
    assert_eq!(
        t.csv(&[
            "sql",
            "conversation",
            "--param",
            "user=ALICE",
            "--param",
            &since,
            "--param",
            &until
        ]),
        conversation
    );
    let bobs = t.csv(&[
        "sql",
        "conversation",
        "--param",
        "user=bob",
        "--param",
        &since,
        "--param",
        &until,
    ]);
    let del_at = t.deleted_at(del);
    assert_eq!(
        bobs,
        [
            row(&mut t, hi, "message,lobby,bob,,\"hi alice, 100% sure\","),
            row(&mut t, psst, "whisper,,alice,bob,psst,"),
            row(
                &mut t,
                del,
                &format!("message,lobby,bob,,delete me,{del_at}")
            ),
        ]
    );
    let hi_at = format!("since={}", t.at(hi));
    assert_eq!(
        t.csv(&[
            "sql",
            "conversation",
            "--param",
            "user=alice",
            "--param",
            &hi_at,
            "--param",
            &until
        ]),
        &conversation[1..]
    );

    let (delete, mute) = {
        let a = t.actions();
        (a[0], a[1])
    };
    let mute_until = fmt_time(&mute.2.expect("until"));
    assert_eq!(
        t.csv(&["sql", "moderator_acts", "--param", "moderator=Boss"]),
        [
            format!(
                "{},{},delete_message,bob,lobby,,,{del}",
                delete.0,
                fmt_time(&delete.1)
            ),
            format!(
                "{},{},mute,bob,lobby,spam,{mute_until},",
                mute.0,
                fmt_time(&mute.1)
            ),
        ]
    );
    assert_eq!(
        t.csv(&["sql", "moderator_acts", "--param", "moderator=alice"]),
        Vec::<String>::new()
    );

    // the mute's row was written with its record, at the same time
    assert_eq!(
        t.csv(&["sql", "in_force"]),
        [format!(
            "mute,bob,lobby,{mute_until},spam,boss,{}",
            fmt_time(&mute.1)
        )]
    );

    let failures: Vec<chrono::NaiveDateTime> = t.conn(|c| {
        login_events::table
            .filter(login_events::success.eq(false))
            .order(login_events::id)
            .select(login_events::at)
            .load(c)
            .expect("failures")
    });
    assert_eq!(
        t.csv(&["sql", "failed_logins_by_ip"]),
        [format!(
            "127.0.0.1,2,{},{}",
            fmt_time(&failures[0]),
            fmt_time(&failures[1])
        )]
    );

    assert_eq!(
        t.csv(&["sql", "deleted_messages"]),
        [row(
            &mut t,
            del,
            &format!("message,lobby,bob,delete me,{del_at},boss")
        )]
    );

    let ctx = t.csv(&["sql", "message_context", "--param", &format!("id={hi}")]);
    let sender_text = |r: &String| {
        r.splitn(3, ',')
            .nth(2)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let got: Vec<String> = ctx.iter().map(sender_text).collect();
    assert_eq!(
        got,
        [
            "alice,hello bob,,0".to_owned(),
            "bob,\"hi alice, 100% sure\",,1".to_owned(),
            format!("bob,delete me,{del_at},0"),
            "alice,bye,,0".to_owned(),
        ]
    );

    t.admin(&["sql", "logins_on_day"])
        .fails(2, "missing --param day");
    t.admin(&[
        "sql",
        "logins_on_day",
        "--param",
        "day=x",
        "--param",
        "room=y",
    ])
    .fails(2, "no :room");
    t.admin(&["sql", "nonesuch"]).fails(2, "no canned query");
}

/// `sql --query` runs one statement read-only: writes are refused and the
/// tables stay as they were.
fn ad_hoc_sql_is_read_only(b: Backend) {
    let mut t = Script::run(b);
    let count = |t: &mut Script| {
        t.conn(|c| {
            chat_log::range(c, MessageId(0), MessageId(i64::MAX))
                .expect("rows")
                .len()
        })
    };
    let before = count(&mut t);
    let q = t.csv(&["sql", "--query", "SELECT kind, COUNT(*) AS n FROM chat_logs WHERE sender_name = :who GROUP BY kind ORDER BY kind", "--param", "who=alice"]);
    assert_eq!(q, ["message,2", "whisper,1"]);
    for bad in [
        "DELETE FROM chat_logs",
        "UPDATE chat_logs SET text = 'x'",
        "DROP TABLE chat_logs",
        "SELECT 1; DELETE FROM chat_logs",
        "INSERT INTO chat_logs (kind, sender_name, text, at) VALUES ('message', 'x', 'x', '2026-01-01')",
    ] {
        t.admin(&["sql", "--query", bad]).fails(1, "");
    }
    // past the statement check, the database's own guard: the runner
    // itself, given writes the check would have stopped
    let url = modchat::store::DatabaseUrl::parse(&t.url).expect("url");
    for write in [
        "DELETE FROM chat_logs",
        "UPDATE accounts SET role = 'admin'",
        "DROP TABLE chat_logs",
        "CREATE TABLE sneaky (id INT)",
    ] {
        let stmt = modchat::store::readonly::Prepared {
            sql: write.into(),
            params: Vec::new(),
        };
        let e = modchat::store::readonly::run(&url, &stmt, &[], std::time::Duration::from_secs(30))
            .expect_err(write);
        assert!(e.to_string().contains("refused"), "{write}: {e}");
    }
    assert_eq!(count(&mut t), before, "nothing changed");
    if b == Backend::Sqlite {
        let r = t.admin(&[
            "sql",
            "--query",
            "WITH x AS (SELECT 1) DELETE FROM chat_logs",
        ]);
        r.fails(1, "readonly");
    }
    let roles = t.csv(&[
        "sql",
        "--query",
        "SELECT role, COUNT(*) FROM accounts GROUP BY role ORDER BY role",
    ]);
    assert_eq!(roles, ["admin,1", "user,2"]);
    assert_eq!(count(&mut t), before, "nothing changed");
    let no_rows = t.admin(&["sql", "--query", "SELECT id FROM chat_logs WHERE id < 0"]);
    assert_eq!(no_rows.ok().trim(), "(0 rows)");
}

/// The per-table `GRANT SELECT` recipe of docs/auditing.md: an auditor's
/// database user that cannot read password hashes or tokens runs the
/// reports and the canned queries, and is refused the hashes.
#[cfg(feature = "mysql")]
#[test]
fn auditor_user_on_mariadb() {
    use diesel::connection::SimpleConnection;
    let t = Script::run(Backend::Mysql);
    let (scheme_host, db) = t.url.rsplit_once('/').expect("db name");
    let host = scheme_host
        .rsplit_once('@')
        .map_or(&scheme_host["mysql://".len()..], |(_, h)| h);
    let user = format!("aud_{}", std::process::id());
    let mut root = diesel::MysqlConnection::establish(&t.url).expect("root");
    let grants: String = [
        "login_events",
        "daily_logins",
        "rooms",
        "room_members",
        "chat_logs",
        "moderation_actions",
        "mutes",
        "bans",
        "banned_words",
    ]
    .iter()
    .map(|table| format!("GRANT SELECT ON `{db}`.{table} TO '{user}'@'%';"))
    .collect();
    root.batch_execute(&format!(
        "DROP USER IF EXISTS '{user}'@'%'; CREATE USER '{user}'@'%' IDENTIFIED BY 'auditor pw';
         {grants}
         GRANT SELECT (id, username, username_key, role, created_at, guest) ON `{db}`.accounts TO '{user}'@'%';"
    ))
    .expect("create the auditor");
    let url = format!("mysql://{user}:auditor%20pw@{host}/{db}");
    let run = |args: &[&str]| admin(&url, args);
    let chat = run(&["logs", "chat", "--user", "alice", "--format", "csv"]);
    assert_eq!(chat.csv_rows().len(), 3, "{}", chat.stderr);
    assert_eq!(
        run(&["logs", "modlog", "--target", "bob", "--format", "csv"])
            .csv_rows()
            .len(),
        2
    );
    assert_eq!(
        run(&["logs", "logins", "--user", "bob", "--format", "csv"])
            .csv_rows()
            .len(),
        2
    );
    assert_eq!(
        run(&["sql", "in_force", "--format", "csv"])
            .csv_rows()
            .len(),
        1
    );
    let today = format!("day={}", t.today);
    assert_eq!(
        run(&["sql", "logins_on_day", "--param", &today, "--format", "csv"])
            .csv_rows()
            .len(),
        3
    );
    run(&["sql", "--query", "SELECT password_hash FROM accounts"]).fails(1, "denied");
    run(&["sql", "--query", "SELECT * FROM auth_tokens"]).fails(1, "denied");
    // SELECT alone would let it take shared locks: the tool refuses them
    run(&["sql", "--query", "SELECT id FROM rooms LOCK IN SHARE MODE"])
        .fails(1, "refused, nothing ran");
    // it may not read the migrations table: the version is not known, the
    // tables are there, and nothing is said about migrations
    let r = run(&["logs", "modlog", "--format", "csv"]);
    r.ok();
    assert!(!r.stderr.contains("migration"), "{}", r.stderr);
    root.batch_execute(&format!("DROP USER '{user}'@'%'"))
        .expect("drop the auditor");
}

/// A reader pointed at a SQLite file that is not there says so (exit 2)
/// and leaves no empty database behind.
#[test]
fn readers_need_an_existing_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("typo.db");
    let url = format!("sqlite://{}", path.display());
    admin(&url, &["logs", "chat"]).fails(2, "no database at");
    admin(&url, &["sql", "--query", "SELECT 1"]).fails(2, "no database at");
    assert!(!path.exists());
}
