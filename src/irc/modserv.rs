//! ModServ: the service pseudo-user for what IRC has no command for
//! (docs/irc.md section 7). `PRIVMSG ModServ :BAN bob 7d spam` becomes the
//! `ban` request any client could send; the answer is a NOTICE from
//! ModServ. Talking to ModServ is not a whisper: no chat_logs row, and every
//! act is its moderation_actions row as on any transport.

use actix::Addr;
use serde_json::{Map, Value};

use super::{Flow, Gateway};
use crate::actors::session::Session;
use crate::error::{ErrorCode, Failure};
use crate::irc::render::Out;
use crate::irc::state::{IrcState, Pending};

/// What a ModServ request was, for its NOTICE.
#[derive(Debug, Clone)]
pub enum ModReq {
    Kick { nick: String },
    Ban { nick: String, room: Option<String> },
    Unban { nick: String, room: Option<String> },
    Mute { nick: String, room: Option<String> },
    Unmute { nick: String, room: Option<String> },
    FilterAdd { word: String },
    FilterDel { word: String },
    FilterList,
    Role { nick: String, role: String },
    Modlog,
}

const HELP: &[&str] = &[
    "ModServ commands:",
    "KICK nick [reason]",
    "BAN nick [duration] [#room] [reason]",
    "UNBAN nick [#room]",
    "MUTE nick [duration] [#room] [reason]",
    "UNMUTE nick [#room]",
    "FILTER ADD word | FILTER DEL word | FILTER LIST",
    "ROLE nick user|moderator|admin",
    "MODLOG [nick] [#room] [limit]",
    "A duration is 90, 90s, 10m, 2h or 7d.",
];

/// `90`, `90s`, `10m`, `2h`, `7d` in seconds (as modchat-admin reads them).
pub(super) fn duration(s: &str) -> Option<i64> {
    let (num, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_lowercase()),
        _ => (s, 's'),
    };
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// `nick [dur] [#room] [reason...]`: the optional duration and room come
/// first, in that order; the rest is the reason.
pub(super) fn sanction_args(words: &[&str]) -> (Option<i64>, Option<String>, Option<String>) {
    let mut i = 0;
    let dur = words.get(i).and_then(|w| duration(w));
    if dur.is_some() {
        i += 1;
    }
    let room = words
        .get(i)
        .and_then(|w| w.strip_prefix('#'))
        .map(str::to_ascii_lowercase);
    if room.is_some() {
        i += 1;
    }
    let reason = (i < words.len()).then(|| words[i..].join(" "));
    (dur, room, reason)
}

impl Gateway {
    fn modserv_notice(&self, text: &str) {
        self.with_out(|out, st| {
            let me = st.me().to_owned();
            super::super::render::modserv_to(out, &me, text);
        });
    }

