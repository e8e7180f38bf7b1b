//! The storage layer on both backends, against real databases.

mod common;

use chrono::{NaiveDate, TimeDelta};
use common::db::{Backend, TestDb};
use diesel::prelude::*;
use modchat::model::{AccountId, ModAction, Role, RoomId};
use modchat::store::chat_log::{self, Kind, NewChatLog};
use modchat::store::logins::{self, LoginAttempt};
use modchat::store::moderation::{self, NewAction};
use modchat::store::{accounts, rooms, tokens, StoreError};

both_backends!(
    account_create_and_verify,
    usernames_unique_ignoring_case,
    daily_logins_count,
    chat_log_batch_of_1000,
    moderation_record_with_null_actor,
    tokens_expire_and_revoke,
    rooms_and_membership,
    same_tables_and_columns,
    login_event_with_absurd_username,
);

fn account_create_and_verify(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let hash = modchat::auth::hash_password("correct horse", 4).unwrap();
    let a = accounts::create(&mut c, "Alice", &hash, Role::User).unwrap();
    assert_eq!(a.username, "Alice");
    assert_eq!(a.role, Role::User);
    let found = accounts::find_by_name(&mut c, "ALICE").unwrap().unwrap();
    assert_eq!(found.id, a.id);
    assert_eq!(found.username, "Alice", "shown as registered");
    assert!(modchat::auth::verify_password(
        "correct horse",
        found.password_hash.as_deref().expect("a hash")
    ));
    assert!(!modchat::auth::verify_password(
        "wrong horse",
        found.password_hash.as_deref().expect("a hash")
    ));
    let stored = found.password_hash.as_deref().expect("a hash");
    assert!(stored.starts_with("$2"), "bcrypt hash stored");
    assert!(!found.guest);
    assert!(accounts::find_by_name(&mut c, "bob").unwrap().is_none());
}

fn usernames_unique_ignoring_case(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    accounts::create(&mut c, "Carol", "x", Role::User).unwrap();
    for dup in ["carol", "CAROL", "Carol"] {
        match accounts::create(&mut c, dup, "x", Role::User) {
            Err(StoreError::Conflict) => {}
            other => panic!("{dup}: expected Conflict, got {other:?}"),
        }
    }
    accounts::create(&mut c, "carol2", "x", Role::Admin).unwrap();
    // renaming onto another's name (any case) is a conflict; own case change is not
    let c2 = accounts::find_by_name(&mut c, "carol2").unwrap().unwrap();
    assert!(matches!(
        accounts::rename(&mut c, c2.id, "CAROL"),
        Err(StoreError::Conflict)
    ));
    accounts::rename(&mut c, c2.id, "Carol2").unwrap();
    assert_eq!(
        accounts::find_by_id(&mut c, c2.id)
            .unwrap()
            .unwrap()
            .username,
        "Carol2"
    );
}

fn daily_logins_count(b: Backend) {
    use modchat::store::schema::daily_logins::dsl::{
        account_id, daily_logins, day, first_at, last_at, logins as n_logins,
    };
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "dave", "x", Role::User).unwrap();
    let day1 = NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_milli_opt(9, 0, 0, 123)
        .unwrap();
    let attempt = |at_: chrono::NaiveDateTime, ok: bool| LoginAttempt {
        account_id: Some(a.id),
        username: "dave",
        ip: "127.0.0.1",
        success: ok,
        reason: Some(if ok { "login" } else { "bad_credentials" }),
        at: at_,
    };
    logins::record(&mut c, &attempt(day1, true)).unwrap();
    logins::record(&mut c, &attempt(day1 + TimeDelta::hours(1), false)).unwrap();
    logins::record(&mut c, &attempt(day1 + TimeDelta::hours(2), true)).unwrap();
    logins::record(&mut c, &attempt(day1 + TimeDelta::hours(3), true)).unwrap();
    logins::record(&mut c, &attempt(day1 + TimeDelta::days(1), true)).unwrap();
    let rows: Vec<(
        NaiveDate,
        AccountId,
        chrono::NaiveDateTime,
        chrono::NaiveDateTime,
        i32,
    )> = daily_logins
        .order(day)
        .select((day, account_id, first_at, last_at, n_logins))
        .load(&mut c)
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0],
        (day1.date(), a.id, day1, day1 + TimeDelta::hours(3), 3)
    );
    assert_eq!(rows[1].4, 1);
    use modchat::store::schema::login_events;
    let n: i64 = login_events::table.count().get_result(&mut c).unwrap();
    assert_eq!(n, 5, "every attempt is recorded, failures too");
}

