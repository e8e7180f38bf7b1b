//! Writing what the Session sends as IRC lines: typed events (a room's
//! `message` becomes PRIVMSG, `joined` JOIN, ...) and the replies to the
//! requests the gateway made, by what each request was ([`Pending`]).
//! docs/irc.md has the mapping.

use serde_json::{Map, Value};

use super::control::ControlTx;
use super::line::{write_line, write_text_line, MAX_BODY_LEN};
use super::state::{IrcState, Pending};
use crate::error::{ErrorCode, Failure};
use crate::protocol::events::{LeftReason, ReadTarget};
use crate::protocol::{Event, Outgoing, Reply};

/// The replies of the room and user commands (src/irc/rooms_users.rs); a
/// child module, so it uses this one's helpers as they are.
#[path = "render_rooms.rs"]
pub(super) mod render_rooms;

/// CHATHISTORY, MARKREAD, REDACT, their events, and labeled-response
/// (src/irc/history.rs); a child module, as `render_rooms`.
#[path = "render_history.rs"]
pub(super) mod render_history;

/// What the writer tells the reader: outcomes registration waits for.
#[derive(Debug)]
pub enum Control {
    /// A login succeeded: the account's name and its rooms.
    LoggedIn { rooms: Vec<String> },
    /// A login failed: the connection cannot register.
    LoginFailed { code: ErrorCode },
    /// A guest's nick was refused: with `retry` (the nick refused),
    /// registration waits for another NICK (433, 432); without, the
    /// connection ends.
    GuestRefused { retry: Option<String> },
    /// A JOIN found no room: the reader creates it.
    NoSuchRoom { room: String },
    /// A reply needs another request (the next LIST page, ...); boxed, as
    /// the largest variant (a queue's slots are the size of the largest).
    Request(Box<ControlRequest>),
    /// What a labeled command's reply asks of the reader: part of that
    /// command's labeled output (render_history).
    Labeled(u64, Box<Control>),
}

/// A request a reply needs made: see [`Control::Request`].
#[derive(Debug)]
pub struct ControlRequest {
    pub ty: &'static str,
    pub args: Value,
    pub pending: Pending,
}

/// Lines being written for one connection.
pub struct Out<'a> {
    pub buf: Vec<u8>,
    pub server: &'a str,
    /// `[irc] network`: the cloaks' first part.
    pub network: &'a str,
}

impl Out<'_> {
    /// `nick!nick@network/user/nick`: the hostmask depends on the account
    /// alone, so it is the same on every node (docs/irc.md, "Hostmask").
    pub fn mask(&self, nick: &str) -> String {
        format!("{nick}!{nick}@{}/user/{nick}", self.network)
    }

    /// The service that speaks for moderation.
    fn modserv(&self) -> String {
        format!("ModServ!ModServ@{}", self.server)
    }

    /// A line whose last parameter is text (`:text`, even one word).
    fn line(
        &mut self,
        tags: &[(&str, &str)],
        source: Option<&str>,
        command: &str,
        params: &[&str],
    ) {
        if let Err(e) = write_text_line(&mut self.buf, tags, source, command, params) {
            tracing::warn!(error = %e, command, "an IRC line could not be written");
        }
    }

    /// A line of names and modes only (`JOIN #room`, `MODE #room +o bob`).
    fn bare(&mut self, source: Option<&str>, command: &str, params: &[&str]) {
        if let Err(e) = write_line(&mut self.buf, &[], source, command, params) {
            tracing::warn!(error = %e, command, "an IRC line could not be written");
        }
    }

    /// `:server CODE me params...`
    pub fn numeric(&mut self, code: &str, me: &str, params: &[&str]) {
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(me);
        all.extend_from_slice(params);
        let server = self.server;
        self.line(&[], Some(server), code, &all);
    }

    /// `:server COMMAND params...`
    pub fn server_line(&mut self, command: &str, params: &[&str]) {
        let server = self.server;
        self.line(&[], Some(server), command, params);
    }

    /// A line of a user's act (JOIN, PART, KICK, QUIT, TOPIC, MODE, NICK),
    /// sourced at the user's mask, with `time` (now; server-time) and
    /// `account` (account-tag: on every line a user's act makes). `text`:
    /// the last parameter is text (`:...` even when one word).
    pub(super) fn act(
        &mut self,
        st: &IrcState,
        user: &str,
        command: &str,
        params: &[&str],
        text: bool,
    ) {
        let now = crate::store::fmt_time(&crate::store::now());
        let mut tags: Vec<(&str, &str)> = Vec::new();
        if st.has("server-time") {
            tags.push(("time", &now));
        }
        if st.has("account-tag") {
            tags.push(("account", user));
        }
        let source = self.mask(user);
        let written = match text {
            true => write_text_line(&mut self.buf, &tags, Some(&source), command, params),
            false => write_line(&mut self.buf, &tags, Some(&source), command, params),
        };
        if let Err(e) = written {
            tracing::warn!(error = %e, command, "an IRC line could not be written");
        }
    }

    /// `FAIL command CODE [context...] :description` (IRCv3 standard replies).
    pub fn fail(&mut self, command: &str, code: &str, context: &[&str], text: &str) {
        let mut params = vec![command, code];
        params.extend_from_slice(context);
        params.push(text);
        self.server_line("FAIL", &params);
    }
}

