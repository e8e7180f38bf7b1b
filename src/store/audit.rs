//! The read side for administrators and auditors (`modchat-admin`): account
//! summaries and the reports `logs chat|logins|modlog`.
//!
//! Reports come a page at a time, keyed by id (`id > after`, oldest
//! first), so an export of any size runs in constant memory and starts
//! printing at once, and each page is an indexed range scan. Rows are
//! [`Cell`]s, the same values the auditors' own SQL produces, so one
//! printer serves both.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::accounts::{Account, AccountRow};
use super::moderation::{query_log, BanRow, LogQuery, MuteRow};
use super::readonly::Cell;
use super::schema::{accounts, chat_logs, daily_logins, login_events};
use super::{DbConn, StoreResult};
use crate::model::{AccountId, Role, RoomId};

/// Rows per page of a report.
pub const PAGE: i64 = 500;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

// ---- Accounts -------------------------------------------------------------

/// One line of `user list`.
#[derive(Debug, Clone)]
pub struct AccountLine {
    pub name: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub last_login: Option<NaiveDateTime>,
}

/// Every account (of one role), by name.
pub fn list_accounts(conn: &mut DbConn, role: Option<Role>) -> StoreResult<Vec<AccountLine>> {
    let mut q = accounts::table
        .select(AccountRow::as_select())
        .order(accounts::username_key)
        .into_boxed();
    if let Some(r) = role {
        q = q.filter(accounts::role.eq(r.as_str()));
    }
    let rows: Vec<AccountRow> = q.load(conn)?;
    let last: HashMap<AccountId, Option<NaiveDateTime>> = daily_logins::table
        .group_by(daily_logins::account_id)
        .select((
            daily_logins::account_id,
            diesel::dsl::max(daily_logins::last_at),
        ))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| AccountLine {
            last_login: last.get(&a.id).copied().flatten(),
            name: a.username,
            role: a.role,
            created_at: a.created_at,
        })
        .collect())
}

/// What `user show` tells about one account.
#[derive(Debug, Clone)]
pub struct AccountInfo {
    pub account: Account,
    pub created_at: NaiveDateTime,
    pub last_login: Option<NaiveDateTime>,
    pub rooms: Vec<String>,
    /// Texts sent, by kind: room messages, whispers, announcements.
    pub messages: i64,
    pub whispers: i64,
    pub announcements: i64,
    pub logins: i64,
    pub failed_logins: i64,
    /// In force now; a mute's room is `None` for a global mute.
    pub mutes: Vec<(Option<String>, MuteRow)>,
    pub ban: Option<BanRow>,
}

pub fn account_info(conn: &mut DbConn, name: &str) -> StoreResult<Option<AccountInfo>> {
    use super::schema::{bans, mutes};
    let Some(row) = accounts::table
        .filter(accounts::username_key.eq(crate::model::username_key(name)))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let created_at = row.created_at;
    let account = Account::try_from(row)?;
    let id = account.id;
    let now = super::now();
    let sent = |conn: &mut DbConn, kind: &str| -> StoreResult<i64> {
        Ok(chat_logs::table
            .filter(chat_logs::sender_id.eq(id))
            .filter(chat_logs::kind.eq(kind))
            .count()
            .get_result(conn)?)
    };
    let attempts = |conn: &mut DbConn, success: bool| -> StoreResult<i64> {
        Ok(login_events::table
            .filter(login_events::account_id.eq(id))
            .filter(login_events::success.eq(success))
            .count()
            .get_result(conn)?)
    };
    let mutes: Vec<MuteRow> = mutes::table
        .filter(mutes::account_id.eq(id))
        .filter(mutes::until.is_null().or(mutes::until.gt(now)))
        .order(mutes::room_id)
        .select(MuteRow::as_select())
        .load(conn)?;
    let room_names = super::rooms::names_of(conn, mutes.iter().map(|m| m.room_id))?;
    Ok(Some(AccountInfo {
        created_at,
        last_login: login_events::table
            .filter(login_events::account_id.eq(id))
            .filter(login_events::success.eq(true))
            .select(diesel::dsl::max(login_events::at))
            .first(conn)?,
        rooms: super::rooms::rooms_of(conn, id)?,
        messages: sent(conn, "message")?,
        whispers: sent(conn, "whisper")?,
        announcements: sent(conn, "announcement")?,
        logins: attempts(conn, true)?,
        failed_logins: attempts(conn, false)?,
        mutes: mutes
            .into_iter()
            .map(|m| (room_names.get(&m.room_id).cloned(), m))
            .collect(),
        ban: bans::table
            .filter(bans::account_id.eq(id))
            .filter(bans::until.is_null().or(bans::until.gt(now)))
            .select(BanRow::as_select())
            .first(conn)
            .optional()?,
        account,
    }))
}

