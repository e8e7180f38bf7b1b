//! `modchat-admin` never reports a success it did not have, and an
//! auditor's query never holds up the chat (issue 17; docs/auditing.md,
//! docs/protocol.md `filter_remove`, ../shared/PROTOCOL.md "Command line").
//! Every test runs the real binary as a process, on both backends.
//!
//! Its helpers open MariaDB connections of their own, so the file needs the
//! `mysql` feature (scripts/test always builds with every feature).
#![cfg(feature = "mysql")]

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use modchat::model::Role;
use serde_json::json;
use support::{admin, admin_env, live, Backend, Run, TestServer};

use common::db::TestDb;

both_backends!(
    filter_remove_of_a_word_not_filtered,
    readers_refuse_a_missing_database,
    readers_refuse_a_database_without_the_schema,
    readers_read_an_older_schema_with_a_warning,
    locking_reads_are_refused_before_anything_runs,
    timeout_stops_a_slow_statement
);

/// `filter_remove` of a word that is not in the filter: `not_filtered` over
/// the protocol and from the tool (exit 1, the code printed), no record.
fn filter_remove_of_a_word_not_filtered(b: Backend) {
    let mut s = TestServer::start(b);
    let mut boss = s.account("boss", Role::Admin);
    let e = boss.err(
        json!({"type": "filter_remove", "word": "nope"}),
        "not_filtered",
    );
    assert!(e["message"].as_str().is_some_and(|m| m.contains("nope")));
    live(&s, "boss", &["filter", "remove", "NOPE"]).fails(1, "not_filtered");
    assert!(s.actions().is_empty(), "a refused remove records nothing");

    // a word that is there is still removed, once
    boss.ok(json!({"type": "filter_add", "word": "darn"}));
    let out = live(&s, "boss", &["filter", "remove", "Darn"]);
    assert!(out.ok().contains("removed"), "{}", out.stdout);
    live(&s, "boss", &["filter", "remove", "darn"]).fails(1, "not_filtered");
    let actions: Vec<String> = s.actions().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["filter_add", "filter_remove"]);

    // the other "nothing to undo" cases exit 1 with the server's code too
    let _bob = s.user("bob");
    live(&s, "boss", &["unban", "bob"]).fails(1, "not_banned");
    live(&s, "boss", &["unmute", "bob"]).fails(1, "not_muted");
    live(&s, "boss", &["delete-message", "424242"]).fails(1, "no_such_message");
    assert_eq!(s.actions().len(), 2, "refusals record nothing");
}

/// The URL of a database that does not exist, beside `db`'s.
fn missing_url(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => db.url.replace("test.db", "typo.db"),
        Backend::Mysql => format!("{}_typo", db.url),
    }
}

fn mysql_database_exists(db: &TestDb, name: &str) -> bool {
    let mut c = diesel::MysqlConnection::establish(&db.url).expect("connect");
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = '{name}'"
    ))
    .get_result(&mut c)
    .expect("count");
    n.n > 0
}

/// Every reader, and the account changes, refuse a database that is not
/// there (exit 2, naming the URL) and create nothing.
fn readers_refuse_a_missing_database(b: Backend) {
    let db = TestDb::new(b);
    let url = missing_url(&db);
    for args in [
        &["user", "list"][..],
        &["user", "show", "bob"],
        &["logs", "chat"],
        &["logs", "logins"],
        &["logs", "modlog"],
        &["sql", "--query", "SELECT 1"],
        &["sql", "in_force"],
    ] {
        let r = admin(&url, args);
        r.fails(2, "typo");
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
    }
    let r = admin_env(&url, &["user", "passwd", "bob"], "a new password\n", &[]);
    r.fails(2, "typo");
    admin(&url, &["user", "set-role", "bob", "admin"]).fails(2, "typo");
    match b {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            assert!(!std::path::Path::new(path).exists(), "no file left behind");
            // `user add` is the one command that starts a database
            admin_env(
                &url,
                &["user", "add", "root", "--role", "admin"],
                "a long password\n",
                &[],
            )
            .ok();
            assert!(admin(&url, &["user", "list"]).ok().contains("root"));
        }
        Backend::Mysql => {
            let name = url.rsplit('/').next().expect("name");
            assert!(!mysql_database_exists(&db, name), "nothing created");
        }
    }
}