/// `#room`
pub fn channel(room: &str) -> String {
    format!("#{room}")
}

/// Renders one outbound frame.
pub fn frame(out: &mut Out<'_>, f: &Outgoing, st: &mut IrcState, ctl: &ControlTx) {
    match f {
        Outgoing::Line(b) => out.buf.extend_from_slice(b),
        Outgoing::Event(e) if render_history::handles(&e.event) => {
            render_history::event(out, &e.event, st, ctl)
        }
        // a room message is the same lines for every member whose client
        // asked for the same tags: rendered once, shared
        Outgoing::Event(e) if matches!(e.event, Event::Message { .. }) => {
            let variant = usize::from(st.has("message-tags"))
                | usize::from(st.has("server-time")) << 1
                | usize::from(st.has("account-tag")) << 2;
            let lines = e.rendered(variant, || {
                let mut one = Out {
                    buf: Vec::new(),
                    server: out.server,
                    network: out.network,
                };
                event(&mut one, &e.event, st, ctl);
                one.buf.into()
            });
            out.buf.extend_from_slice(&lines);
        }
        Outgoing::Event(e) => event(out, &e.event, st, ctl),
        Outgoing::Reply(r) => render_history::labeled_reply(out, r, st, ctl, reply),
        // nothing is sent to an IRC session as bare JSON
        Outgoing::Json(_) => {}
    }
}

/// The tags a message line carries, as far as the client asked for them.
fn message_tags<'a>(
    st: &IrcState,
    id: &'a str,
    at: &'a str,
    account: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut t = Vec::new();
    if st.has("message-tags") {
        t.push(("msgid", id));
    }
    if st.has("server-time") {
        t.push(("time", at));
    }
    if st.has("account-tag") {
        t.push(("account", account));
    }
    t
}

/// A PRIVMSG or NOTICE of any length: one line per line of the text, each
/// cut to fit 512 bytes (at character boundaries), an emote as CTCP ACTION.
#[allow(clippy::too_many_arguments)]
fn privmsg(
    out: &mut Out<'_>,
    tags: &[(&str, &str)],
    from: &str,
    command: &str,
    target: &str,
    text: &str,
    action: bool,
) {
    let source = out.mask(from);
    // ":" source " " command " " target " :" and CTCP's 9 bytes
    let room = MAX_BODY_LEN.saturating_sub(source.len() + command.len() + target.len() + 5 + 9);
    let room = room.max(32);
    // the msgid names one line only: a client that drops lines whose
    // msgid it has seen must not drop the rest of a long text (the later
    // lines' tags are made only for a text that has them: this runs once
    // per receiver of every message)
    let mut later: Option<Vec<(&str, &str)>> = None;
    let mut first = true;
    for part in text.split('\n').filter(|p| !p.is_empty()) {
        let mut rest = part;
        while !rest.is_empty() {
            let chunk = next_piece(rest, room);
            rest = rest[chunk.len()..].trim_start_matches(' ');
            let body = match action {
                true => format!("\u{1}ACTION {chunk}\u{1}"),
                false => chunk.to_owned(),
            };
            let tags = match first {
                true => tags,
                false => later.get_or_insert_with(|| {
                    tags.iter()
                        .copied()
                        .filter(|(k, _)| *k != "msgid")
                        .collect()
                }),
            };
            first = false;
            out.line(tags, Some(&source), command, &[target, &body]);
        }
    }
}

