//! DEVELOPING.md, "Adding a migration": src/store/schema.rs is kept by hand,
//! so each backend's migrations, applied to a fresh database, must produce
//! exactly the tables and columns it declares (names, nullability and the
//! shared type), apart from the backend-only helper columns listed below.
//! Adding a column in a migration without schema.rs, or the other way
//! round, fails here.

mod common;

use std::collections::BTreeMap;

use common::db::{Backend, TestDb};
use diesel::prelude::*;

both_backends!(schema_rs_matches_migrations);

/// Columns a backend has that schema.rs leaves out on purpose: MariaDB's
/// stored generated key columns (src/store/schema.rs never reads or writes
/// them). (backend, table, column).
const HELPER_COLUMNS: &[(Backend, &str, &str)] = &[
    // the room's name while it lives, NULL once deleted: the UNIQUE key
    // that frees a deleted room's name (SQLite: a partial unique index)
    (Backend::Mysql, "rooms", "live_name"),
];

/// A column as schema.rs declares it: the diesel type without `Nullable`,
/// and whether it is nullable.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    ty: String,
    nullable: bool,
}

type Tables = BTreeMap<String, BTreeMap<String, Declared>>;

/// Reads every `diesel::table!` of src/store/schema.rs from its text.
fn schema_rs() -> Tables {
    let text = std::fs::read_to_string("src/store/schema.rs").expect("read src/store/schema.rs");
    let mut tables = Tables::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("diesel::table!") {
        rest = &rest[start + "diesel::table!".len()..];
        let open = rest.find('{').expect("table! {");
        // the body of the macro: up to the matching brace
        let mut depth = 0;
        let mut end = None;
        for (i, ch) in rest[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.expect("table! without its closing brace");
        let body = &rest[open + 1..end];
        rest = &rest[end..];
        // `name (keys) { col -> Type, ... }`
        let name_end = body.find('(').expect("table name (keys)");
        let name = body[..name_end].trim().to_owned();
        let cols_start = body.find('{').expect("table columns {");
        let cols_end = body.rfind('}').expect("table columns }");
        let mut cols = BTreeMap::new();
        for line in body[cols_start + 1..cols_end].lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with("//") || line.starts_with("#[") {
                continue;
            }
            let (col, ty) = line
                .split_once("->")
                .unwrap_or_else(|| panic!("schema.rs, table {name}: cannot read {line:?}"));
            let ty = ty.trim().trim_end_matches(',').trim();
            let (ty, nullable) = match ty
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner.to_owned(), true),
                None => (ty.to_owned(), false),
            };
            cols.insert(col.trim().to_owned(), Declared { ty, nullable });
        }
        assert!(!cols.is_empty(), "schema.rs: table {name} without columns");
        assert!(
            tables.insert(name.clone(), cols).is_none(),
            "schema.rs declares {name} twice"
        );
    }
    tables
}

#[derive(QueryableByName, Debug)]
struct DbCol {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    /// the declared type, lower case (SQLite: as written in the migration)
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    nullable: i32,
}

