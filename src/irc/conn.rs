//! One IRC connection: a reader task that turns IRC lines into the
//! requests every other transport makes (handed to the same Session), and
//! a writer task that turns what the Session sends (typed events and
//! replies) into IRC lines. The connection's IRC state ([`IrcState`]) is
//! all the gateway keeps of its own.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::Addr;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use super::control::{self, ControlRx, ControlTx};
use super::line::{self, Line, LineError, MAX_BODY_LEN, MAX_TAGS_LEN};
use super::render::{self, Control, Out};
use super::state::{cap_list, known_cap, IrcState, Pending, Sasl, SaslStep, Stage, SASL_CHUNK};
use crate::actors::session::outbound::{self, Next, OutboundRx};
use crate::actors::session::{Close, Inbound, Session};
use crate::actors::{ConnInfo, Env};
use crate::protocol::framing::{Frame, LineReader};
use crate::protocol::{Args, Outgoing, Request};
use crate::store;
use crate::transport::admission::Slot;
use crate::transport::lazy_read::LazyBufReader;
use crate::transport::workers::Workers;
use crate::transport::writing::{self, Batch, Outcome};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// NAMES, LIST, TOPIC, WHO, WHOIS, NICK, KICK, MODE, VERSION; a child
/// module, so it uses the reader's state and helpers as they are.
#[path = "rooms_users.rs"]
mod rooms_users;

/// CHATHISTORY, MARKREAD, REDACT and labeled-response; a child module too.
#[path = "history.rs"]
mod history;
#[path = "modserv.rs"]
pub(crate) mod modserv;
#[path = "register.rs"]
pub(crate) mod register;

type Shared = Arc<Mutex<IrcState>>;

fn lock(st: &Shared) -> std::sync::MutexGuard<'_, IrcState> {
    st.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts an admitted IRC connection: its Session, reader and writer.
pub fn start<R, W>(
    env: &Arc<Env>,
    rd: R,
    wr: W,
    client: SocketAddr,
    transport: &'static str,
    held: (Slot, Arc<()>),
    workers: &Workers,
) where
    R: AsyncRead + Unpin + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let limits = &env.config.limits;
    let (out, rx) = outbound::channel(limits.max_outbound_bytes);
    let idle = env.config.idle_timeout();
    let info = ConnInfo {
        ip: client.ip().to_string(),
        addr: client.to_string(),
        transport,
        since: store::now(),
    };
    let state: Shared = Arc::new(Mutex::new(IrcState::new()));
    let (ctl_tx, ctl_rx) = control::channel();
    let server = env.config.irc.server_name.clone();
    let network = env.config.irc.network.clone();
    let writer = workers.pick();
    let gate = Gateway {
        env: env.clone(),
        out: out.clone(),
        state: state.clone(),
        server: server.clone(),
        network: network.clone(),
        rooms: Vec::new(),
        login_pending: false,
        logged_in: false,
    };
    Session::start(env.clone(), info, out, move |addr| {
        let session = addr.clone();
        let names = (server, network);
        if !writer.spawn(write_loop(wr, rx, addr.clone(), state, names, ctl_tx, held)) {
            session.do_send(Close::because("server stopping"));
        }
        actix_rt::spawn(read_loop(rd, addr, gate, ctl_rx, idle)).abort_handle()
    });
}

/// The reader's side: what it needs to answer lines and make requests.
struct Gateway {
    env: Arc<Env>,
    out: outbound::Outbound,
    state: Shared,
    server: String,
    network: String,
    /// The account's rooms at login: the JOIN burst after the welcome.
    rooms: Vec<String>,
    /// A login (SASL, PASS, REGISTER) was sent and its outcome has not
    /// come back: registration waits for it.
    login_pending: bool,
    /// The outcome came back logged in. Decided here, by the reader, not
    /// from the writer's copy of the account: the writer learns it first,
    /// and a CAP END read in between must not start the welcome before the
    /// rooms of the JOIN burst are known.
    logged_in: bool,
}

