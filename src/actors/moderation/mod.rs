//! The Moderation actor owns the policy state: mutes and bans in force, the
//! word filter, filter strikes, the flood-control buckets and the failed
//! login windows. It is the only writer of `moderation_actions`, and writes
//! each record in the same transaction as the action it records.
//!
//! Every `say` and `whisper` passes [`Gate`]; privileged commands arrive as
//! [`Perform`] after the command handler has checked rank on stored roles.
//! State is loaded from the database before the server accepts anyone, and
//! kept in memory: no query per message. Timed mutes and bans end by a timer
//! here (the stored `until` is checked again on load).

mod acts;
mod console;
pub mod filter;
pub mod limits;
mod room_acts;
mod room_roles;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::NaiveDateTime;
use diesel::Connection;
use serde_json::{Map, Value};

use self::filter::Filter;
use self::limits::{Buckets, LoginFailures};
use super::registry::{Registry, SendToUser};
use super::UserRef;
use crate::cluster::wire::Event as Wire;
use crate::cluster::Cluster;
use crate::config::Config;
use crate::error::{ErrorCode, Failure};
use crate::model::{AccountId, ModAction, RoomId};
use crate::protocol::Event;
use crate::store::moderation::{self as records, NewAction};
use crate::store::{self, Db, DbConn, StoreResult};

pub use acts::{Act, RoomTarget};

// ---- The Moderation actor's API -------------------------------------------

/// May this text be logged and delivered? Checks mutes, takes a flood token,
/// runs the word filter (recording a hit, and muting after too many).
#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct Gate {
    pub user: UserRef,
    /// The room for `say`; `None` for `whisper`.
    pub room: Option<RoomId>,
    pub text: String,
}

/// May this address try to log in (`name`: a `login` of that name; `None`:
/// a `resume`)? Refused past either failed-login window of the contract:
/// per address and name, and per address over all names.
#[derive(Message)]
#[rtype(result = "Result<(), Throttled>")]
pub struct CheckLogin {
    pub ip: String,
    pub name: Option<String>,
}

/// A refused attempt: the `rate_limited` reply, and whether this refusal
/// writes its `login_events` row (at most one a minute per address).
#[derive(Debug)]
pub struct Throttled {
    pub failure: Failure,
    pub record: bool,
}

/// A login (`name`) or resume (`None`) from this address failed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LoginFailed {
    pub ip: String,
    pub name: Option<String>,
}

/// A `register` from this address: counted, and refused past
/// `registrations_per_address_per_hour`.
#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct CheckRegister {
    pub ip: String,
}

/// May this account do one more act of the second bucket (join, leave,
/// create_room, rename, ...)?
#[derive(Message)]
#[rtype(result = "Result<(), Failure>")]
pub struct TakeAction {
    pub account: AccountId,
}

/// The mute in force on the account (globally, or in `room`): a muted
/// account's joins and leaves are not announced, and a muted admin does
/// not announce either.
#[derive(Message)]
#[rtype(result = "Option<Sanction>")]
pub struct MuteOf {
    pub account: AccountId,
    pub room: Option<RoomId>,
}

/// The ban in force on an account, if any.
#[derive(Message)]
#[rtype(result = "Option<Sanction>")]
pub struct BanOf(pub AccountId);

/// Carry out a privileged action (rank already checked) and record it.
#[derive(Message)]
#[rtype(result = "Result<Map<String, Value>, Failure>")]
pub struct Perform {
    pub by: UserRef,
    pub act: Act,
}

/// The filtered words.
#[derive(Message)]
#[rtype(result = "Vec<String>")]
pub struct ListFilter;

/// Reload mutes, bans and the filter from the database: another node of
/// the cluster changed them, or this node's link to the others was down.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload;

// ---- State -----------------------------------------------------------------

/// A mute or a ban in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanction {
    pub until: Option<NaiveDateTime>,
    pub reason: Option<String>,
    /// For room mutes: the room's name, for the events.
    pub room: Option<String>,
}

impl Sanction {
    fn active(&self, now: NaiveDateTime) -> bool {
        self.until.is_none_or(|u| u > now)
    }

    pub fn until_json(&self) -> Value {
        self.until
            .map_or(Value::Null, |u| store::fmt_time(&u).into())
    }

