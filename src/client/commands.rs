//! What the input line means: text for the current room, or a slash
//! command. One parser for the full-screen and the plain line mode, so both
//! read `/mute bob 10m spam` the same way.

use serde_json::{json, Value};

pub const HELP: &[(&str, &str)] = &[
    ("/join ROOM", "join a room and switch to it"),
    ("/leave [ROOM]", "leave the room (default: this one)"),
    ("/create ROOM [CAPACITY]", "create a room and join it"),
    ("/w NAME TEXT", "whisper to NAME"),
    ("/r TEXT", "reply to the last whisper"),
    ("/me TEXT", "an emote: \"/me waves\" shows \"* you waves\""),
    ("/rooms", "list the rooms"),
    ("/who", "who is online"),
    ("/history", "load older messages of this room"),
    ("/kick NAME [REASON]", "moderators: disconnect a user"),
    (
        "/mute NAME [DURATION] [REASON]",
        "moderators: mute (DURATION 90, 10m, 2h, 7d)",
    ),
    ("/unmute NAME", "moderators: lift a mute"),
    ("/ban NAME [DURATION] [REASON]", "moderators: ban"),
    ("/unban NAME", "moderators: lift a ban"),
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
    Help,
    Quit,
    /// Nothing to do (an empty line).
    Nothing,
}

/// Where the user is, for lines that depend on it.
pub struct Context<'a> {
    pub room: Option<&'a str>,
    pub last_whisper_from: Option<&'a str>,
    /// Rooms joined, to switch rather than join again.
    pub joined: &'a [String],
    /// The oldest message shown in this room, for `/history` to page back.
    pub oldest: Option<i64>,
}

/// Reads one input line. `Err` is a message for the user.
pub fn parse(line: &str, cx: &Context<'_>) -> Result<Action, String> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.trim().is_empty() {
        return Ok(Action::Nothing);
    }
    let Some(rest) = trimmed.strip_prefix('/') else {
        let room = cx
            .room
            .ok_or("you are in no room: /join ROOM or /create ROOM first")?;
        return Ok(Action::Request(
            json!({"type": "say", "room": room, "text": trimmed}),
        ));
    };
    // `//text` sends a line starting with a slash
    if rest.starts_with('/') {
        let room = cx.room.ok_or("you are in no room")?;
        return Ok(Action::Request(
            json!({"type": "say", "room": room, "text": rest}),
        ));
    }
    let (cmd, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let args = args.trim();
    let word = |n: usize| args.split_whitespace().nth(n);
    let need = |what: &str| format!("usage: {}", usage(what));
    let a = match cmd.to_ascii_lowercase().as_str() {
        "join" | "j" => {
            let room = word(0).ok_or_else(|| need("/join"))?.to_ascii_lowercase();
            if cx.joined.contains(&room) {
                Action::Switch(room)
            } else {
                Action::Request(json!({"type": "join", "room": room}))
            }
        }
        "leave" | "part" => {
            let room = word(0).or(cx.room).ok_or_else(|| need("/leave"))?;
            Action::Request(json!({"type": "leave", "room": room}))
        }
        "create" => {
            let room = word(0).ok_or_else(|| need("/create"))?;
            let mut r = json!({"type": "create_room", "room": room});
            if let Some(c) = word(1) {
                r["capacity"] = json!(c.parse::<u32>().map_err(|_| need("/create"))?);
            }
            Action::Request(r)
        }
        "w" | "msg" | "whisper" => {
            let (to, text) = args.split_once(' ').ok_or_else(|| need("/w"))?;
            Action::Request(json!({"type": "whisper", "to": to, "text": text}))
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
            let room = cx.room.ok_or("you are in no room")?;
            if args.is_empty() {
                return Err(need("/me"));
            }
            Action::Request(json!({"type": "say", "room": room, "text": args, "action": true}))
        }
        "rooms" | "list" => Action::Request(json!({"type": "rooms"})),
        "who" => Action::Request(json!({"type": "who"})),
        "history" => {
            let room = cx.room.ok_or("you are in no room")?;
            let mut r = json!({"type": "history", "room": room, "limit": 50});
            if let Some(before) = cx.oldest {
                r["before"] = json!(before);
            }
            Action::Request(r)
        }
        "kick" => {
            let user = word(0).ok_or_else(|| need("/kick"))?;
            let reason = rest_after(args, 1);
            let mut r = json!({"type": "kick", "user": user});
            if let Some(t) = reason {
                r["reason"] = json!(t);
            }
            Action::Request(r)
        }
        "mute" | "ban" => {
            let user = word(0).ok_or_else(|| need(&format!("/{cmd}")))?;
            let mut r = json!({"type": cmd.to_ascii_lowercase(), "user": user});
            let mut reason_from = 1;
            if let Some(d) = word(1) {
                if let Ok(secs) = crate::validate::duration(d) {
                    r["duration_s"] = json!(secs);
                    reason_from = 2;
                }
            }
            if let Some(t) = rest_after(args, reason_from) {
                r["reason"] = json!(t);
            }
            Action::Request(r)
        }
        "unmute" | "unban" => {
            let user = word(0).ok_or_else(|| need(&format!("/{cmd}")))?;
            Action::Request(json!({"type": cmd.to_ascii_lowercase(), "user": user}))
        }
        "quit" | "exit" | "q" => Action::Quit,
        "help" | "?" => Action::Help,
        other => return Err(format!("unknown command /{other}: /help lists them")),
    };
    Ok(a)
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

    fn cx() -> Context<'static> {
        Context {
            room: Some("lobby"),
            last_whisper_from: Some("alice"),
            joined: &[],
            oldest: None,
        }
    }

    #[test]
    fn lines() {
        let req = |l: &str| match parse(l, &cx()) {
            Ok(Action::Request(v)) => v,
            other => panic!("{l}: {other:?}"),
        };
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
            req("/mute bob 10m too loud"),
            json!({"type": "mute", "user": "bob", "duration_s": 600, "reason": "too loud"})
        );
        assert_eq!(
            req("/mute bob spam"),
            json!({"type": "mute", "user": "bob", "reason": "spam"})
        );
        assert_eq!(req("/ban bob"), json!({"type": "ban", "user": "bob"}));
        assert_eq!(
            req("/kick bob go away"),
            json!({"type": "kick", "user": "bob", "reason": "go away"})
        );
        assert_eq!(
            req("/join Lobby2"),
            json!({"type": "join", "room": "lobby2"})
        );
        assert_eq!(req("/leave"), json!({"type": "leave", "room": "lobby"}));
        assert_eq!(
            req("/create r 5"),
            json!({"type": "create_room", "room": "r", "capacity": 5})
        );
        assert_eq!(parse("/quit", &cx()), Ok(Action::Quit));
        assert_eq!(parse("   ", &cx()), Ok(Action::Nothing));
        assert!(parse("/frob", &cx()).is_err());
        assert!(parse("/w bob", &cx()).is_err());
        let nowhere = Context {
            room: None,
            last_whisper_from: None,
            joined: &[],
            oldest: None,
        };
        assert!(parse("hello", &nowhere).is_err());
        assert!(parse("/r hi", &nowhere).is_err());
    }
}
