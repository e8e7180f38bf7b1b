//! rooms, create_room, join, leave, members (history: history.rs).

use serde_json::json;

use super::{internal, Ctx, Outcome, Reply};
use crate::actors::moderation::MuteOf;
use crate::actors::registry::{GetRoom, Join, Leave, ListRooms, RoomCreated, RoomRef};
use crate::actors::room::ListMembers;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::Role;
use crate::protocol::Args;
use crate::store::{self, read_markers, rooms, StoreError};
use crate::validate;

/// The `room` field, lower-cased and checked.
pub(super) fn room_arg(args: &Args) -> Result<String, Failure> {
    validate::room(args.str("room")?).map_err(|e| Failure::bad_field("room", e))
}

pub(super) async fn lookup(ctx: &Ctx, name: &str) -> Result<Option<RoomRef>, Failure> {
    ctx.env
        .registry
        .send(GetRoom(name.to_owned()))
        .await
        .map_err(internal)
}

/// The most rooms one `rooms` reply lists: 500 names of 64 characters
/// with their counts stay far below `max_outbound_bytes`, so no number of
/// rooms can make the list a reply that cuts its reader off.
pub const MAX_ROOMS_PAGE: i64 = 500;

pub async fn list(ctx: Ctx, args: Args) -> Outcome {
    let query = args
        .opt_str("query")?
        .map(|q| q.to_lowercase())
        .filter(|q| !q.is_empty());
    if query.as_ref().is_some_and(|q| q.chars().count() > 64) {
        return Err(Failure::bad_field("query", "at most 64 characters"));
    }
    let after = args.opt_str("after")?.map(str::to_lowercase);
    if after.as_ref().is_some_and(|a| a.chars().count() > 64) {
        return Err(Failure::bad_field("after", "at most 64 characters"));
    }
    let limit = args
        .opt_int("limit", 1, MAX_ROOMS_PAGE)?
        .unwrap_or(MAX_ROOMS_PAGE) as usize;
    let (mut rooms, next) = ctx
        .env
        .registry
        .send(ListRooms {
            query,
            after,
            limit,
        })
        .await
        .map_err(internal)?;
    // the registry has the counts; the topics and the caller's read
    // markers are stored: a few queries for the whole page, never one
    // per room
    let names: Vec<String> = rooms
        .iter()
        .filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect();
    let account = ctx.user()?.id;
    let stored = ctx
        .env
        .db
        .run(move |c| read_markers::room_page(c, account, &names))
        .await?;
    for room in &mut rooms {
        let Some(entry) = room.as_object_mut() else {
            continue;
        };
        let listed = entry
            .get("name")
            .and_then(|n| n.as_str())
            .and_then(|n| stored.get(n));
        match listed {
            Some(l) => stored_fields(entry, l, false),
            // a room deleted since the registry listed it: no topic
            None => {
                entry.insert("topic".into(), json!(""));
            }
        }
    }
    Reply::fields(fields!("rooms" => rooms, "next" => next))
}

/// What a room's row and the caller's marker add to a room object:
/// `topic`, `topic_by` and `topic_at` (both or neither), `created_at`, and
/// for a room the caller is in `unread` and `last_read` (with `marker_time`
/// also `last_read_at`, the gateway's MARKREAD).
fn stored_fields(
    entry: &mut serde_json::Map<String, serde_json::Value>,
    l: &read_markers::ListedRoom,
    marker_time: bool,
) {
    entry.insert("topic".into(), json!(l.topic));
    if let (Some(by), Some(at)) = (&l.topic_by, l.topic_at) {
        entry.insert("topic_by".into(), json!(by));
        entry.insert("topic_at".into(), json!(store::fmt_time(&at)));
    }
    entry.insert("created_at".into(), json!(store::fmt_time(&l.created_at)));
    if let Some(s) = l.summary {
        entry.insert("unread".into(), json!(s.unread));
        entry.insert("last_read".into(), json!(s.last_read));
        if marker_time {
            let at = s.last_read_at.map(|t| store::fmt_time(&t));
            entry.insert("last_read_at".into(), json!(at));
        }
    }
}

/// The most rooms one `room_states` asks for.
pub const MAX_ROOM_STATES: usize = 500;

/// `room_states {rooms: [names]}`, a gateway-only read: for each live
/// room named, its stored state as [`stored_fields`] gives it with the
/// marker's time. The IRC gateway's JOIN burst (332/333, MARKREAD) for an
/// account's rooms, 500 at a time and a few queries each, instead of a
/// `rooms` listing of every room on the server or a request per room.
pub async fn states(ctx: Ctx, args: Args) -> Outcome {
    let names: Vec<String> = match args.get("rooms") {
        Some(serde_json::Value::Array(a)) if a.len() <= MAX_ROOM_STATES => a
            .iter()
            .map(|v| v.as_str().map(str::to_lowercase))
            .collect::<Option<_>>()
            .ok_or_else(|| Failure::bad_field("rooms", "must be room names"))?,
        _ => {
            return Err(Failure::bad_field(
                "rooms",
                format!("must be a list of at most {MAX_ROOM_STATES} room names"),
            ))
        }
    };
    let account = ctx.user()?.id;
    let mut stored = ctx
        .env
        .db
        .run(move |c| read_markers::room_page(c, account, &names))
        .await?;
    let mut rooms: Vec<(String, read_markers::ListedRoom)> = stored.drain().collect();
    rooms.sort_by(|a, b| a.0.cmp(&b.0));
    let rooms: Vec<serde_json::Value> = rooms
        .into_iter()
        .map(|(name, l)| {
            let mut entry = serde_json::Map::new();
            entry.insert("name".into(), json!(name));
            stored_fields(&mut entry, &l, true);
            serde_json::Value::Object(entry)
        })
        .collect();
    Reply::fields(fields!("rooms" => rooms))
}

