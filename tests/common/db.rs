//! Fresh databases for tests: a temporary SQLite file, or a new database on
//! the local MariaDB (`MODCHAT_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306/test`) with a name no other run uses,
//! dropped when the test ends.

#![allow(dead_code)]

#[allow(unused_imports)] // Ordering: MySQL only
use std::sync::atomic::{AtomicU32, Ordering};

use modchat::store::{DatabaseUrl, Db, PoolOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    mysql: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn mysql_base_url() -> String {
    std::env::var("MODCHAT_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                    mysql: None,
                }
            }
            Backend::Mysql => Self::new_mysql(),
        }
    }

    #[cfg(feature = "mysql")]
    fn new_mysql() -> TestDb {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let base = mysql_base_url();
        let name = format!(
            "modchat_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let mut admin = diesel::MysqlConnection::establish(&base).unwrap_or_else(|e| {
            panic!("MariaDB/MySQL at {base} cannot be reached ({e}); scripts/test starts it, or set MODCHAT_TEST_MYSQL_URL")
        });
        admin
            .batch_execute(&format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .expect("create test database");
        let prefix = &base[..base.rfind('/').expect("mysql url has a database")];
        let url = format!("{prefix}/{name}");
        TestDb {
            url,
            backend: Backend::Mysql,
            _dir: None,
            mysql: Some((base, name)),
        }
    }

    #[cfg(not(feature = "mysql"))]
    fn new_mysql() -> TestDb {
        panic!("MySQL tests need the mysql feature: run scripts/test")
    }

    pub fn open(&self) -> Db {
        let url = DatabaseUrl::parse(&self.url).expect("test url");
        Db::open(&url, &PoolOptions::default()).expect("open test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        #[cfg(feature = "mysql")]
        if let Some((base, name)) = &self.mysql {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            if let Ok(mut admin) = diesel::MysqlConnection::establish(base) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS `{name}`"));
            }
        }
    }
}

/// Runs the test body once per backend: `both_backends!(name, name2);`
/// makes `sqlite::name` and `mysql::name` calling `name(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::common::db::Backend::Sqlite) } )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $( #[test] fn $name() { super::$name($crate::common::db::Backend::Mysql) } )*
        }
    };
}
