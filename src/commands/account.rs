//! register, login, resume, logout, rename.

use chrono::TimeDelta;
use serde_json::json;

use super::{internal, Ctx, Effect, Outcome, Reply};
use crate::actors::moderation::{BanOf, CheckLogin, LoginFailed};
use crate::actors::UserRef;
use crate::auth::{hash_token, new_token};
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::Role;
use crate::protocol::Args;
use crate::store::accounts::{self, Account};
use crate::store::logins::{self, LoginAttempt};
use crate::store::{self, rooms, tokens, StoreError};
use crate::validate;

pub async fn register(ctx: Ctx, args: Args) -> Outcome {
    let username = args.str("username")?.to_owned();
    let password = args.str("password")?.to_owned();
    if !ctx.env.config.auth.open_registration {
        return Err(Failure::new(ErrorCode::RegistrationClosed));
    }
    validate::username(&username).map_err(|e| Failure::bad_field("username", e))?;
    validate::password(&password).map_err(|e| Failure::bad_field("password", e))?;
    let hash = ctx.env.passwords.hash(password).await.map_err(internal)?;
    let name = username.clone();
    let created = ctx
        .env
        .db
        .run(move |c| accounts::create(c, &name, &hash, Role::User))
        .await;
    match created {
        Ok(a) => {
            Reply::fields(fields!("user" => json!({"name": a.username, "role": a.role.as_str()})))
        }
        Err(StoreError::Conflict) => Err(Failure::msg(
            ErrorCode::UsernameTaken,
            format!("the name {username} is taken"),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn login(ctx: Ctx, args: Args) -> Outcome {
    let username = args.str("username")?.to_owned();
    let password = args.str("password")?.to_owned();
    let moderation = &ctx.env.moderation;
    if let Err(f) = moderation
        .send(CheckLogin { ip: ctx.ip.clone() })
        .await
        .map_err(internal)?
    {
        record(&ctx, None, &username, false, "rate_limited").await?;
        return Err(f);
    }
    let name = username.clone();
    let account = ctx
        .env
        .db
        .run(move |c| accounts::find_by_name(c, &name))
        .await?;
    let matches = ctx
        .env
        .passwords
        .verify(password, account.as_ref().map(|a| a.password_hash.clone()))
        .await
        .map_err(internal)?;
    match account {
        Some(a) if matches => start_session(&ctx, a, &username, "login", None).await,
        other => {
            moderation.do_send(LoginFailed { ip: ctx.ip.clone() });
            record(
                &ctx,
                other.map(|a| a.id),
                &username,
                false,
                "bad_credentials",
            )
            .await?;
            Err(Failure::new(ErrorCode::BadCredentials))
        }
    }
}

pub async fn resume(ctx: Ctx, args: Args) -> Outcome {
    let token = args.str("token")?.to_owned();
    let hash = hash_token(&token);
    let h = hash.clone();
    let found = ctx
        .env
        .db
        .run(move |c| tokens::resolve(c, &h, store::now()))
        .await?;
    match found {
        Some((a, _)) => {
            let name = a.username.clone();
            start_session(&ctx, a, &name, "resume", Some((token, hash))).await
        }
        None => {
            record(&ctx, None, "", false, "bad_token").await?;
            Err(Failure::new(ErrorCode::BadToken))
        }
    }
}

/// The end of a successful login or resume: the token (new, or the resumed
/// one with its expiry moved), the audit rows, the account's rooms.
async fn start_session(
    ctx: &Ctx,
    account: Account,
    attempted: &str,
    how: &'static str,
    resumed: Option<(String, String)>,
) -> Outcome {
    let ban = ctx
        .env
        .moderation
        .send(BanOf(account.id))
        .await
        .map_err(internal)?;
    if let Some(ban) = ban {
        record(ctx, Some(account.id), attempted, false, "banned").await?;
        return Err(ban.failure(ErrorCode::Banned, "banned"));
    }
    let now = store::now();
    let ttl =
        TimeDelta::seconds(ctx.env.config.auth.token_ttl_s.min(i64::MAX as u64 / 1000) as i64);
    let expires_at = now + ttl;
    let (token, token_hash) = resumed.unwrap_or_else(|| {
        let t = new_token();
        let h = hash_token(&t);
        (t, h)
    });
    let (id, h, ip, attempted) = (
        account.id,
        token_hash.clone(),
        ctx.ip.clone(),
        attempted.to_owned(),
    );
    let rooms = ctx
        .env
        .db
        .run(move |c| {
            if how == "resume" {
                tokens::extend(c, &h, expires_at)?;
            } else {
                tokens::insert(c, id, &h, expires_at)?;
            }
            logins::record(
                c,
                &LoginAttempt {
                    account_id: Some(id),
                    username: &attempted,
                    ip: &ip,
                    success: true,
                    reason: Some(how),
                    at: now,
                },
            )?;
            rooms::rooms_of(c, id)
        })
        .await?;
    let user = UserRef {
        id: account.id,
        name: account.username,
        role: account.role,
    };
    Ok(Reply {
        fields: fields!(
            "user" => json!({"name": &user.name, "role": user.role.as_str()}),
            "token" => token,
            "expires_at" => store::fmt_time(&expires_at),
            "rooms" => &rooms,
        ),
        effect: Effect::LoggedIn {
            user,
            token_hash,
            rooms,
        },
    })
}

/// A failed attempt for the audit trail.
async fn record(
    ctx: &Ctx,
    account_id: Option<i64>,
    username: &str,
    success: bool,
    reason: &'static str,
) -> Result<(), Failure> {
    let (name, ip) = (username.to_owned(), ctx.ip.clone());
    ctx.env
        .db
        .run(move |c| {
            logins::record(
                c,
                &LoginAttempt {
                    account_id,
                    username: &name,
                    ip: &ip,
                    success,
                    reason: Some(reason),
                    at: store::now(),
                },
            )
        })
        .await?;
    Ok(())
}

pub async fn logout(ctx: Ctx, _args: Args) -> Outcome {
    if let Some(h) = ctx.token_hash.clone() {
        ctx.env.db.run(move |c| tokens::revoke(c, &h)).await?;
    }
    Ok(Reply {
        fields: fields!(),
        effect: Effect::LoggedOut,
    })
}

pub async fn rename(ctx: Ctx, args: Args) -> Outcome {
    let new = args.str("username")?.to_owned();
    validate::username(&new).map_err(|e| Failure::bad_field("username", e))?;
    let user = ctx.user()?.clone();
    let n = new.clone();
    match ctx
        .env
        .db
        .run(move |c| accounts::rename(c, user.id, &n))
        .await
    {
        Ok(()) => Ok(Reply {
            fields: fields!("user" => json!({"name": &new, "role": user.role.as_str()})),
            effect: Effect::Renamed(new),
        }),
        Err(StoreError::Conflict) => Err(Failure::msg(
            ErrorCode::UsernameTaken,
            format!("the name {new} is taken"),
        )),
        Err(e) => Err(e.into()),
    }
}
