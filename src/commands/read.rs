//! mark_read: how far the account has read a room or a whisper
//! conversation. The marker is a position, not a reference: like IRC's
//! MARKREAD timestamp, `message_id` is not checked against the chat log (an
//! id that does not exist, or belongs to another room, still marks "read up
//! to here"). It never moves backwards, and when it moves the account's
//! other sessions, on every node, get `read`.

use serde_json::json;

use super::rooms::{lookup, room_arg};
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::registry::SendToUser;
use crate::actors::room::IsMember;
use crate::error::{ErrorCode, Failure};
use crate::model::MessageId;
use crate::protocol::events::ReadTarget;
use crate::protocol::{Args, Event};
use crate::store;
use crate::store::read_markers::{self, Scope};

pub async fn mark_read(ctx: Ctx, args: Args) -> Outcome {
    let with = args.opt_str("with")?.map(str::to_owned);
    let room = match (args.get("room").is_some(), &with) {
        (true, Some(_)) => return Err(one_of(true)),
        (false, None) => return Err(one_of(false)),
        (true, None) => Some(room_arg(&args)?),
        (false, Some(_)) => None,
    };
    let message = args
        .opt_int("message_id", 1, i64::MAX)?
        .ok_or_else(|| Failure::bad_field("message_id", "is required"))?;
    let message = MessageId(message);
    let user = ctx.user()?.clone();
    let (scope, target) = match (room, with) {
        (Some(name), _) => {
            // a room that does not exist is one the caller is not in
            let not_in = || Failure::msg(ErrorCode::NotInRoom, format!("you are not in {name}"));
            let Some(room) = lookup(&ctx, &name).await? else {
                return Err(not_in());
            };
            if !room.addr.send(IsMember(user.id)).await.map_err(internal)? {
                return Err(not_in());
            }
            (Scope::Room(room.id), ReadTarget::Room(name))
        }
        (None, Some(name)) => {
            let peer = super::account_named(&ctx, &name).await?;
            if peer.id == user.id {
                // there is no whisper conversation with oneself
                return Err(Failure::bad_field("with", "names yourself"));
            }
            (Scope::Peer(peer.id), ReadTarget::With(peer.username))
        }
        (None, None) => return Err(one_of(false)),
    };
    let account = user.id;
    let moved = ctx
        .env
        .db
        .run(move |c| read_markers::mark(c, account, scope, message, store::now()))
        .await?;
    if moved {
        ctx.env.registry.do_send(SendToUser {
            account,
            event: Event::Read {
                target,
                id: message,
            },
            everywhere: true,
            except: Some(ctx.session),
        });
    }
    Reply::empty()
}

/// `bad_request`: exactly one of `room` and `with` (`both`: both came,
/// else neither did).
fn one_of(both: bool) -> Failure {
    if both {
        Failure::msg(
            ErrorCode::BadRequest,
            "room, with: give one of room and with, not both",
        )
        .with("field", "with")
        .with("fields", json!(["room", "with"]))
    } else {
        Failure::bad_field("room", "give room or with")
    }
}

/// `conversations`: the caller's whisper conversations, newest first, with
/// their read state, so a client lists its direct messages after a reload
/// or on another device (`history` with `with` reads one back).
pub async fn conversations(ctx: Ctx, args: Args) -> Outcome {
    let limit = args.opt_int("limit", 1, 100)?.unwrap_or(50);
    let account = ctx.user()?.id;
    let list = ctx
        .env
        .db
        .run(move |c| store::conversations::list(c, account, limit))
        .await?;
    let list: Vec<_> = list
        .into_iter()
        .map(|c| {
            json!({
                "with": c.with,
                "last_id": c.last_id.0,
                "last_at": store::fmt_time(&c.last_at),
                "unread": c.unread,
                "last_read": c.last_read.map(|m| m.0),
            })
        })
        .collect();
    Reply::fields(crate::fields!("conversations" => list))
}
