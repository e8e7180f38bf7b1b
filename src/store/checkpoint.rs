//! SQLite WAL checkpoints off the commit path.
//!
//! By default SQLite checkpoints inside the COMMIT that pushes the WAL past
//! 1000 pages: that commit, and every message waiting on it, pays for
//! copying pages into the database file and syncing it. The server's pool
//! turns that off (`wal_autocheckpoint = 0`) and this thread checkpoints
//! instead, PASSIVE (it never waits for or blocks a writer), once a second.
//! `synchronous` stays as configured, so an acknowledged text is on disk
//! as before; only who pays for the copy changes.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::Connection;

const EVERY: Duration = Duration::from_secs(1);

/// Stops its thread when dropped (without waiting for it).
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Checkpointer {
    pub fn start(path: &str) -> std::io::Result<Checkpointer> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (flag, path) = (stop.clone(), path.to_owned());
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, &flag))?;
        Ok(Checkpointer { stop })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (m, cv) = &*self.stop;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
}

fn run(path: &str, stop: &(Mutex<bool>, Condvar)) {
    let mut conn: Option<diesel::SqliteConnection> = None;
    loop {
        let (m, cv) = stop;
        let guard = m.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cv
            .wait_timeout_while(guard, EVERY, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        if *guard {
            return;
        }
        drop(guard);
        if conn.is_none() {
            match diesel::SqliteConnection::establish(path) {
                Ok(mut c) => {
                    let _ = c.batch_execute("PRAGMA busy_timeout = 1000;");
                    conn = Some(c);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpointer cannot open the database");
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                conn = None;
            }
        }
    }
}
