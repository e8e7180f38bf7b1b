//! Choosing the backend from the URL, opening connections with the right
//! settings, and migrating the schema before the pool is handed out.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::chat_log::MysqlIds;
use super::{DbConn, StoreError, StoreResult};

#[cfg(feature = "mysql")]
pub const MYSQL_MIGRATIONS: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/mysql");
#[cfg(feature = "sqlite")]
pub const SQLITE_MIGRATIONS: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Mysql,
    Sqlite,
}

/// A parsed `--database-url`: `sqlite://PATH`, `sqlite:///abs/path`, or
/// `mysql://USER:PASS@HOST:PORT/DB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: String },
    Mysql { url: String },
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<DatabaseUrl, String> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(format!("database url {s:?} names no file"));
            }
            if !cfg!(feature = "sqlite") {
                return Err(
                    "this build has no SQLite support (build with --features sqlite)".into(),
                );
            }
            Ok(DatabaseUrl::Sqlite {
                path: path.to_owned(),
            })
        } else if s.starts_with("mysql://") {
            if !cfg!(feature = "mysql") {
                return Err("this build has no MySQL support: build with `cargo build --release --features mysql` (needs the MySQL client library, Debian: libmariadb-dev-compat)".into());
            }
            Ok(DatabaseUrl::Mysql { url: s.to_owned() })
        } else {
            Err(format!(
                "database url {s:?} must start with sqlite:// or mysql://"
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite { .. } => Backend::Sqlite,
            DatabaseUrl::Mysql { .. } => Backend::Mysql,
        }
    }
}

/// Pool settings (from the `[database]` config section).
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before `unavailable`.
    pub connection_timeout: Duration,
    /// SQLite's `synchronous`: FULL by default, so an `ok` means on disk.
    pub sqlite_synchronous: String,
    /// Create or migrate the schema first. Off for readers that may lack
    /// the right to (an auditor's read-only database user).
    pub migrate: bool,
    /// SQLite: checkpoint the WAL from a thread of its own instead of inside
    /// commits (the server's pool; see `checkpoint.rs`).
    pub sqlite_checkpointer: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
            sqlite_synchronous: "FULL".into(),
            migrate: true,
            sqlite_checkpointer: false,
        }
    }
}

/// Opens connections of the one backend the URL names. Our own manager
/// rather than diesel's `ConnectionManager<DbConn>`, whose `establish` tries
/// every backend in turn and reports a bad MySQL URL only as "invalid
/// connection url".
pub struct Manager {
    url: DatabaseUrl,
    sqlite_synchronous: String,
    /// SQLite: leave checkpoints to the checkpointer thread.
    no_autocheckpoint: bool,
}

impl Manager {
    fn establish(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.url {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite { path } => {
                let mut c = diesel::SqliteConnection::establish(path)?;
                // temp_store: the statement journal of each multi-row insert
                // was a file created and unlinked per chat-log batch
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA temp_store = MEMORY;{}",
                    self.sqlite_synchronous,
                    if self.no_autocheckpoint {
                        " PRAGMA wal_autocheckpoint = 0;"
                    } else {
                        ""
                    }
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(c))
            }
            #[cfg(feature = "mysql")]
            DatabaseUrl::Mysql { url } => {
                let mut c = diesel::MysqlConnection::establish(url)?;
                c.batch_execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Mysql(c))
            }
            #[allow(unreachable_patterns)]
            _ => Err(diesel::ConnectionError::InvalidConnectionUrl(
                "backend not compiled in".into(),
            )),
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// One connection first, for a clear error and for the work that must not
/// race (WAL mode, migrations); then the pool.
pub(super) fn build_pool(
    url: &DatabaseUrl,
    opts: &PoolOptions,
) -> StoreResult<(r2d2::Pool<Manager>, MysqlIds)> {
    let manager = Manager {
        url: url.clone(),
        sqlite_synchronous: opts.sqlite_synchronous.clone(),
        no_autocheckpoint: opts.sqlite_checkpointer,
    };
    let mut first = manager
        .establish()
        .map_err(|e| StoreError::Unavailable(format!("cannot connect: {e}")))?;
    if opts.migrate {
        migrate(&mut first)?;
        super::accounts::fill_name_skeletons(&mut first)?;
    }
    let ids = match &mut first {
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => super::chat_log::detect_mysql_ids(c)?,
        #[allow(unreachable_patterns)]
        _ => MysqlIds::Consecutive,
    };
    let pool = r2d2::Pool::builder()
        .max_size(opts.max_size)
        .min_idle(Some(1))
        .connection_timeout(opts.connection_timeout)
        .build_unchecked(manager);
    Ok((pool, ids))
}

/// Creates or migrates the schema. On SQLite, switches the file to WAL once
/// (doing it per pooled connection caused "database is locked" at start).
pub fn migrate(conn: &mut DbConn) -> StoreResult<()> {
    let result = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ())
        }
        // Several processes may start at once on one MariaDB (the nodes of
        // a cluster, modchat-admin beside a server): a named lock lets one
        // migrate while the others wait, then find nothing left to do.
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => {
            c.batch_execute("DO GET_LOCK(CONCAT('modchat_migrate.', DATABASE()), 60)")?;
            let r = c.run_pending_migrations(MYSQL_MIGRATIONS).map(|_| ());
            c.batch_execute("DO RELEASE_LOCK(CONCAT('modchat_migrate.', DATABASE()))")?;
            r
        }
    };
    result.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
}