    /// One line to ModServ.
    pub(super) async fn modserv(&mut self, text: &str, session: &Addr<Session>) -> Flow {
        let words: Vec<&str> = text.split_whitespace().collect();
        let unknown = "Unknown command or missing argument; /msg ModServ HELP";
        let Some(cmd) = words.first() else {
            self.modserv_notice(unknown);
            return Flow::Go;
        };
        let cmd = cmd.to_ascii_uppercase();
        let rest = &words[1..];
        let mut args = Map::new();
        let (ty, req) = match (cmd.as_str(), rest) {
            ("HELP", _) => {
                for l in HELP {
                    self.modserv_notice(l);
                }
                return Flow::Go;
            }
            ("KICK", [nick, reason @ ..]) => {
                args.insert("user".into(), (*nick).into());
                if !reason.is_empty() {
                    args.insert("reason".into(), reason.join(" ").into());
                }
                (
                    "kick",
                    ModReq::Kick {
                        nick: (*nick).to_owned(),
                    },
                )
            }
            ("BAN" | "MUTE", [nick, more @ ..]) => {
                let (dur, room, reason) = sanction_args(more);
                args.insert("user".into(), (*nick).into());
                if let Some(d) = dur {
                    args.insert("duration_s".into(), d.into());
                }
                if let Some(r) = &room {
                    args.insert("room".into(), r.clone().into());
                }
                if let Some(r) = reason {
                    args.insert("reason".into(), r.into());
                }
                let nick = (*nick).to_owned();
                match cmd.as_str() {
                    "BAN" => ("ban", ModReq::Ban { nick, room }),
                    _ => ("mute", ModReq::Mute { nick, room }),
                }
            }
            ("UNBAN" | "UNMUTE", [nick, more @ ..]) => {
                let room = more
                    .first()
                    .and_then(|w| w.strip_prefix('#'))
                    .map(str::to_ascii_lowercase);
                args.insert("user".into(), (*nick).into());
                if let Some(r) = &room {
                    args.insert("room".into(), r.clone().into());
                }
                let nick = (*nick).to_owned();
                match cmd.as_str() {
                    "UNBAN" => ("unban", ModReq::Unban { nick, room }),
                    _ => ("unmute", ModReq::Unmute { nick, room }),
                }
            }
            ("FILTER", [sub, word]) if sub.eq_ignore_ascii_case("add") => {
                args.insert("word".into(), (*word).into());
                (
                    "filter_add",
                    ModReq::FilterAdd {
                        word: (*word).to_owned(),
                    },
                )
            }
            ("FILTER", [sub, word]) if sub.eq_ignore_ascii_case("del") => {
                args.insert("word".into(), (*word).into());
                (
                    "filter_remove",
                    ModReq::FilterDel {
                        word: (*word).to_owned(),
                    },
                )
            }
            ("FILTER", [sub]) if sub.eq_ignore_ascii_case("list") => {
                ("filter_list", ModReq::FilterList)
            }
            ("ROLE", [nick, role]) => {
                args.insert("user".into(), (*nick).into());
                args.insert("role".into(), role.to_ascii_lowercase().into());
                let req = ModReq::Role {
                    nick: (*nick).to_owned(),
                    role: role.to_ascii_lowercase(),
                };
                ("set_role", req)
            }
            ("MODLOG", more) => {
                let mut limit = 20;
                for w in more {
                    if let Some(r) = w.strip_prefix('#') {
                        args.insert("room".into(), r.to_ascii_lowercase().into());
                    } else if let Ok(n) = w.parse::<i64>() {
                        limit = n.clamp(1, 200);
                    } else {
                        args.insert("user".into(), (*w).into());
                    }
                }
                args.insert("limit".into(), limit.into());
                ("modlog", ModReq::Modlog)
            }
            _ => {
                self.modserv_notice(unknown);
                return Flow::Go;
            }
        };
        self.request(session, ty, Value::Object(args), Pending::ModServ(req))
            .await
    }
}

/// ModServ's NOTICEs for a request's reply.
pub fn render(
    out: &mut Out<'_>,
    st: &IrcState,
    req: ModReq,
    result: &Result<Map<String, Value>, Failure>,
) {
    let me = st.me().to_owned();
    let say = |out: &mut Out<'_>, text: &str| crate::irc::render::modserv_to(out, &me, text);
    let fields = match result {
        Ok(f) => f,
        Err(f) => return say(out, &error_text(&req, f)),
    };
    let until = |f: &Map<String, Value>, none: &str| -> String {
        f.get("until")
            .and_then(Value::as_str)
            .map_or_else(|| none.to_owned(), str::to_owned)
    };
    let place = |room: &Option<String>, word: &str| {
        room.as_ref()
            .map_or(String::new(), |r| format!(" {word} #{r}"))
    };
    match req {
        ModReq::Kick { nick } => say(out, &format!("{nick} is kicked off the server")),
        ModReq::Ban { nick, room } => {
            let until = until(fields, "unbanned");
            say(
                out,
                &format!("{nick} is banned{} until {until}", place(&room, "from")),
            )
        }
        ModReq::Unban { nick, room } => say(
            out,
            &format!("{nick} is no longer banned{}", place(&room, "from")),
        ),
        ModReq::Mute { nick, room } => {
            let until = until(fields, "unmuted");
            say(
                out,
                &format!("{nick} is muted{} until {until}", place(&room, "in")),
            )
        }
        ModReq::Unmute { nick, room } => say(
            out,
            &format!("{nick} is no longer muted{}", place(&room, "in")),
        ),
        ModReq::FilterAdd { word } => say(out, &format!("Added: {word}")),
        ModReq::FilterDel { word } => say(out, &format!("Removed: {word}")),
        ModReq::FilterList => {
            let words: Vec<&str> = fields
                .get("words")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if words.is_empty() {
                return say(out, "The filter is empty");
            }
            for chunk in words.chunks(20) {
                say(out, &chunk.join(", "));
            }
        }
        ModReq::Role { nick, role } => say(out, &format!("{nick} is now {role}")),
        ModReq::Modlog => {
            for e in fields
                .get("entries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                say(out, &modlog_line(e));
            }
            say(out, "End of MODLOG");
        }
    }
}