fn chat_log_batch_of_1000(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "erin", "x", Role::User).unwrap();
    let r = rooms::create(&mut c, "lobby", 100, a.id).unwrap();
    let samples = [
        "hello 👋🏽",
        "你好，世界",
        "مرحبا بالعالم",
        "שלום",
        "tab\tand\nnewline",
        "🇫🇷 e\u{301}",
    ];
    let at = modchat::store::now();
    let rows: Vec<NewChatLog> = (0..1000)
        .map(|i| NewChatLog {
            kind: Kind::Message.as_str(),
            room_id: Some(r.id),
            sender_id: Some(a.id),
            sender_name: "erin".into(),
            recipient_id: None,
            text: format!("{} #{i}", samples[i % samples.len()]),
            action: false,
            at,
        })
        .collect();
    let ids = chat_log::insert_batch(&mut c, &rows, db.mysql_ids()).unwrap();
    assert_eq!(ids.len(), 1000);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase");
    let back = chat_log::range(&mut c, ids[0], ids[999]).unwrap();
    assert_eq!(back.len(), 1000);
    for ((row, id), sent) in back.iter().zip(&ids).zip(&rows) {
        assert_eq!(row.id, *id);
        assert_eq!(row.text, sent.text, "text round-trips exactly");
        assert_eq!(row.at, at);
        assert_eq!(row.kind, "message");
    }
    // a second batch continues after the first
    let more = chat_log::insert_batch(&mut c, &rows[..3], db.mysql_ids()).unwrap();
    assert!(more[0] > ids[999]);
    let page = chat_log::history(&mut c, r.id, Some(ids[10]), 5).unwrap();
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids[5..10].to_vec()
    );
}

fn moderation_record_with_null_actor(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "frank", "x", Role::User).unwrap();
    let at = modchat::store::now();
    let until = at + TimeDelta::minutes(10);
    moderation::record(
        &mut c,
        &NewAction::new(ModAction::AutoMute, at)
            .target(a.id)
            .reason(Some("three filter blocks in ten minutes".into()))
            .until(Some(until)),
    )
    .unwrap();
    let rows = moderation::for_target(&mut c, a.id, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor_id, None);
    assert_eq!(rows[0].action, "auto_mute");
    assert_eq!(rows[0].until, Some(until));
    // no foreign key: a record may name an account that does not exist
    moderation::record(
        &mut c,
        &NewAction::new(ModAction::Kick, at)
            .target(AccountId(987_654))
            .actor(a.id)
            .room(Some(RoomId(123_456))),
    )
    .unwrap();
}

fn tokens_expire_and_revoke(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "gina", "x", Role::Moderator).unwrap();
    let now = modchat::store::now();
    let token = modchat::auth::new_token();
    let h = modchat::auth::hash_token(&token);
    assert_ne!(token, h);
    tokens::insert(&mut c, a.id, &h, now + TimeDelta::hours(1)).unwrap();
    let (acc, exp) = tokens::resolve(&mut c, &h, now).unwrap().unwrap();
    assert_eq!(acc.id, a.id);
    assert_eq!(exp, now + TimeDelta::hours(1));
    assert!(
        tokens::resolve(&mut c, &h, now + TimeDelta::hours(2))
            .unwrap()
            .is_none(),
        "expired"
    );
    tokens::revoke(&mut c, &h).unwrap();
    assert!(
        tokens::resolve(&mut c, &h, now).unwrap().is_none(),
        "revoked"
    );
}

