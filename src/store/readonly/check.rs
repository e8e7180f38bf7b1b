//! Before a reader (`modchat-admin user list|show`, `logs`, `sql`) opens a
//! database: is there a modchat database at the URL? A mistyped URL or a
//! run in the wrong directory must not create an empty database and report
//! "(0 rows)", which an auditor would read as "nothing happened". Nothing
//! here creates, migrates or writes anything: SQLite is opened `mode=ro`
//! (a missing file is not created), MariaDB is only read.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::super::{DatabaseUrl, StoreError, StoreResult};

/// What a reader found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    /// Every migration this build knows is applied (or the database is
    /// newer than this build).
    Current,
    /// This many of this build's migrations are not applied yet: the
    /// server applies them at its next start. Reports may miss a column.
    Behind(usize),
    /// The migrations table cannot be read (an auditor's database user
    /// granted only the audit tables): the tables are there, their version
    /// is not known.
    Unknown,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The applied migrations' versions; `None` when the table cannot be read.
/// (A macro: the load is compiled against each backend's own connection.)
macro_rules! versions {
    ($c:expr) => {
        diesel::sql_query("SELECT version AS name FROM __diesel_schema_migrations")
            .load::<Name>($c)
            .ok()
            .map(|rows| rows.into_iter().map(|n| n.name).collect::<Vec<String>>())
    };
}

/// Refuses (as `Unavailable`, naming `shown`, the URL without its
/// password) a database that is not there or has no modchat schema: no
/// `accounts` table, or on SQLite no migrations table either.
pub fn existing_schema(url: &DatabaseUrl, shown: &str) -> StoreResult<Schema> {
    let refuse = |why: String| StoreError::Unavailable(format!("{shown}: {why}"));
    match url {
        #[cfg(feature = "sqlite")]
        DatabaseUrl::Sqlite { path } => {
            if !std::path::Path::new(path).is_file() {
                return Err(refuse(format!(
                    "no database at {path}: give the server's with --database-url or MODCHAT_DATABASE_URL"
                )));
            }
            let mut c = diesel::SqliteConnection::establish(&super::read_only_uri(path))
                .map_err(|e| refuse(format!("cannot open {path}: {e}")))?;
            c.batch_execute("PRAGMA busy_timeout = 5000;")
                .map_err(|e| refuse(e.to_string()))?;
            let tables: Vec<Name> =
                diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .load(&mut c)
                    .map_err(|e| refuse(format!("{path} is not a modchat database ({e})")))?;
            let has = |t: &str| tables.iter().any(|n| n.name == t);
            if !has("accounts") || !has("__diesel_schema_migrations") {
                return Err(refuse(format!(
                    "{path} has no modchat schema (no accounts table or no migrations table)"
                )));
            }
            Ok(versions!(&mut c)
                .map(|applied| {
                    pending::<diesel::sqlite::Sqlite>(
                        &super::super::connect::SQLITE_MIGRATIONS,
                        &applied,
                    )
                })
                .unwrap_or(Schema::Unknown))
        }
        #[cfg(feature = "mysql")]
        DatabaseUrl::Mysql { url } => {
            // 1049 (unknown database) and every other failure to connect
            let mut c = diesel::MysqlConnection::establish(url)
                .map_err(|e| refuse(format!("cannot connect: {e}")))?;
            // information_schema lists the tables this user may read
            // anything of: an auditor's, granted table by table, see them
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()",
            )
            .load(&mut c)
            .map_err(|e| refuse(e.to_string()))?;
            if !tables.iter().any(|n| n.name == "accounts") {
                return Err(refuse(
                    "the database has no modchat schema (no accounts table)".into(),
                ));
            }
            Ok(versions!(&mut c)
                .map(|applied| {
                    pending::<diesel::mysql::Mysql>(
                        &super::super::connect::MYSQL_MIGRATIONS,
                        &applied,
                    )
                })
                .unwrap_or(Schema::Unknown))
        }
        #[allow(unreachable_patterns)]
        _ => Err(refuse("this backend is not compiled in".into())),
    }
}

fn pending<DB: diesel::backend::Backend>(
    source: &impl MigrationSource<DB>,
    applied: &[String],
) -> Schema {
    let Ok(all) = source.migrations() else {
        return Schema::Unknown;
    };
    let behind = all
        .iter()
        .filter(|m| !applied.contains(&m.name().version().to_string()))
        .count();
    match behind {
        0 => Schema::Current,
        n => Schema::Behind(n),
    }
}