/// Whether the account is muted where this join or leave would be shown:
/// a muted account's joins and leaves are not announced.
async fn muted_in(
    ctx: &Ctx,
    account: crate::model::AccountId,
    room: &str,
) -> Result<bool, Failure> {
    let room = lookup(ctx, room).await?.map(|r| r.id);
    let mute = ctx
        .env
        .moderation
        .send(MuteOf { account, room })
        .await
        .map_err(internal)?;
    Ok(mute.is_some())
}

pub async fn create(ctx: Ctx, args: Args) -> Outcome {
    let name = room_arg(&args)?;
    let capacity = args
        .opt_int("capacity", 1, i32::MAX as i64)?
        .unwrap_or(ctx.env.config.limits.default_room_capacity as i64) as i32;
    let user = ctx.user()?.clone();
    if ctx.guest {
        return Err(super::not_for_guests("create rooms"));
    }
    if ctx.env.config.server.room_creation == "moderators" && user.role < Role::Moderator {
        return Err(Failure::msg(
            ErrorCode::Forbidden,
            "only moderators may create rooms here",
        ));
    }
    let (n, uid) = (name.clone(), user.id);
    // moderators and admins make rooms for the community: no cap
    let cap = (user.role < Role::Moderator).then_some(ctx.env.config.limits.rooms_per_account);
    match ctx
        .env
        .db
        .run(move |c| rooms::create_within(c, &n, capacity, uid, cap))
        .await
    {
        Ok(None) => Err(Failure::msg(
            ErrorCode::LimitReached,
            format!(
                "you own {} rooms already, the most one account may",
                ctx.env.config.limits.rooms_per_account
            ),
        )
        .with("limit", ctx.env.config.limits.rooms_per_account)),
        Ok(Some(room)) => {
            ctx.env.registry.do_send(RoomCreated {
                room: room.clone(),
                creator: user,
            });
            Reply::fields(fields!("room" => json!({
                "name": room.name,
                "capacity": room.capacity,
                "topic": room.topic,
                "created_at": store::fmt_time(&room.created_at),
            })))
        }
        Err(StoreError::Conflict) => Err(Failure::msg(
            ErrorCode::RoomExists,
            format!("room {name} exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn join(ctx: Ctx, args: Args) -> Outcome {
    let room = room_arg(&args)?;
    let user = ctx.user()?.clone();
    let quiet = muted_in(&ctx, user.id, &room).await?;
    let info = ctx
        .env
        .registry
        .send(Join {
            user,
            session: ctx.session,
            room,
            quiet,
        })
        .await
        .map_err(internal)??;
    let members: Vec<_> = info.members.iter().map(|m| m.to_json()).collect();
    let mut room = json!({"name": info.name, "capacity": info.capacity, "topic": info.topic});
    // when it was made, who set its topic when (IRC's 329 and 333): the
    // stored row's, one page of one room
    let (account, names) = (ctx.user()?.id, vec![info.name.clone()]);
    let stored = ctx
        .env
        .db
        .run(move |c| read_markers::room_page(c, account, &names))
        .await?;
    if let (Some(l), Some(r)) = (stored.get(&info.name), room.as_object_mut()) {
        // the room's state and the joiner's marker in it (IRC's MARKREAD
        // right after the JOIN)
        stored_fields(r, l, true);
    }
    Reply::fields(fields!(
        "room" => room,
        "members" => members,
    ))
}

pub async fn leave(ctx: Ctx, args: Args) -> Outcome {
    let room = room_arg(&args)?;
    let user = ctx.user()?.clone();
    let quiet = muted_in(&ctx, user.id, &room).await?;
    ctx.env
        .registry
        .send(Leave {
            user,
            session: ctx.session,
            room,
            quiet,
        })
        .await
        .map_err(internal)??;
    Reply::empty()
}

pub async fn members(ctx: Ctx, args: Args) -> Outcome {
    let name = room_arg(&args)?;
    let room = lookup(&ctx, &name)
        .await?
        .ok_or(Failure::new(ErrorCode::NoSuchRoom))?;
    let list = room.addr.send(ListMembers).await.map_err(internal)??;
    let members: Vec<_> = list.iter().map(|m| m.to_json()).collect();
    Reply::fields(fields!("members" => members))
}
