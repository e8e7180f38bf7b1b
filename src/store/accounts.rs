//! `accounts`: who may log in, with which password hash and role.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{accounts, released_names};
use super::{DbConn, StoreError, StoreResult};
use crate::model::{username_key, AccountId, Role};
use crate::names::skeleton_key;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: AccountId,
    pub username: String,
    pub username_key: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub guest: bool,
}

/// An account as the rest of the server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub role: Role,
    /// None for a guest of the IRC gateway, who logs in by name alone.
    pub password_hash: Option<String>,
    /// An IRC guest's account: its name is anyone's who connects with it
    /// while nobody uses it, so it may not own rooms or hold a role.
    pub guest: bool,
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
            guest: r.guest,
        })
    }
}

/// Creates an account; `Conflict` when the name is taken in any letter case
/// or looks like another account's (`names::skeleton_key`). Held names are
/// not checked: this is the console's way in (`modchat-admin user add`).
pub fn create(
    conn: &mut DbConn,
    username: &str,
    password_hash: &str,
    role: Role,
) -> StoreResult<Account> {
    create_unless_held(conn, username, password_hash, role, None).map(|(a, _)| a)
}

/// [`create`] for `register`: also `Conflict` when another account gave the
/// name (or a look-alike) up by `rename` after `held_after`. A guest's row
/// of the same name (any letter case) is taken over instead of a new row
/// made: it gets the password and stops being a guest, keeping its id and
/// so its history (the contract's "IRC gateway"); the bool says so. The
/// caller closes that guest's sessions, if any, once this commits.
///
/// The row is written first and the checks run after it in the same
/// transaction, so they see every commit the insert waited for: a
/// registration racing a rename away from the same name cannot slip
/// between the rename's commit and its hold.
pub fn create_unless_held(
    conn: &mut DbConn,
    username: &str,
    password_hash: &str,
    role: Role,
    held_after: Option<NaiveDateTime>,
) -> StoreResult<(Account, bool)> {
    let key = username_key(username);
    let skeleton = skeleton_key(username);
    conn.transaction(|c| {
        let took_over = diesel::update(
            accounts::table
                .filter(accounts::username_key.eq(&key))
                .filter(accounts::guest.eq(true)),
        )
        .set((
            accounts::username.eq(username),
            accounts::name_skeleton.eq(&skeleton),
            accounts::password_hash.eq(password_hash),
            accounts::role.eq(role.as_str()),
            accounts::guest.eq(false),
        ))
        .execute(c)?;
        if took_over == 0 {
            diesel::insert_into(accounts::table)
                .values((
                    accounts::username.eq(username),
                    accounts::username_key.eq(&key),
                    accounts::name_skeleton.eq(&skeleton),
                    accounts::password_hash.eq(password_hash),
                    accounts::role.eq(role.as_str()),
                    accounts::created_at.eq(super::now()),
                ))
                .execute(c)?;
        }
        let a = find_by_name(c, username)?
            .ok_or_else(|| StoreError::Other("account vanished".into()))?;
        if clash_beyond_keys(c, &key, &skeleton, a.id, held_after)?.is_some() {
            return Err(StoreError::Conflict);
        }
        Ok((a, took_over > 0))
    })
}

