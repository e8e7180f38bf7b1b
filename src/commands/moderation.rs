//! The privileged commands. Each handler checks rank on STORED roles (the
//! session reads the sender's just before the command; the target's is read
//! here), resolves the room, and hands the action to the Moderation actor,
//! which stores, records and notifies.

use serde_json::json;

use super::rooms::lookup;
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::moderation::{Act, ListFilter, MuteOf, Perform, RoomTarget};
use crate::actors::registry::Announce;
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::Role;
use crate::protocol::Args;
use crate::store::accounts::{self, Account};
use crate::store::moderation::{query_log, LogQuery};
use crate::store::{self, chat_log};
use crate::validate;

/// Longest duration a mute or ban may be given: ten years.
const MAX_DURATION_S: i64 = 10 * 365 * 86_400;
const MAX_REASON_CHARS: usize = 500;

/// The sender, with the role the session has just read from the store
/// (privileged commands have `Access::reads_stored_role`): a role taken
/// away a moment ago, from a chat client or the console, counts.
fn actor(ctx: &Ctx, min: Role) -> Result<UserRef, Failure> {
    let me = ctx.user()?;
    if me.role >= min {
        Ok(me.clone())
    } else {
        Err(refuse(&me.name, "(any)", "lacks the role"))
    }
}

fn refuse(who: &str, target: &str, why: &str) -> Failure {
    tracing::warn!(actor = who, target, why, "refused a moderation command");
    Failure::msg(ErrorCode::Forbidden, format!("you may not do that: {why}"))
}

/// Rank: a moderator acts on users only; an admin on anyone but itself.
pub fn may_act(actor: &UserRef, target: &Account) -> bool {
    actor.id != target.id
        && match actor.role {
            Role::Admin => true,
            Role::Moderator => target.role == Role::User,
            Role::User => false,
        }
}

/// The actor and the `user` field's account, rank checked.
async fn actor_and_target(
    ctx: &Ctx,
    args: &Args,
    min: Role,
) -> Result<(UserRef, Account), Failure> {
    let name = args.str("user")?.to_owned();
    let by = actor(ctx, min)?;
    let n = name.clone();
    let target = ctx
        .env
        .db
        .run(move |c| accounts::find_by_name(c, &n))
        .await?;
    let target =
        target.ok_or_else(|| Failure::msg(ErrorCode::NoSuchUser, format!("no user {name}")))?;
    if !may_act(&by, &target) {
        let why = if by.id == target.id {
            "not on yourself"
        } else {
            "their role is not below yours"
        };
        return Err(refuse(&by.name, &target.username, why));
    }
    Ok((by, target))
}