/// The longest start of `rest` that fits `room` bytes: cut at the last
/// space of its second half when there is one (a word is not split), else
/// at a character boundary.
fn next_piece(rest: &str, room: usize) -> &str {
    if rest.len() <= room {
        return rest;
    }
    let mut cut = room;
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    match rest[..cut].rfind(' ') {
        Some(space) if space >= cut / 2 => &rest[..space],
        _ => &rest[..cut],
    }
}

fn event(out: &mut Out<'_>, e: &Event, st: &mut IrcState, ctl: &ControlTx) {
    let me = st.me().to_owned();
    match e {
        Event::Message {
            room,
            id,
            from,
            text,
            action,
            at,
        } => {
            let id = id.to_string();
            let tags = message_tags(st, &id, at, from);
            privmsg(out, &tags, from, "PRIVMSG", &channel(room), text, *action);
        }
        Event::Whisper {
            id,
            from,
            to,
            text,
            action,
            at,
        } => {
            let id = id.to_string();
            let tags = message_tags(st, &id, at, from);
            privmsg(out, &tags, from, "PRIVMSG", to, text, *action);
        }
        // this account joined from another of its sessions: this one gets
        // the room's JOIN burst too (Ergo `playJoinForSession`), from a
        // `members` (its topic comes with the next TOPIC or JOIN)
        Event::Joined { room, user, .. } if *user == me => {
            let _ = ctl.send(Control::Request(Box::new(ControlRequest {
                ty: "members",
                args: serde_json::json!({ "room": room }),
                pending: Pending::Burst { room: room.clone() },
            })));
        }
        Event::Joined {
            room,
            user,
            room_role,
            ..
        } => {
            st.gone.remove(user);
            join_line(out, st, user, room);
            // the prefix the room role gives, as a server MODE after the
            // JOIN (an owner joins as owner again every time)
            let mode = match room_role {
                crate::model::RoomRole::Owner => Some("+q"),
                crate::model::RoomRole::Op => Some("+o"),
                crate::model::RoomRole::Member => None,
            };
            if let Some(mode) = mode {
                let server = out.server;
                out.bare(Some(server), "MODE", &[&channel(room), mode, user]);
            }
        }
        Event::Online { room, user, .. } => {
            st.gone.remove(user);
            join_line(out, st, user, room);
        }
        // a room kick's target gets `kicked` (with the reason) as its KICK
        Event::Left {
            user,
            reason: LeftReason::Kicked,
            ..
        } if *user == me => {}
        Event::Left {
            room,
            user,
            reason,
            by,
            ..
        } => {
            if *user == me {
                st.shown.remove(room);
            }
            let ch = channel(room);
            match (reason, by) {
                (LeftReason::Kicked | LeftReason::Banned, Some(by)) => {
                    let why = match reason {
                        LeftReason::Banned => "banned",
                        _ => "kicked",
                    };
                    out.act(st, by, "KICK", &[&ch, user, why], true);
                }
                (LeftReason::Deleted, _) => {
                    out.act(st, user, "PART", &[&ch, "room deleted"], true);
                }
                _ => out.act(st, user, "PART", &[&ch], false),
            }
        }
        Event::Offline { user, .. } => {
            // one QUIT per user, however many rooms it shared with us
            if st.gone.insert(user.clone()) {
                out.act(st, user, "QUIT", &["offline"], true);
            }
        }
        Event::Kicked { by, reason, room } => {
            let by = by.as_deref().unwrap_or("ModServ");
            let reason = reason.as_deref().unwrap_or("");
            match room {
                Some(r) => {
                    st.shown.remove(r);
                    let why = if reason.is_empty() { "kicked" } else { reason };
                    out.act(st, by, "KICK", &[&channel(r), &me, why], true);
                }
                None => {
                    let text = match reason.is_empty() {
                        true => format!("Kicked by {by}"),
                        false => format!("Kicked by {by} ({reason})"),
                    };
                    out.line(&[], None, "ERROR", &[&text]);
                }
            }
        }
        Event::Banned {
            by,
            until,
            reason,
            room,
        } => {
            let by = by.as_deref().unwrap_or("ModServ");
            let until = until.as_deref().unwrap_or("further notice");
            let reason = reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            match room {
                Some(r) => {
                    let text = format!("{by} banned you from #{r} until {until}{reason}");
                    modserv(out, &me, &text);
                }
                None => {
                    let text = format!("Banned by {by} until {until}{reason}");
                    out.line(&[], None, "ERROR", &[&text]);
                }
            }
        }
        Event::Muted {
            by,
            until,
            reason,
            room,
        } => {
            let by = by.as_deref().unwrap_or("the word filter");
            let until = until.as_deref().unwrap_or("further notice");
            let place = room
                .as_deref()
                .map(|r| format!(" in #{r}"))
                .unwrap_or_default();
            let reason = reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            modserv(
                out,
                &me,
                &format!("{by} muted you{place} until {until}{reason}"),
            );
            // a room mute is the extban `m:` of that room's ban list
            if let Some(r) = room {
                let source = by_source(out, by);
                let mask = format!("m:{me}!*@*");
                out.bare(Some(&source), "MODE", &[&channel(r), "+b", &mask]);
            }
        }
        Event::Unmuted { by, room } => {
            let place = room
                .as_deref()
                .map(|r| format!(" in #{r}"))
                .unwrap_or_default();
            let text = match by {
                Some(b) => format!("{b} unmuted you{place}"),
                None => format!("Your mute{place} has ended"),
            };
            modserv(out, &me, &text);
            if let Some(r) = room {
                let source = by_source(out, by.as_deref().unwrap_or(""));
                let mask = format!("m:{me}!*@*");
                out.bare(Some(&source), "MODE", &[&channel(r), "-b", &mask]);
            }
        }
        Event::RoleChanged { user, role, by } => {
            let by = by.as_deref().unwrap_or("the console");
            modserv(out, &me, &format!("{by} made {user} {role}"));
        }
        Event::RoomRoleChanged {
            room,
            user,
            room_role,
            by,
        } => {
            let mode = match room_role {
                crate::model::RoomRole::Member => "-o",
                _ => "+o",
            };
            let params = [channel(room), mode.to_owned(), user.clone()];
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            match by {
                Some(b) => out.act(st, b, "MODE", &params, false),
                None => {
                    let server = out.server;
                    out.bare(Some(server), "MODE", &params);
                }
            }
        }
        Event::TopicChanged { room, topic, by } => match by {
            Some(b) => out.act(st, b, "TOPIC", &[&channel(room), topic], true),
            None => {
                let server = out.server;
                out.line(&[], Some(server), "TOPIC", &[&channel(room), topic]);
            }
        },
        Event::RoomDeleted { room, by } => {
            st.shown.remove(room);
            let by = by
                .as_deref()
                .map(|b| out.mask(b))
                .unwrap_or_else(|| out.server.to_owned());
            out.line(
                &[],
                Some(&by),
                "KICK",
                &[&channel(room), &me, "room deleted"],
            );
        }
        Event::Announcement { id, from, text, at } => {
            // to each recipient by nick, as Ergo's `$$` mass messages are
            let id = id.to_string();
            let tags = message_tags(st, &id, at, from);
            privmsg(out, &tags, from, "NOTICE", &me, text, false);
        }
        Event::Renamed { old, new } => {
            if *old == me {
                st.account = Some(new.clone());
            }
            out.bare(Some(&out.mask(old)), "NICK", &[new]);
        }
        Event::Shutdown { .. } => out.line(&[], None, "ERROR", &["Server shutting down"]),
        // rendered by render_history (REDACT, MARKREAD), never here
        Event::MessageDeleted { .. }
        | Event::Read {
            target: ReadTarget::Room(_) | ReadTarget::With(_),
            ..
        } => {}
    }
}