/// The guest account of `name` for the IRC gateway: the row a guest of
/// that name used before (any letter case), or a new one; the bool says
/// whether it is new. `Err` with the clash when the name belongs to a
/// registered account, looks like another account's, or is held. Whether
/// another guest is using the row right now is the registry's to say (see
/// `LoggedIn::exclusive`), not the database's.
pub fn claim_guest(
    conn: &mut DbConn,
    name: &str,
    held_after: Option<NaiveDateTime>,
) -> StoreResult<Result<(Account, bool), NameClash>> {
    if let Some(a) = find_by_name(conn, name)? {
        return Ok(if a.guest {
            Ok((a, false))
        } else {
            Err(NameClash::Taken)
        });
    }
    if let Some(clash) = name_clash(conn, name, None, held_after)? {
        return Ok(Err(clash));
    }
    let key = username_key(name);
    let skeleton = skeleton_key(name);
    let made = conn.transaction(|c| {
        diesel::insert_into(accounts::table)
            .values((
                accounts::username.eq(name),
                accounts::username_key.eq(&key),
                accounts::name_skeleton.eq(&skeleton),
                accounts::password_hash.eq(None::<String>),
                accounts::role.eq(Role::User.as_str()),
                accounts::created_at.eq(super::now()),
                accounts::guest.eq(true),
            ))
            .execute(c)?;
        let a =
            find_by_name(c, name)?.ok_or_else(|| StoreError::Other("account vanished".into()))?;
        if clash_beyond_keys(c, &key, &skeleton, a.id, held_after)?.is_some() {
            return Err(StoreError::Conflict);
        }
        Ok(a)
    });
    match made {
        Ok(a) => Ok(Ok((a, true))),
        // another registration or guest of a look-alike name won the race
        Err(StoreError::Conflict) => Ok(Err(NameClash::Taken)),
        Err(e) => Err(e),
    }
}

/// The id of the guest row whose name is `name` (any letter case), if the
/// name is a guest's: `register` may take it over while the guest is away.
pub fn guest_of(conn: &mut DbConn, name: &str) -> StoreResult<Option<AccountId>> {
    Ok(accounts::table
        .filter(accounts::username_key.eq(username_key(name)))
        .filter(accounts::guest.eq(true))
        .select(accounts::id)
        .first(conn)
        .optional()?)
}

/// Why a name cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameClash {
    /// Another account has it, in some letter case.
    Taken,
    /// Another account's name looks like it.
    LooksLike,
    /// Another account gave it (or a look-alike) up by `rename` recently.
    Held,
}

/// Whether `name` is free for account `me` (None: a new account), holds
/// counted from `held_after` (None: no hold). Run before the expensive part
/// of a request (`register` hashes only a free name); the write that
/// follows checks again atomically.
pub fn name_clash(
    conn: &mut DbConn,
    name: &str,
    me: Option<AccountId>,
    held_after: Option<NaiveDateTime>,
) -> StoreResult<Option<NameClash>> {
    let key = username_key(name);
    let skeleton = skeleton_key(name);
    let others: Vec<(AccountId, String, Option<String>)> = accounts::table
        .filter(
            accounts::username_key
                .eq(&key)
                .or(accounts::name_skeleton.eq(&skeleton)),
        )
        .select((
            accounts::id,
            accounts::username_key,
            accounts::name_skeleton,
        ))
        .load(conn)?;
    if let Some((_, k, _)) = others.iter().find(|(id, _, _)| Some(*id) != me) {
        return Ok(Some(if *k == key {
            NameClash::Taken
        } else {
            NameClash::LooksLike
        }));
    }
    clash_beyond_keys(
        conn,
        &key,
        &skeleton,
        me.unwrap_or(AccountId(0)),
        held_after,
    )
}

/// What the unique keys cannot see: accounts whose `name_skeleton` is NULL
/// (look-alikes of an older account from before the column, or not yet
/// filled), and held names. Account `me` is never in the way of itself.
fn clash_beyond_keys(
    c: &mut DbConn,
    key: &str,
    skeleton: &str,
    me: AccountId,
    held_after: Option<NaiveDateTime>,
) -> StoreResult<Option<NameClash>> {
    let unkeyed: Vec<String> = accounts::table
        .filter(accounts::name_skeleton.is_null())
        .filter(accounts::id.ne(me))
        .select(accounts::username)
        .load(c)?;
    if unkeyed.iter().any(|n| skeleton_key(n) == skeleton) {
        return Ok(Some(NameClash::LooksLike));
    }
    if let Some(after) = held_after {
        let held: Option<i64> = released_names::table
            .filter(
                released_names::skeleton
                    .eq(skeleton)
                    .or(released_names::name_key.eq(key)),
            )
            .filter(released_names::released_at.gt(after))
            .filter(released_names::account_id.ne(me))
            .select(released_names::id)
            .first(c)
            .optional()?;
        if held.is_some() {
            return Ok(Some(NameClash::Held));
        }
    }
    Ok(None)
}