fn text(s: Option<String>) -> Cell {
    s.map_or(Cell::Null, Cell::Text)
}

fn time(t: Option<NaiveDateTime>) -> Cell {
    t.map_or(Cell::Null, Cell::Time)
}

// ---- logs chat --------------------------------------------------------------

/// `logs chat` filters, names already resolved to ids.
#[derive(Debug, Clone, Default)]
pub struct ChatFilter {
    pub room: Option<RoomId>,
    /// The sender.
    pub user: Option<AccountId>,
    /// Whispers with this account: to or from it, or, with `user`, the
    /// whispers between the two, both ways.
    pub with: Option<AccountId>,
    pub since: Option<NaiveDateTime>,
    /// Exclusive.
    pub until: Option<NaiveDateTime>,
    /// A substring of the text, ASCII letters in any case.
    pub grep: Option<String>,
    pub include_deleted: bool,
}

pub fn chat_columns(f: &ChatFilter) -> Vec<&'static str> {
    let mut c = vec!["id", "at", "kind", "room", "from", "to", "text"];
    if f.include_deleted {
        c.extend(["deleted_at", "deleted_by"]);
    }
    c
}

/// The next page of `logs chat` after id `after`.
pub fn chat_page(conn: &mut DbConn, f: &ChatFilter, after: i64) -> StoreResult<Vec<Vec<Cell>>> {
    use super::chat_log::ChatLogRow;
    let mut q = chat_logs::table
        .filter(chat_logs::id.gt(after))
        .order(chat_logs::id)
        .limit(PAGE)
        .select(ChatLogRow::as_select())
        .into_boxed();
    if let Some(r) = f.room {
        q = q.filter(chat_logs::room_id.eq(r));
    }
    match (f.user, f.with) {
        (Some(u), Some(w)) => {
            q = q.filter(chat_logs::kind.eq("whisper")).filter(
                (chat_logs::sender_id
                    .eq(u)
                    .and(chat_logs::recipient_id.eq(w)))
                .or(chat_logs::sender_id
                    .eq(w)
                    .and(chat_logs::recipient_id.eq(u))),
            )
        }
        (Some(u), None) => q = q.filter(chat_logs::sender_id.eq(u)),
        (None, Some(w)) => {
            q = q
                .filter(chat_logs::kind.eq("whisper"))
                .filter(chat_logs::sender_id.eq(w).or(chat_logs::recipient_id.eq(w)))
        }
        (None, None) => {}
    }
    if let Some(t) = f.since {
        q = q.filter(chat_logs::at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(chat_logs::at.lt(t));
    }
    if let Some(g) = &f.grep {
        let pattern = format!("%{}%", escape_like(&g.to_lowercase()));
        q = q.filter(lower(chat_logs::text).like(pattern).escape('\\'));
    }
    if !f.include_deleted {
        q = q.filter(chat_logs::deleted_at.is_null());
    }
    let rows: Vec<ChatLogRow> = q.load(conn)?;
    let people = super::accounts::names_of(
        conn,
        rows.iter()
            .flat_map(|r| [r.recipient_id, r.deleted_by])
            .flatten(),
    )?;
    let places = super::rooms::names_of(conn, rows.iter().filter_map(|r| r.room_id))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut cells = vec![
                Cell::Int(r.id.0),
                Cell::Time(r.at),
                Cell::Text(r.kind),
                text(r.room_id.and_then(|i| places.get(&i).cloned())),
                Cell::Text(r.sender_name),
                text(r.recipient_id.and_then(|i| people.get(&i).cloned())),
                Cell::Text(r.text),
            ];
            if f.include_deleted {
                cells.push(time(r.deleted_at));
                cells.push(text(r.deleted_by.and_then(|i| people.get(&i).cloned())));
            }
            cells
        })
        .collect())
}

