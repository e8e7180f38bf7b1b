//! `moderation_actions` (the append-only record of every moderation act) and
//! `banned_words`. The Moderation actor is the only writer of the record.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{banned_words, moderation_actions};
use super::{DbConn, StoreResult};
use crate::model::{AccountId, RoomId};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_actions)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewAction {
    pub action: &'static str,
    pub target_id: Option<AccountId>,
    /// `None`: the system (e.g. an automatic mute).
    pub actor_id: Option<AccountId>,
    pub room_id: Option<RoomId>,
    pub reason: Option<String>,
    pub until: Option<NaiveDateTime>,
    pub at: NaiveDateTime,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = moderation_actions)]
pub struct ActionRow {
    pub id: i64,
    pub action: String,
    pub target_id: Option<AccountId>,
    pub actor_id: Option<AccountId>,
    pub room_id: Option<RoomId>,
    pub reason: Option<String>,
    pub until: Option<NaiveDateTime>,
    pub at: NaiveDateTime,
    pub detail: Option<String>,
}

/// Appends one record. Call it inside the transaction of the action itself.
pub fn record(conn: &mut DbConn, a: &NewAction) -> StoreResult<()> {
    diesel::insert_into(moderation_actions::table)
        .values(a)
        .execute(conn)?;
    Ok(())
}

/// Records about a target, newest first.
pub fn for_target(conn: &mut DbConn, target: AccountId, limit: i64) -> StoreResult<Vec<ActionRow>> {
    Ok(moderation_actions::table
        .filter(moderation_actions::target_id.eq(target))
        .order(moderation_actions::id.desc())
        .limit(limit)
        .select(ActionRow::as_select())
        .load(conn)?)
}

pub fn banned_words(conn: &mut DbConn) -> StoreResult<Vec<String>> {
    Ok(banned_words::table
        .order(banned_words::word)
        .select(banned_words::word)
        .load(conn)?)
}
