//! `room_bans`: bans from one room in force (`ban` with `room`), loaded at
//! start so that they survive restarts, and checked from the database at
//! `join` so a ban committed on any node counts at once. The history of
//! them is `moderation_actions`.

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

use super::schema::room_bans;
use super::{DbConn, StoreError, StoreResult};
use crate::model::{AccountId, RoomId};

/// A room ban; `until` `None`: until `unban` with `room`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = room_bans)]
pub struct RoomBanRow {
    pub account_id: AccountId,
    pub room_id: RoomId,
    pub until: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub actor_id: Option<AccountId>,
    pub created_at: NaiveDateTime,
}

/// Sets (or replaces) the account's ban from the room.
pub fn put(conn: &mut DbConn, b: &RoomBanRow) -> StoreResult<()> {
    let inserted = diesel::insert_into(room_bans::table)
        .values((
            room_bans::account_id.eq(b.account_id),
            room_bans::room_id.eq(b.room_id),
            room_bans::until.eq(b.until),
            room_bans::reason.eq(&b.reason),
            room_bans::actor_id.eq(b.actor_id),
            room_bans::created_at.eq(b.created_at),
        ))
        .execute(conn);
    match inserted.map_err(StoreError::from) {
        Ok(_) => Ok(()),
        // banned already: the new ban replaces the old one
        Err(StoreError::Conflict) => {
            diesel::update(
                room_bans::table
                    .filter(room_bans::account_id.eq(b.account_id))
                    .filter(room_bans::room_id.eq(b.room_id)),
            )
            .set((
                room_bans::until.eq(b.until),
                room_bans::reason.eq(&b.reason),
                room_bans::actor_id.eq(b.actor_id),
                room_bans::created_at.eq(b.created_at),
            ))
            .execute(conn)?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Lifts the ban; `false` when there was none (an expired one that is
/// still stored counts as one).
pub fn delete(conn: &mut DbConn, account: AccountId, room: RoomId) -> StoreResult<bool> {
    let n = diesel::delete(
        room_bans::table
            .filter(room_bans::account_id.eq(account))
            .filter(room_bans::room_id.eq(room)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// A ban is in force at `now` while it has no end or ends later.
fn in_force(
    now: NaiveDateTime,
) -> dsl::Or<dsl::IsNull<room_bans::until>, dsl::Gt<room_bans::until, NaiveDateTime>> {
    room_bans::until.is_null().or(room_bans::until.gt(now))
}

/// One room's bans in force at `now`, newest first, at most `limit` (on
/// `room_bans_room`): what its owner and ops list.
pub fn of_room(
    conn: &mut DbConn,
    room: RoomId,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<RoomBanRow>> {
    Ok(room_bans::table
        .filter(room_bans::room_id.eq(room))
        .filter(in_force(now))
        .order(room_bans::created_at.desc())
        .limit(limit)
        .select(RoomBanRow::as_select())
        .load(conn)?)
}

/// Room bans that have not ended at `now`.
pub fn active(conn: &mut DbConn, now: NaiveDateTime) -> StoreResult<Vec<RoomBanRow>> {
    Ok(room_bans::table
        .filter(in_force(now))
        .select(RoomBanRow::as_select())
        .load(conn)?)
}

/// The account's ban from the room in force at `now`, as stored: what a
/// `join` checks.
pub fn room_ban_of(
    conn: &mut DbConn,
    account: AccountId,
    room: RoomId,
    now: NaiveDateTime,
) -> StoreResult<Option<RoomBanRow>> {
    Ok(room_bans::table
        .filter(room_bans::account_id.eq(account))
        .filter(room_bans::room_id.eq(room))
        .filter(in_force(now))
        .select(RoomBanRow::as_select())
        .first(conn)
        .optional()?)
}