/// A database that exists but holds no modchat schema (an empty MariaDB
/// database, a SQLite file of something else) is refused the same way, and
/// is left as it was.
fn readers_refuse_a_database_without_the_schema(b: Backend) {
    let db = TestDb::new(b);
    if b == Backend::Sqlite {
        let path = db.url.trim_start_matches("sqlite://");
        let mut c = diesel::SqliteConnection::establish(path).expect("sqlite");
        c.batch_execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            .expect("other schema");
    }
    for args in [
        &["user", "list"][..],
        &["logs", "chat"],
        &["sql", "--query", "SELECT 1"],
    ] {
        admin(&db.url, args).fails(2, "no modchat");
    }
    admin(&db.url, &["user", "set-role", "bob", "admin"]).fails(2, "no modchat");
    // nothing was created or migrated
    let tables = table_names(&db);
    match b {
        Backend::Sqlite => assert_eq!(tables, ["notes"]),
        Backend::Mysql => assert!(tables.is_empty(), "{tables:?}"),
    }
}

fn table_names(db: &TestDb) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let q = match db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Mysql => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1"
        }
    };
    let rows: Vec<T> = match db.backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(db.url.trim_start_matches("sqlite://"))
                .expect("sqlite");
            c.batch_execute("PRAGMA busy_timeout = 5000")
                .expect("busy_timeout");
            RunQueryDsl::load(diesel::sql_query(q), &mut c).expect("tables")
        }
        Backend::Mysql => {
            let mut c = diesel::MysqlConnection::establish(&db.url).expect("mysql");
            RunQueryDsl::load(diesel::sql_query(q), &mut c).expect("tables")
        }
    };
    rows.into_iter().map(|t| t.name).collect()
}

/// A schema a migration behind this build (a server not restarted since an
/// upgrade) is read anyway, with a warning that says why a report might
/// fail; the reader does not migrate it.
fn readers_read_an_older_schema_with_a_warning(b: Backend) {
    let db = TestDb::new(b);
    drop(db.open()); // migrated, as a server leaves it
    let newest =
        "(SELECT v FROM (SELECT MAX(version) AS v FROM __diesel_schema_migrations) AS newest)";
    let mut version = String::new();
    run_sql(&db, &mut |c| {
        version = c(&format!("SELECT {newest} AS name"));
        c(&format!(
            "DELETE FROM __diesel_schema_migrations WHERE version = {newest}"
        ));
    });
    let r = admin(&db.url, &["logs", "modlog"]);
    assert!(r.ok().trim().ends_with("(0 rows)"), "{}", r.stdout);
    assert!(r.stderr.contains("lacks 1 migration"), "{}", r.stderr);
    let r = admin(
        &db.url,
        &["sql", "--query", "SELECT COUNT(*) AS n FROM accounts"],
    );
    assert!(r.ok().contains('0'));
    assert!(
        r.stderr.contains("lacks 1 migration"),
        "still behind: {}",
        r.stderr
    );
    assert!(table_names(&db).contains(&"__diesel_schema_migrations".to_owned()));
    run_sql(&db, &mut |c| {
        c(&format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}')"
        ));
    });
    // up to date: no warning
    let r = admin(&db.url, &["user", "list"]);
    r.ok();
    assert!(!r.stderr.contains("migration"), "{}", r.stderr);
}

/// Runs one statement, returning the first row's `name` column.
type Exec<'a> = &'a mut dyn FnMut(&str) -> String;

/// Runs `f` with a function that runs one statement on `db` and returns
/// the first row's `name` column (empty when it has none).
fn run_sql(db: &TestDb, f: &mut dyn FnMut(Exec)) {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    macro_rules! on {
        ($c:expr) => {
            f(&mut |q: &str| {
                if q.starts_with("SELECT") {
                    let rows: Vec<T> = RunQueryDsl::load(diesel::sql_query(q), $c).expect(q);
                    rows.into_iter().next().map(|t| t.name).unwrap_or_default()
                } else {
                    $c.batch_execute(q).expect(q);
                    String::new()
                }
            })
        };
    }
    match db.backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(db.url.trim_start_matches("sqlite://"))
                .expect("sqlite");
            // the pool just dropped may still be checkpointing: wait for
            // its lock rather than fail (seen once under a full run)
            c.batch_execute("PRAGMA busy_timeout = 5000")
                .expect("busy_timeout");
            on!(&mut c)
        }
        Backend::Mysql => {
            let mut c = diesel::MysqlConnection::establish(&db.url).expect("mysql");
            on!(&mut c)
        }
    }
}

