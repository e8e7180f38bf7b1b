//! The room and user commands of the mapping (docs/irc.md 4.2, 4.4, 4.6):
//! NAMES, LIST, TOPIC, WHO, WHOIS, NICK, KICK, MODE, VERSION. Each becomes
//! the requests a JSON client would send; `render_rooms` writes the replies.
//! Lines that need no request (parameter errors, MODE of unknown letters,
//! ModServ's WHOIS) are written here.

use actix::Addr;
use serde_json::json;

use super::{lock, Flow, Gateway};
use crate::actors::session::Session;
use crate::irc::line::Line;
use crate::irc::render::render_rooms::RoomReq;
use crate::irc::state::Pending;

/// At most this many mode changes of one MODE line are applied (`MODES`).
pub(super) const MAX_MODE_CHANGES: usize = 4;

impl Gateway {
    pub(super) async fn rooms_users(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        match l.command.as_str() {
            "NAMES" => self.names(l, session).await,
            "LIST" => self.list(l, session).await,
            "TOPIC" => self.topic(l, session).await,
            "WHO" => self.who(l, session).await,
            "WHOIS" => self.whois(l, session).await,
            "NICK" => self.nick(l, session).await,
            "KICK" => self.kick(l, session).await,
            "MODE" => self.mode(l, session).await,
            "ISON" | "USERHOST" => {
                // ISON takes any number of nicks, USERHOST five (RFC 2812)
                let nicks: Vec<String> = l
                    .params
                    .iter()
                    .flat_map(|p| p.split_whitespace())
                    .take(if l.command == "ISON" { 100 } else { 5 })
                    .map(str::to_owned)
                    .collect();
                if nicks.is_empty() {
                    self.numeric("461", &[&l.command, "Not enough parameters"]);
                    return Flow::Go;
                }
                let req = match l.command.as_str() {
                    "ISON" => RoomReq::Ison { nicks },
                    _ => RoomReq::Userhost { nicks },
                };
                self.ask(session, "who", json!({}), req).await
            }
            "TIME" => {
                let now = chrono::Utc::now().to_rfc2822();
                let server = self.server.clone();
                self.numeric("391", &[&server, &now]);
                Flow::Go
            }
            "OPER" => {
                let text = "modchat has no OPER: moderators and admins are accounts with that role";
                self.numeric("491", &[text]);
                Flow::Go
            }
            _ => {
                self.ask(session, "version", json!({}), RoomReq::Version)
                    .await
            }
        }
    }

    /// A request whose reply `render_rooms` writes.
    async fn ask(
        &self,
        session: &Addr<Session>,
        ty: &str,
        args: serde_json::Value,
        req: RoomReq,
    ) -> Flow {
        self.request(session, ty, args, Pending::Rooms(req)).await
    }

    fn me(&self) -> String {
        lock(&self.state).me().to_owned()
    }

    /// `#room` lower-cased, or 403 (a target that is not a channel).
    fn room_of(&self, target: &str) -> Option<String> {
        match target.strip_prefix('#') {
            Some(r) if !r.is_empty() => Some(r.to_ascii_lowercase()),
            _ => {
                self.numeric("403", &[target, "No such channel"]);
                None
            }
        }
    }

    fn need_more(&self, cmd: &str) -> Flow {
        self.numeric("461", &[cmd, "Not enough parameters"]);
        Flow::Go
    }

