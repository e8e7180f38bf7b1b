//! The replies of the room and user commands (src/irc/rooms_users.rs) as
//! IRC lines: NAMES, LIST, TOPIC, WHO, WHOIS, NICK, KICK, MODE, VERSION
//! (docs/irc.md 4.2, 4.4, 4.6). Lines the room's events carry (TOPIC, KICK,
//! MODE +o/-o) are not repeated here: the `ok` adds nothing.

use std::net::SocketAddr;

use serde_json::{json, Map, Value};

use super::{channel, failure, name_entry, names_lines, Control, Out};
use crate::error::{ErrorCode, Failure};
use crate::irc::control::ControlTx;
use crate::irc::state::{IrcState, Pending};

/// The most `rooms` pages (of 500) one full LIST reads.
pub const MAX_LIST_PAGES: u32 = 20;

/// What a room or user command's request was.
#[derive(Debug, Clone)]
pub enum RoomReq {
    /// `members` for NAMES: 353s and 366.
    Names { room: String },
    /// A `rooms` page for LIST (`only`: LIST #room); `last`: 323 after it.
    List {
        only: Option<String>,
        last: bool,
        /// Pages asked so far: a full LIST stops at [`MAX_LIST_PAGES`].
        pages: u32,
    },
    /// `rooms {query}` for TOPIC #a: 332 or 331.
    TopicQuery { room: String },
    /// `set_topic`: the TOPIC line comes from `topic_changed`, or from the
    /// `ok` for a room the client was not shown (5.1).
    TopicSet { room: String, topic: String },
    /// `members` after a refused `set_topic`: 442 for a non-member, else 482.
    TopicDenied { room: String },
    /// `members` for WHO #a.
    WhoRoom { mask: String, room: String },
    /// `who` for WHO nick / WHO mask.
    WhoUsers { mask: String },
    /// `who` for WHOIS nick.
    Whois { nick: String },
    /// `rename` for NICK new.
    Rename { new: String },
    /// `kick` with room: the KICK line comes from `left`.
    Kick { room: String, nick: String },
    /// `rooms {query}` for MODE #a: 324.
    ModeQuery { room: String },
    /// `modlog {room}` for MODE #a +b: 367s and 368.
    BanList { room: String },
    /// `set_room_role` for +o/-o: the MODE line comes from
    /// `room_role_changed`, or from the `ok` outside the rooms shown.
    RoomRole {
        room: String,
        nick: String,
        add: bool,
    },
    /// `ban`/`unban`/`mute`/`unmute` with room for ±b.
    Ban {
        room: String,
        nick: String,
        add: bool,
        mute: bool,
    },
    /// `set_capacity` for +l N (`None`: -l).
    Capacity { room: String, capacity: Option<i64> },
    /// `version`: 351.
    Version,
    /// `who` for ISON: 303 with the nicks online.
    Ison { nicks: Vec<String> },
    /// `who` for USERHOST: 302.
    Userhost { nicks: Vec<String> },
}

impl RoomReq {
    /// The room a room lookup is about.
    fn room(&self) -> &str {
        match self {
            RoomReq::TopicQuery { room } | RoomReq::ModeQuery { room } => room,
            _ => "",
        }
    }
}