/// `%`, `_` and `\` match themselves.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---- logs logins ------------------------------------------------------------

/// `logs logins` filters.
#[derive(Debug, Clone, Default)]
pub struct LoginFilter {
    /// An existing account: its attempts.
    pub account: Option<AccountId>,
    /// A name with no account: attempts that typed it (any letter case).
    pub typed: Option<String>,
    pub since: Option<NaiveDateTime>,
    /// Exclusive.
    pub until: Option<NaiveDateTime>,
    pub failed_only: bool,
}

pub const LOGIN_COLUMNS: &[&str] = &["id", "at", "user", "ip", "success", "reason"];

pub fn logins_page(conn: &mut DbConn, f: &LoginFilter, after: i64) -> StoreResult<Vec<Vec<Cell>>> {
    let mut q = login_events::table
        .filter(login_events::id.gt(after))
        .order(login_events::id)
        .limit(PAGE)
        .select((
            login_events::id,
            login_events::at,
            login_events::username,
            login_events::ip,
            login_events::success,
            login_events::reason,
        ))
        .into_boxed();
    if let Some(a) = f.account {
        q = q.filter(login_events::account_id.eq(a));
    }
    if let Some(t) = &f.typed {
        q = q.filter(lower(login_events::username).eq(t.to_ascii_lowercase()));
    }
    if let Some(t) = f.since {
        q = q.filter(login_events::at.ge(t));
    }
    if let Some(t) = f.until {
        q = q.filter(login_events::at.lt(t));
    }
    if f.failed_only {
        q = q.filter(login_events::success.eq(false));
    }
    type LoginRow = (i64, NaiveDateTime, String, String, bool, Option<String>);
    let rows: Vec<LoginRow> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, at, user, ip, ok, reason)| {
            vec![
                Cell::Int(id),
                Cell::Time(at),
                Cell::Text(user),
                Cell::Text(ip),
                Cell::Bool(ok),
                text(reason),
            ]
        })
        .collect())
}

// ---- logs modlog ------------------------------------------------------------

pub const MODLOG_COLUMNS: &[&str] = &[
    "id", "at", "action", "target", "by", "room", "reason", "until", "detail",
];

/// Who acted, as a report shows it: a row with no actor is the system's
/// own mute after filter blocks, or a change made at the console (a role,
/// a password: the acts the console records); an actor whose account is
/// gone stays empty.
pub fn actor_shown(name: Option<String>, has_actor: bool, action: &str) -> Cell {
    match (name, has_actor) {
        (Some(n), _) => Cell::Text(n),
        (None, true) => Cell::Null,
        (None, false) => match action {
            "auto_mute" => Cell::Text("(system)".into()),
            "set_role" | "set_password" => Cell::Text("(console)".into()),
            _ => Cell::Null,
        },
    }
}

/// `q` is the filter; its `after` and `limit` are set here.
pub fn modlog_page(conn: &mut DbConn, q: &LogQuery, after: i64) -> StoreResult<Vec<Vec<Cell>>> {
    let q = LogQuery {
        after: Some(after),
        limit: PAGE,
        before: None,
        ..q.clone()
    };
    Ok(query_log(conn, &q)?
        .into_iter()
        .map(|e| {
            let by = actor_shown(e.by, e.row.actor_id.is_some(), &e.row.action);
            vec![
                Cell::Int(e.row.id),
                Cell::Time(e.row.at),
                Cell::Text(e.row.action),
                text(e.target),
                by,
                text(e.room),
                text(e.row.reason),
                time(e.row.until),
                text(e.row.detail),
            ]
        })
        .collect())
}