    /// The `muted` / `banned` error with `until` and `reason`; a `muted`
    /// also says which room (`null`: everywhere), as the contract's `say`
    /// row has it.
    pub fn failure(&self, code: ErrorCode, what: &str) -> Failure {
        let place = self
            .room
            .as_ref()
            .map_or(String::new(), |r| format!(" in {r}"));
        let message = match self.until {
            Some(u) => format!("{what}{place} until {}", store::fmt_time(&u)),
            None => format!("{what}{place} until further notice"),
        };
        let f = Failure::msg(code, message)
            .with("until", self.until_json())
            .with("reason", self.reason.clone());
        if code == ErrorCode::Muted {
            f.with("room", self.room.clone())
        } else {
            f
        }
    }
}

/// Global mutes are keyed with room 0, as stored.
const GLOBAL: RoomId = RoomId(0);

/// What is loaded before start: mutes and bans in force, filtered words,
/// and room names (for the events of room mutes).
pub struct Initial {
    pub mutes: Vec<records::MuteRow>,
    pub bans: Vec<records::BanRow>,
    pub words: Vec<String>,
    pub room_names: HashMap<RoomId, String>,
    /// The newest `moderation_actions` id, where the console watcher starts.
    pub last_action: i64,
}

impl Initial {
    pub fn load(conn: &mut DbConn) -> StoreResult<Initial> {
        let now = store::now();
        Ok(Initial {
            mutes: records::active_mutes(conn, now)?,
            bans: records::active_bans(conn, now)?,
            words: records::banned_words(conn)?,
            room_names: store::rooms::all(conn)?
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect(),
            last_action: records::last_action_id(conn)?,
        })
    }
}

pub struct Moderation {
    config: Arc<Config>,
    db: Db,
    registry: Addr<Registry>,
    mutes: HashMap<(AccountId, RoomId), Sanction>,
    bans: HashMap<AccountId, Sanction>,
    /// The ends of timed mutes and bans, earliest first, behind one timer:
    /// an actix context polls every timer it holds each time its actor
    /// runs, and this actor runs for every `say`, so a timer per sanction
    /// would make each message pay for every timed mute in force.
    expiries: std::collections::BTreeSet<(NaiveDateTime, Expiry)>,
    /// The timer for the earliest end, and that end.
    expiry_timer: Option<(NaiveDateTime, actix::SpawnHandle)>,
    filter: Filter,
    strikes: HashMap<AccountId, VecDeque<Instant>>,
    buckets: Buckets,
    /// The second bucket: join, leave, create_room, rename, ...
    actions: Buckets,
    /// Failed logins per address and name, and per address.
    logins: LoginFailures,
    address_logins: LoginFailures,
    /// When each throttled address last wrote its `rate_limited` row.
    throttle_rows: HashMap<String, Instant>,
    registrations: LoginFailures,
    console: console::ConsoleWatch,
    cluster: Option<Arc<Cluster>>,
}

impl Moderation {
    pub fn new(
        config: Arc<Config>,
        db: Db,
        registry: Addr<Registry>,
        initial: Initial,
        cluster: Option<Arc<Cluster>>,
    ) -> Moderation {
        let l = &config.limits;
        let mut m = Moderation {
            buckets: Buckets::new(l.say_burst, l.say_per_s),
            actions: Buckets::new(l.action_burst, l.action_per_s),
            logins: LoginFailures::new(l.login_failures_per_min, Duration::from_secs(60)),
            address_logins: LoginFailures::new(
                l.login_failures_per_address_per_min,
                Duration::from_secs(60),
            ),
            throttle_rows: HashMap::new(),
            registrations: LoginFailures::new(
                l.registrations_per_address_per_hour,
                Duration::from_secs(3600),
            ),
            filter: Filter::new(initial.words),
            mutes: HashMap::new(),
            bans: HashMap::new(),
            expiries: Default::default(),
            expiry_timer: None,
            strikes: HashMap::new(),
            console: console::ConsoleWatch {
                seen: initial.last_action,
                polling: false,
            },
            config,
            db,
            registry,
            cluster,
        };
        for row in initial.mutes {
            let room = initial.room_names.get(&row.room_id).cloned();
            m.mutes.insert(
                (row.account_id, row.room_id),
                Sanction {
                    until: row.until,
                    reason: row.reason,
                    room,
                },
            );
        }
        for row in initial.bans {
            m.bans.insert(
                row.account_id,
                Sanction {
                    until: row.until,
                    reason: row.reason,
                    room: None,
                },
            );
        }
        m
    }

