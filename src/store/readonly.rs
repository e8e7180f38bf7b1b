//! Auditors' own SQL (`modchat-admin sql`), run so that it cannot change
//! anything, on a connection of its own:
//!
//! - SQLite: the file opened read-only (`mode=ro`) with `query_only` on;
//! - MariaDB/MySQL: `SET SESSION TRANSACTION READ ONLY` and
//!   `START TRANSACTION READ ONLY`, rolled back afterwards. The session
//!   setting matters: DDL such as `DROP TABLE` commits the open transaction
//!   implicitly and would otherwise run outside it.
//!
//! Before any of that, [`prepare`] reads the statement: one statement, one
//! that reads (SELECT, WITH, ...), with `:name` parameters turned into
//! binds. The database's own guard is what makes it safe from writes; the
//! check in front gives a clear error for the common mistakes. Locks are
//! another matter: MariaDB lets a read-only transaction (and a user granted
//! only SELECT) take row locks with `LOCK IN SHARE MODE` or `FOR UPDATE`,
//! which stall the server's inserts, so [`prepare`] refuses those itself.
//!
//! A statement also stops after a timeout: MariaDB stops it by itself
//! (`max_statement_time`, MySQL `max_execution_time`); diesel gives no way
//! to interrupt a SQLite statement, so [`run`] stops waiting for it and the
//! caller (a command-line tool) exits, which ends it.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_dynamic_schema::dynamic_value::{DynamicRow, NamedField};

use super::{DatabaseUrl, StoreError, StoreResult};

mod cells;
mod check;
mod parse;

pub use cells::Cell;
pub use check::{existing_schema, Schema};
pub use parse::{prepare, Prepared};

/// The URL a reader opens: a SQLite file read-only (`mode=ro`, so a file
/// that vanished is not created); a MariaDB URL as it is.
pub fn reader_url(url: &DatabaseUrl) -> DatabaseUrl {
    match url {
        #[cfg(feature = "sqlite")]
        DatabaseUrl::Sqlite { path } => DatabaseUrl::Sqlite {
            path: read_only_uri(path),
        },
        other => other.clone(),
    }
}

/// A result with its column names, in the statement's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

type Row = DynamicRow<NamedField<Option<Cell>>>;

/// Binds and loads on one backend's own connection (a macro: diesel's
/// bounds for a generic `sql_query` loader are not all public).
macro_rules! load {
    ($conn:expr, $backend:ty, $stmt:expr, $values:expr) => {{
        let mut q = diesel::sql_query($stmt.sql.clone()).into_boxed::<$backend>();
        for v in $values {
            q = q.bind::<Text, _>(v.clone());
        }
        q.load::<Row>($conn).map_err(refused)
    }};
}

/// How long past the timeout the client waits for MariaDB to stop a
/// statement itself (its error is the clearer one).
const SERVER_GRACE: Duration = Duration::from_secs(2);