/// Writes the reply of `req`.
pub(super) fn reply(
    out: &mut Out<'_>,
    st: &mut IrcState,
    ctl: &ControlTx,
    me: &str,
    req: RoomReq,
    result: &Result<Map<String, Value>, Failure>,
) {
    match (req, result) {
        (RoomReq::Names { room }, Ok(f)) => {
            names(out, st, me, &room, &f["members"]);
            out.numeric("366", me, &[&channel(&room), "End of /NAMES list"]);
        }
        // an unknown room: the end alone (Ergo `namesHandler`)
        (RoomReq::Names { room }, Err(_)) => {
            out.numeric("366", me, &[&channel(&room), "End of /NAMES list"])
        }
        (RoomReq::List { only, last, pages }, Ok(f)) => {
            for r in f["rooms"].as_array().into_iter().flatten() {
                let name = r["name"].as_str().unwrap_or_default();
                if only.as_deref().is_some_and(|o| o != name) {
                    continue;
                }
                let online = r["online"].as_u64().unwrap_or(0).to_string();
                let topic = r["topic"].as_str().unwrap_or_default();
                out.numeric("322", me, &[&channel(name), &online, topic]);
            }
            let found = only.as_deref().is_some_and(|o| find_room(f, o).is_some());
            match f["next"].as_str() {
                // the next page, once this one is written
                // one line must not cost the database without bound: a full
                // LIST shows the first MAX_LIST_PAGES pages (docs/irc.md)
                Some(_) if pages >= MAX_LIST_PAGES && !found => {
                    if only.is_none() {
                        let shown = MAX_LIST_PAGES * 500;
                        let text =
                            format!("LIST shows the first {shown} rooms; LIST #name for another");
                        out.server_line("NOTICE", &[me, &text]);
                    }
                    if last {
                        out.numeric("323", me, &["End of /LIST"]);
                    }
                }
                Some(next) if !found => {
                    let mut args = json!({ "after": next });
                    if let Some(o) = &only {
                        args["query"] = o.as_str().into();
                    }
                    let pending = Pending::Rooms(RoomReq::List {
                        only,
                        last,
                        pages: pages + 1,
                    });
                    let _ = ctl.send(Control::Request(Box::new(
                        crate::irc::render::ControlRequest {
                            ty: "rooms",
                            args,
                            pending,
                        },
                    )));
                }
                _ if last => out.numeric("323", me, &["End of /LIST"]),
                _ => {}
            }
        }
        (RoomReq::List { last, .. }, Err(_)) => {
            if last {
                out.numeric("323", me, &["End of /LIST"]);
            }
        }
        (req @ (RoomReq::TopicQuery { .. } | RoomReq::ModeQuery { .. }), Ok(f))
            if find_room(f, req.room()).is_none() =>
        {
            let room = req.room().to_owned();
            match f["next"].as_str() {
                // not on this page of the rooms whose name holds it
                Some(next) => {
                    let _ = ctl.send(Control::Request(Box::new(
                        crate::irc::render::ControlRequest {
                            ty: "rooms",
                            args: json!({ "query": room, "after": next }),
                            pending: Pending::Rooms(req),
                        },
                    )));
                }
                None => out.numeric("403", me, &[&channel(&room), "No such channel"]),
            }
        }
        (RoomReq::TopicQuery { room }, Ok(f)) => {
            let ch = channel(&room);
            let listed = find_room(f, &room).cloned().unwrap_or(Value::Null);
            super::topic_lines(out, me, &ch, &listed, true);
        }
        (RoomReq::ModeQuery { room }, Ok(f)) => {
            let listed = find_room(f, &room).cloned().unwrap_or(Value::Null);
            let capacity = listed["capacity"].as_i64().unwrap_or(0).to_string();
            let server = out.server;
            let ch = channel(&room);
            out.bare(Some(server), "324", &[me, &ch, "+l", &capacity]);
            // 329: when the room was made (Ergo `modeHandler` sends it too)
            if let Some(at) = super::unix_time(&listed["created_at"]) {
                out.bare(Some(server), "329", &[me, &ch, &at]);
            }
        }
        (RoomReq::TopicSet { room, topic }, Ok(_)) => {
            if !st.shown.contains(&room) {
                out.act(st, me, "TOPIC", &[&channel(&room), &topic], true);
            }
        }
        (RoomReq::TopicSet { room, .. }, Err(f)) if f.code == ErrorCode::Forbidden => {
            // a member who does not run the room (482), or not a member (442)
            let _ = ctl.send(Control::Request(Box::new(
                crate::irc::render::ControlRequest {
                    ty: "members",
                    args: json!({ "room": room }),
                    pending: Pending::Rooms(RoomReq::TopicDenied { room }),
                },
            )));
        }
        (RoomReq::TopicSet { room, .. }, Err(f)) => room_error(out, me, "TOPIC", &room, None, f),
        (RoomReq::TopicDenied { room }, result) => {
            let ch = channel(&room);
            let member = result.as_ref().is_ok_and(|f| {
                f["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m["name"].as_str() == Some(me))
            });
            match member {
                true => out.numeric("482", me, &[&ch, "You're not channel operator"]),
                false => out.numeric("442", me, &[&ch, "You're not on that channel"]),
            }
        }
        (RoomReq::WhoRoom { mask, room }, Ok(f)) => {
            let ch = channel(&room);
            for m in f["members"].as_array().into_iter().flatten() {
                if m["online"] != true {
                    continue;
                }
                let name = m["name"].as_str().unwrap_or_default();
                let flags = format!("H{}{}", staff_flag(m), prefixes(st, m));
                who_line(out, me, &ch, name, &flags);
            }
            out.numeric("315", me, &[&mask, "End of WHO list"]);
        }
        (RoomReq::WhoRoom { mask, .. }, Err(_)) => {
            out.numeric("315", me, &[&mask, "End of WHO list"])
        }
        (RoomReq::WhoUsers { mask }, Ok(f)) => {
            let pattern = mask.split('!').next().unwrap_or_default();
            for u in f["users"].as_array().into_iter().flatten() {
                let name = u["name"].as_str().unwrap_or_default();
                if glob(pattern, name) {
                    let flags = format!("H{}", staff_flag(u));
                    who_line(out, me, "*", name, &flags);
                }
            }
            out.numeric("315", me, &[&mask, "End of WHO list"]);
        }
        (RoomReq::WhoUsers { mask }, Err(f)) => {
            failure(out, "WHO", &[&mask], f);
            out.numeric("315", me, &[&mask, "End of WHO list"]);
        }
        (RoomReq::Whois { nick }, Ok(f)) => {
            let user = f["users"].as_array().into_iter().flatten().find(|u| {
                u["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&nick))
            });
            match user {
                Some(u) => whois(out, me, u),
                None => out.numeric("401", me, &[&nick, "No such nick/channel"]),
            }
            let name = user.and_then(|u| u["name"].as_str()).unwrap_or(&nick);
            out.numeric("318", me, &[name, "End of /WHOIS list"]);
        }
        (req @ (RoomReq::Ison { .. } | RoomReq::Userhost { .. }), Ok(f)) => {
            let online: Vec<&Value> = f["users"].as_array().into_iter().flatten().collect();
            let found = |n: &str| {
                online
                    .iter()
                    .find(|u| {
                        u["name"]
                            .as_str()
                            .is_some_and(|m| m.eq_ignore_ascii_case(n))
                    })
                    .copied()
            };
            match req {
                RoomReq::Ison { nicks } => {
                    let on: Vec<&str> = nicks
                        .iter()
                        .filter_map(|n| found(n).and_then(|u| u["name"].as_str()))
                        .collect();
                    out.numeric("303", me, &[&on.join(" ")]);
                }
                RoomReq::Userhost { nicks } => {
                    // nick, `*` for staff (IRC's operators), `=+` (not
                    // away), the cloak as user@host
                    let replies: Vec<String> = nicks
                        .iter()
                        .filter_map(|n| found(n))
                        .map(|u| {
                            let name = u["name"].as_str().unwrap_or_default();
                            let staff = if staff_flag(u).is_empty() { "" } else { "*" };
                            format!("{name}{staff}=+{name}@{}/user/{name}", out.network)
                        })
                        .collect();
                    out.numeric("302", me, &[&replies.join(" ")]);
                }
                _ => {}
            }
        }
        (RoomReq::Ison { .. }, Err(f)) => failure(out, "ISON", &[], f),
        (RoomReq::Userhost { .. }, Err(f)) => failure(out, "USERHOST", &[], f),
        (RoomReq::Whois { nick }, Err(f)) => {
            failure(out, "WHOIS", &[&nick], f);
            out.numeric("318", me, &[&nick, "End of /WHOIS list"]);
        }
        (RoomReq::Rename { new }, Ok(f)) => {
            let name = f["user"]["name"].as_str().unwrap_or(&new).to_owned();
            let source = out.mask(me);
            out.bare(Some(&source), "NICK", &[&name]);
            st.account = Some(name);
        }
        (RoomReq::Rename { new }, Err(f)) => match f.code {
            ErrorCode::UsernameTaken => {
                let text = format!("Nickname is already in use ({})", f.message);
                out.numeric("433", me, &[&new, &text]);
            }
            ErrorCode::BadRequest => out.numeric("432", me, &[&new, "Erroneous nickname"]),
            // a guest keeps the nick it connected with: the client keeps
            // its nick on 432 and shows why
            ErrorCode::Forbidden => {
                let text = format!("Erroneous nickname: {}", f.message);
                out.numeric("432", me, &[&new, &text]);
            }
            _ => generic(out, me, "NICK", &new, f),
        },
        // a moderator's kick in a room it has not joined: no `left` comes
        (RoomReq::Kick { room, nick }, Ok(_)) => {
            if !st.shown.contains(&room) {
                out.act(st, me, "KICK", &[&channel(&room), &nick, "kicked"], true);
            }
        }
        (RoomReq::Kick { room, nick }, Err(f)) => {
            // `kick` says not_in_room for a room that does not exist too
            if f.code == ErrorCode::NotInRoom && f.message.starts_with("no room") {
                out.numeric("403", me, &[&channel(&room), "No such channel"]);
            } else {
                room_error(out, me, "KICK", &room, Some(&nick), f);
            }
        }
        (
            RoomReq::TopicQuery { room } | RoomReq::ModeQuery { room } | RoomReq::BanList { room },
            Err(f),
        ) if f.code == ErrorCode::NoSuchRoom => {
            out.numeric("403", me, &[&channel(&room), "No such channel"])
        }
        (RoomReq::ModeQuery { room }, Err(f)) => room_error(out, me, "MODE", &room, None, f),
        (RoomReq::TopicQuery { room }, Err(f)) => room_error(out, me, "TOPIC", &room, None, f),
        (RoomReq::BanList { room }, result) => {
            let ch = channel(&room);
            if let Ok(f) = result {
                for (mask, by, at) in current_bans(f) {
                    out.bare(Some(out.server), "367", &[me, &ch, &mask, &by, &at]);
                }
            }
            // who may not read the room's modlog sees an empty list
            out.numeric("368", me, &[&ch, "End of channel ban list"]);
        }
        (RoomReq::RoomRole { room, nick, add }, Ok(_)) => {
            if !st.shown.contains(&room) {
                let mode = if add { "+o" } else { "-o" };
                out.act(st, me, "MODE", &[&channel(&room), mode, &nick], false);
            }
        }
        (RoomReq::RoomRole { room, nick, .. }, Err(f)) => {
            room_error(out, me, "MODE", &room, Some(&nick), f)
        }
        (
            RoomReq::Ban {
                room,
                nick,
                add,
                mute,
            },
            Ok(_),
        ) => {
            let mask = ban_mask(&nick, mute);
            let mode = if add { "+b" } else { "-b" };
            let source = out.mask(me);
            out.bare(Some(&source), "MODE", &[&channel(&room), mode, &mask]);
        }
        // removing an absent ban or mute is silent (Ergo `applyModeMask`)
        (RoomReq::Ban { .. }, Err(f))
            if matches!(f.code, ErrorCode::NotBanned | ErrorCode::NotMuted) => {}
        (RoomReq::Ban { room, nick, .. }, Err(f)) => {
            room_error(out, me, "MODE", &room, Some(&nick), f)
        }
        (RoomReq::Capacity { room, capacity }, Ok(_)) => {
            let source = out.mask(me);
            let ch = channel(&room);
            match capacity {
                Some(n) => out.bare(Some(&source), "MODE", &[&ch, "+l", &n.to_string()]),
                None => out.bare(Some(&source), "MODE", &[&ch, "-l"]),
            }
        }
        (RoomReq::Capacity { room, capacity }, Err(f)) if f.code == ErrorCode::BadRequest => {
            let n = capacity.map(|n| n.to_string()).unwrap_or_default();
            out.numeric(
                "696",
                me,
                &[
                    &channel(&room),
                    "l",
                    &n,
                    "Capacity must be a positive integer",
                ],
            );
        }
        (RoomReq::Capacity { room, .. }, Err(f)) => room_error(out, me, "MODE", &room, None, f),
        (RoomReq::Version, Ok(f)) => {
            let version = f["server"].as_str().unwrap_or("modchat").replace(' ', "-");
            let text = format!("protocol {}", f["protocol"]);
            let server = out.server;
            out.numeric("351", me, &[&version, server, &text]);
        }
        (RoomReq::Version, Err(f)) => generic(out, me, "VERSION", "*", f),
    }
}

/// The room of a `rooms` page named exactly `room`.
fn find_room<'a>(f: &'a Map<String, Value>, room: &str) -> Option<&'a Value> {
    f["rooms"]
        .as_array()?
        .iter()
        .find(|r| r["name"].as_str() == Some(room))
}