fn rooms_and_membership(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "hal", "x", Role::User).unwrap();
    let z = accounts::create(&mut c, "Zed", "x", Role::Admin).unwrap();
    let r = rooms::create(&mut c, "general", 10, a.id).unwrap();
    assert!(matches!(
        rooms::create(&mut c, "general", 10, a.id),
        Err(StoreError::Conflict)
    ));
    assert!(rooms::add_member(&mut c, r.id, z.id).unwrap());
    assert!(
        !rooms::add_member(&mut c, r.id, z.id).unwrap(),
        "second join changes nothing"
    );
    let m = rooms::members_of(&mut c, r.id).unwrap();
    assert_eq!(
        m.iter().map(|m| m.username.as_str()).collect::<Vec<_>>(),
        ["hal", "Zed"]
    );
    assert_eq!(m[1].role, Role::Admin);
    assert_eq!(rooms::rooms_of(&mut c, z.id).unwrap(), ["general"]);
    assert!(rooms::remove_member(&mut c, r.id, z.id).unwrap());
    assert!(!rooms::remove_member(&mut c, r.id, z.id).unwrap());
    assert!(rooms::rooms_of(&mut c, z.id).unwrap().is_empty());
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Col {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

fn columns(t: &TestDb) -> Vec<Col> {
    let db = t.open();
    let mut c = db.conn().unwrap();
    let sql = match t.backend {
        Backend::Sqlite => "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
        Backend::Mysql => "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name \
             FROM information_schema.columns WHERE table_schema = DATABASE() \
             AND table_name <> '__diesel_schema_migrations'",
    };
    let mut cols: Vec<Col> = diesel::sql_query(sql).load(&mut *c).unwrap();
    // MariaDB's stored generated key column (rooms.live_name: a deleted
    // room's name is free again), where SQLite has a partial unique index;
    // tests/schema.rs lists the helper columns
    cols.retain(|c| {
        !(t.backend == Backend::Mysql && c.table_name == "rooms" && c.column_name == "live_name")
    });
    cols.sort();
    cols
}

/// Both backends end with the same tables and columns; this backend's are
/// compared with SQLite's (the embedded default).
fn same_tables_and_columns(b: Backend) {
    let reference = columns(&TestDb::new(Backend::Sqlite));
    let these = columns(&TestDb::new(b));
    assert_eq!(these, reference);
    let tables: std::collections::BTreeSet<&str> =
        these.iter().map(|c| c.table_name.as_str()).collect();
    for t in [
        "accounts",
        "login_events",
        "daily_logins",
        "rooms",
        "room_members",
        "chat_logs",
        "moderation_actions",
    ] {
        assert!(tables.contains(t), "missing audited table {t}");
    }
}

fn login_event_with_absurd_username(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let long = "é".repeat(5000);
    logins::record(
        &mut c,
        &LoginAttempt {
            account_id: None,
            username: &long,
            ip: "::1",
            success: false,
            reason: Some("bad_credentials"),
            at: modchat::store::now(),
        },
    )
    .unwrap();
}

#[test]
fn migration_folders_match() {
    let list = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let m = list("migrations/mysql");
    let s = list("migrations/sqlite");
    assert!(!m.is_empty());
    assert_eq!(
        m, s,
        "migrations/mysql and migrations/sqlite must list the same migrations"
    );
    for d in &m {
        for f in ["up.sql", "down.sql"] {
            assert!(std::path::Path::new(&format!("migrations/mysql/{d}/{f}")).exists());
            assert!(std::path::Path::new(&format!("migrations/sqlite/{d}/{f}")).exists());
        }
    }
}

#[test]
fn database_urls() {
    use modchat::store::DatabaseUrl;
    assert_eq!(
        DatabaseUrl::parse("sqlite://modchat.db").unwrap(),
        DatabaseUrl::Sqlite {
            path: "modchat.db".into()
        }
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/m.db").unwrap(),
        DatabaseUrl::Sqlite {
            path: "/var/lib/m.db".into()
        }
    );
    assert!(DatabaseUrl::parse("postgres://x")
        .unwrap_err()
        .contains("sqlite:// or mysql://"));
    assert!(DatabaseUrl::parse("sqlite://").is_err());
}
