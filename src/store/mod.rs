//! The storage layer: the only place SQL lives.
//!
//! One connection type over both backends ([`DbConn`], diesel's
//! `MultiConnection`), chosen at run time by the URL. Functions in the
//! submodules are synchronous and take `&mut DbConn`; async code reaches them
//! only through [`Db::run`], which runs them on the blocking pool, so diesel
//! never blocks an actor's event loop.
//!
//! Queries the two backends disagree on (multi-row inserts, upserts,
//! RETURNING) are written once inside [`with_conn!`], which compiles the same
//! body against each backend's own connection.

pub mod accounts;
pub mod audit;
pub mod chat_log;
#[cfg(feature = "sqlite")]
mod checkpoint;
mod connect;
pub mod console;
pub mod conversations;
pub mod history;
pub mod logins;
pub mod moderation;
pub mod read_markers;
pub mod readonly;
pub mod room_bans;
pub mod rooms;
pub mod schema;
pub mod tokens;

use std::sync::Arc;

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};
use diesel::r2d2::{self, PooledConnection};

pub use connect::{Backend, DatabaseUrl, PoolOptions};

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the backend's own connection, so the body
/// may use queries the shared `DbConn` cannot express. The body is compiled
/// once per backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "mysql")]
            $crate::store::DbConn::Mysql($c) => $body,
            #[cfg(feature = "sqlite")]
            $crate::store::DbConn::Sqlite($c) => $body,
        }
    };
}

/// What can go wrong in the store, sorted by what the caller does about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached; the request gets `unavailable`.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique key was violated (a taken name, an existing room).
    #[error("already exists")]
    Conflict,
    /// Bad input caught by the store (e.g. an over-long password for bcrypt).
    #[error("invalid: {0}")]
    Invalid(&'static str),
    /// Anything else: logged, and sent as `internal`.
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    #[error("{0}")]
    Other(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Conflict,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if is_connection_lost(info.message()) =>
            {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Query(other),
        }
    }
}

/// MySQL client errors 2002/2003/2006/2013 and friends mean the server went
/// away; diesel reports them as `Unknown`.
fn is_connection_lost(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("gone away")
        || m.contains("lost connection")
        || m.contains("can't connect")
        || m.contains("connection refused")
        || m.contains("server shutdown")
}

pub type StoreResult<T> = Result<T, StoreError>;
type Pool = r2d2::Pool<connect::Manager>;
pub type PooledConn = PooledConnection<connect::Manager>;

/// The async face of the store: a connection pool plus a cap on how many
/// blocking threads may hold a connection at once.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    mysql_ids: chat_log::MysqlIds,
    /// How long a request waits for a worker before `unavailable`.
    wait: std::time::Duration,
    permits: Arc<tokio::sync::Semaphore>,
    /// SQLite's WAL checkpointer, stopped with the last clone.
    #[cfg(feature = "sqlite")]
    _checkpointer: Option<Arc<checkpoint::Checkpointer>>,
}

impl Db {
    /// Connects, creates or migrates the schema, and builds the pool.
    /// Blocking: call it before the actors start, or from a blocking thread.
    pub fn open(url: &DatabaseUrl, opts: &PoolOptions) -> StoreResult<Db> {
        let (pool, mysql_ids) = connect::build_pool(url, opts)?;
        #[cfg(feature = "sqlite")]
        let checkpointer = match url {
            DatabaseUrl::Sqlite { path } if opts.sqlite_checkpointer => {
                Some(Arc::new(checkpoint::Checkpointer::start(path).map_err(
                    |e| StoreError::Other(format!("cannot start the checkpointer: {e}")),
                )?))
            }
            _ => None,
        };
        Ok(Db {
            #[cfg(feature = "sqlite")]
            _checkpointer: checkpointer,
            pool,
            backend: url.backend(),
            mysql_ids,
            wait: opts.connection_timeout,
            permits: Arc::new(tokio::sync::Semaphore::new(opts.max_size as usize)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How the chat-log writer learns the ids of a batch on MySQL.
    pub fn mysql_ids(&self) -> chat_log::MysqlIds {
        self.mysql_ids
    }

    /// A pooled connection, for blocking code (tools, tests, start-up).
    pub fn conn(&self) -> StoreResult<PooledConn> {
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Runs `f` with a connection on the blocking pool. Never call diesel
    /// from an async context any other way. The future owns what it needs,
    /// so actors can hold it across messages.
    pub fn run<T, F>(&self, f: F) -> impl std::future::Future<Output = StoreResult<T>> + 'static
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> StoreResult<T> + Send + 'static,
    {
        let permits = self.permits.clone();
        let pool = self.pool.clone();
        let wait = self.wait;
        async move {
            // Every worker busy (a hung database): give up like the pool does.
            let _permit = tokio::time::timeout(wait, permits.acquire())
                .await
                .map_err(|_| StoreError::Unavailable("all store workers busy".into()))?
                .map_err(|_| StoreError::Other("store closed".into()))?;
            tokio::task::spawn_blocking(move || {
                let mut conn = pool
                    .get()
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                f(&mut conn)
            })
            .await
            .map_err(|e| StoreError::Other(format!("store worker failed: {e}")))?
        }
    }
}

/// Does the database answer? For health checks.
pub fn ping(conn: &mut DbConn) -> StoreResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// Now, in UTC, cut to milliseconds: what the wire shows is exactly what is
/// stored, and both backends read it back the same.
pub fn now() -> NaiveDateTime {
    truncate_ms(Utc::now().naive_utc())
}

pub fn truncate_ms(t: NaiveDateTime) -> NaiveDateTime {
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// The wire format of every timestamp: RFC 3339, UTC, milliseconds, `Z`.
pub fn fmt_time(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