fn reason(args: &Args) -> Result<Option<String>, Failure> {
    let r = args.opt_str("reason")?.map(str::to_owned);
    if r.as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(Failure::bad_field(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(r)
}

fn duration(args: &Args) -> Result<Option<i64>, Failure> {
    args.opt_int("duration_s", 1, MAX_DURATION_S)
}

/// The optional `room` field: `no_such_room` when it names none.
async fn room_target(ctx: &Ctx, args: &Args) -> Result<Option<RoomTarget>, Failure> {
    let Some(raw) = args.opt_str("room")? else {
        return Ok(None);
    };
    let name = validate::room(raw).map_err(|e| Failure::bad_field("room", e))?;
    let r = lookup(ctx, &name)
        .await?
        .ok_or_else(|| Failure::msg(ErrorCode::NoSuchRoom, format!("no room {name}")))?;
    Ok(Some(RoomTarget {
        id: r.id,
        name,
        addr: r.addr,
    }))
}

async fn perform(ctx: &Ctx, by: UserRef, act: Act) -> Outcome {
    let fields = ctx
        .env
        .moderation
        .send(Perform { by, act })
        .await
        .map_err(internal)??;
    Reply::fields(fields)
}

pub async fn kick(ctx: Ctx, args: Args) -> Outcome {
    let (by, target) = actor_and_target(&ctx, &args, Role::Moderator).await?;
    let reason = reason(&args)?;
    let room = match room_target(&ctx, &args).await {
        Err(f) if f.code == ErrorCode::NoSuchRoom => {
            return Err(Failure::msg(ErrorCode::NotInRoom, f.message))
        }
        other => other?,
    };
    perform(
        &ctx,
        by,
        Act::Kick {
            target,
            reason,
            room,
        },
    )
    .await
}

pub async fn mute(ctx: Ctx, args: Args) -> Outcome {
    let (by, target) = actor_and_target(&ctx, &args, Role::Moderator).await?;
    let (duration_s, reason, room) = (
        duration(&args)?,
        reason(&args)?,
        room_target(&ctx, &args).await?,
    );
    perform(
        &ctx,
        by,
        Act::Mute {
            target,
            duration_s,
            reason,
            room,
        },
    )
    .await
}

pub async fn unmute(ctx: Ctx, args: Args) -> Outcome {
    let (by, target) = actor_and_target(&ctx, &args, Role::Moderator).await?;
    let room = room_target(&ctx, &args).await?;
    perform(&ctx, by, Act::Unmute { target, room }).await
}

pub async fn ban(ctx: Ctx, args: Args) -> Outcome {
    let (by, target) = actor_and_target(&ctx, &args, Role::Moderator).await?;
    let (duration_s, reason) = (duration(&args)?, reason(&args)?);
    perform(
        &ctx,
        by,
        Act::Ban {
            target,
            duration_s,
            reason,
        },
    )
    .await
}

pub async fn unban(ctx: Ctx, args: Args) -> Outcome {
    let (by, target) = actor_and_target(&ctx, &args, Role::Moderator).await?;
    perform(&ctx, by, Act::Unban { target }).await
}

pub async fn delete_message(ctx: Ctx, args: Args) -> Outcome {
    let id = args
        .opt_int("message_id", 1, i64::MAX)?
        .ok_or_else(|| Failure::bad_field("message_id", "is required"))?;
    let by = actor(&ctx, Role::Moderator)?;
    let no_such = || Failure::msg(ErrorCode::NoSuchMessage, format!("no message {id}"));
    let found = ctx
        .env
        .db
        .run(move |c| {
            let Some(m) = chat_log::find(c, id)? else {
                return Ok(None);
            };
            let author = match m.sender_id {
                Some(s) => accounts::find_by_id(c, s)?,
                None => None,
            };
            let room = match m.room_id {
                Some(r) => store::rooms::find_by_id(c, r)?,
                None => None,
            };
            Ok(Some((m, author, room)))
        })
        .await?;
    let (msg, author, room) = found.ok_or_else(no_such)?;
    let room = room.filter(|_| msg.kind == "message").ok_or_else(no_such)?;
    if let Some(a) = &author {
        if !may_act(&by, a) {
            return Err(refuse(
                &by.name,
                &a.username,
                "the author's role is not below yours",
            ));
        }
    }
    let live = lookup(&ctx, &room.name).await?.ok_or_else(no_such)?;
    let target = RoomTarget {
        id: room.id,
        name: room.name,
        addr: live.addr,
    };
    perform(
        &ctx,
        by,
        Act::DeleteMessage {
            id,
            author: msg.sender_id,
            room: target,
        },
    )
    .await
}

pub async fn modlog(ctx: Ctx, args: Args) -> Outcome {
    let user = args.opt_str("user")?.map(str::to_owned);
    let action = args.opt_str("action")?.map(str::to_owned);
    let limit = args.opt_int("limit", 1, 200)?.unwrap_or(50);
    let before = args.opt_int("before", 1, i64::MAX)?;
    actor(&ctx, Role::Moderator)?;
    let entries = ctx
        .env
        .db
        .run(move |c| {
            let target = match &user {
                Some(name) => match accounts::find_by_name(c, name)? {
                    Some(a) => Some(a.id),
                    None => return Ok(Vec::new()),
                },
                None => None,
            };
            query_log(
                c,
                &LogQuery {
                    target,
                    action,
                    before,
                    limit,
                    ..LogQuery::default()
                },
            )
        })
        .await?;
    let entries: Vec<_> = entries
        .into_iter()
        .map(|e| {
            json!({
                "id": e.row.id,
                "action": e.row.action,
                "target": e.target,
                "by": e.by,
                "room": e.room,
                "reason": e.row.reason,
                "until": e.row.until.map(|u| store::fmt_time(&u)),
                "at": store::fmt_time(&e.row.at),
                "detail": e.row.detail,
            })
        })
        .collect();
    Reply::fields(fields!("entries" => entries))
}

pub async fn set_role(ctx: Ctx, args: Args) -> Outcome {
    let role: Role = args
        .str("role")?
        .parse()
        .map_err(|e: String| Failure::bad_field("role", e))?;
    let (by, target) = actor_and_target(&ctx, &args, Role::Admin).await?;
    perform(&ctx, by, Act::SetRole { target, role }).await
}

pub async fn announce(ctx: Ctx, args: Args) -> Outcome {
    let text = super::chat::text_arg(&ctx, &args)?;
    let from = actor(&ctx, Role::Admin)?;
    // a mute silences an admin too: an announcement is the loudest text
    let mute = ctx
        .env
        .moderation
        .send(MuteOf {
            account: from.id,
            room: None,
        })
        .await
        .map_err(internal)?;
    if let Some(m) = mute {
        return Err(m.failure(ErrorCode::Muted, "muted"));
    }
    let done = ctx
        .env
        .registry
        .send(Announce { from, text })
        .await
        .map_err(internal)??;
    Reply::fields(fields!("id" => done.id, "at" => store::fmt_time(&done.at)))
}

pub async fn filter_add(ctx: Ctx, args: Args) -> Outcome {
    let word = args.str("word")?.to_owned();
    let by = actor(&ctx, Role::Admin)?;
    perform(&ctx, by, Act::FilterAdd { word }).await
}

pub async fn filter_remove(ctx: Ctx, args: Args) -> Outcome {
    let word = args.str("word")?.to_owned();
    let by = actor(&ctx, Role::Admin)?;
    perform(&ctx, by, Act::FilterRemove { word }).await
}

pub async fn filter_list(ctx: Ctx, _args: Args) -> Outcome {
    actor(&ctx, Role::Moderator)?;
    let words = ctx
        .env
        .moderation
        .send(ListFilter)
        .await
        .map_err(internal)?;
    Reply::fields(fields!("words" => words))
}
