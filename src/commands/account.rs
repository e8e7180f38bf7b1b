//! register, login, resume, logout, rename, and an IRC guest's login.

use chrono::TimeDelta;
use serde_json::json;

use super::{internal, Ctx, Effect, Outcome, Reply};
use crate::actors::moderation::{CheckLogin, CheckRegister, LoginFailed, Sanction, Throttled};
use crate::actors::registry::{
    CloseSession, CloseUser, IsOnline, LoggedIn, Refused, TakeLoginTicket,
};
use crate::actors::UserRef;
use crate::auth::{hash_token, new_token};
use crate::config::MAX_TOKEN_TTL_S;
use crate::error::{ErrorCode, Failure};
use crate::fields;
use crate::model::{username_key, AccountId, Role};
use crate::names;
use crate::protocol::Args;
use crate::protocol::Event;
use crate::store::accounts::{self, Account, NameClash};
use crate::store::logins::{self, LoginAttempt};
use crate::store::{self, moderation, rooms, tokens, StoreError};
use crate::validate;

pub async fn register(ctx: Ctx, args: Args) -> Outcome {
    let username = args.str("username")?.to_owned();
    let password = args.str("password")?.to_owned();
    if !ctx.env.config.auth.open_registration {
        return Err(Failure::new(ErrorCode::RegistrationClosed));
    }
    // counted before anything costs: a storm from one address stops here
    ctx.env
        .moderation
        .send(CheckRegister { ip: ctx.ip.clone() })
        .await
        .map_err(internal)??;
    validate::username(&username).map_err(|e| Failure::bad_field("username", e))?;
    validate::password_min(&password, ctx.env.config.auth.min_password_bytes)
        .map_err(|e| Failure::bad_field("password", e))?;
    // a guest's name is free while the guest is away: the row is taken
    // over (contract, "IRC gateway")
    let n = username.clone();
    let guest = ctx.env.db.run(move |c| accounts::guest_of(c, &n)).await?;
    // a guest registering its own name: the row becomes its account, and
    // this session stays logged in as it
    let own = guest.is_some() && ctx.guest && ctx.user.as_ref().map(|u| u.id) == guest;
    if let (Some(id), false) = (guest, own) {
        if ctx
            .env
            .registry
            .send(IsOnline(id))
            .await
            .map_err(internal)?
        {
            return Err(Failure::msg(
                ErrorCode::UsernameTaken,
                format!("the name {username} is in use by a guest"),
            ));
        }
    }
    // the name before the hash: a taken, look-alike, reserved or held name
    // costs one query, not a bcrypt hash
    name_free(&ctx, &username, guest.map(|id| (id, username.as_str()))).await?;
    let hash = ctx.env.passwords.hash(password).await.map_err(internal)?;
    let (name, held) = (username.clone(), hold_start(&ctx));
    let created = ctx
        .env
        .db
        .run(move |c| accounts::create_unless_held(c, &name, &hash, Role::User, held))
        .await;
    match created {
        Ok((a, true)) if own => Ok(Reply {
            fields: fields!("user" => json!({"name": a.username, "role": a.role.as_str()})),
            effect: Effect::Registered,
        }),
        Ok((a, took_over)) => {
            if took_over {
                // a guest of that name that connected meanwhile is not
                // logged into a registered account
                ctx.env.registry.do_send(CloseUser {
                    account: a.id,
                    event: Event::Kicked {
                        by: None,
                        reason: Some("the name was registered".into()),
                        room: None,
                    },
                    reason: "kicked",
                    everywhere: true,
                });
            }
            Reply::fields(fields!("user" => json!({"name": a.username, "role": a.role.as_str()})))
        }
        Err(StoreError::Conflict) => Err(taken_failure(&username)),
        Err(e) => Err(e.into()),
    }
}

fn taken_failure(name: &str) -> Failure {
    Failure::msg(
        ErrorCode::UsernameTaken,
        format!("the name {name} is taken"),
    )
}