/// A NOTICE from ModServ to `me`.
pub fn modserv_to(out: &mut Out<'_>, me: &str, text: &str) {
    modserv(out, me, text);
}

fn modserv(out: &mut Out<'_>, me: &str, text: &str) {
    let source = out.modserv();
    out.line(&[], Some(&source), "NOTICE", &[me, text]);
}

/// `:user!user@cloak JOIN #room` (extended-join: `JOIN #room account :realname`).
/// The source of a line for an act by `by`: its mask, or the server for
/// the system (the word filter, an expiry, the console).
fn by_source(out: &Out<'_>, by: &str) -> String {
    if by.is_empty() || by.contains(' ') {
        out.server.to_owned()
    } else {
        out.mask(by)
    }
}

fn join_line(out: &mut Out<'_>, st: &IrcState, user: &str, room: &str) {
    let ch = channel(room);
    if st.has("extended-join") {
        out.act(st, user, "JOIN", &[&ch, user, user], true);
    } else {
        out.act(st, user, "JOIN", &[&ch], false);
    }
}

fn reply(out: &mut Out<'_>, r: &Reply, st: &mut IrcState, ctl: &ControlTx) {
    let Some(p) = st.take(&r.re) else { return };
    let me = st.me().to_owned();
    match (p, &r.result) {
        (Pending::ModServ(req), result) => crate::irc::conn::modserv::render(out, st, req, result),
        (Pending::Register(req), result) => {
            crate::irc::conn::register::render(out, st, ctl, req, result)
        }
        (Pending::Rooms(p), result) => render_rooms::reply(out, st, ctl, &me, p, result),
        (Pending::History(h), result) => render_history::reply(out, st, ctl, &me, h, result),
        (Pending::Topics | Pending::Burst { .. }, Err(_)) => {}
        (Pending::Topics, Ok(fields)) => {
            for r in fields["rooms"].as_array().into_iter().flatten() {
                if let Some(name) = r["name"].as_str() {
                    st.topics.insert(name.to_owned(), r.clone());
                }
            }
        }
        (Pending::Burst { room }, Ok(fields)) => {
            let mut fields = fields.clone();
            let shown = st.topics.remove(&room).unwrap_or(Value::Null);
            if st.topics.is_empty() {
                // the login's topics are shown: keep no table for them
                st.topics.shrink_to_fit();
            }
            fields.insert("room".into(), shown);
            joined_burst(out, st, &me, &room, &fields);
        }
        (Pending::Login { sasl }, Ok(fields)) => {
            let (name, rooms) = logged_in(fields);
            let before = st.nick.clone().unwrap_or_else(|| "*".into());
            st.account = Some(name.clone());
            // 900 for SASL and PASS alike; 903 ends a SASL exchange
            let text = format!("You are now logged in as {name}");
            out.numeric("900", &before, &[&out.mask(&name), &name, &text]);
            if sasl {
                out.numeric("903", &before, &["SASL authentication successful"]);
            }
            let _ = ctl.send(Control::LoggedIn { rooms });
        }
        (Pending::Guest { .. }, Ok(fields)) => {
            let (name, rooms) = logged_in(fields);
            st.account = Some(name);
            st.guest = true;
            let _ = ctl.send(Control::LoggedIn { rooms });
        }
        (Pending::Guest { nick }, Err(f)) => {
            let retry = match f.code {
                ErrorCode::UsernameTaken => {
                    let text = format!("Nickname is already in use: {}", f.message);
                    out.numeric("433", "*", &[&nick, &text]);
                    Some(nick)
                }
                ErrorCode::BadRequest => {
                    let text = format!("Erroneous nickname: {}", f.message);
                    out.numeric("432", "*", &[&nick, &text]);
                    Some(nick)
                }
                ErrorCode::Banned => {
                    out.line(
                        &[],
                        None,
                        "ERROR",
                        &[&format!("You are banned: {}", banned(f))],
                    );
                    None
                }
                ErrorCode::RateLimited => {
                    out.line(
                        &[],
                        None,
                        "ERROR",
                        &["Too many connections as a guest, try later"],
                    );
                    None
                }
                ErrorCode::Unavailable => {
                    out.fail("*", "TEMPORARILY_UNAVAILABLE", &[], &f.message);
                    out.line(&[], None, "ERROR", &["Temporarily unavailable, try later"]);
                    None
                }
                _ => {
                    out.line(
                        &[],
                        None,
                        "ERROR",
                        &[&format!("Guest login failed: {}", f.message)],
                    );
                    None
                }
            };
            let _ = ctl.send(Control::GuestRefused { retry });
        }
        (Pending::Login { sasl }, Err(f)) => {
            // docs/irc.md 3.2 (SASL: the client may try again) and 3.3
            // (PASS: the connection ends); a ban ends either
            let ban = || {
                let b = banned(f);
                let mut c = b.chars();
                c.next()
                    .map(|first| first.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            };
            let closing = crate::irc::conn::closing_link;
            match (sasl, f.code) {
                (true, code) => {
                    let text = match code {
                        ErrorCode::RateLimited => {
                            "SASL authentication failed: too many failed logins, try later"
                        }
                        ErrorCode::Banned => "SASL authentication failed: banned",
                        ErrorCode::Unavailable | ErrorCode::Internal => {
                            "SASL authentication failed: temporarily unavailable"
                        }
                        _ => "SASL authentication failed",
                    };
                    out.numeric("904", &me, &[text]);
                    if code == ErrorCode::Banned {
                        out.line(&[], None, "ERROR", &[&ban()]);
                    }
                }
                (false, ErrorCode::Banned) => {
                    let text = format!("You are banned from this server: {}", banned(f));
                    out.numeric("465", "*", &[&text]);
                    out.line(&[], None, "ERROR", &[&ban()]);
                }
                (false, ErrorCode::RateLimited) => {
                    out.numeric("464", "*", &["Too many failed logins, try again later"]);
                    closing(out, "Too many failed logins, try again later");
                }
                (false, ErrorCode::Unavailable | ErrorCode::Internal) => {
                    out.fail("*", "TEMPORARILY_UNAVAILABLE", &[], &f.message);
                    closing(out, "Temporarily unavailable, try again later");
                }
                (false, _) => {
                    out.numeric("464", "*", &["Password incorrect"]);
                    closing(out, "Password incorrect");
                }
            }
            let _ = ctl.send(Control::LoginFailed { code: f.code });
        }
        (Pending::Join { room } | Pending::Create { room }, Ok(fields)) => {
            joined_burst(out, st, &me, &room, fields);
        }
        (Pending::Join { room }, Err(f)) if f.code == ErrorCode::NoSuchRoom => {
            let _ = ctl.send(Control::NoSuchRoom { room });
        }
        // another client made the room between our `join` and our
        // `create_room`: join it after all
        (Pending::Create { room }, Err(f)) if f.code == ErrorCode::RoomExists => {
            let _ = ctl.send(Control::Request(Box::new(ControlRequest {
                ty: "join",
                args: serde_json::json!({ "room": room }),
                pending: Pending::Join { room },
            })));
        }
        (Pending::Join { room } | Pending::Create { room }, Err(f)) => {
            let ch = channel(&room);
            match f.code {
                ErrorCode::RoomFull => out.numeric("471", &me, &[&ch, "Cannot join channel (+l)"]),
                ErrorCode::BannedFromRoom => {
                    let text = format!("Cannot join channel (+b): {}", banned(f));
                    out.numeric("474", &me, &[&ch, &text])
                }
                ErrorCode::BadRequest => out.numeric("479", &me, &[&ch, "Illegal channel name"]),
                // no such room, and this account may not make it
                ErrorCode::Forbidden => {
                    let text = format!("No such channel ({})", f.message);
                    out.numeric("403", &me, &[&ch, &text])
                }
                ErrorCode::LimitReached => {
                    let text = format!("You have joined too many channels ({})", f.message);
                    out.numeric("405", &me, &[&ch, &text])
                }
                _ => render_rooms::generic(out, &me, "JOIN", &ch, f),
            }
        }
        (Pending::Part { room, reason }, Ok(_)) => {
            st.shown.remove(&room);
            let ch = channel(&room);
            let source = out.mask(&me);
            match &reason {
                Some(r) => out.line(&[], Some(&source), "PART", &[&ch, r]),
                None => out.bare(Some(&source), "PART", &[&ch]),
            }
        }
        (Pending::Part { room, .. }, Err(f)) => {
            let ch = channel(&room);
            match f.code {
                ErrorCode::NotInRoom if f.message.starts_with("no room") => {
                    out.numeric("403", &me, &[&ch, "No such channel"])
                }
                ErrorCode::NotInRoom => {
                    out.numeric("442", &me, &[&ch, "You're not on that channel"])
                }
                ErrorCode::NoSuchRoom | ErrorCode::BadRequest => {
                    out.numeric("403", &me, &[&ch, "No such channel"])
                }
                _ => render_rooms::generic(out, &me, "PART", &ch, f),
            }
        }
        (
            Pending::Message {
                command,
                target,
                text,
                action,
                ..
            },
            Ok(fields),
        ) => {
            // an announcement comes back to its sender as the event
            if st.has("echo-message") && !target.starts_with('$') {
                let id = fields.get("id").map(Value::to_string).unwrap_or_default();
                let at = fields
                    .get("at")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let tags = message_tags(st, &id, &at, &me);
                privmsg(out, &tags, &me, command, &target, &text, action);
            }
        }
        // a NOTICE is never answered with an error (RFC 2812 3.3.2)
        (Pending::Message { notice: true, .. }, Err(_)) => {}
        (
            Pending::Message {
                command, target, ..
            },
            Err(f),
        ) => {
            message_error(out, &me, command, &target, f);
        }
    }
}

/// The JOIN echo, the topic (332) and the names (353/366) of a room just
/// joined.
fn joined_burst(
    out: &mut Out<'_>,
    st: &mut IrcState,
    me: &str,
    room: &str,
    fields: &Map<String, Value>,
) {
    let ch = channel(room);
    join_line(out, st, me, room);
    // draft/read-marker: the marker right after the JOIN (the spec's MUST;
    // Ergo `Channel.Join`), when the reply knows it (the burst's
    // `room_states`); `*` for a room never marked
    if st.has("draft/read-marker") && fields["room"].get("last_read").is_some() {
        let at = fields["room"]["last_read_at"].as_str().unwrap_or("*");
        let at = if at == "*" {
            "*".to_owned()
        } else {
            format!("timestamp={at}")
        };
        let server = out.server;
        out.bare(Some(server), "MARKREAD", &[&ch, &at]);
    }
    topic_lines(out, me, &ch, &fields["room"], false);
    st.shown.insert(room.to_owned());
    let mut names: Vec<String> = Vec::new();
    match fields.get("members").and_then(Value::as_array) {
        Some(members) => {
            for m in members.iter().filter(|m| m["online"] == true) {
                let name = m["name"].as_str().unwrap_or_default();
                names.push(name_entry(out, st, name, m));
            }
        }
        // create_room: the creator alone, its owner
        None => names.push(format!("~{}", name_in_list(out, st, me))),
    }
    names_lines(out, me, &ch, names);
    out.numeric("366", me, &[&ch, "End of /NAMES list"]);
}

/// 332 and, when the setter and time are known, 333 (`<setter> <unix
/// time>`, as Ergo and most clients expect) of a room's JSON (`rooms`
/// entry, `join`'s `room`); with `none`, 331 for a room without a topic
/// (TOPIC asks; a JOIN says nothing).
pub(super) fn topic_lines(out: &mut Out<'_>, me: &str, ch: &str, room: &Value, none: bool) {
    let topic = room["topic"].as_str().unwrap_or_default();
    if topic.is_empty() {
        if none {
            out.numeric("331", me, &[ch, "No topic is set"]);
        }
        return;
    }
    out.numeric("332", me, &[ch, topic]);
    if let (Some(by), Some(at)) = (room["topic_by"].as_str(), unix_time(&room["topic_at"])) {
        let server = out.server;
        out.bare(Some(server), "333", &[me, ch, by, &at]);
    }
}

/// A JSON time (`2026-11-21T10:00:00.000Z`) as IRC's seconds since 1970.
pub(super) fn unix_time(v: &Value) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok()?;
    Some(t.timestamp().to_string())
}