/// `353 me = #room :names` lines of the online members, each within 512
/// bytes.
fn names(out: &mut Out<'_>, st: &IrcState, me: &str, room: &str, members: &Value) {
    let ch = channel(room);
    let online = members
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["online"] == true);
    let names: Vec<String> = online
        .map(|m| name_entry(out, st, m["name"].as_str().unwrap_or_default(), m))
        .collect();
    names_lines(out, me, &ch, names);
}

/// A member's prefixes in WHO's flags: `~` owner, `@` op or staff; all of
/// them with multi-prefix, else the highest.
fn prefixes(st: &IrcState, m: &Value) -> String {
    let mut p = String::new();
    if m["room_role"] == "owner" {
        p.push('~');
    }
    if m["room_role"] == "op" || m["role"] == "moderator" || m["role"] == "admin" {
        p.push('@');
    }
    if !st.has("multi-prefix") {
        p.truncate(p.chars().next().map_or(0, char::len_utf8));
    }
    p
}

/// `*` (an IRC operator, in WHO's flags) for moderators and admins.
fn staff_flag(u: &Value) -> &'static str {
    match u["role"].as_str() {
        Some("moderator" | "admin") => "*",
        _ => "",
    }
}

/// `352 me <channel> <user> <host> <server> <nick> <flags> :0 <realname>`:
/// the host is the account's cloak, whoever asks (docs/irc.md, "Hostmask").
fn who_line(out: &mut Out<'_>, me: &str, ch: &str, name: &str, flags: &str) {
    let host = format!("{}/user/{name}", out.network);
    let server = out.server;
    let real = format!("0 {name}");
    out.numeric("352", me, &[ch, name, &host, server, name, flags, &real]);
}