pub async fn login(ctx: Ctx, args: Args) -> Outcome {
    let username = args.str("username")?.to_owned();
    let password = args.str("password")?.to_owned();
    throttle(&ctx, Some(&username)).await?;
    let name = username.clone();
    let account = ctx
        .env
        .db
        .run(move |c| accounts::find_by_name(c, &name))
        .await?;
    let matches = ctx
        .env
        .passwords
        // a guest's row has no password: as for an unknown name, the hash
        // is still paid, so the answer's time says nothing
        .verify(
            password,
            account.as_ref().and_then(|a| a.password_hash.clone()),
        )
        .await
        .map_err(internal)?;
    match account {
        Some(a) if matches => start_session(&ctx, a, &username, Start::Login).await,
        other => {
            ctx.env.moderation.do_send(LoginFailed {
                ip: ctx.ip.clone(),
                name: Some(username.clone()),
            });
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

/// Refuses a `login` (with the name) or `resume` (without) from an address
/// past its failed-login limits. While throttled, an address writes at
/// most one `login_events` row a minute: a flood of refused attempts must
/// not become a flood of audit rows.
async fn throttle(ctx: &Ctx, name: Option<&str>) -> Result<(), Failure> {
    let checked = ctx
        .env
        .moderation
        .send(CheckLogin {
            ip: ctx.ip.clone(),
            name: name.map(str::to_owned),
        })
        .await
        .map_err(internal)?;
    match checked {
        Ok(()) => Ok(()),
        Err(Throttled {
            failure,
            record: true,
        }) => {
            record(ctx, None, name.unwrap_or(""), false, "rate_limited").await?;
            Err(failure)
        }
        Err(Throttled { failure, .. }) => Err(failure),
    }
}

pub async fn resume(ctx: Ctx, args: Args) -> Outcome {
    let token = args.str("token")?.to_owned();
    throttle(&ctx, None).await?;
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
            start_session(&ctx, a, &name, Start::Resume { token, hash }).await
        }
        None => {
            ctx.env.moderation.do_send(LoginFailed {
                ip: ctx.ip.clone(),
                name: None,
            });
            record(&ctx, None, "", false, "bad_token").await?;
            Err(Failure::new(ErrorCode::BadToken))
        }
    }
}

/// The end of a successful login or resume: the token (new, or the resumed
/// one with its expiry moved), the audit rows, the account's rooms.
///
/// No session may outlive a ban that was acknowledged, however the login
/// and the ban interleave: the ticket is taken before anything is read,
/// the ban is read from the database (a ban committed on any node counts),
/// and the registry refuses the session if the account's sessions were
/// closed after the ticket; a ban after that finds the session registered
/// and closes it.
async fn start_session(ctx: &Ctx, account: Account, attempted: &str, start: Start) -> Outcome {
    let how = start.how();
    let ticket = ctx
        .env
        .registry
        .send(TakeLoginTicket)
        .await
        .map_err(internal)?;
    let now = store::now();
    // at most 366 days (config validation), so this cannot overflow
    let ttl = TimeDelta::seconds(ctx.env.config.auth.token_ttl_s.min(MAX_TOKEN_TTL_S) as i64);
    let expires_at = now + ttl;
    // a guest gets no token: nothing may log in as it again but a guest
    // of the same name, and only while nobody uses it
    let token = match start {
        Start::Login => {
            let t = new_token();
            let h = hash_token(&t);
            Some((t, h))
        }
        Start::Resume { token, hash } => Some((token, hash)),
        Start::Guest => None,
    };
    let token_hash = token.as_ref().map(|(_, h)| h.clone());
    let (id, h, ip, attempted_name) = (
        account.id,
        token_hash.clone(),
        ctx.ip.clone(),
        attempted.to_owned(),
    );
    let started = ctx
        .env
        .db
        .run(move |c| {
            let ban = moderation::ban_of(c, id, now)?;
            let reason = if ban.is_some() { "banned" } else { how };
            logins::record(
                c,
                &LoginAttempt {
                    account_id: Some(id),
                    username: &attempted_name,
                    ip: &ip,
                    success: ban.is_none(),
                    reason: Some(reason),
                    at: now,
                },
            )?;
            if let Some(ban) = ban {
                return Ok(Err(ban));
            }
            match (how, &h) {
                ("resume", Some(h)) => tokens::extend(c, h, expires_at)?,
                (_, Some(h)) => tokens::insert(c, id, h, expires_at)?,
                (_, None) => {}
            }
            Ok(Ok(rooms::rooms_of(c, id)?))
        })
        .await?;
    let rooms = match started {
        Ok(rooms) => rooms,
        Err(ban) => return Err(ban_failure(&ban)),
    };
    let user = UserRef {
        id: account.id,
        name: account.username,
        role: account.role,
    };
    let admitted = ctx
        .env
        .registry
        .send(LoggedIn {
            session: ctx.session,
            user: user.clone(),
            rooms: rooms.clone(),
            ticket,
            exclusive: account.guest,
        })
        .await
        .map_err(internal)?;
    let event = match admitted {
        Ok(()) => None,
        Err(Refused::InUse) => {
            return Err(Failure::msg(
                ErrorCode::UsernameTaken,
                format!("the name {} is in use by another guest", user.name),
            ))
        }
        Err(Refused::Closed(event)) => Some(event),
    };
    if let Some(event) = event {
        // overtaken by a ban, a kick or a password change: a token this
        // login made must not outlive it (a resumed one stays, as the
        // account's other tokens do: a ban keeps tokens). This request is
        // answered (its reply is queued as the handler returns, before the
        // registry gets to the close), then the connection gets the event
        // and is closed.
        let h = token_hash.clone();
        let ban = ctx
            .env
            .db
            .run(move |c| {
                if let ("login", Some(h)) = (how, &h) {
                    tokens::revoke(c, h)?;
                }
                moderation::ban_of(c, id, store::now())
            })
            .await;
        ctx.env.registry.do_send(CloseSession {
            session: ctx.session,
            event,
        });
        return Err(match ban? {
            Some(b) => ban_failure(&b),
            None => Failure::msg(
                ErrorCode::BadCredentials,
                "the account's sessions were closed while this login was in progress",
            ),
        });
    }
    let mut fields = fields!(
        "user" => json!({"name": &user.name, "role": user.role.as_str()}),
        "rooms" => &rooms,
    );
    if let Some((token, _)) = token {
        fields.insert("token".into(), token.into());
        fields.insert("expires_at".into(), store::fmt_time(&expires_at).into());
    } else {
        fields.insert("guest".into(), true.into());
    }
    Ok(Reply {
        fields,
        effect: Effect::LoggedIn {
            user,
            token_hash,
            guest: account.guest,
        },
    })
}

/// How a session starts: the `how` of its `login_events` row, and its token.
enum Start {
    /// A new token.
    Login,
    /// The token it came with, its expiry moved.
    Resume { token: String, hash: String },
    /// An IRC guest: no token.
    Guest,
}

impl Start {
    fn how(&self) -> &'static str {
        match self {
            Start::Login => "login",
            Start::Resume { .. } => "resume",
            Start::Guest => "guest",
        }
    }
}

