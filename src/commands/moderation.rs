//! The privileged commands. Each handler checks rank on STORED roles (the
//! session reads the sender's just before the command; the target's is read
//! here), resolves the room, and hands the action to the Moderation actor,
//! which stores, records and notifies.

use serde_json::json;

use super::authority::{self, refuse, Authority, Power};
use super::rooms::lookup;
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::moderation::{Act, ListFilter, MuteOf, Perform, RoomTarget};
use crate::actors::registry::Announce;
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{MessageId, Role, RoomRole};
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

/// The acts a room's owner or op may also take (`kick`, `mute`, `unmute`,
/// `ban`, `unban`, `modlog`) are `RoleAware`: without `room` they stay site
/// staff's, refused to anyone else exactly as `AtLeast(Moderator)` refuses,
/// before the request is looked at. Whether the request names a room.
fn staff_or_room(ctx: &Ctx, args: &Args) -> Result<bool, Failure> {
    let me = ctx.user()?;
    let room = args.opt_str("room");
    if me.role >= Role::Moderator {
        return Ok(room?.is_some());
    }
    match room {
        Ok(Some(_)) => Ok(true),
        _ => {
            tracing::warn!(user = %me.name, role = %me.role, "refused a privileged command");
            Err(Failure::new(ErrorCode::Forbidden))
        }
    }
}

/// The `user` field's account: `no_such_user` when there is none.
async fn target_of(ctx: &Ctx, args: &Args) -> Result<Account, Failure> {
    super::account_named(ctx, args.str("user")?).await
}

/// The actor and the `user` field's account, rank checked by the site rule
/// (`min`: the least site role that may act at all).
async fn actor_and_target(
    ctx: &Ctx,
    args: &Args,
    min: Role,
) -> Result<(UserRef, Account), Failure> {
    args.str("user")?;
    let by = actor(ctx, min)?;
    let target = target_of(ctx, args).await?;
    Authority {
        by: by.clone(),
        room_role: None,
    }
    .require_over(&target, None)?;
    Ok((by, target))
}

/// A moderation act's actor, target and room, rank checked. Without
/// `room`: site staff by the site rule, as before room roles. With `room`:
/// by [`authority`], so the room's owner or op may act on a plain user whose
/// room role is below theirs (`no_room`: the code when the room does not
/// exist).
async fn act_on(
    ctx: &Ctx,
    args: &Args,
    no_room: ErrorCode,
) -> Result<(UserRef, Account, Option<RoomTarget>), Failure> {
    if !staff_or_room(ctx, args)? {
        let (by, target) = actor_and_target(ctx, args, Role::Moderator).await?;
        return Ok((by, target, None));
    }
    args.str("user")?;
    let room = match room_target(ctx, args).await {
        Err(f) if f.code == ErrorCode::NoSuchRoom => return Err(Failure::msg(no_room, f.message)),
        other => other?.ok_or_else(|| Failure::bad_field("room", "is required"))?,
    };
    let a = authority::in_room(ctx, Some(room.id)).await?;
    // before the target is looked up: a member who runs nothing learns
    // nothing about which accounts exist
    a.require(Power::Moderate)?;
    let target = target_of(ctx, args).await?;
    // staff rank above every room role: the target's is not needed
    let target_room_role = match a.is_staff() {
        true => None,
        false => authority::room_role_of(ctx, room.id, target.id).await?,
    };
    a.require_over(&target, target_room_role)?;
    Ok((a.by, target, Some(room)))
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
    let (by, target, room) = act_on(&ctx, &args, ErrorCode::NotInRoom).await?;
    let reason = reason(&args)?;
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
    let (by, target, room) = act_on(&ctx, &args, ErrorCode::NoSuchRoom).await?;
    let (duration_s, reason) = (duration(&args)?, reason(&args)?);
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
    let (by, target, room) = act_on(&ctx, &args, ErrorCode::NoSuchRoom).await?;
    perform(&ctx, by, Act::Unmute { target, room }).await
}

/// Without `room`: the account is banned from the server. With `room`: from
/// that room (`room_bans`); its sessions stay connected.
pub async fn ban(ctx: Ctx, args: Args) -> Outcome {
    let (by, target, room) = act_on(&ctx, &args, ErrorCode::NoSuchRoom).await?;
    let (duration_s, reason) = (duration(&args)?, reason(&args)?);
    perform(
        &ctx,
        by,
        Act::Ban {
            target,
            duration_s,
            reason,
            room,
        },
    )
    .await
}

