//! One actor per connection, whatever the transport. It owns the login
//! state, answers every request exactly once and in request order, and owns
//! the outbound queue that everyone else pushes this client's events into.
//!
//! The transport's reader sends [`Inbound`] frames and waits for each to be
//! answered before reading the next, so requests run one at a time per
//! connection while events keep flowing; a client that sends faster than it
//! is answered is slowed by TCP, not buffered.

pub mod outbound;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix::prelude::*;
use serde_json::Value;

use self::outbound::Outbound;
use super::moderation::TakeAction;
use super::registry::{Connected, Disconnected, LoggedOut, Renamed};
use super::{ConnInfo, Env, SessionHandle, UserRef};
use crate::commands::{self, Command, Ctx, Effect};
use crate::error::{ErrorCode, Failure};
use crate::model::{Role, SessionId};
use crate::protocol::{self, framing::Frame, Outgoing, Request};
use crate::store::accounts;

// ---- The Session's API ----------------------------------------------------

/// A frame from the transport; resolves when its reply is queued.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Inbound(pub Frame);

/// Close the connection, after sending `event` if there is one.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Close {
    pub event: Option<Outgoing>,
    /// For the log.
    pub reason: &'static str,
}

impl Close {
    pub fn because(reason: &'static str) -> Close {
        Close {
            event: None,
            reason,
        }
    }
    pub fn with_event(event: Outgoing, reason: &'static str) -> Close {
        Close {
            event: Some(event),
            reason,
        }
    }
}

/// Graceful stop, first step: send `event`, read no more requests.
#[derive(Message)]
#[rtype(result = "()")]
pub struct BeginShutdown {
    pub event: Outgoing,
}

/// Resolves when no request of this session is in flight.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

/// The account's name or role changed elsewhere (rename from another
/// session, `set_role`): act on the new one from now on.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UserChanged {
    pub name: Option<String>,
    pub role: Option<Role>,
}

// ---- The actor ------------------------------------------------------------

pub struct Session {
    id: SessionId,
    env: Arc<Env>,
    out: Outbound,
    info: ConnInfo,
    user: Option<UserRef>,
    token_hash: Option<String>,
    /// Logged in as an IRC guest (`commands::account::guest`).
    guest: bool,
    /// The transport's reader task, stopped with the session.
    reader: Option<tokio::task::AbortHandle>,
    /// Requests started and not answered yet: one, or several consecutive
    /// `say`s (see [`PIPELINED`]).
    in_flight: usize,
    says_in_flight: usize,
    /// The unanswered requests' replies in request order, filled as they
    /// come; sent from the front.
    replies: VecDeque<Option<Outgoing>>,
    /// The sequence number of the next request.
    next_slot: u64,
    /// Waiting for every request in flight to be answered (the next
    /// request that cannot overlap them, or shutdown).
    drained: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// The one command a connection may have several of in flight. A chat
/// client or bot sends lines in bursts; answering one `say` at a time made
/// each wait for the previous one's commit, so a connection topped out at a
/// few hundred lines a second. Consecutive `say`s now share commits, their
/// ids follow request order (each is queued for the chat log before the
/// next is read), and replies still come one per request, in order. Any
/// other request waits until everything before it is answered, so it sees
/// their effects (a `history` after a `say` includes it).
const PIPELINED: &str = "say";
/// At most this many `say`s of one connection in flight; past it the
/// reader waits, and TCP slows the client down.
const MAX_PIPELINED: usize = 32;

/// Lets the connection's reader go on to the next request: fired when the
/// request is answered, or earlier by `say` once its text is queued for the
/// chat log (see [`PIPELINED`]). Only the first firing counts.
#[derive(Clone)]
pub struct Release(Arc<Mutex<Option<tokio::sync::oneshot::Sender<()>>>>);

impl Release {
    pub fn fire(&self) {
        let tx = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tx) = tx {
            let _ = tx.send(());
        }
    }
}