/// An IRC guest's login (`[irc] guests = true`): NICK and USER without an
/// account. A gateway-only command (`commands::GATEWAY_COMMANDS`): the
/// JSON transports do not know it. The name is the guest row's of that
/// name, made on first use; a registered account's name, a look-alike, a
/// reserved or held name, or a guest row in use is `username_taken` (433).
/// A new row counts as a registration of its address; every attempt is a
/// `login_events` row (reason `guest`).
pub async fn guest(ctx: Ctx, args: Args) -> Outcome {
    let username = args.str("username")?.to_owned();
    if !ctx.env.config.irc.guests {
        return Err(Failure::msg(
            ErrorCode::Forbidden,
            "guests are not allowed: log in with an account",
        ));
    }
    throttle(&ctx, Some(&username)).await?;
    validate::username(&username).map_err(|e| Failure::bad_field("username", e))?;
    if names::is_reserved(&username, &ctx.env.config.auth.reserved_names) {
        return Err(Failure::msg(
            ErrorCode::UsernameTaken,
            format!("the name {username} is reserved"),
        ));
    }
    let name = username.clone();
    let known = ctx
        .env
        .db
        .run(move |c| accounts::find_by_name(c, &name))
        .await?;
    if known.is_none() {
        // a new row: as many a hour from one address as registrations
        ctx.env
            .moderation
            .send(CheckRegister { ip: ctx.ip.clone() })
            .await
            .map_err(internal)??;
    }
    let (name, held) = (username.clone(), hold_start(&ctx));
    let claimed = ctx
        .env
        .db
        .run(move |c| accounts::claim_guest(c, &name, held))
        .await?;
    match claimed {
        Ok((account, _)) => start_session(&ctx, account, &username, Start::Guest).await,
        Err(clash) => Err(clash_failure(&username, clash)),
    }
}