/// The tables and columns of a freshly migrated database.
fn database(t: &TestDb) -> Vec<DbCol> {
    let db = t.open();
    let mut c = db.conn().expect("connection");
    // table_xinfo, not table_info: it also lists generated (hidden) columns
    let sql = match t.backend {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, lower(p.type) AS data_type, \
             CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 1 ELSE 0 END AS nullable \
             FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
        Backend::Mysql => {
            "SELECT CAST(table_name AS CHAR) AS table_name, CAST(column_name AS CHAR) AS column_name, \
             CAST(LOWER(column_type) AS CHAR) AS data_type, \
             CAST(CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS SIGNED) AS nullable \
             FROM information_schema.columns WHERE table_schema = DATABASE() \
             AND table_name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load(&mut *c)
        .expect("list the columns")
}

/// Whether a column type of this backend stores the diesel type schema.rs
/// names.
fn type_fits(backend: Backend, diesel_ty: &str, db_ty: &str) -> bool {
    let base = db_ty.split('(').next().unwrap_or(db_ty).trim();
    match (backend, diesel_ty) {
        (Backend::Sqlite, "BigInt") => matches!(base, "bigint" | "integer"),
        (Backend::Sqlite, "Integer") => base == "integer",
        (Backend::Sqlite, "Text") => base == "text",
        (Backend::Sqlite, "Bool") => base == "boolean",
        (Backend::Sqlite, "Timestamp") => base == "timestamp",
        (Backend::Sqlite, "Date") => base == "date",
        (Backend::Mysql, "BigInt") => base == "bigint",
        (Backend::Mysql, "Integer") => base == "int",
        (Backend::Mysql, "Text") => matches!(base, "varchar" | "char" | "text"),
        // BOOLEAN is TINYINT(1)
        (Backend::Mysql, "Bool") => db_ty == "tinyint(1)",
        (Backend::Mysql, "Timestamp") => base == "datetime",
        (Backend::Mysql, "Date") => base == "date",
        _ => false,
    }
}

/// docs: DEVELOPING.md, "Adding a migration" (schema.rs by hand, checked)
fn schema_rs_matches_migrations(b: Backend) {
    let declared = schema_rs();
    for t in [
        "rooms",
        "room_members",
        "chat_logs",
        "room_bans",
        "read_markers",
    ] {
        assert!(declared.contains_key(t), "schema.rs lacks table {t}");
    }
    let t = TestDb::new(b);
    let mut problems = Vec::new();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for col in database(&t) {
        found
            .entry(col.table_name.clone())
            .or_default()
            .push(col.column_name.clone());
        if HELPER_COLUMNS.contains(&(b, col.table_name.as_str(), col.column_name.as_str())) {
            continue;
        }
        let Some(table) = declared.get(&col.table_name) else {
            problems.push(format!(
                "table {} is in the migrations, not in schema.rs",
                col.table_name
            ));
            continue;
        };
        let Some(d) = table.get(&col.column_name) else {
            problems.push(format!(
                "column {}.{} ({}) is in the migrations, not in schema.rs",
                col.table_name, col.column_name, col.data_type
            ));
            continue;
        };
        if d.nullable != (col.nullable != 0) {
            problems.push(format!(
                "column {}.{}: schema.rs says {}, the database {}",
                col.table_name,
                col.column_name,
                if d.nullable { "Nullable" } else { "NOT NULL" },
                if col.nullable != 0 {
                    "NULL"
                } else {
                    "NOT NULL"
                },
            ));
        }
        if !type_fits(b, &d.ty, &col.data_type) {
            problems.push(format!(
                "column {}.{}: schema.rs says {}, the database has {}",
                col.table_name, col.column_name, d.ty, col.data_type
            ));
        }
    }
    for (table, cols) in &declared {
        let Some(have) = found.get(table) else {
            problems.push(format!(
                "table {table} is in schema.rs, not in the migrations"
            ));
            continue;
        };
        for col in cols.keys() {
            if !have.contains(col) {
                problems.push(format!(
                    "column {table}.{col} is in schema.rs, not in the migrations"
                ));
            }
        }
    }
    for &(backend, table, col) in HELPER_COLUMNS {
        if backend == b {
            assert!(
                found.get(table).is_some_and(|c| c.iter().any(|c| c == col)),
                "helper column {table}.{col} listed but not in the database: drop it from HELPER_COLUMNS"
            );
        }
    }
    assert!(
        problems.is_empty(),
        "{b:?}: src/store/schema.rs and the migrations disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// The parser reads what it should: a check of the check.
#[test]
fn schema_rs_parses() {
    let tables = schema_rs();
    let rooms = &tables["rooms"];
    assert_eq!(
        rooms["deleted_at"],
        Declared {
            ty: "Timestamp".into(),
            nullable: true
        }
    );
    assert_eq!(
        rooms["name"],
        Declared {
            ty: "Text".into(),
            nullable: false
        }
    );
    assert!(tables["read_markers"].contains_key("last_read_id"));
    assert!(
        tables.len() >= 14,
        "{:?}",
        tables.keys().collect::<Vec<_>>()
    );
}

/// The guest migration rebuilds `accounts` on SQLite (a column cannot be
/// made nullable in place), with foreign keys off for the while. A database
/// of the version before it, with rows in every table that refers to
/// accounts, comes out with every row, every id, its keys enforced again,
/// and an id sequence that never hands out a deleted account's id.
#[test]
fn sqlite_guest_rebuild_keeps_rows_and_keys() {
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::{BigInt, Text};
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
    const MIGRATIONS: EmbeddedMigrations =
        diesel_migrations::embed_migrations!("migrations/sqlite");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    let mut c = diesel::SqliteConnection::establish(path.to_str().expect("path")).expect("open");
    // as every connection of the server's pool
    c.batch_execute("PRAGMA foreign_keys = ON;")
        .expect("pragma");
    let all = MigrationHarness::<diesel::sqlite::Sqlite>::pending_migrations(&mut c, MIGRATIONS)
        .expect("migrations");
    let guests = all
        .iter()
        .position(|m| m.name().to_string().contains("irc_guests"))
        .expect("the guest migration");
    for m in &all[..guests] {
        c.run_migration(m).expect("an older migration");
    }
    let ts = "2026-12-01 10:00:00";
    c.batch_execute(&format!(
        "INSERT INTO accounts (id, username, username_key, password_hash, role, created_at) VALUES
            (1, 'Olga', 'olga', 'h1', 'admin', '{ts}'), (2, 'pat', 'pat', 'h2', 'user', '{ts}'),
            (3, 'gone', 'gone', 'h3', 'user', '{ts}');
         DELETE FROM accounts WHERE id = 3;
         INSERT INTO rooms (id, name, capacity, created_by, created_at) VALUES (1, 'hall', 50, 1, '{ts}');
         INSERT INTO room_members (room_id, account_id, room_role, joined_at) VALUES (1, 1, 'owner', '{ts}'), (1, 2, 'member', '{ts}');
         INSERT INTO auth_tokens (account_id, token_hash, created_at, expires_at) VALUES (2, 'abc', '{ts}', '{ts}');"
    ))
    .expect("old rows");
    c.run_pending_migrations(MIGRATIONS).expect("the rest");

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        username: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        password_hash: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        guest: bool,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT id, username, password_hash, guest FROM accounts ORDER BY id")
            .load(&mut c)
            .expect("accounts");
    assert_eq!(
        rows,
        vec![
            Row {
                id: 1,
                username: "Olga".into(),
                password_hash: Some("h1".into()),
                guest: false
            },
            Row {
                id: 2,
                username: "pat".into(),
                password_hash: Some("h2".into()),
                guest: false
            },
        ]
    );
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count = |c: &mut diesel::SqliteConnection, q: &str| -> i64 {
        diesel::sql_query(q).get_result::<Count>(c).expect(q).n
    };
    assert_eq!(count(&mut c, "SELECT COUNT(*) AS n FROM room_members"), 2);
    assert_eq!(count(&mut c, "SELECT COUNT(*) AS n FROM auth_tokens"), 1);
    // every key still points at a row, and keys are enforced again
    assert_eq!(
        count(&mut c, "SELECT COUNT(*) AS n FROM pragma_foreign_key_check"),
        0
    );
    assert_eq!(
        count(&mut c, "SELECT foreign_keys AS n FROM pragma_foreign_keys"),
        1
    );
    c.batch_execute("DELETE FROM accounts WHERE id = 2")
        .expect("delete");
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) AS n FROM room_members WHERE account_id = 2"
        ),
        0,
        "ON DELETE CASCADE still holds"
    );
    // the deleted account's id 3 is never handed out again
    c.batch_execute(&format!(
        "INSERT INTO accounts (username, username_key, password_hash, role, created_at) VALUES ('new', 'new', 'h', 'user', '{ts}')"
    ))
    .expect("insert");
    assert_eq!(
        count(
            &mut c,
            "SELECT id AS n FROM accounts WHERE username = 'new'"
        ),
        4
    );
    // only a guest may lack a password, and the role CHECK stayed
    for bad in [
        format!("INSERT INTO accounts (username, username_key, role, created_at) VALUES ('x', 'x', 'user', '{ts}')"),
        format!("INSERT INTO accounts (username, username_key, password_hash, role, created_at) VALUES ('y', 'y', 'h', 'root', '{ts}')"),
    ] {
        assert!(c.batch_execute(&bad).is_err(), "{bad}");
    }
    c.batch_execute(&format!(
        "INSERT INTO accounts (username, username_key, role, created_at, guest) VALUES ('g', 'g', 'user', '{ts}', TRUE)"
    ))
    .expect("a guest row");
}