/// A ban's end and, when it has one, its reason (the contract: "a ban 904
/// then `ERROR` with its end and reason").
fn banned(f: &Failure) -> String {
    match f.extra.get("reason").and_then(Value::as_str) {
        Some(r) if !r.is_empty() => format!("{} ({r})", f.message),
        _ => f.message.clone(),
    }
}

/// A `login` reply's account name and rooms.
pub(super) fn logged_in(fields: &Map<String, Value>) -> (String, Vec<String>) {
    let name = fields["user"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rooms = fields["rooms"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (name, rooms)
}

/// `353 me = #room :names` lines, as many names on each as fit 512 bytes.
pub(super) fn names_lines(
    out: &mut Out<'_>,
    me: &str,
    ch: &str,
    names: impl IntoIterator<Item = String>,
) {
    let budget = MAX_BODY_LEN.saturating_sub(out.server.len() + me.len() + ch.len() + 16);
    let mut line = String::new();
    for n in names {
        if !line.is_empty() && line.len() + 1 + n.len() > budget {
            out.numeric("353", me, &["=", ch, &line]);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&n);
    }
    if !line.is_empty() {
        out.numeric("353", me, &["=", ch, &line]);
    }
}

fn name_in_list(out: &Out<'_>, st: &IrcState, name: &str) -> String {
    match st.has("userhost-in-names") {
        true => out.mask(name),
        false => name.to_owned(),
    }
}

/// One NAMES entry: `~` for the owner, `@` for an op or site staff (all of
/// them with multi-prefix, the highest alone without).
fn name_entry(out: &Out<'_>, st: &IrcState, name: &str, m: &Value) -> String {
    let mut prefixes = String::new();
    if m["room_role"] == "owner" {
        prefixes.push('~');
    }
    if m["room_role"] == "op" || m["role"] == "moderator" || m["role"] == "admin" {
        prefixes.push('@');
    }
    if !st.has("multi-prefix") {
        prefixes.truncate(prefixes.chars().next().map_or(0, char::len_utf8));
    }
    format!("{prefixes}{}", name_in_list(out, st, name))
}

/// A refused PRIVMSG: the numeric the contract names for its code.
/// The room's refusals are 404 with the reason in words (the contract);
/// a whisper's are standard replies, as 404 is about channels.
fn message_error(out: &mut Out<'_>, me: &str, command: &str, target: &str, f: &Failure) {
    let room = target.starts_with('#');
    let reason = f
        .extra
        .get("reason")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let words = format!("{}{reason}", f.message);
    match f.code {
        ErrorCode::NotInRoom | ErrorCode::Muted | ErrorCode::Blocked if room => {
            let text = format!("Cannot send to channel ({words})");
            out.numeric("404", me, &[target, &text]);
        }
        ErrorCode::Muted => out.fail(command, "MUTED", &[target], &words),
        ErrorCode::Blocked => out.fail(command, "BLOCKED", &[target], &words),
        ErrorCode::CannotWhisperSelf => out.fail(command, "INVALID_TARGET", &[target], &words),
        ErrorCode::NoSuchUser | ErrorCode::UserOffline => {
            out.numeric("401", me, &[target, "No such nick/channel"])
        }
        ErrorCode::NoSuchRoom => out.numeric("403", me, &[target, "No such channel"]),
        ErrorCode::Forbidden if target.starts_with('$') => out.numeric(
            "481",
            me,
            &["Permission Denied- only admins send to everyone"],
        ),
        ErrorCode::RateLimited => out.fail(command, "RATE_LIMITED", &[target], &f.message),
        ErrorCode::BadRequest if f.extra.get("field").and_then(Value::as_str) == Some("text") => {
            if f.message.contains("blank") || f.message.contains("empty") {
                out.numeric("412", me, &["No text to send"]);
            } else if f.message.contains("at most") {
                out.numeric("417", me, &["Input line was too long"]);
            } else {
                out.fail(command, "INVALID_PARAMS", &[target], &f.message);
            }
        }
        _ => render_rooms::generic(out, me, command, target, f),
    }
}

/// Any other refusal: `FAIL <command> <CODE> [context] :message`, or the
/// contract's `TEMPORARILY_UNAVAILABLE` and 400.
fn failure(out: &mut Out<'_>, command: &str, context: &[&str], f: &Failure) {
    match f.code {
        ErrorCode::Unavailable => out.fail(command, "TEMPORARILY_UNAVAILABLE", context, &f.message),
        ErrorCode::Internal => {
            out.server_line("400", &["*", command, "A server fault; it has been logged"])
        }
        code => {
            let upper = code.as_str().to_ascii_uppercase();
            out.fail(command, &upper, context, &f.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: &Outgoing, caps: &[&'static str]) -> String {
        let mut st = IrcState::new();
        st.caps = caps.to_vec();
        let (ctl, _rx) = crate::irc::control::channel();
        let mut out = Out {
            buf: Vec::new(),
            server: "irc.test",
            network: "test",
        };
        frame(&mut out, f, &mut st, &ctl);
        String::from_utf8(out.buf).expect("utf-8")
    }

    /// A room message is rendered once per set of tags and shared: each
    /// receiver still gets exactly the lines its own tags make.
    #[test]
    fn a_message_is_rendered_once_per_tag_set() {
        let f = Event::Message {
            room: "lobby".into(),
            id: crate::model::MessageId(7),
            from: "alice".into(),
            text: "hi\nthere".into(),
            action: false,
            at: "2026-12-06T10:00:00.000Z".into(),
        }
        .frame();
        let plain = ":alice!alice@test/user/alice PRIVMSG #lobby :hi\r\n\
                     :alice!alice@test/user/alice PRIVMSG #lobby :there\r\n";
        assert_eq!(render(&f, &[]), plain);
        let tagged = render(&f, &["message-tags", "server-time"]);
        assert!(
            tagged.starts_with("@msgid=7;time=2026-12-06T10:00:00.000Z :alice!"),
            "{tagged}"
        );
        // the msgid names the first line only
        assert!(
            tagged.contains("\r\n@time=2026-12-06T10:00:00.000Z :alice!"),
            "{tagged}"
        );
        // again, from the shared renderings: the same bytes
        assert_eq!(render(&f, &[]), plain);
        assert_eq!(render(&f, &["server-time", "message-tags"]), tagged);
        assert!(render(&f, &["account-tag"]).starts_with("@account=alice :alice!"));
    }
}
