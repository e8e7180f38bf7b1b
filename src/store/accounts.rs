//! `accounts`: who may log in, with which password hash and role.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::accounts;
use super::{DbConn, StoreError, StoreResult};
use crate::model::{username_key, AccountId, Role};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: AccountId,
    pub username: String,
    pub username_key: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// An account as the rest of the server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub role: Role,
    pub password_hash: String,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> StoreResult<Account> {
        let role = r.role.parse().map_err(|_| {
            StoreError::Other(format!("account {} has bad role {:?}", r.id, r.role))
        })?;
        Ok(Account {
            id: r.id,
            username: r.username,
            role,
            password_hash: r.password_hash,
        })
    }
}

/// Creates an account; `Conflict` when the name is taken in any letter case.
pub fn create(
    conn: &mut DbConn,
    username: &str,
    password_hash: &str,
    role: Role,
) -> StoreResult<Account> {
    let key = username_key(username);
    diesel::insert_into(accounts::table)
        .values((
            accounts::username.eq(username),
            accounts::username_key.eq(&key),
            accounts::password_hash.eq(password_hash),
            accounts::role.eq(role.as_str()),
            accounts::created_at.eq(super::now()),
        ))
        .execute(conn)?;
    find_by_name(conn, username)?.ok_or_else(|| StoreError::Other("account vanished".into()))
}

/// Looks a name up case-insensitively.
pub fn find_by_name(conn: &mut DbConn, username: &str) -> StoreResult<Option<Account>> {
    accounts::table
        .filter(accounts::username_key.eq(username_key(username)))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .map(Account::try_from)
        .transpose()
}

/// The id of a name (any letter case). Reads only `id` and
/// `username_key`, so an auditor's database user granted no access to
/// `password_hash` can still filter by user.
pub fn id_of(conn: &mut DbConn, username: &str) -> StoreResult<Option<AccountId>> {
    Ok(accounts::table
        .filter(accounts::username_key.eq(username_key(username)))
        .select(accounts::id)
        .first(conn)
        .optional()?)
}

pub fn find_by_id(conn: &mut DbConn, id: AccountId) -> StoreResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
        .map(Account::try_from)
        .transpose()
}

/// Renames; `Conflict` when another account has the name. Renaming to a
/// different letter case of one's own name is allowed.
pub fn rename(conn: &mut DbConn, id: AccountId, new_name: &str) -> StoreResult<()> {
    let n = diesel::update(accounts::table.find(id))
        .set((
            accounts::username.eq(new_name),
            accounts::username_key.eq(username_key(new_name)),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(StoreError::Other(format!("no account {id}")));
    }
    Ok(())
}

pub fn set_role(conn: &mut DbConn, id: AccountId, role: Role) -> StoreResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::role.eq(role.as_str()))
        .execute(conn)?;
    Ok(())
}

pub fn set_password(conn: &mut DbConn, id: AccountId, password_hash: &str) -> StoreResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::password_hash.eq(password_hash))
        .execute(conn)?;
    Ok(())
}

/// Current names of accounts by id, one query for a page of rows; an id
/// without an account (deleted) is absent.
pub fn names_of(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = AccountId>,
) -> StoreResult<std::collections::HashMap<AccountId, String>> {
    let mut ids: Vec<AccountId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(accounts::table
        .filter(accounts::id.eq_any(&ids))
        .select((accounts::id, accounts::username))
        .load::<(AccountId, String)>(conn)?
        .into_iter()
        .collect())
}
