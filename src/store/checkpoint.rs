//! SQLite WAL checkpoints off the commit path.
//!
//! By default SQLite checkpoints inside the COMMIT that pushes the WAL past
//! 1000 pages: that commit, and every message waiting on it, pays for
//! copying those pages into the database file and syncing it. The server's
//! pool turns that off (`wal_autocheckpoint = 0`) and this thread
//! checkpoints instead, once a second:
//!
//! - PASSIVE first: it copies what it can without waiting for or blocking
//!   the writer, so the bulk of the copy runs beside the commits;
//! - then, when the WAL holds more than [`RESTART_FRAMES`], RESTART: it
//!   waits for the writer's current commit, copies the few frames written
//!   meanwhile, and lets the next commit start the WAL over. Without it the
//!   WAL never restarts under a steady load (the writer always has frames
//!   the last pass did not copy) and grows without end; seen: 221 MB after
//!   a minute of benchmark.
//!
//! `synchronous` stays as configured, so an acknowledged text is on disk
//! as before; only who pays for the copy changes.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::Connection;

const EVERY: Duration = Duration::from_secs(1);
/// SQLite's own autocheckpoint threshold.
const RESTART_FRAMES: i32 = 1000;

/// A `wal_checkpoint` pragma's one row.
#[derive(diesel::QueryableByName)]
struct Checkpointed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

fn checkpoint(c: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    let passive: Checkpointed =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)?;
    if passive.busy == 0 && passive.log > RESTART_FRAMES {
        diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result::<Checkpointed>(c)?;
    }
    Ok(())
}

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
                    // short: a RESTART that waits holds up new commits meanwhile
                    let _ = c.batch_execute("PRAGMA busy_timeout = 100;");
                    conn = Some(c);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpointer cannot open the database");
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut() {
            if let Err(e) = checkpoint(c) {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                conn = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under a steady stream of commits, the WAL starts over now and then
    /// and stays a fraction of what was written. With PASSIVE alone the
    /// writer always has frames the last pass did not copy, the WAL never
    /// starts over, and the file holds everything ever written.
    #[test]
    fn the_wal_stays_bounded_under_steady_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.db");
        let path = path.to_str().expect("path").to_owned();
        let open = |p: &str| {
            let mut c = diesel::SqliteConnection::establish(p).expect("open");
            c.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;")
                .expect("pragmas");
            c
        };
        let mut c = open(&path);
        c.batch_execute(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT);",
        )
        .expect("setup");
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut w = open(&writer_path);
            for _ in 0..3000 {
                w.batch_execute("INSERT INTO t (body) VALUES (hex(randomblob(1000)));")
                    .expect("insert");
                // the server's writer hands each batch back to its actor
                // before the next: a gap, without which a RESTART that
                // waits for the writer rarely gets in
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        while !writer.is_finished() {
            checkpoint(&mut c).expect("checkpoint");
            std::thread::sleep(Duration::from_millis(10));
        }
        writer.join().expect("writer");
        // every commit appends at least one 4 KiB page
        let written = 3000 * 4096;
        let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
        // seen: 4.3 MB with the RESTART, 25 MB without it
        assert!(
            wal < written,
            "the WAL ({wal} bytes) should hold less than the {written} bytes committed"
        );
    }
}
