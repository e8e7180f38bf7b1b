//! set_topic, set_capacity, delete_room, room_bans: what a room's
//! operators change about the room itself, and the bans they keep (docs/protocol.md, "Moderation"). Each handler
//! checks its fields, resolves the room, checks the sender's standing in it
//! as stored (`authority`), and hands the act to the Moderation actor,
//! which stores, records and tells every node.

use super::authority::{self, Power};
use super::rooms::{lookup, room_arg};
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::moderation::{Act, Perform, RoomTarget};
use crate::error::{ErrorCode, Failure};
use crate::protocol::Args;
use crate::store;
use crate::validate;

/// The most characters a topic may have.
pub const MAX_TOPIC_CHARS: usize = 300;

/// The `topic` field: "" clears it; otherwise the rules of a text, at most
/// [`MAX_TOPIC_CHARS`].
fn topic_arg(args: &Args) -> Result<String, Failure> {
    let topic = args.str("topic")?;
    if !topic.is_empty() {
        validate::text(topic, MAX_TOPIC_CHARS).map_err(|e| Failure::bad_field("topic", e))?;
    }
    Ok(topic.to_owned())
}

/// The `room` field's live room, or `no_such_room`.
async fn room_target(ctx: &Ctx, args: &Args) -> Result<RoomTarget, Failure> {
    let name = room_arg(args)?;
    let room = lookup(ctx, &name)
        .await?
        .ok_or_else(|| Failure::msg(ErrorCode::NoSuchRoom, format!("no room {name}")))?;
    Ok(RoomTarget {
        id: room.id,
        name,
        addr: room.addr,
    })
}

/// Checks the sender holds `power` in the room, then performs `act`.
async fn perform(ctx: &Ctx, room: &RoomTarget, power: Power, act: Act) -> Outcome {
    let me = authority::in_room(ctx, Some(room.id)).await?;
    me.require(power)?;
    let fields = ctx
        .env
        .moderation
        .send(Perform { by: me.by, act })
        .await
        .map_err(internal)??;
    Reply::fields(fields)
}

pub async fn set_topic(ctx: Ctx, args: Args) -> Outcome {
    let topic = topic_arg(&args)?;
    let room = room_target(&ctx, &args).await?;
    let act = Act::SetTopic {
        room: room.clone(),
        topic,
    };
    perform(&ctx, &room, Power::Moderate, act).await
}

pub async fn set_capacity(ctx: Ctx, args: Args) -> Outcome {
    // the bounds `create_room` takes
    let capacity = args
        .opt_int("capacity", 1, i32::MAX as i64)?
        .ok_or_else(|| Failure::bad_field("capacity", "is required"))? as i32;
    let room = room_target(&ctx, &args).await?;
    let act = Act::SetCapacity {
        room: room.clone(),
        capacity,
    };
    perform(&ctx, &room, Power::Moderate, act).await
}

pub async fn delete_room(ctx: Ctx, args: Args) -> Outcome {
    let room = room_target(&ctx, &args).await?;
    let act = Act::DeleteRoom { room: room.clone() };
    perform(&ctx, &room, Power::Own, act).await
}

/// `room_bans`: the room's bans in force, newest first, for those who may
/// ban from it (its owner and ops, moderators, admins): a room's settings
/// list them without reading the moderation log.
pub async fn room_bans(ctx: Ctx, args: Args) -> Outcome {
    let room = room_target(&ctx, &args).await?;
    authority::in_room(&ctx, Some(room.id))
        .await?
        .require(Power::Moderate)?;
    let id = room.id;
    let (bans, names) = ctx
        .env
        .db
        .run(move |c| {
            let bans = store::room_bans::of_room(c, id, store::now(), MAX_ROOM_BANS)?;
            let names = store::accounts::names_of(
                c,
                bans.iter()
                    .flat_map(|b| [Some(b.account_id), b.actor_id])
                    .flatten(),
            )?;
            Ok((bans, names))
        })
        .await?;
    let list: Vec<_> = bans
        .into_iter()
        .filter_map(|b| {
            // an account that is gone is banned from nothing
            let user = names.get(&b.account_id)?.clone();
            Some(serde_json::json!({
                "user": user,
                "until": b.until.map(|t| store::fmt_time(&t)),
                "reason": b.reason,
                "by": b.actor_id.and_then(|a| names.get(&a).cloned()),
                "at": store::fmt_time(&b.created_at),
            }))
        })
        .collect();
    Reply::fields(crate::fields!("bans" => list))
}

/// The most bans one `room_bans` lists.
const MAX_ROOM_BANS: i64 = 500;
