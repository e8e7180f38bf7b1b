//! `rooms` and `room_members`: which rooms exist and who belongs to them.
//! Membership is persistent: it is what a login puts the account back into.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{accounts, room_members, rooms};
use super::{DbConn, StoreError, StoreResult};
use crate::model::{AccountId, Role, RoomId};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = rooms)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub capacity: i32,
    pub created_by: Option<AccountId>,
    pub created_at: NaiveDateTime,
}

/// A member as a room shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: AccountId,
    pub username: String,
    pub role: Role,
}

/// Creates the room with its creator as first member, in one transaction;
/// `Conflict` when the name exists.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    capacity: i32,
    created_by: AccountId,
) -> StoreResult<Room> {
    conn.transaction(|conn| {
        let now = super::now();
        diesel::insert_into(rooms::table)
            .values((
                rooms::name.eq(name),
                rooms::capacity.eq(capacity),
                rooms::created_by.eq(Some(created_by)),
                rooms::created_at.eq(now),
            ))
            .execute(conn)?;
        let room = find(conn, name)?.ok_or_else(|| StoreError::Other("room vanished".into()))?;
        diesel::insert_into(room_members::table)
            .values((
                room_members::room_id.eq(room.id),
                room_members::account_id.eq(created_by),
                room_members::joined_at.eq(now),
            ))
            .execute(conn)?;
        Ok(room)
    })
}

/// `create`, unless `created_by` already made `cap` rooms (`None`: no
/// cap), which gives `Ok(None)` and stores nothing. The room is inserted
/// first and counted after, in one transaction: a read before the write
/// would make SQLite refuse one of two racing creations (a stale read
/// snapshot cannot take the write lock) instead of making it wait. Two
/// creations racing from two sessions of one account may pass the cap by
/// one on MariaDB (READ COMMITTED), which the action bucket keeps small.
pub fn create_within(
    conn: &mut DbConn,
    name: &str,
    capacity: i32,
    created_by: AccountId,
    cap: Option<u32>,
) -> StoreResult<Option<Room>> {
    let made = conn.transaction(|conn| {
        let room = create(conn, name, capacity, created_by)?;
        if let Some(cap) = cap {
            let owned: i64 = rooms::table
                .filter(rooms::created_by.eq(Some(created_by)))
                .count()
                .get_result(conn)?;
            if owned > i64::from(cap) {
                // rolls the insert back
                return Err(StoreError::Invalid(OVER_CAP));
            }
        }
        Ok(room)
    });
    match made {
        Ok(room) => Ok(Some(room)),
        Err(StoreError::Invalid(OVER_CAP)) => Ok(None),
        Err(e) => Err(e),
    }
}

const OVER_CAP: &str = "rooms_per_account";

pub fn find(conn: &mut DbConn, name: &str) -> StoreResult<Option<Room>> {
    Ok(rooms::table
        .filter(rooms::name.eq(name))
        .select(Room::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_id(conn: &mut DbConn, id: RoomId) -> StoreResult<Option<Room>> {
    Ok(rooms::table
        .find(id)
        .select(Room::as_select())
        .first(conn)
        .optional()?)
}

pub fn all(conn: &mut DbConn) -> StoreResult<Vec<Room>> {
    Ok(rooms::table
        .order(rooms::name)
        .select(Room::as_select())
        .load(conn)?)
}

/// The rooms an account belongs to, by name.
pub fn rooms_of(conn: &mut DbConn, account_id: AccountId) -> StoreResult<Vec<String>> {
    Ok(room_members::table
        .inner_join(rooms::table)
        .filter(room_members::account_id.eq(account_id))
        .order(rooms::name)
        .select(rooms::name)
        .load(conn)?)
}

pub fn members_of(conn: &mut DbConn, room_id: RoomId) -> StoreResult<Vec<Member>> {
    let rows: Vec<(AccountId, String, String)> = room_members::table
        .inner_join(accounts::table)
        .filter(room_members::room_id.eq(room_id))
        .order(accounts::username_key)
        .select((accounts::id, accounts::username, accounts::role))
        .load(conn)?;
    rows.into_iter()
        .map(|(account_id, username, role)| {
            let role = role.parse().map_err(|e: String| StoreError::Other(e))?;
            Ok(Member {
                account_id,
                username,
                role,
            })
        })
        .collect()
}

/// Adds a membership; `false` when it already existed.
pub fn add_member(conn: &mut DbConn, room_id: RoomId, account_id: AccountId) -> StoreResult<bool> {
    let r = diesel::insert_into(room_members::table)
        .values((
            room_members::room_id.eq(room_id),
            room_members::account_id.eq(account_id),
            room_members::joined_at.eq(super::now()),
        ))
        .execute(conn);
    match r.map_err(StoreError::from) {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Ends a membership; `false` when there was none.
pub fn remove_member(
    conn: &mut DbConn,
    room_id: RoomId,
    account_id: AccountId,
) -> StoreResult<bool> {
    let n = diesel::delete(
        room_members::table
            .filter(room_members::room_id.eq(room_id))
            .filter(room_members::account_id.eq(account_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Names of rooms by id, one query for a page of rows.
pub fn names_of(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = RoomId>,
) -> StoreResult<std::collections::HashMap<RoomId, String>> {
    let mut ids: Vec<RoomId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(rooms::table
        .filter(rooms::id.eq_any(&ids))
        .select((rooms::id, rooms::name))
        .load::<(RoomId, String)>(conn)?
        .into_iter()
        .collect())
}

/// What [`add_member_within_capacity`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    /// A member already.
    Already,
    /// The room holds `capacity` members.
    Full,
}

/// Adds a member unless the room is full, counting the stored members
/// under the room's row lock: in a cluster, joins racing on several nodes
/// cannot together go past the capacity. `NotFound` when the room is gone.
pub fn add_member_within_capacity(
    conn: &mut DbConn,
    room_id: RoomId,
    account_id: AccountId,
) -> StoreResult<Added> {
    macro_rules! body {
        ($conn:expr, $c:ident => $capacity:expr) => {
            $conn.transaction(|$c| {
                let capacity: i32 = $capacity;
                let already: i64 = room_members::table
                    .filter(room_members::room_id.eq(room_id))
                    .filter(room_members::account_id.eq(account_id))
                    .count()
                    .get_result($c)?;
                if already > 0 {
                    return Ok(Added::Already);
                }
                let members: i64 = room_members::table
                    .filter(room_members::room_id.eq(room_id))
                    .count()
                    .get_result($c)?;
                if members >= i64::from(capacity) {
                    return Ok(Added::Full);
                }
                diesel::insert_into(room_members::table)
                    .values((
                        room_members::room_id.eq(room_id),
                        room_members::account_id.eq(account_id),
                        room_members::joined_at.eq(super::now()),
                    ))
                    .execute($c)?;
                Ok::<_, diesel::result::Error>(Added::Added)
            })
        };
    }
    Ok(match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(conn) => body!(conn, c => rooms::table
            .find(room_id)
            .select(rooms::capacity)
            .first(c)?)?,
        #[cfg(feature = "mysql")]
        DbConn::Mysql(conn) => body!(conn, c => rooms::table
            .find(room_id)
            .select(rooms::capacity)
            .for_update()
            .first(c)?)?,
    })
}
