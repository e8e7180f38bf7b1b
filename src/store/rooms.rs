//! `rooms` and `room_members`: which rooms exist and who belongs to them.
//! Membership is persistent: it is what a login puts the account back into.
//!
//! A deleted room keeps its row (`deleted_at` set: the chat log and the
//! records point at its id) but has no members, and its name is free again:
//! every lookup and list here ignores deleted rooms, except [`find_by_id`]
//! and [`names_of`], which serve the records.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{accounts, mutes, room_bans, room_members, rooms};
use super::{DbConn, StoreError, StoreResult};
use crate::model::{AccountId, Role, RoomId, RoomRole};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = rooms)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub capacity: i32,
    pub created_by: Option<AccountId>,
    pub created_at: NaiveDateTime,
    /// "" when the room has none.
    pub topic: String,
    /// Set once the room is deleted; the lookups here never return such a
    /// room except [`find_by_id`].
    pub deleted_at: Option<NaiveDateTime>,
}

/// A member as a room shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account_id: AccountId,
    pub username: String,
    pub role: Role,
    pub room_role: RoomRole,
}

fn parse_room_role(s: &str) -> StoreResult<RoomRole> {
    s.parse().map_err(|e: String| StoreError::Other(e))
}

/// Creates the room with its creator as first member (its `owner`), in one
/// transaction; `Conflict` when a live room has the name.
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
                room_members::room_role.eq(RoomRole::Owner.as_str()),
            ))
            .execute(conn)?;
        Ok(room)
    })
}

/// `create`, unless `created_by` already made `cap` rooms that still exist
/// (`None`: no cap), which gives `Ok(None)` and stores nothing. The room is inserted
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
                .filter(rooms::deleted_at.is_null())
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

/// The live room of that name.
pub fn find(conn: &mut DbConn, name: &str) -> StoreResult<Option<Room>> {
    Ok(rooms::table
        .filter(rooms::name.eq(name))
        .filter(rooms::deleted_at.is_null())
        .select(Room::as_select())
        .first(conn)
        .optional()?)
}

/// The room with that id, deleted or not (check `deleted_at`): records and
/// chat-log rows name rooms by id.
pub fn find_by_id(conn: &mut DbConn, id: RoomId) -> StoreResult<Option<Room>> {
    Ok(rooms::table
        .find(id)
        .select(Room::as_select())
        .first(conn)
        .optional()?)
}

/// Every live room, by name.
pub fn all(conn: &mut DbConn) -> StoreResult<Vec<Room>> {
    Ok(rooms::table
        .filter(rooms::deleted_at.is_null())
        .order(rooms::name)
        .select(Room::as_select())
        .load(conn)?)
}

/// The rooms an account belongs to, by name.
pub fn rooms_of(conn: &mut DbConn, account_id: AccountId) -> StoreResult<Vec<String>> {
    Ok(room_members::table
        .inner_join(rooms::table)
        .filter(room_members::account_id.eq(account_id))
        .filter(rooms::deleted_at.is_null())
        .order(rooms::name)
        .select(rooms::name)
        .load(conn)?)
}

