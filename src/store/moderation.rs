//! `moderation_actions` (the append-only record of every moderation act) and
//! `banned_words`. The Moderation actor is the only writer of the record.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::accounts::{Account, AccountRow};
use super::schema::{banned_words, moderation_actions};
use super::{DbConn, StoreResult};
use crate::model::{AccountId, ModAction, Role, RoomId};

/// One `moderation_actions` row to append. Built with named setters, so a
/// target and an actor cannot trade places unnoticed:
/// `NewAction::new(ModAction::Kick, at).target(t).actor(a).room(r)`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_actions)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewAction {
    action: &'static str,
    target_id: Option<AccountId>,
    /// `None`: the system (e.g. an automatic mute) or the console.
    actor_id: Option<AccountId>,
    room_id: Option<RoomId>,
    reason: Option<String>,
    until: Option<NaiveDateTime>,
    at: NaiveDateTime,
    detail: Option<String>,
}

impl NewAction {
    pub fn new(action: ModAction, at: NaiveDateTime) -> NewAction {
        NewAction {
            action: action.as_str(),
            target_id: None,
            actor_id: None,
            room_id: None,
            reason: None,
            until: None,
            at,
            detail: None,
        }
    }
    /// The account acted on.
    pub fn target(mut self, id: AccountId) -> NewAction {
        self.target_id = Some(id);
        self
    }
    /// A target that may be unknown (a deleted message whose author's
    /// account is gone).
    pub fn target_opt(mut self, id: Option<AccountId>) -> NewAction {
        self.target_id = id;
        self
    }
    /// Who acted; leave unset for the system or the console.
    pub fn actor(mut self, id: AccountId) -> NewAction {
        self.actor_id = Some(id);
        self
    }
    /// Set for every act in one room (room kicks, mutes, bans included).
    pub fn room(mut self, id: Option<RoomId>) -> NewAction {
        self.room_id = id;
        self
    }
    pub fn reason(mut self, reason: Option<String>) -> NewAction {
        self.reason = reason;
        self
    }
    pub fn until(mut self, until: Option<NaiveDateTime>) -> NewAction {
        self.until = until;
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> NewAction {
        self.detail = Some(detail.into());
        self
    }
    pub fn action(&self) -> &'static str {
        self.action
    }
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

/// Sets an account's role and records it: the one way a role changes,
/// from a chat client (`set_role`, actor = the admin) or from the console
/// (`modchat-admin user set-role`, actor `None`). Call it inside a
/// transaction, so the change and its record land together.
pub fn change_role(
    conn: &mut DbConn,
    target: AccountId,
    role: Role,
    actor: Option<AccountId>,
    at: NaiveDateTime,
) -> StoreResult<()> {
    super::accounts::set_role(conn, target, role)?;
    let mut rec = NewAction::new(ModAction::SetRole, at)
        .target(target)
        .detail(role.as_str());
    if let Some(a) = actor {
        rec = rec.actor(a);
    }
    record(conn, &rec)
}

/// A role change made from the console, for a running server to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleRoleChange {
    pub record: i64,
    pub account: AccountId,
    /// The account's current name and role (a later change wins).
    pub name: String,
    pub role: Role,
}

/// Console role changes (`set_role` records with no actor) after record
/// `after`, oldest first.
pub fn console_role_changes(conn: &mut DbConn, after: i64) -> StoreResult<Vec<ConsoleRoleChange>> {
    let rows: Vec<(i64, AccountRow)> = moderation_actions::table
        .inner_join(accounts::table.on(moderation_actions::target_id.eq(accounts::id.nullable())))
        .filter(moderation_actions::id.gt(after))
        .filter(moderation_actions::action.eq("set_role"))
        .filter(moderation_actions::actor_id.is_null())
        .order(moderation_actions::id)
        .select((moderation_actions::id, AccountRow::as_select()))
        .load(conn)?;
    rows.into_iter()
        .map(|(record, a)| {
            let a = Account::try_from(a)?;
            Ok(ConsoleRoleChange {
                record,
                account: a.id,
                name: a.username,
                role: a.role,
            })
        })
        .collect()
}

