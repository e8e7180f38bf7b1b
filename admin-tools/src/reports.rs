//! `logs chat|logins|modlog`: the audit tables as reports, page by page
//! from the store (oldest first), printed as they arrive.

use chrono::NaiveDateTime;
use modchat::model::{AccountId, RoomId};
use modchat::store::audit::{self, ChatFilter, LoginFilter};
use modchat::store::moderation::LogQuery;
use modchat::store::readonly::Cell;
use modchat::store::{accounts, rooms, Db, DbConn, StoreResult};

use crate::cli::LogsCommand;
use crate::output::{Format, Printer};
use crate::{Done, Fail};

/// The actions a record may have (the contract's list).
const ACTIONS: &[&str] = &[
    "kick",
    "mute",
    "unmute",
    "ban",
    "unban",
    "set_role",
    "delete_message",
    "filter_block",
    "auto_mute",
    "filter_add",
    "filter_remove",
    "set_room_role",
    "set_topic",
    "set_capacity",
    "delete_room",
    "set_password",
];

pub fn run(db: &Db, command: LogsCommand, format: Format) -> Done {
    let mut conn = db.conn()?;
    let c = &mut *conn;
    match command {
        LogsCommand::Chat {
            room,
            user,
            with,
            since,
            until,
            grep,
            include_deleted,
        } => {
            let f = ChatFilter {
                room: room.map(|r| room_id(c, &r)).transpose()?,
                user: user.map(|u| account_id(c, &u)).transpose()?,
                with: with.map(|u| account_id(c, &u)).transpose()?,
                since: since.map(|t| time_arg("--since", &t, false)).transpose()?,
                until: until.map(|t| time_arg("--until", &t, true)).transpose()?,
                grep,
                include_deleted,
            };
            let columns = audit::chat_columns(&f);
            stream(c, &columns, format, |c, after| {
                audit::chat_page(c, &f, after)
            })
        }
        LogsCommand::Logins {
            user,
            day,
            since,
            failed,
        } => {
            let mut f = LoginFilter {
                since: since.map(|t| time_arg("--since", &t, false)).transpose()?,
                failed_only: failed,
                ..LoginFilter::default()
            };
            if let Some(u) = user {
                match accounts::id_of(c, &u)? {
                    Some(id) => f.account = Some(id),
                    None => f.typed = Some(u),
                }
            }
            if let Some(d) = day {
                let (start, end) = modchat::validate::day_bounds(&d)
                    .map_err(|e| Fail::usage(format!("--day {e}")))?;
                f.since = Some(f.since.map_or(start, |s| s.max(start)));
                f.until = Some(end);
            }
            stream(c, audit::LOGIN_COLUMNS, format, |c, after| {
                audit::logins_page(c, &f, after)
            })
        }
        LogsCommand::Modlog {
            target,
            actor,
            action,
            since,
        } => {
            if let Some(a) = &action {
                if !ACTIONS.contains(&a.as_str()) {
                    return Err(Fail::usage(format!(
                        "--action {a:?}: expected one of {}",
                        ACTIONS.join(", ")
                    )));
                }
            }
            let q = LogQuery {
                target: target.map(|u| account_id(c, &u)).transpose()?,
                actor: actor.map(|u| account_id(c, &u)).transpose()?,
                action,
                since: since.map(|t| time_arg("--since", &t, false)).transpose()?,
                ..LogQuery::default()
            };
            stream(c, audit::MODLOG_COLUMNS, format, |c, after| {
                audit::modlog_page(c, &q, after)
            })
        }
    }
}

/// Pages through a report: each page starts after the last id printed
/// (every report's first column), until a page comes back empty.
fn stream(
    conn: &mut DbConn,
    columns: &[&str],
    format: Format,
    mut page: impl FnMut(&mut DbConn, i64) -> StoreResult<Vec<Vec<Cell>>>,
) -> Done {
    let columns = columns.iter().map(|c| (*c).to_owned()).collect();
    let mut p = Printer::new(format, columns, std::io::stdout().lock());
    let mut after = 0;
    loop {
        let rows = page(conn, after)?;
        let Some(Cell::Int(last)) = rows.last().and_then(|r| r.first()) else {
            break;
        };
        after = *last;
        p.page(&rows)?;
    }
    p.finish()?;
    Ok(())
}

fn account_id(c: &mut DbConn, name: &str) -> Result<AccountId, Fail> {
    accounts::id_of(c, name)?.ok_or_else(|| Fail::refused(format!("no user {name}")))
}

fn room_id(c: &mut DbConn, name: &str) -> Result<RoomId, Fail> {
    let key = modchat::validate::room(name).map_err(|e| Fail::usage(format!("--room: {e}")))?;
    Ok(rooms::find(c, &key)?
        .ok_or_else(|| Fail::refused(format!("no room {key}")))?
        .id)
}

/// T: RFC 3339 or a date. A bare date as an end means through that day.
fn time_arg(flag: &str, s: &str, end: bool) -> Result<NaiveDateTime, Fail> {
    modchat::validate::time_bound(s, end).map_err(|e| Fail::usage(format!("{flag} {e}")))
}
