//! say and whisper: the texts that go into the chat log.
//!
//! [`gate`] is the one place every `say` and `whisper` passes before it is
//! logged: the text rules, then the Moderation actor (mutes, flood control,
//! the word filter).

use super::rooms::{lookup, room_arg};
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::moderation::Gate;
use crate::actors::registry::{OnlineByName, Whisper};
use crate::actors::room::{IsMember, PostMessage};
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{username_key, RoomId};
use crate::protocol::Args;
use crate::store::{self, accounts};
use crate::validate;

/// Checks a text before it may be logged and delivered.
/// The `text` field, checked against the text rules (once per request).
pub(super) fn text_arg(ctx: &Ctx, args: &Args) -> Result<String, Failure> {
    let text = args.str("text")?;
    validate::text(text, ctx.env.config.limits.max_text_chars)
        .map_err(|e| Failure::bad_field("text", e))?;
    Ok(text.to_owned())
}

/// The Moderation actor's word on a text already checked by [`text_arg`].
async fn gate(ctx: &Ctx, text: &str, room: Option<RoomId>) -> Result<UserRef, Failure> {
    let user = ctx.user()?.clone();
    ctx.env
        .moderation
        .send(Gate {
            user: user.clone(),
            room,
            text: text.to_owned(),
        })
        .await
        .map_err(internal)??;
    Ok(user)
}

pub async fn say(ctx: Ctx, args: Args) -> Outcome {
    let room_name = room_arg(&args)?;
    let text = text_arg(&ctx, &args)?;
    let action = args.flag("action")?;
    let not_in = || Failure::msg(ErrorCode::NotInRoom, format!("you are not in {room_name}"));
    let room = lookup(&ctx, &room_name).await?.ok_or_else(not_in)?;
    let me = ctx.user()?.id;
    if !room.addr.send(IsMember(me)).await.map_err(internal)? {
        return Err(not_in());
    }
    let user = gate(&ctx, &text, Some(room.id)).await?;
    let done = room
        .addr
        .send(PostMessage {
            user,
            session: ctx.session,
            text,
            action,
            queued: Some(ctx.queued.clone()),
        })
        .await
        .map_err(internal)??;
    Reply::fields(fields!("id" => done.id, "at" => store::fmt_time(&done.at)))
}

pub async fn whisper(ctx: Ctx, args: Args) -> Outcome {
    let to = args.str("to")?.to_owned();
    let text = text_arg(&ctx, &args)?;
    let action = args.flag("action")?;
    if validate::username(&to).is_err() {
        return Err(Failure::msg(
            ErrorCode::NoSuchUser,
            format!("no user {to:?}"),
        ));
    }
    if username_key(&to) == username_key(&ctx.user()?.name) {
        return Err(Failure::new(ErrorCode::CannotWhisperSelf));
    }
    // the recipient first: a whisper to nobody costs no flood token and no
    // filter strike
    let found = ctx
        .env
        .registry
        .send(OnlineByName(to.clone()))
        .await
        .map_err(internal)?;
    let Some(recipient) = found else {
        return Err(offline_or_unknown(&ctx, to).await);
    };
    let user = gate(&ctx, &text, None).await?;
    let sent = ctx
        .env
        .registry
        .send(Whisper {
            from: user,
            session: ctx.session,
            to: recipient,
            text,
            action,
        })
        .await
        .map_err(internal)?;
    match sent {
        Ok(done) => Reply::fields(fields!("id" => done.id, "at" => store::fmt_time(&done.at))),
        Err(f) if f.code == ErrorCode::UserOffline => Err(offline_or_unknown(&ctx, to).await),
        Err(f) => Err(f),
    }
}

/// `user_offline` for an account with no session, `no_such_user` otherwise.
async fn offline_or_unknown(ctx: &Ctx, to: String) -> Failure {
    let name = to.clone();
    match ctx
        .env
        .db
        .run(move |c| accounts::find_by_name(c, &name))
        .await
    {
        Ok(Some(a)) => Failure::msg(ErrorCode::UserOffline, format!("{} is offline", a.username)),
        Ok(None) => Failure::msg(ErrorCode::NoSuchUser, format!("no user {to}")),
        Err(e) => e.into(),
    }
}