/// A frame, read.
enum Parsed {
    Run(&'static Command, protocol::Request),
    Refuse(Outgoing),
}

/// A started request: its place in the reply order, and the signal that
/// lets the reader go on.
struct Slot {
    seq: u64,
    is_say: bool,
    release: Release,
}

impl Slot {
    fn new(seq: u64, is_say: bool, release: Release) -> Slot {
        Slot {
            seq,
            is_say,
            release,
        }
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Session {
    /// Starts a session. `spawn_io` starts the transport's reader and writer
    /// tasks for this session's address and returns the reader's handle.
    pub fn start(
        env: Arc<Env>,
        info: ConnInfo,
        out: Outbound,
        spawn_io: impl FnOnce(Addr<Session>) -> tokio::task::AbortHandle,
    ) -> Addr<Session> {
        Session::create(move |ctx| {
            let reader = spawn_io(ctx.address());
            Session {
                id: SessionId(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
                env,
                out,
                info,
                user: None,
                token_hash: None,
                guest: false,
                reader: Some(reader),
                in_flight: 0,
                says_in_flight: 0,
                replies: VecDeque::new(),
                next_slot: 0,
                drained: Vec::new(),
            }
        })
    }

    /// A frame as a command to run, or the reply that refuses it.
    fn parse(&self, frame: Frame) -> Parsed {
        let refuse = |ty: Option<&str>, re: &Value, f: Failure| {
            self.env.metrics.error(f.code);
            Parsed::Refuse(Outgoing::reply(ty, re, Err(f)))
        };
        let line = match frame {
            Frame::TooLong => {
                let f = Failure::msg(
                    ErrorCode::LineTooLong,
                    format!(
                        "line longer than {} bytes; discarded",
                        self.env.config.limits.max_line_bytes
                    ),
                );
                return refuse(None, &Value::Null, f);
            }
            Frame::Binary => {
                let f = Failure::msg(
                    ErrorCode::BadJson,
                    "binary frames are not read: send each request as JSON in a text frame",
                );
                return refuse(None, &Value::Null, f);
            }
            Frame::Line(l) => l,
            Frame::Request(r) => return self.find(r, commands::find_for_gateway),
        };
        let req = match protocol::parse_request(&line) {
            Ok(r) => r,
            Err(u) => return refuse(u.ty.as_deref(), &u.re, u.failure),
        };
        self.find(req, commands::find)
    }

    /// The command a request names, or `unknown_command`.
    fn find(&self, req: Request, lookup: fn(&str) -> Option<&'static Command>) -> Parsed {
        match lookup(&req.ty) {
            Some(cmd) => Parsed::Run(cmd, req),
            None => {
                let f = Failure::msg(
                    ErrorCode::UnknownCommand,
                    format!("unknown command {:?}", req.ty),
                );
                self.env.metrics.error(f.code);
                Parsed::Refuse(Outgoing::reply(Some(&req.ty), &req.re, Err(f)))
            }
        }
    }

    /// Starts a request in the next reply slot. Resolves when the reader may
    /// go on: when the request is answered, or for `say` as soon as its text
    /// is queued for the chat log (so the next `say` gets a later id).
    fn begin(&mut self, parsed: Parsed, ctx: &mut Context<Self>) -> ResponseActFuture<Self, ()> {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.replies.push_back(None);
        self.in_flight += 1;
        let (cmd, req) = match parsed {
            Parsed::Refuse(reply) => {
                self.finish(slot, false, reply);
                return Box::pin(fut::ready(()));
            }
            Parsed::Run(cmd, req) => (cmd, req),
        };
        let is_say = cmd.name == PIPELINED;
        if is_say {
            self.says_in_flight += 1;
        }
        let (tx, released) = tokio::sync::oneshot::channel();
        let release = Release(Arc::new(Mutex::new(Some(tx))));
        ctx.spawn(self.execute(cmd, req, Slot::new(slot, is_say, release)));
        Box::pin(fut::wrap_future(released).map(|_, _, _| ()))
    }

    /// Reads the stored role first when the command's access depends on
    /// it, then runs it.
    fn execute(
        &mut self,
        cmd: &'static Command,
        req: Request,
        slot: Slot,
    ) -> ResponseActFuture<Self, ()> {
        if let (true, Some(u)) = (cmd.access.reads_stored_role(), &self.user) {
            let id = u.id;
            let lookup = self.env.db.run(move |c| accounts::find_by_id(c, id));
            return Box::pin(lookup.into_actor(self).then(move |stored, act, _ctx| {
                match stored {
                    Ok(Some(a)) => {
                        if let Some(u) = &mut act.user {
                            u.role = a.role;
                        }
                        act.run(cmd, req, slot)
                    }
                    // the account is gone: nothing it may do depends on a role
                    Ok(None) => act.run(cmd, req, slot),
                    Err(e) => {
                        let f: Failure = e.into();
                        act.env.metrics.error(f.code);
                        act.answer(slot, Outgoing::reply(Some(cmd.name), &req.re, Err(f)));
                        Box::pin(fut::ready(()))
                    }
                }
            }));
        }
        self.run(cmd, req, slot)
    }

    /// Checks access on the session's (fresh enough) role, runs the
    /// handler, and answers.
    fn run(
        &mut self,
        cmd: &'static Command,
        req: Request,
        slot: Slot,
    ) -> ResponseActFuture<Self, ()> {
        let allowed = cmd
            .access
            .check(self.user.as_ref())
            .and_then(|()| match &self.env.cluster {
                Some(c) if cmd.reach == crate::commands::Reach::OtherNodes => c.check(),
                _ => Ok(()),
            });
        if let Err(f) = allowed {
            self.env.metrics.error(f.code);
            self.answer(slot, Outgoing::reply(Some(cmd.name), &req.re, Err(f)));
            return Box::pin(fut::ready(()));
        }
        if let (crate::commands::Limit::Action, Some(u)) = (cmd.limit, &self.user) {
            let take = self.env.moderation.send(TakeAction { account: u.id });
            let re = req.re.clone();
            return Box::pin(take.into_actor(self).then(move |taken, act, _ctx| {
                let refused = match taken {
                    Ok(Ok(())) => None,
                    Ok(Err(f)) => Some(f),
                    Err(e) => Some(crate::commands::internal(e)),
                };
                match refused {
                    None => act.run_handler(cmd, req, slot),
                    Some(f) => {
                        act.env.metrics.error(f.code);
                        act.answer(slot, Outgoing::reply(Some(cmd.name), &re, Err(f)));
                        Box::pin(fut::ready(()))
                    }
                }
            }));
        }
        self.run_handler(cmd, req, slot)
    }

    /// Runs the handler of an allowed request and answers.
    fn run_handler(
        &mut self,
        cmd: &'static Command,
        req: Request,
        slot: Slot,
    ) -> ResponseActFuture<Self, ()> {
        let ctx = Ctx {
            env: self.env.clone(),
            session: self.id,
            ip: self.info.ip.clone(),
            user: self.user.clone(),
            token_hash: self.token_hash.clone(),
            guest: self.guest,
            queued: slot.release.clone(),
        };
        let re = req.re;
        Box::pin(
            (cmd.run)(ctx, req.args)
                .into_actor(self)
                .map(move |outcome, act, _ctx| {
                    let frame = match outcome {
                        Ok(reply) => {
                            act.apply(reply.effect);
                            Outgoing::reply(Some(cmd.name), &re, Ok(reply.fields))
                        }
                        Err(f) => {
                            act.env.metrics.error(f.code);
                            Outgoing::reply(Some(cmd.name), &re, Err(f))
                        }
                    };
                    act.answer(slot, frame);
                }),
        )
    }

    fn answer(&mut self, slot: Slot, reply: Outgoing) {
        slot.release.fire();
        self.finish(slot.seq, slot.is_say, reply);
    }

    /// Files a request's one reply and sends every reply that is now next
    /// in request order.
    fn finish(&mut self, seq: u64, is_say: bool, reply: Outgoing) {
        let first = self.next_slot - self.replies.len() as u64;
        if let Some(r) = self.replies.get_mut((seq - first) as usize) {
            *r = Some(reply);
        }
        while let Some(Some(_)) = self.replies.front() {
            if let Some(Some(r)) = self.replies.pop_front() {
                self.out.push(r);
            }
        }
        if self.replies.is_empty() {
            // an idle connection keeps no slots (160 bytes each)
            self.replies.shrink_to_fit();
        }
        self.in_flight -= 1;
        if is_say {
            self.says_in_flight -= 1;
        }
        if self.in_flight == 0 {
            for w in self.drained.drain(..) {
                let _ = w.send(());
            }
        }
    }

    fn connections(&self) -> prometheus_client::metrics::gauge::Gauge {
        self.env
            .metrics
            .connections
            .get_or_create_owned(&crate::metrics::Transport {
                transport: self.info.transport,
            })
    }

    /// The only place a session's login state changes.
    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::LoggedIn {
                user,
                token_hash,
                guest,
            } => {
                // the handler has registered it with the registry already
                // (`LoggedIn`, refused when a ban overtook the login)
                if self.user.is_none() {
                    self.env.metrics.sessions.inc();
                }
                self.user = Some(user);
                self.token_hash = token_hash;
                self.guest = guest;
            }
            Effect::Registered => self.guest = false,
            Effect::LoggedOut => {
                if self.user.is_some() {
                    self.env.metrics.sessions.dec();
                }
                self.env.registry.do_send(LoggedOut { session: self.id });
                self.user = None;
                self.token_hash = None;
                self.guest = false;
            }
            Effect::Renamed(new) => {
                if let Some(u) = &mut self.user {
                    u.name = new.clone();
                    self.env.registry.do_send(Renamed {
                        account: u.id,
                        session: self.id,
                        new,
                    });
                }
            }
        }
    }
}

impl Actor for Session {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.connections().inc();
        self.env.registry.do_send(Connected {
            handle: SessionHandle {
                id: self.id,
                out: self.out.clone(),
                addr: ctx.address(),
            },
            info: self.info.clone(),
        });
    }

