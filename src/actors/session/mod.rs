//! One actor per connection, whatever the transport. It owns the login
//! state, answers every request exactly once and in request order, and owns
//! the outbound queue that everyone else pushes this client's events into.
//!
//! The transport's reader sends [`Inbound`] frames and waits for each to be
//! answered before reading the next, so requests run one at a time per
//! connection while events keep flowing; a client that sends faster than it
//! is answered is slowed by TCP, not buffered.

pub mod outbound;

use std::sync::Arc;

use actix::prelude::*;
use bytes::Bytes;
use serde_json::Value;

use self::outbound::Outbound;
use super::registry::{Connected, Disconnected, LoggedIn, LoggedOut, Renamed};
use super::{ConnInfo, Env, SessionHandle, UserRef};
use crate::commands::{self, Command, Ctx, Effect};
use crate::error::{ErrorCode, Failure};
use crate::model::{Role, SessionId};
use crate::protocol::{self, framing::Frame, Request};
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
    pub event: Option<Bytes>,
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
    pub fn with_event(event: Bytes, reason: &'static str) -> Close {
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
    pub event: Bytes,
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
    /// The transport's reader task, stopped with the session.
    reader: Option<tokio::task::AbortHandle>,
    /// A request is being answered.
    busy: bool,
    /// Waiting for the request in flight to be answered (shutdown).
    drained: Vec<tokio::sync::oneshot::Sender<()>>,
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
                reader: Some(reader),
                busy: false,
                drained: Vec::new(),
            }
        })
    }

    fn handle_frame(&mut self, frame: Frame) -> ResponseActFuture<Self, ()> {
        let line = match frame {
            Frame::TooLong => {
                let f = Failure::msg(
                    ErrorCode::LineTooLong,
                    format!(
                        "line longer than {} bytes; discarded",
                        self.env.config.limits.max_line_bytes
                    ),
                );
                self.refuse(None, &Value::Null, &f);
                return Box::pin(fut::ready(()));
            }
            Frame::Binary => {
                let f = Failure::msg(
                    ErrorCode::BadJson,
                    "binary frames are not read: send each request as JSON in a text frame",
                );
                self.refuse(None, &Value::Null, &f);
                return Box::pin(fut::ready(()));
            }
            Frame::Line(l) => l,
        };
        let req = match protocol::parse_request(&line) {
            Ok(r) => r,
            Err(u) => {
                self.refuse(u.ty.as_deref(), &u.re, &u.failure);
                return Box::pin(fut::ready(()));
            }
        };
        let Some(cmd) = commands::find(&req.ty) else {
            let f = Failure::msg(
                ErrorCode::UnknownCommand,
                format!("unknown command {:?}", req.ty),
            );
            self.refuse(Some(&req.ty), &req.re, &f);
            return Box::pin(fut::ready(()));
        };
        if let (true, Some(u)) = (cmd.access.reads_stored_role(), &self.user) {
            let id = u.id;
            let lookup = self.env.db.run(move |c| accounts::find_by_id(c, id));
            self.busy = true;
            return Box::pin(lookup.into_actor(self).then(move |stored, act, _ctx| {
                match stored {
                    Ok(Some(a)) => {
                        if let Some(u) = &mut act.user {
                            u.role = a.role;
                        }
                        act.run(cmd, req)
                    }
                    // the account is gone: nothing it may do depends on a role
                    Ok(None) => act.run(cmd, req),
                    Err(e) => {
                        let f: Failure = e.into();
                        act.env.metrics.error(f.code);
                        act.finish(protocol::error_reply(Some(cmd.name), &req.re, &f));
                        Box::pin(fut::ready(()))
                    }
                }
            }));
        }
        self.run(cmd, req)
    }

    /// Checks access on the session's (fresh enough) role, runs the
    /// handler, and answers.
    fn run(&mut self, cmd: &'static Command, req: Request) -> ResponseActFuture<Self, ()> {
        if let Err(f) = cmd.access.check(self.user.as_ref()) {
            self.env.metrics.error(f.code);
            self.finish(protocol::error_reply(Some(cmd.name), &req.re, &f));
            return Box::pin(fut::ready(()));
        }
        let ctx = Ctx {
            env: self.env.clone(),
            session: self.id,
            ip: self.info.ip.clone(),
            user: self.user.clone(),
            token_hash: self.token_hash.clone(),
        };
        let re = req.re;
        self.busy = true;
        Box::pin(
            (cmd.run)(ctx, req.args)
                .into_actor(self)
                .map(move |outcome, act, _ctx| {
                    let frame = match outcome {
                        Ok(reply) => {
                            act.apply(reply.effect);
                            protocol::ok_reply(cmd.name, &re, reply.fields)
                        }
                        Err(f) => {
                            act.env.metrics.error(f.code);
                            protocol::error_reply(Some(cmd.name), &re, &f)
                        }
                    };
                    act.finish(frame);
                }),
        )
    }

    /// Answers a frame that never reached a command (unreadable, unknown).
    fn refuse(&mut self, ty: Option<&str>, re: &Value, f: &Failure) {
        self.env.metrics.error(f.code);
        self.out.push(protocol::error_reply(ty, re, f));
    }

    /// Queues a request's one reply; the session is free for the next.
    fn finish(&mut self, reply: Bytes) {
        self.busy = false;
        for w in self.drained.drain(..) {
            let _ = w.send(());
        }
        self.out.push(reply);
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
                rooms,
            } => {
                if self.user.is_none() {
                    self.env.metrics.sessions.inc();
                }
                self.env.registry.do_send(LoggedIn {
                    session: self.id,
                    user: user.clone(),
                    rooms,
                });
                self.user = Some(user);
                self.token_hash = Some(token_hash);
            }
            Effect::LoggedOut => {
                if self.user.is_some() {
                    self.env.metrics.sessions.dec();
                }
                self.env.registry.do_send(LoggedOut { session: self.id });
                self.user = None;
                self.token_hash = None;
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
    fn handle(&mut self, msg: Inbound, _ctx: &mut Context<Self>) -> Self::Result {
        self.handle_frame(msg.0)
    }
}

impl Handler<Close> for Session {
    type Result = ();
    fn handle(&mut self, msg: Close, ctx: &mut Context<Self>) {
        tracing::debug!(session = self.id.0, addr = %self.info.addr, reason = msg.reason, "closing connection");
        if let Some(ev) = msg.event {
            self.out.push(ev);
        }
        ctx.stop();
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
        if !self.busy {
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