/// `#31 2026-11-21T21:05:33.106Z ban carol by bob in #lobby until ...: spam`
fn modlog_line(e: &Value) -> String {
    let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
    let mut line = format!("#{} {} {}", e["id"], s("at"), s("action"));
    if let Some(t) = e["target"].as_str() {
        line.push_str(&format!(" {t}"));
    }
    line.push_str(&format!(" by {}", e["by"].as_str().unwrap_or("the system")));
    if let Some(r) = e["room"].as_str() {
        line.push_str(&format!(" in #{r}"));
    }
    if let Some(u) = e["until"].as_str() {
        line.push_str(&format!(" until {u}"));
    }
    if let Some(d) = e["detail"].as_str() {
        line.push_str(&format!(" ({d})"));
    }
    if let Some(r) = e["reason"].as_str() {
        line.push_str(&format!(": {r}"));
    }
    line
}

fn error_text(req: &ModReq, f: &Failure) -> String {
    let nick = match req {
        ModReq::Kick { nick }
        | ModReq::Ban { nick, .. }
        | ModReq::Unban { nick, .. }
        | ModReq::Mute { nick, .. }
        | ModReq::Unmute { nick, .. }
        | ModReq::Role { nick, .. } => nick.as_str(),
        ModReq::FilterAdd { word } | ModReq::FilterDel { word } => word.as_str(),
        ModReq::FilterList | ModReq::Modlog => "",
    };
    match f.code {
        ErrorCode::Forbidden => "Permission denied".into(),
        ErrorCode::NoSuchUser => format!("No such user: {nick}"),
        ErrorCode::UserOffline => format!("{nick} is not online"),
        ErrorCode::NoSuchRoom => {
            format!("No such room: {}", f.message.trim_start_matches("no room "))
        }
        ErrorCode::NotMuted => format!("{nick} is not muted"),
        ErrorCode::NotBanned => format!("{nick} is not banned"),
        ErrorCode::NotFiltered => format!("{nick} is not in the filter"),
        ErrorCode::RateLimited => {
            let ms = f
                .extra
                .get("retry_after_ms")
                .and_then(Value::as_u64)
                .unwrap_or(1000);
            format!("Too many requests, try again in {} s", ms.div_ceil(1000))
        }
        _ => f.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sanction_arguments() {
        assert_eq!(duration("90"), Some(90));
        assert_eq!(duration("10m"), Some(600));
        assert_eq!(duration("2h"), Some(7200));
        assert_eq!(duration("7d"), Some(604_800));
        assert_eq!(duration("spam"), None);
        assert_eq!(duration("0"), None);
        assert_eq!(
            sanction_args(&["7d", "#Lobby", "too", "loud"]),
            (Some(604_800), Some("lobby".into()), Some("too loud".into()))
        );
        assert_eq!(sanction_args(&["spam"]), (None, None, Some("spam".into())));
        assert_eq!(sanction_args(&[]), (None, None, None));
    }
}