fn ban_failure(ban: &moderation::BanRow) -> Failure {
    Sanction {
        until: ban.until,
        reason: ban.reason.clone(),
        room: None,
    }
    .failure(ErrorCode::Banned, "banned")
}

/// A failed attempt for the audit trail.
async fn record(
    ctx: &Ctx,
    account_id: Option<AccountId>,
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
    if ctx.guest {
        // a guest is its name; it reconnects with another
        return Err(super::not_for_guests("change their name"));
    }
    name_free(&ctx, &new, Some((user.id, &user.name))).await?;
    let (n, held) = (new.clone(), hold_start(&ctx));
    match ctx
        .env
        .db
        .run(move |c| accounts::rename_unless_held(c, user.id, &n, held))
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

/// The contract's rules on which names may be taken, beyond their
/// characters (docs/protocol.md, "Names"): not reserved, not another
/// account's in any letter case or look-alike, not held after another
/// account gave it up by `rename`. `me` is the renaming account and its
/// current name: its own name, re-cased or as a look-alike, stays allowed
/// even when reserved (the console may have created it). Checked before the
/// work a request costs; the store checks again in the write's transaction.
async fn name_free(ctx: &Ctx, name: &str, me: Option<(AccountId, &str)>) -> Result<(), Failure> {
    let own = me.is_some_and(|(_, current)| {
        username_key(current) == username_key(name)
            || names::skeleton_key(current) == names::skeleton_key(name)
    });
    if !own && names::is_reserved(name, &ctx.env.config.auth.reserved_names) {
        return Err(Failure::msg(
            ErrorCode::UsernameTaken,
            format!("the name {name} is reserved"),
        ));
    }
    let (n, id, held) = (name.to_owned(), me.map(|(id, _)| id), hold_start(ctx));
    let clash = ctx
        .env
        .db
        .run(move |c| accounts::name_clash(c, &n, id, held))
        .await?;
    match clash {
        None => Ok(()),
        Some(c) => Err(clash_failure(name, c)),
    }
}

fn clash_failure(name: &str, clash: NameClash) -> Failure {
    let why = match clash {
        NameClash::Taken => "is taken",
        NameClash::LooksLike => "looks like an existing name",
        NameClash::Held => "was given up recently and is held for its previous owner",
    };
    Failure::msg(ErrorCode::UsernameTaken, format!("the name {name} {why}"))
}

/// Names given up by `rename` after this time are held; None when
/// `[auth] name_hold_days` is 0.
fn hold_start(ctx: &Ctx) -> Option<chrono::NaiveDateTime> {
    let days = ctx.env.config.auth.name_hold_days;
    (days > 0).then(|| store::now() - TimeDelta::days(i64::from(days)))
}