/// Runs a prepared statement read-only, binding `values` in order (each as
/// text), and loads its rows. A write is refused by the database and
/// nothing changes; the error says so. After `timeout` the statement is
/// stopped (MariaDB) or abandoned on its thread (SQLite: the caller should
/// exit soon, which ends it; it holds no lock a writer waits for) and the
/// error says it ran too long.
pub fn run(
    url: &DatabaseUrl,
    stmt: &Prepared,
    values: &[String],
    timeout: Duration,
) -> StoreResult<Table> {
    if values.len() != stmt.params.len() {
        return Err(StoreError::Other(format!(
            "{} values for {} parameters",
            values.len(),
            stmt.params.len()
        )));
    }
    let wait = match url {
        DatabaseUrl::Mysql { .. } => timeout + SERVER_GRACE,
        DatabaseUrl::Sqlite { .. } => timeout,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let (url, stmt, values) = (url.clone(), stmt.clone(), values.to_vec());
    std::thread::Builder::new()
        .name("readonly-sql".into())
        .spawn(move || {
            let _ = tx.send(load_rows(&url, &stmt, &values, timeout));
        })
        .map_err(|e| StoreError::Other(format!("cannot start the query: {e}")))?;
    let rows = match rx.recv_timeout(wait) {
        Ok(rows) => rows?,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(timed_out(timeout)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            return Err(StoreError::Other(
                "the query stopped without an answer".into(),
            ))
        }
    };
    Ok(table(rows))
}

fn timed_out(timeout: Duration) -> StoreError {
    StoreError::Other(format!(
        "stopped: the statement ran longer than the timeout ({} s, --timeout); nothing was changed",
        timeout.as_secs_f64()
    ))
}

fn load_rows(
    url: &DatabaseUrl,
    stmt: &Prepared,
    values: &[String],
    // SQLite is stopped by the caller's wait, not here
    #[cfg_attr(not(feature = "mysql"), allow(unused_variables))] timeout: Duration,
) -> StoreResult<Vec<Row>> {
    Ok(match url {
        #[cfg(feature = "sqlite")]
        DatabaseUrl::Sqlite { path } => {
            let mut c = diesel::SqliteConnection::establish(&read_only_uri(path))
                .map_err(|e| StoreError::Unavailable(format!("cannot open {path}: {e}")))?;
            c.batch_execute("PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;")?;
            load!(&mut c, diesel::sqlite::Sqlite, stmt, values)?
        }
        #[cfg(feature = "mysql")]
        DatabaseUrl::Mysql { url } => {
            let mut c = diesel::MysqlConnection::establish(url)
                .map_err(|e| StoreError::Unavailable(format!("cannot connect: {e}")))?;
            // The statement check reads quotes as MariaDB does by default:
            // a server or account whose sql_mode drops backslash escapes
            // (or makes `"` an identifier quote) would otherwise see code
            // where the check saw a string. REPEATABLE READ: under
            // SERIALIZABLE every plain SELECT would take shared locks.
            c.batch_execute(
                "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'; \
                 SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;",
            )?;
            let secs = timeout.as_secs_f64();
            let ms = timeout.as_millis().max(1);
            if c.batch_execute(&format!("SET SESSION max_statement_time = {secs}"))
                .is_err()
            {
                // MySQL: SELECTs only, which is all that runs here
                let _ = c.batch_execute(&format!("SET SESSION max_execution_time = {ms}"));
            }
            c.batch_execute("START TRANSACTION READ ONLY")?;
            let rows = load!(&mut c, diesel::mysql::Mysql, stmt, values);
            // the connection is dropped next; the rollback is for clarity
            let _ = c.batch_execute("ROLLBACK");
            match rows {
                Err(StoreError::Other(m)) if stopped_by_server(&m) => {
                    return Err(timed_out(timeout))
                }
                r => r?,
            }
        }
        #[allow(unreachable_patterns)]
        _ => return Err(StoreError::Other("backend not compiled in".into())),
    })
}

/// MariaDB's `max_statement_time` error (1969) or MySQL's
/// `max_execution_time` one (3024).
#[cfg(feature = "mysql")]
fn stopped_by_server(message: &str) -> bool {
    message.contains("max_statement_time") || message.contains("maximum statement execution time")
}

fn table(rows: Vec<Row>) -> Table {
    let columns = rows
        .first()
        .map(|r| {
            (0..r.len())
                .filter_map(|i| r.get(i).map(|f| f.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let rows = rows
        .into_iter()
        .map(|r| {
            (0..r.len())
                .filter_map(|i| r.get(i))
                .map(|f| f.value.clone().unwrap_or(Cell::Null))
                .collect()
        })
        .collect();
    Table { columns, rows }
}

fn refused(e: diesel::result::Error) -> StoreError {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            StoreError::Other(format!("the database refused it: {}", info.message()))
        }
        // MySQL: a statement with no result set is stopped before it runs
        other if other.to_string().contains("No metadata") => StoreError::Other(
            "refused: the statement returns no rows; only statements that read may run here".into(),
        ),
        other => StoreError::from(other),
    }
}

/// `file:PATH?mode=ro`, with the characters a URI gives meaning to escaped.
#[cfg(feature = "sqlite")]
fn read_only_uri(path: &str) -> String {
    let mut s = String::from("file:");
    for ch in path.chars() {
        match ch {
            '%' => s.push_str("%25"),
            '?' => s.push_str("%3f"),
            '#' => s.push_str("%23"),
            c => s.push(c),
        }
    }
    s.push_str("?mode=ro");
    s
}

/// A time parameter, as people type it, in the form the stored times
/// compare with on both backends: `YYYY-MM-DD HH:MM:SS.fff`, UTC.
/// Accepts RFC 3339 (any offset), `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) and a
/// bare date (its midnight, UTC). `None` when it is not a time.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f") {
        return Some(t);
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// How a time is bound as a parameter: exactly as SQLite stores times
/// (milliseconds, no fraction when it is zero), since SQLite compares them
/// as text and `10:00:00` sorts before `10:00:00.000`; MariaDB reads it as
/// a DATETIME.
pub fn bind_time(t: &NaiveDateTime) -> String {
    super::truncate_ms(*t)
        .format("%Y-%m-%d %H:%M:%S%.f")
        .to_string()
}