/// Whether the reader goes on.
enum Flow {
    Go,
    Stop(&'static str),
}

async fn read_loop<R: AsyncRead + Unpin>(
    rd: R,
    session: Addr<Session>,
    mut g: Gateway,
    mut ctl: ControlRx,
    idle: Duration,
) {
    // tags and body, each at its own limit, plus the space between
    let mut lines = LineReader::new(LazyBufReader::new(rd), MAX_TAGS_LEN + MAX_BODY_LEN + 1);
    // after half the idle timeout without a line the server PINGs: a client
    // that answers is not idle (docs/irc.md, "Framing")
    let mut pinged = false;
    let why = loop {
        let wait = if pinged { idle / 2 } else { idle - idle / 2 };
        let flow = tokio::select! {
            // while a login is out, registration waits for its outcome and
            // so do the lines after it: a bot that sends PASS, NICK, USER and
            // JOIN at once gets its JOIN after 001, as from a server that
            // logs in synchronously (Ergo), not a 451
            next = tokio::time::timeout(wait, lines.next()), if !g.login_pending => match next {
                Err(_) if !pinged => {
                    pinged = true;
                    let server = g.server.clone();
                    g.with_out(|out, _| out.server_line("PING", &[&server]));
                    continue;
                }
                Err(_) => Flow::Stop("idle timeout"),
                Ok(Err(_)) => Flow::Stop("read error"),
                Ok(Ok(None)) => Flow::Stop("peer closed"),
                Ok(Ok(Some(Frame::Line(l)))) => {
                    pinged = false;
                    // boxed, as below: a command's state is large (2 KB),
                    // and unboxed every idle connection's task would hold it
                    Box::pin(g.labeled_line(&l, &session)).await
                }
                Ok(Ok(Some(_))) => {
                    g.numeric("417", &["Input line was too long"]);
                    Flow::Go
                }
            },
            Some(c) = ctl.recv() => Box::pin(g.labeled_control(c, &session)).await,
            // no writer to answer a login that is out: nothing can go on
            else => Flow::Stop("writer gone"),
        };
        if let Flow::Stop(why) = flow {
            break why;
        }
    };
    session.do_send(Close::because(why));
}

impl Gateway {
    /// Queues lines made here (numerics, CAP) in order with the Session's.
    fn push(&self, buf: Vec<u8>) {
        if !buf.is_empty() {
            self.out.push(Outgoing::Line(buf.into()));
        }
    }

