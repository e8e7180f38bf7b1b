//! `login_events` (every login and resume attempt) and `daily_logins` (one
//! row per account per day it logged in).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{daily_logins, login_events};
use super::{DbConn, StoreResult};
use crate::model::AccountId;

/// One attempt, as the audit trail records it.
#[derive(Debug, Clone)]
pub struct LoginAttempt<'a> {
    pub account_id: Option<AccountId>,
    pub username: &'a str,
    pub ip: &'a str,
    pub success: bool,
    /// Why it failed (`bad_credentials`, `banned`, ...) or how it succeeded
    /// (`login`, `resume`).
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// The longest attempted username kept: anything can be typed at a login
/// prompt, and the audit row must still be written.
const MAX_LOGGED_NAME: usize = 64;

/// Records an attempt; a success also counts in `daily_logins`, in the same
/// transaction.
pub fn record(conn: &mut DbConn, a: &LoginAttempt<'_>) -> StoreResult<()> {
    let name: String = a.username.chars().take(MAX_LOGGED_NAME).collect();
    let name = truncate_bytes(&name, MAX_LOGGED_NAME);
    conn.transaction(|conn| {
        diesel::insert_into(login_events::table)
            .values((
                login_events::account_id.eq(a.account_id),
                login_events::username.eq(name),
                login_events::ip.eq(a.ip),
                login_events::success.eq(a.success),
                login_events::reason.eq(a.reason),
                login_events::at.eq(a.at),
            ))
            .execute(conn)?;
        if let (true, Some(id)) = (a.success, a.account_id) {
            count_daily(conn, id, a.at)?;
        }
        Ok(())
    })
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Upserts the account's row for the day of `at`: first login creates it,
/// later ones bump `logins` and `last_at`.
pub fn count_daily(conn: &mut DbConn, account_id: AccountId, at: NaiveDateTime) -> StoreResult<()> {
    let day = at.date();
    let row = (
        daily_logins::day.eq(day),
        daily_logins::account_id.eq(account_id),
        daily_logins::first_at.eq(at),
        daily_logins::last_at.eq(at),
        daily_logins::logins.eq(1),
    );
    let bump = (
        daily_logins::last_at.eq(at),
        daily_logins::logins.eq(daily_logins::logins + 1),
    );
    // The conflict target is the one part the backends spell differently.
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::insert_into(daily_logins::table)
            .values(row)
            .on_conflict((daily_logins::day, daily_logins::account_id))
            .do_update()
            .set(bump)
            .execute(c)?,
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => diesel::insert_into(daily_logins::table)
            .values(row)
            .on_conflict(diesel::dsl::DuplicatedKeys)
            .do_update()
            .set(bump)
            .execute(c)?,
    };
    Ok(())
}