    /// The mute that applies to `account` in `room` (global first).
    fn mute_of(
        &self,
        account: AccountId,
        room: Option<RoomId>,
        now: NaiveDateTime,
    ) -> Option<&Sanction> {
        let global = self.mutes.get(&(account, GLOBAL)).filter(|s| s.active(now));
        global
            .or_else(|| room.and_then(|r| self.mutes.get(&(account, r)).filter(|s| s.active(now))))
    }

    /// An event for every session of an account, on every node.
    fn tell(&self, account: AccountId, event: Event) {
        self.registry.do_send(SendToUser {
            account,
            event,
            everywhere: true,
            except: None,
        });
    }

    /// An event for the account's sessions on this node only: for what
    /// every node's actor does by itself (a timed mute running out).
    fn tell_here(&self, account: AccountId, event: Event) {
        self.registry.do_send(SendToUser {
            account,
            event,
            everywhere: false,
            except: None,
        });
    }

    /// Mutes, bans or the filter changed (stored already): the other
    /// nodes reload them.
    fn policy_changed(&self) {
        if let Some(c) = &self.cluster {
            c.publish(Wire::PolicyChanged);
        }
    }

    /// Takes mutes, bans and the filter as stored (another node changed
    /// them), arming timers for what is new.
    fn apply_policy(&mut self, ctx: &mut Context<Self>, initial: Initial) {
        let mut mutes = HashMap::new();
        for row in initial.mutes {
            let room = initial.room_names.get(&row.room_id).cloned();
            let s = Sanction {
                until: row.until,
                reason: row.reason,
                room,
            };
            let key = (row.account_id, row.room_id);
            if let (Some(u), false) = (s.until, self.mutes.get(&key) == Some(&s)) {
                self.arm_mute_timer(ctx, key, u);
            }
            mutes.insert(key, s);
        }
        let mut bans = HashMap::new();
        for row in initial.bans {
            let s = Sanction {
                until: row.until,
                reason: row.reason,
                room: None,
            };
            if let (Some(u), false) = (s.until, self.bans.get(&row.account_id) == Some(&s)) {
                self.arm_ban_timer(ctx, row.account_id, u);
            }
            bans.insert(row.account_id, s);
        }
        self.mutes = mutes;
        self.bans = bans;
        self.filter = Filter::new(initial.words);
    }

    /// Ends a mute at its `until`.
    fn arm_mute_timer(
        &mut self,
        ctx: &mut Context<Self>,
        key: (AccountId, RoomId),
        until: NaiveDateTime,
    ) {
        self.expiries.insert((until, Expiry::Mute(key.0, key.1)));
        self.arm_expiry(ctx);
    }

    /// Ends a ban at its `until`.
    fn arm_ban_timer(&mut self, ctx: &mut Context<Self>, account: AccountId, until: NaiveDateTime) {
        self.expiries.insert((until, Expiry::Ban(account)));
        self.arm_expiry(ctx);
    }

