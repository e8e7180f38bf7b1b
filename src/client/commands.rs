//! What the input line means: text for the current room, or a slash
//! command. One parser for the full-screen and the plain line mode, so both
//! read `/mute bob 10m spam` the same way.

use serde_json::{json, Value};

pub const HELP: &[(&str, &str)] = &[
    ("/join ROOM", "join a room and switch to it"),
    (
        "/leave [ROOM]",
        "leave the room (default: this one); in a conversation: close it",
    ),
    ("/create ROOM [CAPACITY]", "create a room and join it"),
    (
        "/query NAME",
        "a whisper conversation with NAME, with its history",
    ),
    ("/w NAME TEXT", "whisper to NAME"),
    ("/r TEXT", "reply to the last whisper"),
    ("/me TEXT", "an emote: \"/me waves\" shows \"* you waves\""),
    ("/topic [TEXT]", "show or (owners, ops) set this room's topic"),
    ("/rooms", "list the rooms"),
    ("/who", "who is online"),
    ("/history", "load older messages of this room"),
    ("/op NAME", "room owners: make NAME an op of this room"),
    ("/deop NAME", "room owners: make an op a plain member again"),
    (
        "/kick [#ROOM] NAME [REASON]",
        "disconnect a user (moderators); with #ROOM, or # for this room: from that room (its owner, ops)",
    ),
    (
        "/mute [#ROOM] NAME [DURATION] [REASON]",
        "mute: DURATION 90, 10m, 2h, 7d or forever; #ROOM or #: in that room only",
    ),
    ("/unmute [#ROOM] NAME", "lift a mute"),
    (
        "/ban [#ROOM] NAME [DURATION] [REASON]",
        "ban (moderators); #ROOM or #: from that room only (its owner, ops)",
    ),
    ("/unban [#ROOM] NAME", "lift a ban"),
    ("/bans", "room owners and ops: who is banned from this room"),
    (
        "/delete NAME [N]",
        "delete NAME's last message here (N: the Nth last)",
    ),
    ("/modlog [NAME | #ROOM]", "the latest moderation records"),
    ("/announce TEXT", "admins: a notice to everyone online"),
    (
        "/filter [add WORD | remove WORD]",
        "the word filter (list: moderators; change: admins)",
    ),
    ("/role NAME ROLE", "admins: user, moderator or admin"),
    (
        "/mouse",
        "the mouse wheel scrolls (default), or the mouse is the terminal's",
    ),
    ("/quit", "leave modchat"),
    ("/help", "this list"),
];

/// What a line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A request to send as is (its `type` says what it is).
    Request(Value),
    /// Switch the view to a room already joined.
    Switch(String),
    /// Open (or switch to) the whisper conversation with a user.
    Query(String),
    /// Close the conversation shown.
    Close,
    /// Show this room's topic.
    ShowTopic,
    /// Take the mouse (wheel scrolling) or give it back to the terminal.
    Mouse,
    Help,
    Quit,
    /// Nothing to do (an empty line).
    Nothing,
}

/// Where the user is, for lines that depend on it.
#[derive(Default)]
pub struct Context<'a> {
    pub room: Option<&'a str>,
    /// The whisper conversation shown, if one is: plain text whispers.
    pub with: Option<&'a str>,
    pub last_whisper_from: Option<&'a str>,
    /// Rooms joined, to switch rather than join again.
    pub joined: &'a [String],
    /// The oldest message shown in this room, for `/history` to page back.
    pub oldest: Option<i64>,
    /// Authors and ids of the messages shown here, oldest first, for
    /// `/delete NAME`.
    pub messages: &'a [(String, i64)],
}

/// Words that mean "no end" where a duration may stand.
const FOREVER: &[&str] = &["forever", "perm", "permanent", "indefinitely"];