    fn with_out(&self, f: impl FnOnce(&mut Out<'_>, &mut IrcState)) {
        let mut st = lock(&self.state);
        let mut out = Out {
            buf: Vec::new(),
            server: &self.server,
            network: &self.network,
        };
        f(&mut out, &mut st);
        // a labeled command's lines wait for the rest of its output
        let buf = st.labels.capture(out.buf);
        drop(st);
        self.push(buf);
    }

    fn numeric(&self, code: &str, params: &[&str]) {
        self.with_out(|out, st| {
            let me = st.me().to_owned();
            out.numeric(code, &me, params);
        });
    }

    /// Hands the Session a request; `pending` says how to write its reply.
    async fn request(
        &self,
        session: &Addr<Session>,
        ty: &str,
        args: Value,
        pending: Pending,
    ) -> Flow {
        let re = lock(&self.state).expect(pending);
        let Value::Object(map) = args else {
            return Flow::Go;
        };
        let req = Request {
            ty: ty.to_owned(),
            re,
            args: Args(map),
        };
        match session.send(Inbound(Frame::Request(req))).await {
            Ok(()) => Flow::Go,
            Err(_) => Flow::Stop("session gone"),
        }
    }

    async fn line(&mut self, raw: &[u8], session: &Addr<Session>) -> Flow {
        let l = match line::parse(raw) {
            Ok(l) => l,
            Err(LineError::TooLong(_)) => {
                self.numeric("417", &["Input line was too long"]);
                return Flow::Go;
            }
            Err(LineError::NotUtf8(l)) => {
                let cmd = l.map_or_else(|| "*".to_owned(), |l| l.command);
                self.with_out(|out, _| {
                    out.fail(&cmd, "INVALID_UTF8", &[], "Message rejected: not UTF-8")
                });
                return Flow::Go;
            }
            Err(LineError::NoCommand | LineError::ForbiddenByte(_)) => return Flow::Go,
        };
        let registered = lock(&self.state).stage == Stage::Registered;
        match (l.command.as_str(), registered) {
            ("CAP", _) => self.cap(&l, session).await,
            ("PING", _) => {
                let token = l.param(0).unwrap_or_default().to_owned();
                let server = self.server.clone();
                self.with_out(|out, _| out.server_line("PONG", &[&server, &token]));
                Flow::Go
            }
            ("PONG", _) => Flow::Go,
            ("QUIT", _) => {
                let why = match l.param(0) {
                    Some(m) if !m.is_empty() => format!("Quit: {m}"),
                    _ => "Quit".to_owned(),
                };
                self.with_out(|out, _| closing_link(out, &why));
                Flow::Stop("quit")
            }
            // after a login or 001 too: 907 (docs/irc.md 3.2)
            ("AUTHENTICATE", _) => self.authenticate(&l, session).await,
            ("REGISTER", _) => self.register(&l, session).await,
            ("PASS", false) => {
                // used at the end of registration; a second PASS is ignored
                match l.param(0) {
                    Some(p) => {
                        lock(&self.state).pass.get_or_insert_with(|| p.to_owned());
                    }
                    None => self.numeric("461", &["PASS", "Not enough parameters"]),
                }
                Flow::Go
            }
            ("NICK", false) => {
                match l.param(0) {
                    Some(n) if !n.is_empty() => lock(&self.state).nick = Some(n.to_owned()),
                    _ => self.numeric("431", &["No nickname given"]),
                }
                self.try_register(session).await
            }
            ("USER", false) => {
                if l.params.len() < 4 {
                    self.numeric("461", &["USER", "Not enough parameters"]);
                    return Flow::Go;
                }
                lock(&self.state).user = Some((l.params[0].clone(), l.params[3].clone()));
                self.try_register(session).await
            }
            (_, false) => {
                self.numeric("451", &["You have not registered"]);
                Flow::Go
            }
            ("USER" | "PASS", true) => {
                self.numeric("462", &["You may not reregister"]);
                Flow::Go
            }
            ("JOIN", true) => self.join(&l, session).await,
            ("PART", true) => self.part(&l, session).await,
            ("PRIVMSG" | "NOTICE", true) => self.message(&l, session).await,
            (
                "NAMES" | "LIST" | "TOPIC" | "WHO" | "WHOIS" | "NICK" | "KICK" | "MODE" | "VERSION"
                | "ISON" | "USERHOST" | "TIME" | "OPER",
                true,
            ) => self.rooms_users(&l, session).await,
            // client-only tags (typing, reactions) are not carried
            ("TAGMSG", true) => Flow::Go,
            ("MOTD", true) => {
                let motd = self.env.config.irc.motd.clone();
                self.with_out(|out, st| {
                    let me = st.me().to_owned();
                    motd_lines(out, &me, &motd);
                });
                Flow::Go
            }
            ("CHATHISTORY", true) => self.chathistory(&l, session).await,
            ("MARKREAD", true) => self.markread(&l, session).await,
            ("REDACT", true) => self.redact(&l, session).await,
            (cmd, true) => {
                let cmd = cmd.to_owned();
                self.numeric("421", &[&cmd, "Unknown command"]);
                Flow::Go
            }
        }
    }

    async fn cap(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let sub = l.param(0).unwrap_or_default().to_ascii_uppercase();
        match sub.as_str() {
            "LS" => {
                // CAP LS before registration holds it until CAP END
                {
                    let mut st = lock(&self.state);
                    let registering = st.stage == Stage::Registering;
                    st.cap_negotiating |= registering;
                }
                // values only for `CAP LS 302` or later (IRCv3 capability
                // negotiation), and then `*` continuation lines if needed
                let version: u32 = l.param(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                let v302 = version >= 302;
                let auth = &self.env.config;
                let caps = cap_list(auth.auth.open_registration, auth.irc.guests, v302);
                self.with_out(|out, st| {
                    let me = cap_target(st);
                    // ":" server " CAP " me " LS * :"
                    let budget = MAX_BODY_LEN.saturating_sub(out.server.len() + me.len() + 16);
                    let mut lines: Vec<String> = vec![String::new()];
                    for c in caps {
                        let line = lines.last_mut().expect("one line at least");
                        if v302 && !line.is_empty() && line.len() + 1 + c.len() > budget {
                            lines.push(c);
                        } else {
                            if !line.is_empty() {
                                line.push(' ');
                            }
                            line.push_str(&c);
                        }
                    }
                    let last = lines.len() - 1;
                    for (i, caps) in lines.iter().enumerate() {
                        match i == last {
                            true => out.server_line("CAP", &[&me, "LS", caps]),
                            false => out.server_line("CAP", &[&me, "LS", "*", caps]),
                        }
                    }
                });
                Flow::Go
            }
            "LIST" => {
                self.with_out(|out, st| {
                    let me = cap_target(st);
                    let caps = st.caps.join(" ");
                    out.server_line("CAP", &[&me, "LIST", &caps]);
                });
                Flow::Go
            }
            "REQ" => {
                let asked = l.param(1).unwrap_or_default().to_owned();
                self.with_out(|out, st| {
                    if st.stage == Stage::Registering {
                        st.cap_negotiating = true;
                    }
                    let me = cap_target(st);
                    // all or nothing (IRCv3 capability negotiation)
                    let wanted: Vec<(bool, Option<&'static str>)> = asked
                        .split_whitespace()
                        .map(|c| match c.strip_prefix('-') {
                            Some(c) => (false, known_cap(c)),
                            None => (true, known_cap(c)),
                        })
                        .collect();
                    if wanted.is_empty() || wanted.iter().any(|(_, c)| c.is_none()) {
                        out.server_line("CAP", &[&me, "NAK", &asked]);
                        return;
                    }
                    for (add, cap) in wanted.into_iter().filter_map(|(a, c)| c.map(|c| (a, c))) {
                        st.caps.retain(|c| *c != cap);
                        if add {
                            st.caps.push(cap);
                        }
                    }
                    out.server_line("CAP", &[&me, "ACK", &asked]);
                });
                Flow::Go
            }
            "END" => {
                lock(&self.state).cap_negotiating = false;
                self.try_register(session).await
            }
            _ => {
                let sub = sub.clone();
                self.numeric("410", &[&sub, "Invalid CAP command"]);
                Flow::Go
            }
        }
    }

    /// SASL PLAIN: `AUTHENTICATE PLAIN`, `+`, then the base64 blob
    /// `authzid\0authcid\0password`, in chunks of 400 bytes (IRCv3
    /// sasl-3.1; docs/irc.md 3.2).
    async fn authenticate(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(arg) = l.param(0).map(str::to_owned) else {
            self.numeric("461", &["AUTHENTICATE", "Not enough parameters"]);
            return Flow::Go;
        };
        /// What this AUTHENTICATE line is, in the exchange.
        enum Step {
            /// Logged in already (SASL, PASS, REGISTER, or after 001).
            Already,
            TooLong,
            Abort,
            /// The mechanism: PLAIN or not.
            Mechanism(bool),
            /// A chunk of exactly 400 bytes: wait for the rest.
            Wait,
            Blob(String),
        }
        let step = {
            let mut st = lock(&self.state);
            if self.logged_in || st.account.is_some() || st.stage == Stage::Registered {
                Step::Already
            } else if arg.len() > SASL_CHUNK {
                st.sasl = Sasl::default();
                Step::TooLong
            } else if arg == "*" {
                st.sasl = Sasl::default();
                Step::Abort
            } else if !st.sasl.plain {
                st.sasl.plain = arg.eq_ignore_ascii_case("PLAIN");
                Step::Mechanism(st.sasl.plain)
            } else {
                match st.sasl.chunk(&arg) {
                    SaslStep::More => Step::Wait,
                    SaslStep::TooLong => Step::TooLong,
                    SaslStep::Done(blob) => Step::Blob(blob),
                }
            }
        };
        let blob = match step {
            Step::Already => {
                self.numeric("907", &["You have already authenticated using SASL"]);
                return Flow::Go;
            }
            Step::TooLong => {
                self.numeric("905", &["SASL message too long"]);
                return Flow::Go;
            }
            Step::Abort => {
                self.numeric("906", &["SASL authentication aborted"]);
                return Flow::Go;
            }
            Step::Mechanism(true) => {
                self.with_out(|out, _| out.buf.extend_from_slice(b"AUTHENTICATE +\r\n"));
                return Flow::Go;
            }
            Step::Mechanism(false) => {
                self.numeric("908", &["PLAIN", "are available SASL mechanisms"]);
                self.numeric("904", &["SASL authentication failed"]);
                return Flow::Go;
            }
            Step::Wait => return Flow::Go,
            Step::Blob(blob) => blob,
        };
        let Some((user, password)) = decode_plain(&blob) else {
            self.numeric("904", &["SASL authentication failed: Invalid auth blob"]);
            return Flow::Go;
        };
        self.login_pending = true;
        self.request(
            session,
            "login",
            json!({"username": user, "password": password}),
            Pending::Login { sasl: true },
        )
        .await
    }

    /// Registration ends when NICK and USER have come and CAP is not being
    /// negotiated: logged in already (SASL), by PASS, or refused. Called
    /// at once after every login too: an account whose name is not a nick
    /// is refused there (docs/irc.md 3.7).
    async fn try_register(&mut self, session: &Addr<Session>) -> Flow {
        let unusable = {
            let st = lock(&self.state);
            let name = st.account.as_deref().unwrap_or_default();
            (self.logged_in && st.stage == Stage::Registering && name.contains('.'))
                .then(|| name.to_owned())
        };
        if let Some(name) = unusable {
            self.with_out(|out, _| {
                let text = "Erroneous nickname: an account name containing '.' cannot be used \
                            over IRC; rename it from the web or terminal client";
                out.numeric("432", "*", &[&name, text]);
                closing_link(out, "account name not usable over IRC");
            });
            return Flow::Stop("account name not usable over IRC");
        }
        let (ready, logged_in, pass) = {
            let mut st = lock(&self.state);
            let ready = st.stage == Stage::Registering
                && !st.cap_negotiating
                && st.nick.is_some()
                && st.user.is_some();
            (
                ready && !self.login_pending,
                self.logged_in,
                if ready && !self.login_pending {
                    st.pass.take()
                } else {
                    None
                },
            )
        };
        if !ready {
            return Flow::Go;
        }
        if logged_in {
            return self.welcome(session).await;
        }
        if let Some(pass) = pass {
            let (user, password) = match pass.split_once(':') {
                Some((u, p)) => (u.to_owned(), p.to_owned()),
                // PASS password alone: the account is the nick's
                None => (lock(&self.state).nick.clone().unwrap_or_default(), pass),
            };
            self.login_pending = true;
            lock(&self.state).pass_sent = true;
            return self
                .request(
                    session,
                    "login",
                    json!({"username": user, "password": password}),
                    Pending::Login { sasl: false },
                )
                .await;
        }
        if self.env.config.irc.guests {
            return self.guest(session).await;
        }
        self.with_out(|out, _| {
            let why = "You must log in with SASL or PASS name:password to use this server";
            out.fail("*", "ACCOUNT_REQUIRED", &[], why);
            closing_link(out, why);
        });
        Flow::Stop("no account")
    }

    /// NICK and USER without a login, with `[irc] guests = true`: the
    /// nick's guest account (`commands::account::guest`). A taken or bad
    /// nick gets 433 or 432 and registration waits for another NICK, as
    /// on any IRC server.
    async fn guest(&mut self, session: &Addr<Session>) -> Flow {
        let nick = lock(&self.state).nick.clone().unwrap_or_default();
        if nick.contains('.') {
            // a nick cannot hold a '.' (RFC 2812); `*`: not registered yet
            self.with_out(|out, st| {
                out.numeric("432", "*", &[&nick, "Erroneous nickname"]);
                st.nick = None;
            });
            return Flow::Go;
        }
        self.login_pending = true;
        self.request(
            session,
            "guest",
            json!({ "username": nick }),
            Pending::Guest { nick: nick.clone() },
        )
        .await
    }

    async fn control(&mut self, c: Control, session: &Addr<Session>) -> Flow {
        match c {
            Control::GuestRefused { retry: None } => {
                self.login_pending = false;
                Flow::Stop("guest refused")
            }
            Control::GuestRefused {
                retry: Some(refused),
            } => {
                self.login_pending = false;
                let same = {
                    let mut st = lock(&self.state);
                    let same = st.nick.as_deref() == Some(&refused);
                    if same {
                        // the client sends another NICK
                        st.nick = None;
                    }
                    same
                };
                if same {
                    return Flow::Go;
                }
                // another NICK came while this one was being tried
                self.try_register(session).await
            }
            Control::LoggedIn { rooms, .. } => {
                self.rooms = rooms;
                self.login_pending = false;
                self.logged_in = true;
                self.try_register(session).await
            }
            Control::LoginFailed { code } => {
                // the writer has written the refusal, and the ERROR of a
                // close (render.rs, `Pending::Login`)
                self.login_pending = false;
                let (registering, by_pass) = {
                    let mut st = lock(&self.state);
                    let by_pass = std::mem::take(&mut st.pass_sent);
                    (st.stage == Stage::Registering, by_pass)
                };
                if code == crate::error::ErrorCode::Banned {
                    return Flow::Stop("banned");
                }
                // a failed PASS ends registration (never a guest: 3.3)
                if by_pass {
                    return Flow::Stop("login failed");
                }
                // a failed SASL leaves the connection unregistered: the
                // client tries again, or registration goes on without an
                // account if CAP END came meanwhile (a guest, or 3.5)
                match registering {
                    true => self.try_register(session).await,
                    false => Flow::Go,
                }
            }
            Control::Request(r) => {
                let super::render::ControlRequest { ty, args, pending } = *r;
                // REGISTER's login, after its account was made
                self.login_pending |= ty == "login";
                self.request(session, ty, args, pending).await
            }
            // unwrapped by labeled_control (src/irc/history.rs)
            Control::Labeled(_, inner) => Box::pin(self.control(*inner, session)).await,
            Control::NoSuchRoom { room } => {
                self.request(
                    session,
                    "create_room",
                    json!({"room": room}),
                    Pending::Create { room: room.clone() },
                )
                .await
            }
        }
    }

    /// 001–005, the MOTD, then a JOIN of every room the account is in.
    async fn welcome(&mut self, session: &Addr<Session>) -> Flow {
        let irc = self.env.config.irc.clone();
        let limits = self.env.config.limits.clone();
        self.with_out(|out, st| {
            st.stage = Stage::Registered;
            let me = st.me().to_owned();
            let asked = st.nick.clone().unwrap_or_default();
            if asked != me && !asked.is_empty() {
                // the nick is the account's, whatever NICK said
                out.buf
                    .extend_from_slice(format!(":{asked} NICK {me}\r\n").as_bytes());
            }
            let server = out.server.to_owned();
            let version = format!("modchat-{VERSION}");
            out.numeric(
                "001",
                &me,
                &[&format!("Welcome to the {} IRC Network {me}", irc.network)],
            );
            out.numeric(
                "002",
                &me,
                &[&format!("Your host is {server}, running version {version}")],
            );
            out.numeric("003", &me, &["This server was created at start"]);
            // user modes, channel modes, channel modes with a parameter
            // (docs/irc.md 3.8): names only, no trailing parameter
            let modes = [me.as_str(), &server, &version, "i", "bloq", "bloq"];
            if let Err(e) = line::write_line(&mut out.buf, &[], Some(&server), "004", &modes) {
                tracing::warn!(error = %e, "the IRC 004 line could not be written");
            }
            let tokens = [
                "CASEMAPPING=ascii".to_owned(),
                "CHANTYPES=#".to_owned(),
                "CHANMODES=b,,l,".to_owned(),
                "PREFIX=(qo)~@".to_owned(),
                "UTF8ONLY".to_owned(),
                "NICKLEN=32".to_owned(),
                "CHANNELLEN=65".to_owned(),
                "TOPICLEN=300".to_owned(),
                format!("NETWORK={}", irc.network),
                format!("LINELEN={}", MAX_BODY_LEN + 2),
                format!("MAXTARGETS={}", 1),
                "TARGMAX=PRIVMSG:1,NOTICE:1,JOIN:,PART:,NAMES:1,WHOIS:1,KICK:1".to_owned(),
                format!("MODES={}", rooms_users::MAX_MODE_CHANGES),
                // bans by account (`a:`) and room mutes (`m:`), no prefix
                "EXTBAN=,am".to_owned(),
                format!("TEXTLEN={}", limits.max_text_chars),
                "CHATHISTORY=100".to_owned(),
                "MSGREFTYPES=msgid,timestamp".to_owned(),
            ];
            // at most 13 tokens a line (15 parameters with the nick and text)
            for chunk in tokens.chunks(12) {
                let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
                params.push("are supported by this server");
                out.numeric("005", &me, &params);
            }
            motd_lines(out, &me, &irc.motd);
        });
        // the account is in its rooms since the login: show each, with its
        // topic and read marker (`room_states`, 500 rooms a request) and
        // names (`members`, no rate limit)
        let rooms = std::mem::take(&mut self.rooms);
        for chunk in rooms.chunks(crate::commands::MAX_ROOM_STATES) {
            let flow = self
                .request(
                    session,
                    "room_states",
                    json!({ "rooms": chunk }),
                    Pending::Topics,
                )
                .await;
            if let Flow::Stop(why) = flow {
                return Flow::Stop(why);
            }
        }
        for room in rooms {
            let flow = self
                .request(
                    session,
                    "members",
                    json!({"room": room}),
                    Pending::Burst { room: room.clone() },
                )
                .await;
            if let Flow::Stop(why) = flow {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    async fn join(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(targets) = l.param(0) else {
            self.numeric("461", &["JOIN", "Not enough parameters"]);
            return Flow::Go;
        };
        if targets == "0" {
            // RFC 2812's "leave every channel": modchat memberships are
            // kept on purpose, so the client is told how instead
            self.with_out(|out, st| {
                let me = st.me().to_owned();
                let text = "JOIN 0 is not supported: PART each room you want to leave";
                out.server_line("NOTICE", &[&me, text]);
            });
            return Flow::Go;
        }
        let targets: Vec<String> = targets.split(',').map(str::to_owned).collect();
        for t in targets {
            let Some(room) = t.strip_prefix('#') else {
                self.numeric("479", &[&t, "Illegal channel name"]);
                continue;
            };
            let room = room.to_ascii_lowercase();
            if let Flow::Stop(why) = self
                .request(
                    session,
                    "join",
                    json!({"room": room}),
                    Pending::Join { room: room.clone() },
                )
                .await
            {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    async fn part(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(targets) = l.param(0) else {
            self.numeric("461", &["PART", "Not enough parameters"]);
            return Flow::Go;
        };
        let reason = l.param(1).map(str::to_owned);
        let targets: Vec<String> = targets.split(',').map(str::to_owned).collect();
        for t in targets {
            let Some(room) = t.strip_prefix('#') else {
                self.numeric("403", &[&t, "No such channel"]);
                continue;
            };
            let room = room.to_ascii_lowercase();
            let pending = Pending::Part {
                room: room.clone(),
                reason: reason.clone(),
            };
            if let Flow::Stop(why) = self
                .request(session, "leave", json!({"room": room}), pending)
                .await
            {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    /// PRIVMSG/NOTICE to `#room` (`say`) or to a nick (`whisper`); CTCP
    /// ACTION is an emote, other CTCP is not carried.
    async fn message(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let notice = l.command == "NOTICE";
        let command: &'static str = if notice { "NOTICE" } else { "PRIVMSG" };
        let (Some(target), Some(text)) = (l.param(0), l.param(1)) else {
            if !notice {
                match l.params.is_empty() {
                    true => self.numeric("411", &["No recipient given (PRIVMSG)"]),
                    false => self.numeric("412", &["No text to send"]),
                }
            }
            return Flow::Go;
        };
        if target.eq_ignore_ascii_case("ModServ") {
            // a NOTICE to a service is ignored (Ergo)
            if notice {
                return Flow::Go;
            }
            let text = text.to_owned();
            // echo-message: every PRIVMSG comes back, a service's too
            self.with_out(|out, st| {
                if st.has("echo-message") {
                    let me = st.me().to_owned();
                    let source = out.mask(&me);
                    let _ = line::write_text_line(
                        &mut out.buf,
                        &[],
                        Some(&source),
                        "PRIVMSG",
                        &["ModServ", &text],
                    );
                }
            });
            return self.modserv(&text, session).await;
        }
        let target = target.to_owned();
        if target.starts_with(['@', '~', '+', '%', '&']) {
            // STATUSMSG (`@#room`): not advertised, not carried
            if !notice {
                let text =
                    "Cannot send to channel (messages to a room's ops alone are not supported)";
                self.numeric("404", &[&target, text]);
            }
            return Flow::Go;
        }
        let (text, action) = match ctcp(text) {
            Ctcp::Text(t) => (t, false),
            Ctcp::Action(t) if !t.trim().is_empty() => (t, true),
            Ctcp::Action(_) => {
                if !notice {
                    self.numeric("412", &["No text to send"]);
                }
                return Flow::Go;
            }
            Ctcp::Other(kind) => {
                // VERSION, PING, DCC, ...: no other client would answer
                if !notice {
                    self.with_out(|out, _| {
                        let why = format!("CTCP {kind} is not relayed");
                        out.fail(command, "INVALID_PARAMS", &[&target], &why)
                    });
                }
                return Flow::Go;
            }
        };
        let pending = Pending::Message {
            command,
            target: target.clone(),
            text: text.clone(),
            action,
            notice,
        };
        let mut args = Map::new();
        let ty = match target.strip_prefix('#') {
            Some(room) => {
                args.insert("room".into(), room.to_ascii_lowercase().into());
                "say"
            }
            // `$$*` (or `$*`): every user of the server (Ergo's mass
            // message), an admin's `announce`
            None if matches!(target.as_str(), "$$*" | "$*") => "announce",
            None => {
                args.insert("to".into(), target.clone().into());
                "whisper"
            }
        };
        args.insert("text".into(), text.into());
        if action {
            args.insert("action".into(), true.into());
        }
        self.request(session, ty, Value::Object(args), pending)
            .await
    }
}

/// What a PRIVMSG's text is: plain text (its mIRC formatting taken out),
/// an emote, or another CTCP request.
enum Ctcp {
    Text(String),
    Action(String),
    Other(String),
}

fn ctcp(text: &str) -> Ctcp {
    let Some(inner) = text.strip_prefix('\u{1}') else {
        return Ctcp::Text(strip_formatting(text));
    };
    let inner = inner.strip_suffix('\u{1}').unwrap_or(inner);
    let (kind, rest) = inner.split_once(' ').unwrap_or((inner, ""));
    if kind.eq_ignore_ascii_case("ACTION") {
        Ctcp::Action(strip_formatting(rest))
    } else {
        Ctcp::Other(kind.chars().take(32).collect())
    }
}

/// Text without mIRC formatting (bold, italics, underline, strike,
/// monospace, reverse, reset, and colours with their numbers): modchat
/// texts carry no control characters, and a coloured line is still text.
pub(crate) fn strip_formatting(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{2}' | '\u{f}' | '\u{11}' | '\u{16}' | '\u{1d}' | '\u{1e}' | '\u{1f}' => {}
            // \x03 then up to two digits, optionally `,` and up to two more
            '\u{3}' => {
                let digits = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    for _ in 0..2 {
                        if chars.peek().is_some_and(char::is_ascii_digit) {
                            chars.next();
                        }
                    }
                };
                let had = chars.peek().is_some_and(char::is_ascii_digit);
                digits(&mut chars);
                if had && chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                        digits(&mut chars);
                    }
                }
            }
            // \x04 then a six-digit hex colour, optionally `,` and another
            '\u{4}' => {
                let hex = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let ahead: String = chars.clone().take(6).collect();
                    if ahead.len() == 6 && ahead.chars().all(|c| c.is_ascii_hexdigit()) {
                        for _ in 0..6 {
                            chars.next();
                        }
                        true
                    } else {
                        false
                    }
                };
                if hex(&mut chars) && chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if hex(&mut ahead) {
                        chars.next();
                        hex(&mut chars);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The gateway's own readers of what a client sends (the SASL blob,
/// CHATHISTORY references and times, ModServ's durations and arguments,
/// ban masks), for the `irc_args` fuzz target: whatever the text, none may
/// panic, and what they accept keeps their promises.
pub fn parse_args_for_fuzzing(text: &str) {
    if let Some((user, password)) = decode_plain(text) {
        assert!(!user.contains('\0') && !password.contains('\0'));
    }
    let _ = history::parse_ref(text);
    if let Some(t) = super::render::render_history::parse_time(text) {
        let _ = super::render::render_history::after(t);
    }
    if let Some(d) = modserv::duration(text) {
        assert!(d > 0);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let (d, room, _) = modserv::sanction_args(&words);
    assert!(d.is_none_or(|d| d > 0));
    if let Some(r) = room {
        assert_eq!(r, r.to_ascii_lowercase());
    }
    if let Some(a) = rooms_users::mask_account(text, "modchat") {
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')));
    }
}

/// `text` in pieces of at most `room` bytes, cut at character boundaries
/// (one empty piece for an empty text).
fn split_at_bytes(text: &str, room: usize) -> Vec<&str> {
    let room = room.max(4);
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let mut cut = rest.len().min(room);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
        if rest.is_empty() {
            return pieces;
        }
    }
}

/// `ERROR :Closing Link: <server> (<why>)`, the line before a close (no
/// source: RFC 2812 3.7.4; Ergo's form).
pub(crate) fn closing_link(out: &mut Out<'_>, why: &str) {
    let text = format!("Closing Link: {} ({why})", out.server);
    if let Err(e) = line::write_text_line(&mut out.buf, &[], None, "ERROR", &[&text]) {
        tracing::warn!(error = %e, "an IRC ERROR line could not be written");
    }
}

/// 375/372/376, or 422 when `[irc] motd` is empty: the welcome's, and
/// the MOTD command's.
fn motd_lines(out: &mut Out<'_>, me: &str, motd: &str) {
    let server = out.server.to_owned();
    if motd.is_empty() {
        out.numeric("422", me, &["MOTD File is missing"]);
        return;
    }
    out.numeric("375", me, &[&format!("- {server} Message of the day - ")]);
    // ":" server " 372 " me " :- ": the rest of 510 bytes
    let room = MAX_BODY_LEN.saturating_sub(server.len() + me.len() + 10);
    for l in motd.lines() {
        for piece in split_at_bytes(l, room) {
            out.numeric("372", me, &[&format!("- {piece}")]);
        }
    }
    out.numeric("376", me, &["End of /MOTD command."]);
}

/// CAP's client parameter: `*` until registered (modern.ircdocs.horse).
fn cap_target(st: &IrcState) -> String {
    match st.stage {
        Stage::Registered => st.me().to_owned(),
        Stage::Registering => "*".to_owned(),
    }
}

/// `authzid\0authcid\0password`, base64: the account (authcid, or authzid
/// when authcid is empty) and the password.
fn decode_plain(b64: &str) -> Option<(String, String)> {
    let raw = base64_decode(b64)?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split('\0');
    let (authz, authc, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let user = if authc.is_empty() { authz } else { authc };
    if !authz.is_empty() && !authz.eq_ignore_ascii_case(user) {
        return None; // acting as another account is not offered
    }
    Some((user.to_owned(), password.to_owned()))
}

/// Standard base64 with padding (RFC 4648), as SASL sends it.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() % 4 != 0 || s.len() > 1200 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (i, chunk) in s.chunks(4).enumerate() {
        let last = i == s.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// Renders what the Session queued into IRC lines and writes them, like
/// the JSON writer: one write a batch, dropped past the outbound cap, a
/// bounded linger after the session ends.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: OutboundRx,
    session: Addr<Session>,
    state: Shared,
    (server, network): (String, String),
    ctl: ControlTx,
    _held: (Slot, Arc<()>),
) {
    // set once the session has ended (see transport::writing)
    let mut linger = None;
    loop {
        let frames = match rx.next().await {
            Next::Close => break,
            Next::Overflow => {
                session.do_send(Close::because("slow consumer"));
                return;
            }
            Next::Frames(f) => f,
        };
        let mut out = Out {
            buf: Vec::new(),
            server: &server,
            network: &network,
        };
        {
            let mut st = lock(&state);
            for f in &frames {
                render::frame(&mut out, f, &mut st, &ctl);
            }
        }
        let batch = Batch::bytes(out.buf);
        match writing::write_batch(&mut wr, &rx, &mut linger, batch).await {
            Outcome::Written => rx.written(frames),
            Outcome::Failed => {
                session.do_send(Close::because("write error"));
                return;
            }
            Outcome::Overflow => {
                session.do_send(Close::because("slow consumer"));
                return;
            }
            Outcome::Lingered => return,
        }
    }
    writing::shut_down(&mut wr, linger).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_plain_blobs() {
        // "\0alice\0secret pw"
        assert_eq!(
            decode_plain("AGFsaWNlAHNlY3JldCBwdw=="),
            Some(("alice".into(), "secret pw".into()))
        );
        // "alice\0alice\0pw"
        assert_eq!(
            decode_plain("YWxpY2UAYWxpY2UAcHc="),
            Some(("alice".into(), "pw".into()))
        );
        // "bob\0alice\0pw": acting as another account
        assert_eq!(decode_plain("Ym9iAGFsaWNlAHB3"), None);
        assert_eq!(decode_plain("not base64!"), None);
        assert_eq!(base64_decode("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(base64_decode("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(base64_decode("TQ=="), Some(b"M".to_vec()));
        assert_eq!(base64_decode("TQ==TQ=="), None);
    }

    #[test]
    fn motd_lines_are_cut_at_character_boundaries() {
        assert_eq!(split_at_bytes("", 10), [""]);
        assert_eq!(split_at_bytes("abcdef", 4), ["abcd", "ef"]);
        // "é" is two bytes: never cut in half
        assert_eq!(split_at_bytes("abcé", 4), ["abc", "é"]);
        let long = "é".repeat(300);
        let pieces = split_at_bytes(&long, 101);
        assert!(pieces.iter().all(|p| p.len() <= 101));
        assert_eq!(pieces.concat(), long);
    }
}