    /// Arms the one timer for the earliest end (capped at a day and armed
    /// again then, so a long sanction needs no far-future timer).
    fn arm_expiry(&mut self, ctx: &mut Context<Self>) {
        let Some(&(first, _)) = self.expiries.first() else {
            return;
        };
        if let Some((at, handle)) = self.expiry_timer {
            if at <= first {
                return;
            }
            ctx.cancel_future(handle);
        }
        let wait = (first - store::now())
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(86_400));
        let handle = ctx.run_later(wait + Duration::from_millis(1), |act, ctx| {
            act.expiry_timer = None;
            act.expire(ctx);
        });
        self.expiry_timer = Some((first, handle));
    }

    /// Ends the sanctions whose time has come; one replaced or lifted since
    /// (its `until` is not this one any more) is left alone.
    fn expire(&mut self, ctx: &mut Context<Self>) {
        let now = store::now();
        while let Some(&(until, what)) = self.expiries.first() {
            if until > now {
                break;
            }
            self.expiries.pop_first();
            match what {
                Expiry::Mute(account, room) => {
                    let key = (account, room);
                    let Some(s) = self.mutes.get(&key) else {
                        continue;
                    };
                    if s.until != Some(until) {
                        continue;
                    }
                    let room = s.room.clone();
                    self.mutes.remove(&key);
                    self.tell_here(account, Event::Unmuted { by: None, room });
                }
                Expiry::Ban(account) => {
                    if self
                        .bans
                        .get(&account)
                        .is_some_and(|s| s.until == Some(until))
                    {
                        self.bans.remove(&account);
                    }
                }
            }
        }
        self.arm_expiry(ctx);
    }

    /// A word-filter hit: recorded; too many in the window mute the sender.
    fn filter_hit(
        &mut self,
        user: &UserRef,
        room: Option<RoomId>,
        word: String,
    ) -> ResponseActFuture<Self, Result<(), Failure>> {
        let m = &self.config.moderation;
        let now = Instant::now();
        let window = Duration::from_secs(m.filter_window_s);
        let q = self.strikes.entry(user.id).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        let at = store::now();
        // the mute is in force only once its record is committed (below):
        // a mute with no record would be gone at the next restart, unexplained
        let auto = if q.len() >= m.filter_strikes as usize {
            q.clear();
            Some(at + chrono::TimeDelta::seconds(m.auto_mute_s as i64))
        } else {
            None
        };
        // how many more blocks the sender has before the automatic mute
        let strikes_left = (m.filter_strikes as usize).saturating_sub(q.len()) as u64;
        let strikes_left = if auto.is_some() { 0 } else { strikes_left };
        let target = user.id;
        let write = self.db.run(move |c| {
            c.transaction(|c| {
                records::record(
                    c,
                    &NewAction::new(ModAction::FilterBlock, at)
                        .target(target)
                        .room(room)
                        .detail(word),
                )?;
                if let Some(until) = auto {
                    records::put_mute(
                        c,
                        &records::MuteRow {
                            account_id: target,
                            room_id: GLOBAL,
                            until: Some(until),
                            reason: Some("word filter".into()),
                            actor_id: None,
                            created_at: at,
                        },
                    )?;
                    records::record(
                        c,
                        &NewAction::new(ModAction::AutoMute, at)
                            .target(target)
                            .reason(Some("word filter".into()))
                            .until(Some(until)),
                    )?;
                }
                Ok(())
            })
        });
        Box::pin(write.into_actor(self).map(move |res, act, ctx| {
            let written = match res {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, account = %target, "could not record a word-filter hit; no automatic mute");
                    false
                }
            };
            if let (Some(until), true) = (auto, written) {
                act.mutes.insert(
                    (target, GLOBAL),
                    Sanction {
                        until: Some(until),
                        reason: Some("word filter".into()),
                        room: None,
                    },
                );
                act.arm_mute_timer(ctx, (target, GLOBAL), until);
                act.policy_changed();
                tracing::info!(account = %target, "muted automatically after word-filter hits");
                act.tell(
                    target,
                    Event::Muted {
                        by: None,
                        until: Some(store::fmt_time(&until)),
                        reason: Some("word filter".into()),
                        room: None,
                    },
                );
            }
            Err(
                Failure::msg(ErrorCode::Blocked, "the text contains a filtered word")
                    .with("strikes_left", strikes_left),
            )
        }))
    }
}

/// What ends at a time: a mute (of an account, in a room or everywhere) or
/// a ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expiry {
    Mute(AccountId, RoomId),
    Ban(AccountId),
}

impl Actor for Moderation {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4096);
        let mutes: Vec<_> = self
            .mutes
            .iter()
            .filter_map(|(k, s)| s.until.map(|u| (*k, u)))
            .collect();
        for (k, u) in mutes {
            self.arm_mute_timer(ctx, k, u);
        }
        let bans: Vec<_> = self
            .bans
            .iter()
            .filter_map(|(k, s)| s.until.map(|u| (*k, u)))
            .collect();
        for (k, u) in bans {
            self.arm_ban_timer(ctx, k, u);
        }
        self.watch_console(ctx);
        ctx.run_interval(Duration::from_secs(60), |act, _| {
            let now = Instant::now();
            act.buckets.prune(now);
            act.actions.prune(now);
            act.logins.prune(now);
            act.address_logins.prune(now);
            act.registrations.prune(now);
            act.throttle_rows
                .retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
            let w = Duration::from_secs(act.config.moderation.filter_window_s);
            act.strikes
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < w));
        });
    }
}

impl Handler<Gate> for Moderation {
    type Result = ResponseActFuture<Self, Result<(), Failure>>;
    fn handle(&mut self, msg: Gate, _ctx: &mut Context<Self>) -> Self::Result {
        if let Some(s) = self.mute_of(msg.user.id, msg.room, store::now()) {
            return Box::pin(fut::ready(Err(s.failure(ErrorCode::Muted, "muted"))));
        }
        if let Err(wait) = self.buckets.take(msg.user.id, Instant::now()) {
            let ms = wait.as_millis().max(1) as u64;
            return Box::pin(fut::ready(Err(Failure::msg(
                ErrorCode::RateLimited,
                format!("slow down: try again in {ms} ms"),
            )
            .with("retry_after_ms", ms))));
        }
        match self.filter.first_match(&msg.text).map(str::to_owned) {
            Some(word) => self.filter_hit(&msg.user, msg.room, word),
            None => Box::pin(fut::ready(Ok(()))),
        }
    }
}

