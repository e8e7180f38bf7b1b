//! What the room scenarios (fanout, saturate, idle) need of a protocol,
//! for modchat (TCP or WebSocket) and IRC alike: a member in a room, a way
//! to say something there, and a cheap reading of each line that arrives.

use std::net::{IpAddr, SocketAddr};

use serde_json::json;

use crate::client;
use crate::irc;
use crate::lines::LineReader;
use crate::Proto;

/// A connection that is in its room, split for a receiver and a sender.
pub struct Member {
    pub lines: LineReader,
    pub writer: Sayer,
}

/// The sending half of a member.
pub enum Sayer {
    Modchat(client::Writer),
    Irc(irc::Writer),
}

impl Sayer {
    /// `say` (modchat) or `PRIVMSG` (IRC) in `room`.
    pub async fn say(&mut self, room: &str, text: &str) -> anyhow::Result<()> {
        match self {
            Sayer::Modchat(w) => {
                w.send(json!({"type": "say", "room": room, "text": text}))
                    .await?;
            }
            Sayer::Irc(w) => w.privmsg(room, text).await?,
        }
        Ok(())
    }

    /// What the receiver answers the server's PINGs with (IRC only: the
    /// modchat server never pings).
    pub fn pong(&self) -> Option<irc::Writer> {
        match self {
            Sayer::Modchat(_) => None,
            Sayer::Irc(w) => Some(w.clone()),
        }
    }
}

/// Connects as `name` and enters `room` (a modchat account is registered
/// first when new; the room is created by whoever comes first). On IRC,
/// `irc_accounts` is modchat's JSON listener when the IRC server is
/// modchat's gateway: the account is registered there first and the IRC
/// login sends `PASS name:password`.
pub async fn member(
    proto: Proto,
    server: SocketAddr,
    from: Option<IpAddr>,
    name: &str,
    password: &str,
    room: &str,
    irc_accounts: Option<SocketAddr>,
) -> anyhow::Result<Member> {
    match proto {
        Proto::Modchat | Proto::Ws => {
            let (mut r, mut w) = client::login(proto, server, from, name, password).await?;
            client::enter(&mut r, &mut w, room).await?;
            Ok(Member {
                lines: r.into_lines(),
                writer: Sayer::Modchat(w),
            })
        }
        Proto::Irc => {
            let login = match irc_accounts {
                Some(json) => {
                    let (mut r, mut w) = client::connect(Proto::Modchat, json, from).await?;
                    client::register(&mut r, &mut w, name, password).await?;
                    Some(password)
                }
                None => None,
            };
            let (lines, w) = irc::join(server, from, name, login, room).await?;
            Ok(Member {
                lines,
                writer: Sayer::Irc(w),
            })
        }
    }
}

/// One connection a scenario sets up: from where, as whom, into which room.
pub struct Seat {
    pub from: Option<IpAddr>,
    pub name: String,
    pub room: String,
}

/// [`member`] for every seat, seat i on `servers[i % len]`, at most
/// `at_once` setting up together (see
/// [`Proto::setup_limit`]); returned in seat order. `on_ready(n)` is called
/// as the first `n` are ready, for progress lines.
pub async fn members(
    proto: Proto,
    servers: &[SocketAddr],
    password: &str,
    irc_accounts: Option<SocketAddr>,
    at_once: usize,
    seats: Vec<Seat>,
    mut on_ready: impl FnMut(usize),
) -> anyhow::Result<Vec<Member>> {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(at_once.max(1)));
    let password: std::sync::Arc<str> = password.into();
    anyhow::ensure!(!servers.is_empty(), "no server to connect to");
    let tasks: Vec<_> = seats
        .into_iter()
        .enumerate()
        .map(|(i, seat)| {
            let (limit, password) = (limit.clone(), password.clone());
            let server = servers[i % servers.len()];
            tokio::spawn(async move {
                let _permit = limit.acquire().await?;
                let (name, room) = (&seat.name, &seat.room);
                member(
                    proto,
                    server,
                    seat.from,
                    name,
                    &password,
                    room,
                    irc_accounts,
                )
                .await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
        on_ready(out.len());
    }
    Ok(out)
}

/// A line as a receiver sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// modchat's `ok` to a `say`.
    Ack,
    /// A delivered text (`message` event or PRIVMSG).
    Text(&'a str),
    /// IRC's PING, to answer.
    Ping,
    Other,
}

/// Reads a line without parsing it as JSON: the server writes `type` first
/// (and `for` second in replies), and the benchmark's texts are plain
/// `b ID SEQ MICROS` with nothing to escape.
pub fn classify(proto: Proto, line: &str) -> Line<'_> {
    match proto {
        Proto::Modchat | Proto::Ws => {
            if line.starts_with(r#"{"type":"ok","for":"say""#) {
                return Line::Ack;
            }
            if !line.starts_with(r#"{"type":"message""#) {
                return Line::Other;
            }
            match line.find(r#""text":""#) {
                Some(at) => {
                    let rest = &line[at + 8..];
                    Line::Text(rest.split('"').next().unwrap_or_default())
                }
                None => Line::Other,
            }
        }
        Proto::Irc => {
            if line.starts_with("PING") {
                return Line::Ping;
            }
            irc::privmsg_text(line).map_or(Line::Other, Line::Text)
        }
    }
}

/// `ID SEQ MICROS` of a benchmark text `b ID SEQ MICROS`.
pub fn parse_text(text: &str) -> Option<(u64, u64, u64)> {
    let mut f = text.strip_prefix("b ")?.split(' ');
    let mut n = || f.next()?.parse::<u64>().ok();
    Some((n()?, n()?, n()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_both_protocols() {
        let m = r#"{"type":"message","room":"r","id":5,"from":"a","text":"b 1 2 3","at":"x"}"#;
        assert_eq!(classify(Proto::Modchat, m), Line::Text("b 1 2 3"));
        assert_eq!(
            classify(Proto::Ws, r#"{"type":"ok","for":"say","re":3,"id":5}"#),
            Line::Ack
        );
        assert_eq!(
            classify(Proto::Irc, ":a!~a@h PRIVMSG #r :b 1 2 3"),
            Line::Text("b 1 2 3")
        );
        assert_eq!(classify(Proto::Irc, "PING :srv"), Line::Ping);
        assert_eq!(parse_text("b 1 2 3"), Some((1, 2, 3)));
        assert_eq!(parse_text("hello"), None);
    }
}
