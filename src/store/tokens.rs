//! `auth_tokens`: resumable sessions. Only the SHA-256 of a token is stored,
//! so a leaked table does not let anyone in; tokens survive a restart.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::accounts::{Account, AccountRow};
use super::schema::{accounts, auth_tokens};
use super::{DbConn, StoreResult};
use crate::model::AccountId;

pub fn insert(
    conn: &mut DbConn,
    account_id: AccountId,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(auth_tokens::table)
        .values((
            auth_tokens::account_id.eq(account_id),
            auth_tokens::token_hash.eq(token_hash),
            auth_tokens::created_at.eq(super::now()),
            auth_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The account a token belongs to, and when the token expires, if it exists
/// and has not expired at `now`.
pub fn resolve(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> StoreResult<Option<(Account, NaiveDateTime)>> {
    let row: Option<(AccountRow, NaiveDateTime)> = auth_tokens::table
        .inner_join(accounts::table)
        .filter(auth_tokens::token_hash.eq(token_hash))
        .filter(auth_tokens::expires_at.gt(now))
        .select((AccountRow::as_select(), auth_tokens::expires_at))
        .first(conn)
        .optional()?;
    row.map(|(a, exp)| Ok((Account::try_from(a)?, exp)))
        .transpose()
}

pub fn revoke(conn: &mut DbConn, token_hash: &str) -> StoreResult<()> {
    diesel::delete(auth_tokens::table.filter(auth_tokens::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}

/// Removes expired tokens; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(auth_tokens::table.filter(auth_tokens::expires_at.le(now))).execute(conn)?)
}

/// Moves a token's expiry (a `resume` extends the session it resumes).
pub fn extend(conn: &mut DbConn, token_hash: &str, expires_at: NaiveDateTime) -> StoreResult<()> {
    diesel::update(auth_tokens::table.filter(auth_tokens::token_hash.eq(token_hash)))
        .set(auth_tokens::expires_at.eq(expires_at))
        .execute(conn)?;
    Ok(())
}

/// Revokes every token of an account (a new password): no session can be
/// resumed with an old one. Returns how many there were.
pub fn revoke_all(conn: &mut DbConn, account_id: AccountId) -> StoreResult<usize> {
    Ok(
        diesel::delete(auth_tokens::table.filter(auth_tokens::account_id.eq(account_id)))
            .execute(conn)?,
    )
}