/// The per-name window's key: the address and the name as the server
/// compares names (case-insensitively).
fn name_key(ip: &str, name: &str) -> String {
    format!("{ip} {}", crate::model::username_key(name))
}

fn rate_limited(wait: Duration, what: &str) -> Failure {
    let ms = wait.as_millis().max(1) as u64;
    Failure::msg(
        ErrorCode::RateLimited,
        format!("{what}; try again in {} s", ms.div_ceil(1000)),
    )
    .with("retry_after_ms", ms)
}

impl Handler<CheckLogin> for Moderation {
    type Result = Result<(), Throttled>;
    fn handle(&mut self, msg: CheckLogin, _ctx: &mut Context<Self>) -> Self::Result {
        let now = Instant::now();
        let per_address = self.address_logins.check(&msg.ip, now);
        let per_name = match &msg.name {
            Some(n) => self.logins.check(&name_key(&msg.ip, n), now),
            None => Ok(()),
        };
        let wait = match (per_address, per_name) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(w), _) | (_, Err(w)) => w,
        };
        let record = match self.throttle_rows.get(&msg.ip) {
            Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
            _ => {
                self.throttle_rows.insert(msg.ip.clone(), now);
                true
            }
        };
        Err(Throttled {
            failure: rate_limited(wait, "too many failed logins from this address"),
            record,
        })
    }
}

impl Handler<LoginFailed> for Moderation {
    type Result = ();
    fn handle(&mut self, msg: LoginFailed, _ctx: &mut Context<Self>) {
        let now = Instant::now();
        self.address_logins.failed(&msg.ip, now);
        if let Some(n) = &msg.name {
            self.logins.failed(&name_key(&msg.ip, n), now);
        }
    }
}

impl Handler<CheckRegister> for Moderation {
    type Result = Result<(), Failure>;
    fn handle(&mut self, msg: CheckRegister, _ctx: &mut Context<Self>) -> Self::Result {
        let now = Instant::now();
        self.registrations
            .check(&msg.ip, now)
            .map_err(|w| rate_limited(w, "too many registrations from this address"))?;
        self.registrations.failed(&msg.ip, now);
        Ok(())
    }
}

impl Handler<TakeAction> for Moderation {
    type Result = Result<(), Failure>;
    fn handle(&mut self, msg: TakeAction, _ctx: &mut Context<Self>) -> Self::Result {
        self.actions
            .take(msg.account, Instant::now())
            .map_err(|wait| {
                let ms = wait.as_millis().max(1) as u64;
                Failure::msg(
                    ErrorCode::RateLimited,
                    format!("slow down: try again in {ms} ms"),
                )
                .with("retry_after_ms", ms)
            })
    }
}

impl Handler<MuteOf> for Moderation {
    type Result = Option<Sanction>;
    fn handle(&mut self, msg: MuteOf, _ctx: &mut Context<Self>) -> Option<Sanction> {
        self.mute_of(msg.account, msg.room, store::now()).cloned()
    }
}

impl Handler<BanOf> for Moderation {
    type Result = Option<Sanction>;
    fn handle(&mut self, msg: BanOf, _ctx: &mut Context<Self>) -> Self::Result {
        self.bans
            .get(&msg.0)
            .filter(|s| s.active(store::now()))
            .cloned()
    }
}

impl Handler<ListFilter> for Moderation {
    type Result = Vec<String>;
    fn handle(&mut self, _: ListFilter, _ctx: &mut Context<Self>) -> Vec<String> {
        self.filter.list()
    }
}

impl Handler<Reload> for Moderation {
    type Result = ();
    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        let load = self.db.run(Initial::load);
        // in order with other reloads and with this node's own acts
        ctx.wait(load.into_actor(self).map(|res, act, ctx| match res {
            Ok(initial) => act.apply_policy(ctx, initial),
            Err(e) => tracing::warn!(error = %e, "cannot reload mutes, bans and the filter"),
        }));
    }
}

impl Handler<Perform> for Moderation {
    type Result = ResponseActFuture<Self, Result<Map<String, Value>, Failure>>;
    fn handle(&mut self, msg: Perform, ctx: &mut Context<Self>) -> Self::Result {
        self.perform(msg.by, msg.act, ctx)
    }
}