/// Waits until MariaDB runs a statement containing `text`.
fn wait_for_query(db: &TestDb, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let q = format!(
        "SELECT CAST(COUNT(*) AS CHAR) AS name FROM information_schema.processlist WHERE info LIKE '%{text}%' AND info NOT LIKE '%processlist%'"
    );
    loop {
        let mut n = String::new();
        run_sql(db, &mut |c| n = c(&q));
        if n != "0" {
            return;
        }
        assert!(Instant::now() < deadline, "{text} never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn timed(url: &str, args: &[&str]) -> (Run, Duration) {
    let t = Instant::now();
    let r = admin(url, args);
    (r, t.elapsed())
}

/// Locking reads, in any spelling and anywhere in the statement, are
/// refused before anything runs: the SLEEP in them never runs, and a
/// `say` meanwhile is answered at once. A plain SELECT that reads for a
/// while takes no lock a writer waits for.
fn locking_reads_are_refused_before_anything_runs(b: Backend) {
    let mut s = TestServer::start(b);
    let url = s.db.url.clone();
    let mut alice = s.user("alice");
    alice.ok(json!({"type": "create_room", "room": "lobby"}));
    for q in [
        "SELECT id, SLEEP(5) FROM rooms LOCK IN SHARE MODE",
        "select id, sleep(5) from rooms for update",
        "SELECT id, SLEEP(5) FROM rooms FOR SHARE",
        "SELECT id FROM rooms WHERE id IN (SELECT id FROM rooms WHERE SLEEP(5) = 0 FOR UPDATE)",
        "WITH r AS (SELECT id, SLEEP(5) FROM rooms lock/**/in -- split\n share mode) SELECT * FROM r",
        "SELECT GET_LOCK('modchat_migrate', 0), SLEEP(5)",
    ] {
        let (r, took) = timed(&url, &["sql", "--query", q]);
        r.fails(1, "refused, nothing ran");
        assert!(took < Duration::from_secs(3), "{q}: took {took:?}");
    }
    if b == Backend::Mysql {
        // an allowed read that runs for 2 s beside the chat
        let reader = std::thread::spawn({
            let url = url.clone();
            move || {
                timed(
                    &url,
                    &["sql", "--query", "SELECT id, SLEEP(2) AS z FROM rooms"],
                )
            }
        });
        wait_for_query(&s.db, "SLEEP(2)");
        let t = Instant::now();
        alice.ok(json!({"type": "say", "room": "lobby", "text": "still here"}));
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "say took {:?}",
            t.elapsed()
        );
        let (r, took) = reader.join().expect("reader");
        r.ok();
        assert!(took >= Duration::from_secs(2));
    }
    assert_eq!(s.actions().len(), 0);
}

/// `--timeout` stops a statement that runs too long, with exit 1: MariaDB
/// stops it itself (`max_statement_time`); on SQLite the tool stops.
fn timeout_stops_a_slow_statement(b: Backend) {
    let s = TestServer::start(b);
    let url = s.db.url.clone();
    let slow = match b {
        Backend::Mysql => "SELECT SLEEP(5) AS z",
        Backend::Sqlite => {
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000000000) SELECT COUNT(*) FROM c"
        }
    };
    let (r, took) = timed(&url, &["sql", "--query", slow, "--timeout", "1"]);
    r.fails(1, "timeout");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // the default leaves a quick statement alone; bad values are usage errors
    assert!(admin(&url, &["sql", "--query", "SELECT 1 AS one"])
        .ok()
        .contains('1'));
    admin(&url, &["sql", "--query", "SELECT 1", "--timeout", "0"]).fails(2, "--timeout");
    admin(&url, &["sql", "--query", "SELECT 1", "--timeout", "soon"]).fails(2, "--timeout");
}