pub async fn unban(ctx: Ctx, args: Args) -> Outcome {
    let (by, target, room) = act_on(&ctx, &args, ErrorCode::NoSuchRoom).await?;
    perform(&ctx, by, Act::Unban { target, room }).await
}

/// `set_room_role {room, user, role: op|member}`: the room's owner, or site
/// staff. The target must be a member; the owner's own role stays.
pub async fn set_room_role(ctx: Ctx, args: Args) -> Outcome {
    let role: RoomRole = args
        .str("role")?
        .parse()
        .map_err(|e: String| Failure::bad_field("role", e))?;
    if role == RoomRole::Owner {
        return Err(Failure::bad_field("role", "must be op or member"));
    }
    let room = room_target(&ctx, &args)
        .await?
        .ok_or_else(|| Failure::bad_field("room", "is required"))?;
    let a = authority::in_room(&ctx, Some(room.id)).await?;
    a.require(Power::Own)?;
    let target = target_of(&ctx, &args).await?;
    let target_room_role = authority::room_role_of(&ctx, room.id, target.id).await?;
    match target_room_role {
        None => {
            return Err(Failure::msg(
                ErrorCode::NotInRoom,
                format!("{} is not in {}", target.username, room.name),
            ))
        }
        Some(RoomRole::Owner) => {
            return Err(refuse(
                &a.by.name,
                &target.username,
                "the owner's room role cannot be changed",
            ))
        }
        Some(_) => {}
    }
    a.require_over(&target, target_room_role)?;
    if target.guest && role == RoomRole::Op {
        return Err(super::not_for_guests("be ops"));
    }
    perform(&ctx, a.by, Act::SetRoomRole { target, room, role }).await
}

/// Site staff delete any room message of an author ranked below them; a
/// room's owner or op, those of its plain users whose room role is below
/// theirs.
pub async fn delete_message(ctx: Ctx, args: Args) -> Outcome {
    let id = args
        .opt_int("message_id", 1, i64::MAX)?
        .map(MessageId)
        .ok_or_else(|| Failure::bad_field("message_id", "is required"))?;
    let me = ctx.user()?.clone();
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
    let a = match me.role >= Role::Moderator {
        true => Authority {
            by: me,
            room_role: None,
        },
        false => {
            let a = authority::in_room(&ctx, Some(room.id)).await?;
            a.require(Power::Moderate)?;
            a
        }
    };
    if let Some(author) = &author {
        let author_room_role = match a.is_staff() {
            true => None,
            false => authority::room_role_of(&ctx, room.id, author.id).await?,
        };
        if !a.may_act_on(author, author_room_role) {
            return Err(refuse(
                &a.by.name,
                &author.username,
                "the author's role is not below yours",
            ));
        }
    }
    let live = lookup(&ctx, &room.name).await?.ok_or_else(no_such)?;
    if live.id != room.id {
        return Err(no_such()); // a deleted room's, whose name is taken again
    }
    let target = RoomTarget {
        id: room.id,
        name: room.name,
        addr: live.addr,
    };
    perform(
        &ctx,
        a.by,
        Act::DeleteMessage {
            id,
            author: msg.sender_id,
            room: target,
        },
    )
    .await
}

/// Site staff read the whole record (or one room's, with `room`); a room's
/// owner or op reads only their room's, with `room`.
pub async fn modlog(ctx: Ctx, args: Args) -> Outcome {
    staff_or_room(&ctx, &args)?;
    let user = args.opt_str("user")?.map(str::to_owned);
    let action = args.opt_str("action")?.map(str::to_owned);
    let limit = args.opt_int("limit", 1, 200)?.unwrap_or(50);
    let before = args.opt_int("before", 1, i64::MAX)?;
    let room = match room_target(&ctx, &args).await? {
        None => {
            actor(&ctx, Role::Moderator)?;
            None
        }
        Some(r) => {
            authority::in_room(&ctx, Some(r.id))
                .await?
                .require(Power::Moderate)?;
            Some(r.id)
        }
    };
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
                    room,
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
    if target.guest && role != Role::User {
        return Err(super::not_for_guests("hold a role"));
    }
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