    /// `NAMES #a[,#b]`: `members` of each; no parameter: 366 `*` alone.
    async fn names(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(targets) = l.param(0).filter(|t| !t.is_empty()) else {
            self.numeric("366", &["*", "End of /NAMES list"]);
            return Flow::Go;
        };
        let targets: Vec<String> = targets.split(',').take(4).map(str::to_owned).collect();
        for t in targets {
            let Some(room) = t.strip_prefix('#').map(str::to_ascii_lowercase) else {
                self.numeric("366", &[&t, "End of /NAMES list"]);
                continue;
            };
            let req = RoomReq::Names { room: room.clone() };
            if let Flow::Stop(why) = self
                .ask(session, "members", json!({ "room": room }), req)
                .await
            {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    /// `LIST`: every room, page by page; `LIST #a,#b`: those rooms.
    async fn list(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        self.numeric("321", &["Channel", "Users  Name"]);
        let named: Vec<String> = l
            .param(0)
            .unwrap_or_default()
            .split(',')
            .filter_map(|t| t.strip_prefix('#'))
            .filter(|r| !r.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if named.is_empty() {
            // filters such as `>3` or masks are ignored (docs/irc.md)
            let req = RoomReq::List {
                only: None,
                last: true,
                pages: 1,
            };
            return self.ask(session, "rooms", json!({}), req).await;
        }
        let n = named.len();
        for (i, room) in named.into_iter().enumerate() {
            let req = RoomReq::List {
                only: Some(room.clone()),
                last: i + 1 == n,
                pages: 1,
            };
            if let Flow::Stop(why) = self
                .ask(session, "rooms", json!({ "query": room }), req)
                .await
            {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    /// `TOPIC #a` reads the topic (`rooms`), `TOPIC #a :text` sets it.
    async fn topic(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(target) = l.param(0) else {
            return self.need_more("TOPIC");
        };
        let Some(room) = self.room_of(target) else {
            return Flow::Go;
        };
        match l.param(1) {
            None => {
                let req = RoomReq::TopicQuery { room: room.clone() };
                self.ask(session, "rooms", json!({ "query": room }), req)
                    .await
            }
            Some(text) => {
                let req = RoomReq::TopicSet {
                    room: room.clone(),
                    topic: text.to_owned(),
                };
                let args = json!({ "room": room, "topic": text });
                self.ask(session, "set_topic", args, req).await
            }
        }
    }

    /// `WHO #a` (`members`), `WHO nick`, `WHO *`, `WHO mask` (`who`).
    async fn who(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let mask = l.param(0).filter(|m| !m.is_empty()).unwrap_or("*");
        let mask = mask.to_owned();
        match mask.strip_prefix('#') {
            Some(room) => {
                let room = room.to_ascii_lowercase();
                let req = RoomReq::WhoRoom {
                    mask: mask.clone(),
                    room: room.clone(),
                };
                self.ask(session, "members", json!({ "room": room }), req)
                    .await
            }
            None => {
                let req = RoomReq::WhoUsers { mask };
                self.ask(session, "who", json!({}), req).await
            }
        }
    }

    /// `WHOIS [server] nick`: `who`, then the target's lines.
    async fn whois(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(nick) = l.params.last().filter(|n| !n.is_empty()) else {
            self.numeric("431", &["No nickname given"]);
            return Flow::Go;
        };
        // one target (TARGMAX WHOIS:1)
        let nick = nick.split(',').next().unwrap_or_default().to_owned();
        if nick.eq_ignore_ascii_case("ModServ") {
            let server = self.server.clone();
            self.numeric(
                "311",
                &["ModServ", "ModServ", &server, "*", "Moderation service"],
            );
            self.numeric("313", &["ModServ", "is a network service"]);
            self.numeric("318", &["ModServ", "End of /WHOIS list"]);
            return Flow::Go;
        }
        self.ask(session, "who", json!({}), RoomReq::Whois { nick })
            .await
    }

    /// `NICK new` once registered: `rename`.
    async fn nick(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(new) = l.param(0).filter(|n| !n.is_empty()) else {
            self.numeric("431", &["No nickname given"]);
            return Flow::Go;
        };
        let new = new.to_owned();
        if new == self.me() {
            return Flow::Go;
        }
        if new.contains('.') {
            // a nick cannot hold a '.' (RFC 2812): such a name is not
            // usable over IRC (docs/irc.md 3.7)
            self.numeric("432", &[&new, "Erroneous nickname"]);
            return Flow::Go;
        }
        let req = RoomReq::Rename { new: new.clone() };
        self.ask(session, "rename", json!({ "username": new }), req)
            .await
    }

    /// `KICK #a nick [:reason]`: `kick` with room.
    async fn kick(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let (Some(target), Some(nick)) = (l.param(0), l.param(1)) else {
            return self.need_more("KICK");
        };
        let Some(room) = self.room_of(target) else {
            return Flow::Go;
        };
        // one target (TARGMAX KICK:1)
        let nick = nick.split(',').next().unwrap_or_default().to_owned();
        let mut args = json!({ "user": nick, "room": room });
        if let Some(reason) = l.param(2).filter(|r| !r.is_empty()) {
            args["reason"] = reason.into();
        }
        self.ask(session, "kick", args, RoomReq::Kick { room, nick })
            .await
    }

    /// `MODE #a [changes]` and `MODE nick [changes]`.
    async fn mode(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        let Some(target) = l.param(0) else {
            return self.need_more("MODE");
        };
        let target = target.to_owned();
        let Some(room) = target.strip_prefix('#') else {
            return self.user_mode(&target, l);
        };
        let room = room.to_ascii_lowercase();
        let Some(modes) = l.param(1) else {
            let req = RoomReq::ModeQuery { room: room.clone() };
            return self
                .ask(session, "rooms", json!({ "query": room }), req)
                .await;
        };
        let modes = modes.to_owned();
        let mut args = l.params.iter().skip(2).map(String::as_str);
        let mut add = true;
        let mut changes = 0;
        let mut listed = false;
        for c in modes.chars() {
            if changes >= MAX_MODE_CHANGES {
                break;
            }
            let flow = match c {
                '+' => {
                    add = true;
                    continue;
                }
                '-' => {
                    add = false;
                    continue;
                }
                'b' => match args.next() {
                    Some(mask) => self.ban_mode(session, &room, add, mask).await,
                    None if listed => continue,
                    None => {
                        listed = true;
                        let req = RoomReq::BanList { room: room.clone() };
                        let q = json!({ "room": room, "limit": 200 });
                        self.ask(session, "modlog", q, req).await
                    }
                },
                'o' => match args.next() {
                    Some(nick) => {
                        let role = if add { "op" } else { "member" };
                        let req = RoomReq::RoomRole {
                            room: room.clone(),
                            nick: nick.to_owned(),
                            add,
                        };
                        let q = json!({ "room": room, "user": nick, "role": role });
                        self.ask(session, "set_room_role", q, req).await
                    }
                    None => self.need_more("MODE"),
                },
                'l' if add => match args.next() {
                    Some(n) => match n.parse::<i64>() {
                        Ok(cap) if cap > 0 => {
                            let req = RoomReq::Capacity {
                                room: room.clone(),
                                capacity: Some(cap),
                            };
                            let q = json!({ "room": room, "capacity": cap });
                            self.ask(session, "set_capacity", q, req).await
                        }
                        _ => {
                            let ch = format!("#{room}");
                            self.numeric(
                                "696",
                                &[&ch, "l", n, "Capacity must be a positive integer"],
                            );
                            Flow::Go
                        }
                    },
                    None => self.need_more("MODE"),
                },
                'l' => {
                    // a room always has a capacity: -l is the default one
                    let cap = self.env.config.limits.default_room_capacity;
                    let req = RoomReq::Capacity {
                        room: room.clone(),
                        capacity: None,
                    };
                    let q = json!({ "room": room, "capacity": cap });
                    self.ask(session, "set_capacity", q, req).await
                }
                'q' => {
                    let _ = args.next();
                    let ch = format!("#{room}");
                    self.numeric("482", &[&ch, "Room ownership cannot be given or taken"]);
                    Flow::Go
                }
                c => {
                    let c = c.to_string();
                    self.numeric("472", &[&c, "is unknown mode char to me"]);
                    Flow::Go
                }
            };
            changes += 1;
            if let Flow::Stop(why) = flow {
                return Flow::Stop(why);
            }
        }
        Flow::Go
    }

    /// `+b mask`, `-b mask`, `+b m:mask`, `-b m:mask`: ban, unban, mute,
    /// unmute with the room.
    async fn ban_mode(
        &mut self,
        session: &Addr<Session>,
        room: &str,
        add: bool,
        mask: &str,
    ) -> Flow {
        let (mute, inner) = match mask.strip_prefix("m:") {
            Some(rest) => (true, rest),
            None => (false, mask),
        };
        let Some(nick) = mask_account(inner, &self.network) else {
            let ch = format!("#{room}");
            self.numeric(
                "696",
                &[
                    &ch,
                    "b",
                    mask,
                    "Mask must be nick, nick!*@*, *!*@<network>/user/nick or a:account",
                ],
            );
            return Flow::Go;
        };
        let ty = match (mute, add) {
            (false, true) => "ban",
            (false, false) => "unban",
            (true, true) => "mute",
            (true, false) => "unmute",
        };
        let req = RoomReq::Ban {
            room: room.to_owned(),
            nick: nick.clone(),
            add,
            mute,
        };
        self.ask(session, ty, json!({ "user": nick, "room": room }), req)
            .await
    }

    /// `MODE nick [modes]`: user modes are the connection's own; none is
    /// kept (docs/irc.md 4.2).
    fn user_mode(&self, target: &str, l: &Line) -> Flow {
        let me = self.me();
        if !target.eq_ignore_ascii_case(&me) {
            self.numeric("502", &["Cant change mode for other users"]);
            return Flow::Go;
        }
        match l.param(1) {
            None => self.numeric("221", &["+"]),
            Some(m) if m.chars().all(|c| matches!(c, '+' | '-' | 'i')) => {}
            Some(_) => self.numeric("501", &["Unknown MODE flag"]),
        }
        Flow::Go
    }
}

/// The account a ban mask names: `nick`, `nick!*@*`,
/// `*!*@<network>/user/nick` (or `/guest/nick`), `a:nick`. Wildcards
/// anywhere else name more than one account: `None`.
pub(crate) fn mask_account(mask: &str, network: &str) -> Option<String> {
    let plain = |n: &str| {
        let ok = !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        ok.then(|| n.to_owned())
    };
    if let Some(account) = mask.strip_prefix("a:") {
        return plain(account);
    }
    let Some((nick, rest)) = mask.split_once('!') else {
        return plain(mask);
    };
    let (user, host) = rest.split_once('@')?;
    if nick != "*" {
        return match (user, host) {
            ("*", "*") => plain(nick),
            _ => None,
        };
    }
    if user != "*" {
        return None;
    }
    let cloak = host.strip_prefix(network)?.strip_prefix('/')?;
    let name = cloak
        .strip_prefix("user/")
        .or_else(|| cloak.strip_prefix("guest/"))?;
    plain(name)
}

#[cfg(test)]
mod tests {
    use super::mask_account;

    #[test]
    fn ban_masks_name_one_account() {
        let m = |s| mask_account(s, "modchat");
        assert_eq!(m("bob"), Some("bob".into()));
        assert_eq!(m("bob!*@*"), Some("bob".into()));
        assert_eq!(m("a:bob"), Some("bob".into()));
        assert_eq!(m("*!*@modchat/user/bob"), Some("bob".into()));
        assert_eq!(m("*!*@modchat/guest/bob"), Some("bob".into()));
        assert_eq!(m("b*"), None);
        assert_eq!(m("bob!bob@*"), None);
        assert_eq!(m("*!*@*"), None);
        assert_eq!(m("*!*@other/user/bob"), None);
        assert_eq!(m("a:"), None);
    }
}