/// 311, 319, 312, 313, 338 (to moderators and admins: `who` gave the
/// connections), 330 for one online user.
fn whois(out: &mut Out<'_>, me: &str, u: &Value) {
    let name = u["name"].as_str().unwrap_or_default();
    let host = format!("{}/user/{name}", out.network);
    out.numeric("311", me, &[name, name, &host, "*", name]);
    let rooms: Vec<String> = u["rooms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(channel)
        .collect();
    if !rooms.is_empty() {
        out.numeric("319", me, &[name, &rooms.join(" ")]);
    }
    let (server, network) = (out.server, out.network.to_owned());
    out.numeric("312", me, &[name, server, &network]);
    if let Some(role @ ("moderator" | "admin")) = u["role"].as_str() {
        let article = if role == "admin" { "an" } else { "a" };
        out.numeric(
            "313",
            me,
            &[name, &format!("is {article} {role} on {network}")],
        );
    }
    for c in u["connections"].as_array().into_iter().flatten() {
        let addr = c["addr"].as_str().unwrap_or_default();
        let ip = addr
            .parse::<SocketAddr>()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|_| addr.to_owned());
        let text = format!(
            "Actual user@host, Actual IP ({} since {})",
            c["transport"].as_str().unwrap_or_default(),
            c["since"].as_str().unwrap_or_default()
        );
        out.numeric("338", me, &[name, &format!("{name}@{ip}"), &ip, &text]);
    }
    out.numeric("330", me, &[name, name, "is logged in as"]);
}

