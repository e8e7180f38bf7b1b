//! Account changes made from the console (`modchat-admin user set-role`,
//! `user passwd`) straight in the database, and how a running server finds
//! them: each is a `moderation_actions` row with no actor, written in the
//! same transaction as the change, which every node's Moderation actor
//! polls (`actors/moderation/console.rs`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::moderation::{self, ConsoleRoleChange, NewAction};
use super::schema::moderation_actions;
use super::{accounts, tokens, DbConn, StoreResult};
use crate::model::{AccountId, ModAction};

/// Sets an account's password hash, revokes every token of the account (no
/// `resume` with one issued under the old password) and records
/// `set_password` (actor NULL: the console). Call it inside a transaction.
/// Returns how many tokens were revoked.
pub fn change_password(
    conn: &mut DbConn,
    account: AccountId,
    password_hash: &str,
    at: NaiveDateTime,
) -> StoreResult<usize> {
    accounts::set_password(conn, account, password_hash)?;
    let revoked = tokens::revoke_all(conn, account)?;
    moderation::record(
        conn,
        &NewAction::new(ModAction::SetPassword, at).target(account),
    )?;
    Ok(revoked)
}

/// What the console did after a record id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleChanges {
    /// The newest record looked at: the next poll starts after it.
    pub upto: i64,
    pub roles: Vec<ConsoleRoleChange>,
    /// Accounts whose password was changed (one entry per record).
    pub passwords: Vec<AccountId>,
}

/// Console records after `after`, up to the newest record when the poll
/// began. The bound keeps the two reads apart from records committed in
/// between: both stop at the same id, and the next poll starts there.
pub fn changes_after(conn: &mut DbConn, after: i64) -> StoreResult<ConsoleChanges> {
    let upto = moderation::last_action_id(conn)?;
    if upto <= after {
        // the usual case: one indexed read a second
        return Ok(ConsoleChanges {
            upto: after,
            ..ConsoleChanges::default()
        });
    }
    let roles = moderation::console_role_changes(conn, after)?
        .into_iter()
        .filter(|c| c.record <= upto)
        .collect();
    let passwords: Vec<Option<AccountId>> = moderation_actions::table
        .filter(moderation_actions::id.gt(after))
        .filter(moderation_actions::id.le(upto))
        .filter(moderation_actions::action.eq("set_password"))
        .filter(moderation_actions::actor_id.is_null())
        .order(moderation_actions::id)
        .select(moderation_actions::target_id)
        .load(conn)?;
    Ok(ConsoleChanges {
        upto,
        roles,
        passwords: passwords.into_iter().flatten().collect(),
    })
}