pub fn members_of(conn: &mut DbConn, room_id: RoomId) -> StoreResult<Vec<Member>> {
    let rows: Vec<(AccountId, String, String, String)> = room_members::table
        .inner_join(accounts::table)
        .filter(room_members::room_id.eq(room_id))
        .order(accounts::username_key)
        .select((
            accounts::id,
            accounts::username,
            accounts::role,
            room_members::room_role,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(account_id, username, role, room_role)| {
            let role = role.parse().map_err(|e: String| StoreError::Other(e))?;
            Ok(Member {
                account_id,
                username,
                role,
                room_role: parse_room_role(&room_role)?,
            })
        })
        .collect()
}

/// The room role a joining account gets: ownership follows
/// `rooms.created_by` (an owner who left and comes back is owner again); an
/// op who left comes back a plain member.
fn joining_role(created_by: Option<AccountId>, account_id: AccountId) -> RoomRole {
    if created_by == Some(account_id) {
        RoomRole::Owner
    } else {
        RoomRole::Member
    }
}

/// Adds a membership (`owner` for the room's creator, else `member`);
/// `false` when it already existed. `NotFound` when the room is gone.
///
/// The row is written first and the room read after, in one transaction:
/// on SQLite a transaction that reads before it writes fails at once
/// (`SQLITE_BUSY_SNAPSHOT`) when another write commits in between, and a
/// caller that checks a room ban after this insert (the room's `join`)
/// sees any ban committed before the insert could take the write lock.
pub fn add_member(conn: &mut DbConn, room_id: RoomId, account_id: AccountId) -> StoreResult<bool> {
    conn.transaction(|conn| {
        let r = diesel::insert_into(room_members::table)
            .values((
                room_members::room_id.eq(room_id),
                room_members::account_id.eq(account_id),
                room_members::joined_at.eq(super::now()),
                room_members::room_role.eq(RoomRole::Member.as_str()),
            ))
            .execute(conn);
        match r.map_err(StoreError::from) {
            Ok(_) => {}
            Err(StoreError::Conflict) => return Ok(false),
            Err(e) => return Err(e),
        }
        // `NotFound` (rolling the insert back) when the room is deleted
        let created_by: Option<AccountId> = rooms::table
            .find(room_id)
            .filter(rooms::deleted_at.is_null())
            .select(rooms::created_by)
            .first(conn)?;
        if joining_role(created_by, account_id) == RoomRole::Owner {
            diesel::update(
                room_members::table
                    .filter(room_members::room_id.eq(room_id))
                    .filter(room_members::account_id.eq(account_id)),
            )
            .set(room_members::room_role.eq(RoomRole::Owner.as_str()))
            .execute(conn)?;
        }
        Ok(true)
    })
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

/// Names of rooms by id, one query for a page of rows. Deleted rooms are
/// named too: records and chat-log rows of a deleted room still show it.
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
/// cannot together go past the capacity. The room role is as in
/// [`add_member`]. `NotFound` when the room is gone (or deleted).
pub fn add_member_within_capacity(
    conn: &mut DbConn,
    room_id: RoomId,
    account_id: AccountId,
) -> StoreResult<Added> {
    macro_rules! body {
        ($conn:expr, $c:ident => $capacity:expr) => {
            $conn.transaction(|$c| {
                let (capacity, created_by): (i32, Option<AccountId>) = $capacity;
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
                        room_members::room_role.eq(joining_role(created_by, account_id).as_str()),
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
            .filter(rooms::deleted_at.is_null())
            .select((rooms::capacity, rooms::created_by))
            .first(c)?)?,
        #[cfg(feature = "mysql")]
        DbConn::Mysql(conn) => body!(conn, c => rooms::table
            .find(room_id)
            .filter(rooms::deleted_at.is_null())
            .select((rooms::capacity, rooms::created_by))
            .for_update()
            .first(c)?)?,
    })
}

/// Sets a live room's topic ("" clears it); `false` when there is no such
/// live room.
pub fn set_topic(
    conn: &mut DbConn,
    room: RoomId,
    topic: &str,
    by: Option<AccountId>,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    // a cleared topic has no setter to show
    let (by, at) = if topic.is_empty() {
        (None, None)
    } else {
        (by, Some(at))
    };
    let n = diesel::update(rooms::table.find(room).filter(rooms::deleted_at.is_null()))
        .set((
            rooms::topic.eq(topic),
            rooms::topic_by.eq(by),
            rooms::topic_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Sets a live room's capacity (members already in stay, even above it);
/// `false` when there is no such live room.
pub fn set_capacity(conn: &mut DbConn, room: RoomId, capacity: i32) -> StoreResult<bool> {
    let n = diesel::update(rooms::table.find(room).filter(rooms::deleted_at.is_null()))
        .set(rooms::capacity.eq(capacity))
        .execute(conn)?;
    Ok(n > 0)
}

/// Deletes a room: sets `deleted_at` and removes its memberships, room
/// bans and room mutes, in one transaction (its row, chat log, read
/// markers and records stay). `false` when there is no such live room.
/// Record the act in the same transaction as the caller's.
pub fn mark_deleted(conn: &mut DbConn, room: RoomId, at: NaiveDateTime) -> StoreResult<bool> {
    conn.transaction(|conn| {
        let n = diesel::update(rooms::table.find(room).filter(rooms::deleted_at.is_null()))
            .set(rooms::deleted_at.eq(Some(at)))
            .execute(conn)?;
        if n == 0 {
            return Ok(false);
        }
        diesel::delete(room_members::table.filter(room_members::room_id.eq(room))).execute(conn)?;
        diesel::delete(room_bans::table.filter(room_bans::room_id.eq(room))).execute(conn)?;
        // mutes.room_id 0 is a global mute: only this room's go
        diesel::delete(mutes::table.filter(mutes::room_id.eq(room))).execute(conn)?;
        Ok(true)
    })
}

/// The account's role in the room; `None` when it is not a member.
pub fn room_role_of(
    conn: &mut DbConn,
    room: RoomId,
    account: AccountId,
) -> StoreResult<Option<RoomRole>> {
    let role: Option<String> = room_members::table
        .filter(room_members::room_id.eq(room))
        .filter(room_members::account_id.eq(account))
        .select(room_members::room_role)
        .first(conn)
        .optional()?;
    role.as_deref().map(parse_room_role).transpose()
}

/// Sets a member's room role; `false` when the account is not a member.
/// The rules (who may, the owner's own role) are the caller's.
pub fn set_room_role(
    conn: &mut DbConn,
    room: RoomId,
    account: AccountId,
    role: RoomRole,
) -> StoreResult<bool> {
    let n = diesel::update(
        room_members::table
            .filter(room_members::room_id.eq(room))
            .filter(room_members::account_id.eq(account)),
    )
    .set(room_members::room_role.eq(role.as_str()))
    .execute(conn)?;
    Ok(n > 0)
}

/// The live rooms where the account is owner or op, by name (for
/// `modchat-admin user show`).
pub fn owned_and_opped(
    conn: &mut DbConn,
    account: AccountId,
) -> StoreResult<Vec<(String, RoomRole)>> {
    let rows: Vec<(String, String)> = room_members::table
        .inner_join(rooms::table)
        .filter(room_members::account_id.eq(account))
        .filter(room_members::room_role.eq_any([RoomRole::Owner.as_str(), RoomRole::Op.as_str()]))
        .filter(rooms::deleted_at.is_null())
        .order(rooms::name)
        .select((rooms::name, room_members::room_role))
        .load(conn)?;
    rows.into_iter()
        .map(|(name, role)| Ok((name, parse_room_role(&role)?)))
        .collect()
}

/// Takes the room's row lock on MariaDB, for a transaction that changes
/// who may be a member (a join, a room ban): under READ COMMITTED a ban's
/// delete of a membership not yet inserted takes no lock, so a join that
/// read "no ban" just before the ban committed could insert its membership
/// after the ban's delete. Holding the room's row serializes the two. On
/// SQLite writers are serialized already, and a read before the first write
/// would make a racing transaction fail instead of wait, so it does nothing.
pub fn lock_for_membership(conn: &mut DbConn, room: RoomId) -> StoreResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => {
            let _ = room; // only MariaDB takes the lock
            Ok(())
        }
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => {
            rooms::table
                .find(room)
                .select(rooms::id)
                .for_update()
                .first::<RoomId>(c)
                .optional()?;
            Ok(())
        }
    }
}

/// Why a join's transaction rolled back.
enum JoinRefused {
    Banned(Box<super::room_bans::RoomBanRow>),
    Store(StoreError),
}

impl From<diesel::result::Error> for JoinRefused {
    fn from(e: diesel::result::Error) -> JoinRefused {
        JoinRefused::Store(e.into())
    }
}

impl From<StoreError> for JoinRefused {
    fn from(e: StoreError) -> JoinRefused {
        JoinRefused::Store(e)
    }
}

/// `join`: the membership (counted against the capacity in the database
/// when `counted`, as a cluster's nodes all add members) and the member's
/// room role, or the room ban in force (`Err`), which leaves nothing
/// stored.
///
/// A ban cannot be outrun: the membership and the ban check are one
/// transaction that a room ban's transaction is serialized with (on
/// MariaDB by the room's row lock, [`lock_for_membership`]; on SQLite by
/// the write lock, taken by the insert before anything is read). A ban
/// that commits first is seen here and the insert rolled back; one that
/// commits later finds the membership and removes it.
pub fn join_unless_banned(
    conn: &mut DbConn,
    room: RoomId,
    account: AccountId,
    counted: bool,
    now: NaiveDateTime,
) -> StoreResult<Result<(Added, RoomRole), super::room_bans::RoomBanRow>> {
    let joined = conn.transaction(|c| {
        lock_for_membership(c, room)?;
        let added = if counted {
            add_member_within_capacity(c, room, account)?
        } else {
            add_member(c, room, account)?;
            Added::Added
        };
        if let Some(ban) = super::room_bans::room_ban_of(c, account, room, now)? {
            return Err(JoinRefused::Banned(Box::new(ban)));
        }
        let role = match added {
            Added::Full => RoomRole::Member,
            _ => room_role_of(c, room, account)?.unwrap_or(RoomRole::Member),
        };
        Ok((added, role))
    });
    match joined {
        Ok(v) => Ok(Ok(v)),
        Err(JoinRefused::Banned(ban)) => Ok(Err(*ban)),
        Err(JoinRefused::Store(e)) => Err(e),
    }
}