/// A ban or mute mask as listed: `nick!*@*`, `m:nick!*@*`.
fn ban_mask(nick: &str, mute: bool) -> String {
    match mute {
        true => format!("m:{nick}!*@*"),
        false => format!("{nick}!*@*"),
    }
}

/// The room's bans and mutes in force, from its modlog (newest first): per
/// target, the newest ban/unban (and mute/unmute) decides, and a timed one
/// is in force until its `until`. Mask, setter, unix time.
fn current_bans(f: &Map<String, Value>) -> Vec<(String, String, String)> {
    let now = crate::store::fmt_time(&crate::store::now());
    let mut decided: Vec<(String, bool)> = Vec::new();
    let mut listed = Vec::new();
    for e in f["entries"].as_array().into_iter().flatten() {
        let (Some(action), Some(target)) = (e["action"].as_str(), e["target"].as_str()) else {
            continue;
        };
        let mute = match action {
            "ban" | "unban" => false,
            "mute" | "unmute" => true,
            _ => continue,
        };
        let key = (target.to_ascii_lowercase(), mute);
        if decided.contains(&key) {
            continue;
        }
        decided.push(key);
        // RFC 3339 with milliseconds and Z: the text order is the time order
        let in_force = e["until"].as_str().is_none_or(|u| *u > *now.as_str());
        if matches!(action, "ban" | "mute") && in_force {
            let by = e["by"].as_str().unwrap_or("ModServ").to_owned();
            let at = e["at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp().to_string())
                .unwrap_or_else(|| "0".into());
            listed.push((ban_mask(target, mute), by, at));
        }
    }
    listed
}

/// A refused act in a room (docs/irc.md 4.1): 482, 441, 401, 403, else as
/// any command.
fn room_error(out: &mut Out<'_>, me: &str, cmd: &str, room: &str, nick: Option<&str>, f: &Failure) {
    let ch = channel(room);
    match (f.code, nick) {
        (ErrorCode::Forbidden, _) => out.numeric("482", me, &[&ch, "You're not channel operator"]),
        (ErrorCode::NoSuchRoom, _) => out.numeric("403", me, &[&ch, "No such channel"]),
        (ErrorCode::NotInRoom, Some(n)) => {
            out.numeric("441", me, &[n, &ch, "They aren't on that channel"])
        }
        (ErrorCode::NoSuchUser, Some(n)) => out.numeric("401", me, &[n, "No such nick/channel"]),
        _ => generic(out, me, cmd, &ch, f),
    }
}

/// The generic mapping (docs/irc.md 4.1) of what no row names.
pub(super) fn generic(out: &mut Out<'_>, me: &str, cmd: &str, target: &str, f: &Failure) {
    match f.code {
        ErrorCode::RateLimited => {
            let ms = f
                .extra
                .get("retry_after_ms")
                .and_then(Value::as_u64)
                .unwrap_or(1000);
            let text = format!("Too many requests, try again in {} s", ms.div_ceil(1000));
            out.fail(cmd, "RATE_LIMITED", &[target], &text);
        }
        ErrorCode::BadRequest => {
            let field = f.extra.get("field").and_then(Value::as_str).unwrap_or("*");
            out.fail(cmd, "INVALID_PARAMS", &[field], &f.message);
        }
        ErrorCode::Unavailable => {
            out.fail(cmd, "TEMPORARILY_UNAVAILABLE", &[], "Try again shortly")
        }
        ErrorCode::Internal => out.numeric("400", me, &[cmd, "Internal error"]),
        ErrorCode::Forbidden => out.numeric(
            "481",
            me,
            &["Permission Denied- You're not a moderator or admin"],
        ),
        ErrorCode::NoSuchUser => out.numeric("401", me, &[target, "No such nick/channel"]),
        _ => failure(out, cmd, &[target], f),
    }
}

/// `*` and `?` globbing, ASCII case-insensitive (WHO masks).
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (
        pattern.to_ascii_lowercase().chars().collect(),
        name.to_ascii_lowercase().chars().collect(),
    );
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn who_globs() {
        assert!(glob("*", "alice"));
        assert!(glob("AL*", "alice"));
        assert!(glob("a?ice", "Alice"));
        assert!(glob("*ce", "alice"));
        assert!(!glob("bob", "alice"));
        assert!(!glob("a*x", "alice"));
    }
}