/// The newest record's id (0 when there is none).
pub fn last_action_id(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(moderation_actions::table
        .select(diesel::dsl::max(moderation_actions::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

pub fn banned_words(conn: &mut DbConn) -> StoreResult<Vec<String>> {
    Ok(banned_words::table
        .order(banned_words::word)
        .select(banned_words::word)
        .load(conn)?)
}

// ---- Mutes and bans in force ----------------------------------------------

use super::schema::{accounts, bans, mutes};

/// A mute or ban in force; `room_id` 0 is a global mute.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = mutes)]
pub struct MuteRow {
    pub account_id: AccountId,
    pub room_id: RoomId,
    pub until: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub actor_id: Option<AccountId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = bans)]
pub struct BanRow {
    pub account_id: AccountId,
    pub until: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub actor_id: Option<AccountId>,
    pub created_at: NaiveDateTime,
}

/// Mutes that have not ended at `now`.
pub fn active_mutes(conn: &mut DbConn, now: NaiveDateTime) -> StoreResult<Vec<MuteRow>> {
    Ok(mutes::table
        .filter(mutes::until.is_null().or(mutes::until.gt(now)))
        .select(MuteRow::as_select())
        .load(conn)?)
}

pub fn active_bans(conn: &mut DbConn, now: NaiveDateTime) -> StoreResult<Vec<BanRow>> {
    Ok(bans::table
        .filter(bans::until.is_null().or(bans::until.gt(now)))
        .select(BanRow::as_select())
        .load(conn)?)
}

/// The ban in force on one account at `now`, as stored: what a login
/// checks, so a ban committed on any node counts at once.
pub fn ban_of(
    conn: &mut DbConn,
    account: AccountId,
    now: NaiveDateTime,
) -> StoreResult<Option<BanRow>> {
    Ok(bans::table
        .filter(bans::account_id.eq(account))
        .filter(bans::until.is_null().or(bans::until.gt(now)))
        .select(BanRow::as_select())
        .first(conn)
        .optional()?)
}

/// Sets (or replaces) a mute.
pub fn put_mute(conn: &mut DbConn, m: &MuteRow) -> StoreResult<()> {
    delete_mute(conn, m.account_id, m.room_id)?;
    diesel::insert_into(mutes::table)
        .values((
            mutes::account_id.eq(m.account_id),
            mutes::room_id.eq(m.room_id),
            mutes::until.eq(m.until),
            mutes::reason.eq(&m.reason),
            mutes::actor_id.eq(m.actor_id),
            mutes::created_at.eq(m.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_mute(conn: &mut DbConn, account: AccountId, room: RoomId) -> StoreResult<bool> {
    let n = diesel::delete(
        mutes::table
            .filter(mutes::account_id.eq(account))
            .filter(mutes::room_id.eq(room)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

pub fn put_ban(conn: &mut DbConn, b: &BanRow) -> StoreResult<()> {
    delete_ban(conn, b.account_id)?;
    diesel::insert_into(bans::table)
        .values((
            bans::account_id.eq(b.account_id),
            bans::until.eq(b.until),
            bans::reason.eq(&b.reason),
            bans::actor_id.eq(b.actor_id),
            bans::created_at.eq(b.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_ban(conn: &mut DbConn, account: AccountId) -> StoreResult<bool> {
    Ok(diesel::delete(bans::table.filter(bans::account_id.eq(account))).execute(conn)? > 0)
}

/// Adds a filtered word; `false` when it was there.
pub fn add_word(
    conn: &mut DbConn,
    word: &str,
    by: AccountId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let r = diesel::insert_into(banned_words::table)
        .values((
            banned_words::word.eq(word),
            banned_words::added_by.eq(Some(by)),
            banned_words::created_at.eq(at),
        ))
        .execute(conn);
    match r.map_err(super::StoreError::from) {
        Ok(_) => Ok(true),
        Err(super::StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn remove_word(conn: &mut DbConn, word: &str) -> StoreResult<bool> {
    Ok(diesel::delete(banned_words::table.filter(banned_words::word.eq(word))).execute(conn)? > 0)
}

// ---- modlog ---------------------------------------------------------------

/// What `modlog` asks for.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub target: Option<AccountId>,
    pub actor: Option<AccountId>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub before: Option<i64>,
    /// Oldest first, from after this id (the reports page through the
    /// whole record this way); otherwise newest first.
    pub after: Option<i64>,
    /// Only the acts in this room (`modlog` with `room`).
    pub room: Option<RoomId>,
    pub limit: i64,
}

/// A record with its ids turned into names (current account names; null
/// when the account or room no longer exists).
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub row: ActionRow,
    pub target: Option<String>,
    pub by: Option<String>,
    pub room: Option<String>,
}

/// Records newest first (or oldest first after `after`), with names
/// resolved in two extra queries.
pub fn query_log(conn: &mut DbConn, q: &LogQuery) -> StoreResult<Vec<LogEntry>> {
    let mut query = moderation_actions::table
        .select(ActionRow::as_select())
        .limit(q.limit)
        .into_boxed();
    query = match q.after {
        Some(after) => query
            .filter(moderation_actions::id.gt(after))
            .order(moderation_actions::id.asc()),
        None => query.order(moderation_actions::id.desc()),
    };
    if let Some(t) = q.target {
        query = query.filter(moderation_actions::target_id.eq(t));
    }
    if let Some(a) = q.actor {
        query = query.filter(moderation_actions::actor_id.eq(a));
    }
    if let Some(t) = q.since {
        query = query.filter(moderation_actions::at.ge(t));
    }
    if let Some(a) = &q.action {
        query = query.filter(moderation_actions::action.eq(a.clone()));
    }
    if let Some(b) = q.before {
        query = query.filter(moderation_actions::id.lt(b));
    }
    if let Some(r) = q.room {
        query = query.filter(moderation_actions::room_id.eq(r));
    }
    let rows: Vec<ActionRow> = query.load(conn)?;
    let names = super::accounts::names_of(
        conn,
        rows.iter()
            .flat_map(|r| [r.target_id, r.actor_id])
            .flatten(),
    )?;
    let room_names = super::rooms::names_of(conn, rows.iter().filter_map(|r| r.room_id))?;
    Ok(rows
        .into_iter()
        .map(|row| LogEntry {
            target: row.target_id.and_then(|i| names.get(&i).cloned()),
            by: row.actor_id.and_then(|i| names.get(&i).cloned()),
            room: row.room_id.and_then(|i| room_names.get(&i).cloned()),
            row,
        })
        .collect())
}