    fn stopping(&mut self, _ctx: &mut Context<Self>) -> Running {
        self.connections().dec();
        if self.user.take().is_some() {
            self.env.metrics.sessions.dec();
        }
        self.env.registry.do_send(Disconnected { session: self.id });
        self.out.close();
        if let Some(r) = self.reader.take() {
            r.abort();
        }
        Running::Stop
    }
}

impl Handler<Inbound> for Session {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: Inbound, ctx: &mut Context<Self>) -> Self::Result {
        let parsed = self.parse(msg.0);
        let pipelined = matches!(&parsed, Parsed::Run(cmd, _) if cmd.name == PIPELINED)
            && self.in_flight == self.says_in_flight
            && self.in_flight < MAX_PIPELINED;
        if self.in_flight == 0 || pipelined {
            return self.begin(parsed, ctx);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.drained.push(tx);
        Box::pin(fut::wrap_future(rx).then(move |_, act: &mut Session, ctx| act.begin(parsed, ctx)))
    }
}

impl Handler<Close> for Session {
    type Result = ();
    fn handle(&mut self, msg: Close, ctx: &mut Context<Self>) {
        tracing::debug!(session = self.id.0, addr = %self.info.addr, reason = msg.reason, "closing connection");
        if let Some(ev) = msg.event {
            self.out.push(ev);
        }
        if self.in_flight == 0 {
            ctx.stop();
            return;
        }
        // Every request gets its one reply: a login that a kick overtook
        // between its registration and its reply, or says waiting for
        // their commit, are answered first (after the event), then the
        // connection closes. No new request is read meanwhile, and no
        // answer is waited for longer than two seconds.
        if let Some(r) = self.reader.take() {
            r.abort();
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.drained.push(tx);
        ctx.spawn(
            fut::wrap_future::<_, Self>(async move {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), rx).await;
            })
            .map(|_, _act, ctx| ctx.stop()),
        );
    }
}

impl Handler<BeginShutdown> for Session {
    type Result = ();
    fn handle(&mut self, msg: BeginShutdown, _ctx: &mut Context<Self>) {
        self.out.push(msg.event);
        if let Some(r) = self.reader.take() {
            r.abort();
        }
    }
}

impl Handler<Drain> for Session {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: Drain, _ctx: &mut Context<Self>) -> Self::Result {
        if self.in_flight == 0 {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.drained.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<UserChanged> for Session {
    type Result = ();
    fn handle(&mut self, msg: UserChanged, _ctx: &mut Context<Self>) {
        if let Some(u) = &mut self.user {
            if let Some(n) = msg.name {
                u.name = n;
            }
            if let Some(r) = msg.role {
                u.role = r;
            }
        }
    }
}
