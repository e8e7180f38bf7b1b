//! say and whisper: the texts that go into the chat log.
//!
//! [`gate`] is the one place every `say` and `whisper` passes before it is
//! logged: the text rules now; mutes, the word filter and flood control
//! belong there too.

use super::rooms::{lookup, room_arg};
use super::{internal, Ctx, Outcome, Reply};
use crate::actors::registry::Whisper;
use crate::actors::room::PostMessage;
use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::username_key;
use crate::protocol::Args;
use crate::store::{self, accounts};
use crate::validate;

/// Checks a text before it may be logged and delivered.
fn gate(ctx: &Ctx, text: &str) -> Result<UserRef, Failure> {
    validate::text(text, ctx.env.config.limits.max_text_chars)
        .map_err(|e| Failure::bad_field("text", e))?;
    Ok(ctx.user()?.clone())
}

pub async fn say(ctx: Ctx, args: Args) -> Outcome {
    let room_name = room_arg(&args)?;
    let text = args.str("text")?.to_owned();
    let user = gate(&ctx, &text)?;
    let room = lookup(&ctx, &room_name)
        .await?
        .ok_or_else(|| Failure::msg(ErrorCode::NotInRoom, format!("you are not in {room_name}")))?;
    let done = room
        .addr
        .send(PostMessage {
            user,
            session: ctx.session,
            text,
        })
        .await
        .map_err(internal)??;
    Reply::fields(fields!("id" => done.id, "at" => store::fmt_time(&done.at)))
}

pub async fn whisper(ctx: Ctx, args: Args) -> Outcome {
    let to = args.str("to")?.to_owned();
    let text = args.str("text")?.to_owned();
    let user = gate(&ctx, &text)?;
    if validate::username(&to).is_err() {
        return Err(Failure::msg(
            ErrorCode::NoSuchUser,
            format!("no user {to:?}"),
        ));
    }
    if username_key(&to) == username_key(&user.name) {
        return Err(Failure::new(ErrorCode::CannotWhisperSelf));
    }
    let sent = ctx
        .env
        .registry
        .send(Whisper {
            from: user,
            session: ctx.session,
            to: to.clone(),
            text,
        })
        .await
        .map_err(internal)?;
    match sent {
        Ok(done) => Reply::fields(fields!("id" => done.id, "at" => store::fmt_time(&done.at))),
        Err(f) if f.code == ErrorCode::UserOffline => {
            let name = to.clone();
            let exists = ctx
                .env
                .db
                .run(move |c| accounts::find_by_name(c, &name))
                .await?;
            Err(match exists {
                Some(a) => {
                    Failure::msg(ErrorCode::UserOffline, format!("{} is offline", a.username))
                }
                None => Failure::msg(ErrorCode::NoSuchUser, format!("no user {to}")),
            })
        }
        Err(f) => Err(f),
    }
}