/// Reads one input line. `Err` is a message for the user.
pub fn parse(line: &str, cx: &Context<'_>) -> Result<Action, String> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.trim().is_empty() {
        return Ok(Action::Nothing);
    }
    let say = |text: &str, action: bool| -> Result<Action, String> {
        let mut r = match (cx.room, cx.with) {
            (Some(room), _) => json!({"type": "say", "room": room, "text": text}),
            (None, Some(to)) => json!({"type": "whisper", "to": to, "text": text}),
            (None, None) => {
                return Err("you are in no room: /join ROOM or /create ROOM first".into())
            }
        };
        if action {
            r["action"] = json!(true);
        }
        Ok(Action::Request(r))
    };
    let Some(rest) = trimmed.strip_prefix('/') else {
        return say(trimmed, false);
    };
    // `//text` sends a line starting with a slash
    if rest.starts_with('/') {
        return say(rest, false);
    }
    let (cmd, args) = rest.split_once([' ', '\n']).unwrap_or((rest, ""));
    let args = args.trim();
    let word = |n: usize| args.split_whitespace().nth(n);
    let need = |what: &str| format!("usage: {}", usage(what));
    let this_room = || {
        cx.room
            .ok_or_else(|| "this is not a room: /join ROOM first".to_owned())
    };
    let cmd = cmd.to_ascii_lowercase();
    let a = match cmd.as_str() {
        "join" | "j" => {
            let name = word(0).ok_or_else(|| need("/join"))?;
            let room = room_name(name.trim_start_matches('#'))?;
            if cx.joined.contains(&room) {
                Action::Switch(room)
            } else {
                Action::Request(json!({"type": "join", "room": room}))
            }
        }
        "leave" | "part" | "close" => match (word(0), cx.room, cx.with) {
            (Some(r), _, _) => {
                Action::Request(json!({"type": "leave", "room": r.trim_start_matches('#')}))
            }
            (None, Some(r), _) => Action::Request(json!({"type": "leave", "room": r})),
            (None, None, Some(_)) => Action::Close,
            (None, None, None) => return Err(need("/leave")),
        },
        "create" => {
            let name = word(0).ok_or_else(|| need("/create"))?;
            let room = room_name(name.trim_start_matches('#'))?;
            let mut r = json!({"type": "create_room", "room": room});
            match (word(1), word(2)) {
                (None, _) => {}
                (Some(c), None) if c.bytes().all(|b| b.is_ascii_digit()) => {
                    let n = c.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("the capacity must be a whole number above 0, not {c}")
                    })?;
                    r["capacity"] = json!(n);
                }
                _ => {
                    return Err(format!(
                        "{args:?} cannot be a room name: a room name is one word of {ROOM_RULE} (usage: /create ROOM [CAPACITY])"
                    ))
                }
            }
            Action::Request(r)
        }
        "query" | "q" | "dm" => Action::Query(word(0).ok_or_else(|| need("/query"))?.to_owned()),
        "w" | "msg" | "whisper" => {
            let (to, text) = args.split_once(' ').ok_or_else(|| need("/w"))?;
            Action::Request(json!({"type": "whisper", "to": to, "text": text.trim_start()}))
        }
        "r" | "reply" => {
            let to = cx
                .last_whisper_from
                .ok_or("nobody has whispered to you yet")?;
            if args.is_empty() {
                return Err(need("/r"));
            }
            Action::Request(json!({"type": "whisper", "to": to, "text": args}))
        }
        "me" => {
            if args.is_empty() {
                return Err(need("/me"));
            }
            return say(args, true);
        }
        "topic" if args.is_empty() => {
            this_room()?;
            Action::ShowTopic
        }
        "topic" => {
            Action::Request(json!({"type": "set_topic", "room": this_room()?, "topic": args}))
        }
        "op" | "deop" => {
            let user = word(0).ok_or_else(|| need(&format!("/{cmd}")))?;
            let role = if cmd == "op" { "op" } else { "member" };
            Action::Request(
                json!({"type": "set_room_role", "room": this_room()?, "user": user, "role": role}),
            )
        }
        "rooms" | "list" => Action::Request(json!({"type": "rooms"})),
        "who" => Action::Request(json!({"type": "who"})),
        "history" => {
            let mut r = match (cx.room, cx.with) {
                (Some(room), _) => json!({"type": "history", "room": room, "limit": 50}),
                (None, Some(with)) => json!({"type": "history", "with": with, "limit": 50}),
                (None, None) => return Err("you are in no room".into()),
            };
            if let Some(before) = cx.oldest {
                r["before"] = json!(before);
            }
            Action::Request(r)
        }
        "kick" | "mute" | "unmute" | "ban" | "unban" => {
            let usage_of = format!("/{cmd}");
            // `#ROOM` (or `#`, this room) first: an act in that room only
            let (room, args) = match args.split_once(char::is_whitespace) {
                Some((r, rest)) if r.starts_with('#') => {
                    let room = match r.trim_start_matches('#') {
                        "" => this_room()?.to_owned(),
                        name => room_name(name)?,
                    };
                    (Some(room), rest.trim_start())
                }
                None if args.starts_with('#') => return Err(need(&usage_of)),
                _ => (None, args),
            };
            let word = |n: usize| args.split_whitespace().nth(n);
            let user = word(0).ok_or_else(|| need(&usage_of))?;
            let mut r = json!({"type": cmd, "user": user});
            if let Some(room) = room {
                r["room"] = json!(room);
            }
            let mut reason_from = 1;
            if matches!(cmd.as_str(), "mute" | "ban") {
                if let Some(d) = word(1) {
                    if FOREVER.contains(&d.to_ascii_lowercase().as_str()) {
                        reason_from = 2;
                    } else if let Ok(secs) = crate::validate::duration(d) {
                        r["duration_s"] = json!(secs);
                        reason_from = 2;
                    }
                }
            }
            if matches!(cmd.as_str(), "kick" | "mute" | "ban") {
                if let Some(t) = rest_after(args, reason_from) {
                    r["reason"] = json!(t);
                }
            }
            Action::Request(r)
        }
        "bans" => Action::Request(json!({"type": "room_bans", "room": this_room()?})),
        "delete" => {
            let user = word(0).ok_or_else(|| need("/delete"))?;
            let nth = match word(1) {
                None => 1,
                Some(n) => n
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| need("/delete"))?,
            };
            let id = cx
                .messages
                .iter()
                .rev()
                .filter(|(from, _)| from.eq_ignore_ascii_case(user))
                .nth(nth - 1)
                .map(|(_, id)| *id)
                .ok_or_else(|| {
                    format!("no such message of {user} here (/history loads older ones)")
                })?;
            Action::Request(json!({"type": "delete_message", "message_id": id}))
        }
        "modlog" => {
            let mut r = json!({"type": "modlog", "limit": 20});
            match word(0) {
                Some("#") => r["room"] = json!(this_room()?),
                Some(w) if w.starts_with('#') => r["room"] = json!(room_name(&w[1..])?),
                Some(user) => r["user"] = json!(user),
                None => {}
            }
            Action::Request(r)
        }
        "announce" => {
            if args.is_empty() {
                return Err(need("/announce"));
            }
            Action::Request(json!({"type": "announce", "text": args}))
        }
        "filter" => match (word(0), word(1)) {
            (None, _) | (Some("list"), None) => Action::Request(json!({"type": "filter_list"})),
            (Some("add"), Some(w)) => Action::Request(json!({"type": "filter_add", "word": w})),
            (Some("remove" | "del" | "rm"), Some(w)) => {
                Action::Request(json!({"type": "filter_remove", "word": w}))
            }
            _ => return Err(need("/filter")),
        },
        "role" => match (word(0), word(1)) {
            (Some(user), Some(role)) => Action::Request(
                json!({"type": "set_role", "user": user, "role": role.to_ascii_lowercase()}),
            ),
            _ => return Err(need("/role")),
        },
        "mouse" => Action::Mouse,
        "quit" | "exit" => Action::Quit,
        "help" | "?" => Action::Help,
        other => return Err(format!("unknown command /{other}: /help lists them")),
    };
    Ok(a)
}