/// Fills `name_skeleton` where it is NULL, oldest account first, so the
/// oldest of several look-alike accounts holds the key. SQL cannot compute
/// a TR39 skeleton, so this runs in Rust after the migrations, on every
/// start; it is idempotent, and cheap once every row has its key. A row
/// whose key an older account holds keeps NULL (and is checked in Rust by
/// every `register` and `rename`); such rows are counted and returned.
pub fn fill_name_skeletons(conn: &mut DbConn) -> StoreResult<usize> {
    let rows: Vec<(AccountId, String)> = accounts::table
        .filter(accounts::name_skeleton.is_null())
        .order(accounts::id)
        .select((accounts::id, accounts::username))
        .load(conn)?;
    let mut look_alikes = 0;
    for (id, name) in rows {
        let set = diesel::update(
            accounts::table
                .find(id)
                .filter(accounts::name_skeleton.is_null()),
        )
        .set(accounts::name_skeleton.eq(skeleton_key(&name)))
        .execute(conn);
        match set {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => look_alikes += 1,
            Err(e) => return Err(e.into()),
        }
    }
    if look_alikes > 0 {
        tracing::warn!(
            accounts = look_alikes,
            "accounts whose names look like an older account's keep them; \
             their look-alike key stays empty"
        );
    }
    Ok(look_alikes)
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

/// Renames, with no hold checked (the console's way); see
/// [`rename_unless_held`].
pub fn rename(conn: &mut DbConn, id: AccountId, new_name: &str) -> StoreResult<()> {
    rename_unless_held(conn, id, new_name, None)
}

/// Renames; `Conflict` when another account has the name or a look-alike,
/// or (with `held_after`) gave it up after that time. Renaming to a
/// different letter case or a look-alike of one's own name is allowed, and
/// so is taking back a name one gave up. A name actually given up (not
/// just re-cased) goes into `released_names`, in the same transaction.
pub fn rename_unless_held(
    conn: &mut DbConn,
    id: AccountId,
    new_name: &str,
    held_after: Option<NaiveDateTime>,
) -> StoreResult<()> {
    let (old_name, old_key, old_skeleton): (String, String, Option<String>) = accounts::table
        .find(id)
        .select((
            accounts::username,
            accounts::username_key,
            accounts::name_skeleton,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::Other(format!("no account {id}")))?;
    let key = username_key(new_name);
    let skeleton = skeleton_key(new_name);
    conn.transaction(|c| {
        // the write first: on SQLite it takes the write lock before any read,
        // on MariaDB the reads after it see what it waited for
        let n = diesel::update(
            accounts::table
                .find(id)
                .filter(accounts::username_key.eq(&old_key)),
        )
        .set((
            accounts::username.eq(new_name),
            accounts::username_key.eq(&key),
            accounts::name_skeleton.eq(&skeleton),
        ))
        .execute(c)?;
        if n == 0 {
            // renamed meanwhile by another of its sessions
            return Err(StoreError::Conflict);
        }
        if clash_beyond_keys(c, &key, &skeleton, id, held_after)?.is_some() {
            return Err(StoreError::Conflict);
        }
        if key != old_key {
            diesel::insert_into(released_names::table)
                .values((
                    released_names::account_id.eq(id),
                    released_names::name.eq(&old_name),
                    released_names::name_key.eq(&old_key),
                    released_names::skeleton
                        .eq(old_skeleton.unwrap_or_else(|| skeleton_key(&old_name))),
                    released_names::released_at.eq(super::now()),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

pub fn set_role(conn: &mut DbConn, id: AccountId, role: Role) -> StoreResult<()> {
    diesel::update(accounts::table.find(id))
        .set(accounts::role.eq(role.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Sets the password; a guest's account given one is a guest no more.
pub fn set_password(conn: &mut DbConn, id: AccountId, password_hash: &str) -> StoreResult<()> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(password_hash),
            accounts::guest.eq(false),
        ))
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
