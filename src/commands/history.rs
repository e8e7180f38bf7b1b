//! history: a room's messages or the caller's whisper conversation with one
//! account, by id (`before`, `after`, `around`) within [since, until).

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use super::rooms::{lookup, room_arg};
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::room::IsMember;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{MessageId, Role};
use crate::protocol::Args;
use crate::store;
use crate::store::history::{self, Anchor, HistoryRow, Target, Window};

/// The most messages one page holds, and the default.
pub const MAX_LIMIT: i64 = 100;
pub const DEFAULT_LIMIT: i64 = 50;

pub async fn history(ctx: Ctx, args: Args) -> Outcome {
    let with = args.opt_str("with")?.map(str::to_owned);
    if with.is_some() && args.get("room").is_some() {
        return Err(conflict(&["room", "with"], "give one of room and with"));
    }
    // a room first, as before `with` existed: its errors come first
    let room = match with {
        None => Some(room_arg(&args)?),
        Some(_) => None,
    };
    let limit = args
        .opt_int("limit", 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    let anchor = anchor_arg(&args)?;
    let window = window_arg(&args)?;
    let user = ctx.user()?.clone();
    let (target, names) = match (room, with) {
        (Some(name), _) => {
            let room = lookup(&ctx, &name)
                .await?
                .ok_or(Failure::new(ErrorCode::NoSuchRoom))?;
            if user.role < Role::Moderator
                && !room.addr.send(IsMember(user.id)).await.map_err(internal)?
            {
                return Err(Failure::new(ErrorCode::NotInRoom));
            }
            (Target::Room(room.id), None)
        }
        (None, Some(name)) => {
            if ctx.guest {
                return Err(super::not_for_guests("read whisper history"));
            }
            let peer = super::account_named(&ctx, &name).await?;
            let target = Target::Conversation {
                me: user.id,
                peer: peer.id,
            };
            (target, Some((user.name.clone(), peer.username)))
        }
        (None, None) => unreachable!("room_arg refuses a missing room"),
    };
    let rows = ctx
        .env
        .db
        .run(move |c| history::page(c, target, anchor, window, limit))
        .await?;
    let me = user.id;
    let messages: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            // a whisper's `to`: the other account of the two, by its name now
            let to = names.as_ref().map(|(mine, peers)| {
                if r.sender_id == Some(me) {
                    peers.clone()
                } else {
                    mine.clone()
                }
            });
            entry(r, to)
        })
        .collect();
    Reply::fields(fields!("messages" => messages))
}

/// `{id, from, to?, text, action, at, deleted}`; a deleted message keeps
/// its place with `text: null`.
fn entry(r: HistoryRow, to: Option<String>) -> Value {
    let deleted = r.deleted_at.is_some();
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("from".into(), json!(r.sender_name));
    if let Some(to) = to {
        m.insert("to".into(), json!(to));
    }
    m.insert(
        "text".into(),
        json!(if deleted { None } else { Some(r.text) }),
    );
    m.insert("action".into(), json!(r.action));
    m.insert("at".into(), json!(store::fmt_time(&r.at)));
    m.insert("deleted".into(), json!(deleted));
    Value::Object(m)
}

/// `bad_request` for fields that may not come together: `field` is the
/// second of them, `fields` all that were given.
fn conflict(given: &[&str], why: &str) -> Failure {
    Failure::msg(
        ErrorCode::BadRequest,
        format!("{}: {why}", given.join(", ")),
    )
    .with("field", given.get(1).copied().unwrap_or_default())
    .with("fields", json!(given))
}

/// At most one of `before`, `after`, `around`.
fn anchor_arg(args: &Args) -> Result<Anchor, Failure> {
    let before = args.opt_int("before", 1, i64::MAX)?;
    // `after: 0`: from the first message
    let after = args.opt_int("after", 0, i64::MAX)?;
    let around = args.opt_int("around", 1, i64::MAX)?;
    let given: Vec<&str> = [("before", before), ("after", after), ("around", around)]
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
    if given.len() > 1 {
        return Err(conflict(
            &given,
            "give at most one of before, after, around",
        ));
    }
    Ok(match (before, after, around) {
        (Some(id), _, _) => Anchor::Before(MessageId(id)),
        (_, Some(id), _) => Anchor::After(MessageId(id)),
        (_, _, Some(id)) => Anchor::Around(MessageId(id)),
        _ => Anchor::Latest,
    })
}

/// `since` and `until`, RFC 3339 times, `since` before `until`.
fn window_arg(args: &Args) -> Result<Window, Failure> {
    let since = time_arg(args, "since")?;
    let until = time_arg(args, "until")?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(Failure::msg(
                ErrorCode::BadRequest,
                "since, until: since must be before until",
            )
            .with("field", "until")
            .with("fields", json!(["since", "until"])));
        }
    }
    Ok(Window { since, until })
}

/// An RFC 3339 time (any offset), as UTC, rounded up to the microsecond:
/// stored times have at most microseconds (milliseconds, in fact), so
/// `at >= t` and `at < t` mean the same after rounding, and MariaDB, which
/// would cut a finer time down, reads the same bound as SQLite.
fn time_arg(args: &Args, key: &str) -> Result<Option<NaiveDateTime>, Failure> {
    args.opt_str(key)?
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| ceil_micros(t.naive_utc()))
                .map_err(|_| {
                    Failure::bad_field(key, "must be an RFC 3339 time, like 2026-11-21T10:00:00Z")
                })
        })
        .transpose()
}

fn ceil_micros(t: NaiveDateTime) -> NaiveDateTime {
    let rem = t.and_utc().timestamp_subsec_nanos() % 1000;
    if rem == 0 {
        t
    } else {
        t + chrono::TimeDelta::nanoseconds(i64::from(1000 - rem))
    }
}