/// What a room name may hold, for the messages that refuse one.
const ROOM_RULE: &str = "1 to 64 of a-z, 0-9, '_' and '-'";

/// A room name as the server keeps it (lower case), or why it cannot be one.
fn room_name(name: &str) -> Result<String, String> {
    crate::validate::room(name)
        .map_err(|_| format!("{name:?} cannot be a room name: a room name is {ROOM_RULE}"))
}

/// The text after the first `n` words, if any.
fn rest_after(args: &str, n: usize) -> Option<&str> {
    let mut s = args;
    for _ in 0..n {
        s = s.trim_start();
        s = s.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    }
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

fn usage(cmd: &str) -> &'static str {
    HELP.iter()
        .find(|(u, _)| u.split(' ').next() == Some(cmd))
        .map_or("/help", |(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: &[(String, i64)] = &[];

    fn cx() -> Context<'static> {
        Context {
            room: Some("lobby"),
            last_whisper_from: Some("alice"),
            ..Context::default()
        }
    }

    fn req_in(l: &str, cx: &Context<'_>) -> Value {
        match parse(l, cx) {
            Ok(Action::Request(v)) => v,
            other => panic!("{l}: {other:?}"),
        }
    }

    fn req(l: &str) -> Value {
        req_in(l, &cx())
    }

    #[test]
    fn lines() {
        assert_eq!(
            req("hello"),
            json!({"type": "say", "room": "lobby", "text": "hello"})
        );
        assert_eq!(
            req("//etc"),
            json!({"type": "say", "room": "lobby", "text": "/etc"})
        );
        assert_eq!(
            req("/w bob hi there"),
            json!({"type": "whisper", "to": "bob", "text": "hi there"})
        );
        assert_eq!(
            req("/me waves at everyone"),
            json!({"type": "say", "room": "lobby", "text": "waves at everyone", "action": true})
        );
        assert_eq!(
            req("/r ok"),
            json!({"type": "whisper", "to": "alice", "text": "ok"})
        );
        assert_eq!(
            req("/join Lobby2"),
            json!({"type": "join", "room": "lobby2"})
        );
        assert_eq!(req("/join #dev"), json!({"type": "join", "room": "dev"}));
        assert_eq!(req("/leave"), json!({"type": "leave", "room": "lobby"}));
        assert_eq!(
            req("/create r 5"),
            json!({"type": "create_room", "room": "r", "capacity": 5})
        );
        assert_eq!(parse("/quit", &cx()), Ok(Action::Quit));
        assert_eq!(parse("/q bob", &cx()), Ok(Action::Query("bob".into())));
        assert_eq!(parse("   ", &cx()), Ok(Action::Nothing));
        assert!(parse("/frob", &cx()).is_err());
        assert!(parse("/w bob", &cx()).is_err());
        let nowhere = Context::default();
        assert!(parse("hello", &nowhere).is_err());
        assert!(parse("/r hi", &nowhere).is_err());
    }

    /// Issue 20: what a room name may hold, said; a conversation's lines
    /// are whispers.
    #[test]
    fn names_and_conversations() {
        let e = parse("/create Bad Name!", &cx()).unwrap_err();
        assert!(e.contains("a-z, 0-9"), "{e}");
        let e = parse("/create bad!", &cx()).unwrap_err();
        assert!(e.contains("cannot be a room name"), "{e}");
        let e = parse("/create r 0", &cx()).unwrap_err();
        assert!(e.contains("capacity"), "{e}");
        let dm = Context {
            with: Some("bob"),
            ..Context::default()
        };
        assert_eq!(
            req_in("hi", &dm),
            json!({"type": "whisper", "to": "bob", "text": "hi"})
        );
        assert_eq!(
            req_in("/me waves", &dm),
            json!({"type": "whisper", "to": "bob", "text": "waves", "action": true})
        );
        assert_eq!(
            req_in("/history", &dm),
            json!({"type": "history", "with": "bob", "limit": 50})
        );
        assert_eq!(parse("/leave", &dm), Ok(Action::Close));
        assert!(parse("/topic x", &dm).is_err());
    }

    #[test]
    fn moderation() {
        assert_eq!(
            req("/mute bob 10m too loud"),
            json!({"type": "mute", "user": "bob", "duration_s": 600, "reason": "too loud"})
        );
        assert_eq!(
            req("/mute bob spam"),
            json!({"type": "mute", "user": "bob", "reason": "spam"})
        );
        // issue 20: "forever" is no reason
        assert_eq!(
            req("/mute dave forever"),
            json!({"type": "mute", "user": "dave"})
        );
        assert_eq!(
            req("/ban dave perm spamming links"),
            json!({"type": "ban", "user": "dave", "reason": "spamming links"})
        );
        assert_eq!(req("/ban bob"), json!({"type": "ban", "user": "bob"}));
        assert_eq!(
            req("/kick bob go away"),
            json!({"type": "kick", "user": "bob", "reason": "go away"})
        );
        // a room's own: #ROOM, or # for this one
        assert_eq!(
            req("/ban # bob 1h flood"),
            json!({"type": "ban", "user": "bob", "room": "lobby", "duration_s": 3600, "reason": "flood"})
        );
        assert_eq!(
            req("/kick #dev bob"),
            json!({"type": "kick", "user": "bob", "room": "dev"})
        );
        assert_eq!(
            req("/unban #dev bob"),
            json!({"type": "unban", "user": "bob", "room": "dev"})
        );
        assert!(parse("/kick #dev", &cx()).is_err());
        assert_eq!(
            req("/topic Say hi!"),
            json!({"type": "set_topic", "room": "lobby", "topic": "Say hi!"})
        );
        assert_eq!(parse("/topic", &cx()), Ok(Action::ShowTopic));
        assert_eq!(
            req("/op bob"),
            json!({"type": "set_room_role", "room": "lobby", "user": "bob", "role": "op"})
        );
        assert_eq!(
            req("/deop bob"),
            json!({"type": "set_room_role", "room": "lobby", "user": "bob", "role": "member"})
        );
        assert_eq!(
            req("/modlog #"),
            json!({"type": "modlog", "limit": 20, "room": "lobby"})
        );
        assert_eq!(
            req("/modlog bob"),
            json!({"type": "modlog", "limit": 20, "user": "bob"})
        );
        assert_eq!(
            req("/announce back at 5"),
            json!({"type": "announce", "text": "back at 5"})
        );
        assert_eq!(req("/filter"), json!({"type": "filter_list"}));
        assert_eq!(req("/bans"), json!({"type": "room_bans", "room": "lobby"}));
        assert_eq!(
            req("/filter add frob"),
            json!({"type": "filter_add", "word": "frob"})
        );
        assert_eq!(
            req("/filter remove frob"),
            json!({"type": "filter_remove", "word": "frob"})
        );
        assert_eq!(
            req("/role bob Moderator"),
            json!({"type": "set_role", "user": "bob", "role": "moderator"})
        );
        let shown = [
            ("bob".to_owned(), 7),
            ("alice".to_owned(), 8),
            ("bob".to_owned(), 9),
        ];
        let here = Context {
            messages: &shown,
            ..cx()
        };
        assert_eq!(
            req_in("/delete Bob", &here),
            json!({"type": "delete_message", "message_id": 9})
        );
        assert_eq!(
            req_in("/delete bob 2", &here),
            json!({"type": "delete_message", "message_id": 7})
        );
        assert!(parse("/delete bob 3", &here).is_err());
        assert!(parse(
            "/delete bob",
            &Context {
                messages: SHOWN,
                ..cx()
            }
        )
        .is_err());
    }
}
