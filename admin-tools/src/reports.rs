//! `logs chat|logins|modlog`: the audit tables as reports, page by page
//! from the store (oldest first), printed as they arrive.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use modchat::model::{AccountId, RoomId};
use modchat::store::audit::{self, ChatFilter, LoginFilter};
use modchat::store::moderation::{ActionRow, LogQuery};
use modchat::store::readonly::Cell;
use modchat::store::{accounts, rooms, Db, DbConn, StoreError, StoreResult};

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
            room,
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
            match room {
                None => stream(c, audit::MODLOG_COLUMNS, format, |c, after| {
                    audit::modlog_page(c, &q, after)
                }),
                Some(r) => {
                    let room_ids = rooms_named(c, &r)?;
                    stream(c, &room_modlog_columns(), format, |c, after| {
                        room_modlog_page(c, &q, &room_ids, after)
                    })
                }
            }
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

/// Every room that has or had this name: at most one live room, and any
/// number of deleted ones (a deleted room keeps its row and its name,
/// which a new room may take again). Oldest first.
fn rooms_named(c: &mut DbConn, name: &str) -> Result<Vec<RoomId>, Fail> {
    use modchat::store::schema::rooms;
    let key = modchat::validate::room(name).map_err(|e| Fail::usage(format!("--room: {e}")))?;
    let ids: Vec<RoomId> = rooms::table
        .filter(rooms::name.eq(&key))
        .order(rooms::id)
        .select(rooms::id)
        .load(c)
        .map_err(StoreError::from)?;
    if ids.is_empty() {
        return Err(Fail::refused(format!("no room {key}")));
    }
    Ok(ids)
}

/// `logs modlog --room R`: the usual columns, and the room's id after its
/// name, which tells a deleted room from a live one of the same name.
fn room_modlog_columns() -> Vec<&'static str> {
    let mut columns = audit::MODLOG_COLUMNS.to_vec();
    let at = columns
        .iter()
        .position(|c| *c == "room")
        .map_or(0, |i| i + 1);
    columns.insert(at, "room_id");
    columns
}

/// The next page of `logs modlog --room R` after id `after`: the records
/// whose `room_id` is one of `room_ids`, with `q`'s other filters, oldest
/// first, names resolved as `logs modlog` does.
fn room_modlog_page(
    c: &mut DbConn,
    q: &LogQuery,
    room_ids: &[RoomId],
    after: i64,
) -> StoreResult<Vec<Vec<Cell>>> {
    use modchat::store::schema::moderation_actions as m;
    let mut query = m::table
        .filter(m::room_id.eq_any(room_ids.to_vec()))
        .filter(m::id.gt(after))
        .order(m::id.asc())
        .limit(audit::PAGE)
        .select(ActionRow::as_select())
        .into_boxed();
    if let Some(t) = q.target {
        query = query.filter(m::target_id.eq(t));
    }
    if let Some(a) = q.actor {
        query = query.filter(m::actor_id.eq(a));
    }
    if let Some(a) = &q.action {
        query = query.filter(m::action.eq(a.clone()));
    }
    if let Some(t) = q.since {
        query = query.filter(m::at.ge(t));
    }
    let rows: Vec<ActionRow> = query.load(c)?;
    let names = accounts::names_of(
        c,
        rows.iter()
            .flat_map(|r| [r.target_id, r.actor_id])
            .flatten(),
    )?;
    let room_names = rooms::names_of(c, rows.iter().filter_map(|r| r.room_id))?;
    let name = |id: Option<AccountId>| {
        id.and_then(|i| names.get(&i).cloned())
            .map_or(Cell::Null, Cell::Text)
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let room = r.room_id.and_then(|i| room_names.get(&i).cloned());
            // no actor: the system's own mute after filter blocks, else a
            // change made here, at the console (a role, a password)
            let actor = modchat::store::audit::actor_shown(
                r.actor_id.and_then(|i| names.get(&i).cloned()),
                r.actor_id.is_some(),
                &r.action,
            );
            vec![
                Cell::Int(r.id),
                Cell::Time(r.at),
                Cell::Text(r.action),
                name(r.target_id),
                actor,
                room.map_or(Cell::Null, Cell::Text),
                r.room_id.map_or(Cell::Null, |i| Cell::Int(i.0)),
                r.reason.map_or(Cell::Null, Cell::Text),
                r.until.map_or(Cell::Null, Cell::Time),
                r.detail.map_or(Cell::Null, Cell::Text),
            ]
        })
        .collect())
}

/// T: RFC 3339 or a date. A bare date as an end means through that day.
fn time_arg(flag: &str, s: &str, end: bool) -> Result<NaiveDateTime, Fail> {
    modchat::validate::time_bound(s, end).map_err(|e| Fail::usage(format!("{flag} {e}")))
}
