//! The IRC driver: the same fan-out and idle shapes against an IRC server:
//! ngircd and InspIRCd in `scripts/bench`, mature servers doing the same
//! delivery work without a database, and modchat's own IRC gateway.
//!
//! A member registers with NICK/USER (waits for `001`), joins `#ROOM`
//! (waits for `366`, the end of the names list) and sends
//! `PRIVMSG #ROOM :b ID SEQ MICROS`, the same text as modchat's `say`, so
//! one receiver parser serves both. IRC has no acknowledgement and does not
//! echo a message to its sender: a sent message counts as acknowledged, and
//! the expected deliveries are sent × (members − 1), as for modchat, where
//! the sender's connection gets an `ok` instead of its own message.
//!
//! modchat's gateway wants an account: with `--irc-accounts-via` (modchat's
//! JSON listener) each member's account is registered there first, as the
//! modchat scenarios register theirs, and the IRC connection sends
//! `PASS name:password` before NICK/USER (no CAP, no SASL: the plainest
//! login the gateway takes). Without it no PASS is sent (ngircd, InspIRCd).
//! The gateway shows the account's rooms to a new connection (its JOIN
//! burst) before the driver's own JOIN, which it answers like any other.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::sync::Mutex;

use crate::lines::{self, LineReader, LineWriter};

/// The sending half, shared: the sender's PRIVMSGs and the receiver's PONGs
/// go through the same socket. The lock is uncontended but for the rare
/// PING, and keeps TCP's backpressure on the sender (a queue would hide it).
#[derive(Clone)]
pub struct Writer(Arc<Mutex<LineWriter>>);

impl Writer {
    pub async fn line(&self, line: &str) -> anyhow::Result<()> {
        self.0.lock().await.send_line(line).await
    }

    /// `PRIVMSG #ROOM :TEXT`.
    pub async fn privmsg(&self, room: &str, text: &str) -> anyhow::Result<()> {
        self.line(&format!("PRIVMSG #{room} :{text}")).await
    }

    /// Answers `PING x` with `PONG x`, so a long run is not timed out.
    pub async fn pong(&self, ping: &str) -> anyhow::Result<()> {
        let arg = ping.strip_prefix("PING").unwrap_or_default();
        self.line(&format!("PONG{arg}")).await
    }
}

/// A line's command and what follows it, without the `:prefix`.
pub fn command(line: &str) -> (&str, &str) {
    let rest = match line.strip_prefix(':') {
        Some(l) => l.split_once(' ').map_or("", |(_, r)| r),
        None => line,
    };
    rest.split_once(' ').unwrap_or((rest, ""))
}

/// The text of a PRIVMSG line (`:n!u@h PRIVMSG #r :TEXT`), without parsing
/// anything else: the receivers' fast path.
pub fn privmsg_text(line: &str) -> Option<&str> {
    let at = line.find(" PRIVMSG ")?;
    let rest = &line[at + 9..];
    Some(&rest[rest.find(" :")? + 2..])
}

/// Connects, registers as `nick` (after `PASS nick:PASSWORD` when
/// `password` is given) and joins `#ROOM`. A nick still held by an earlier
/// run's connection (`433`) gets a suffix: nothing in the benchmark depends
/// on nicks.
pub async fn join(
    server: SocketAddr,
    from: Option<IpAddr>,
    nick: &str,
    password: Option<&str>,
    room: &str,
) -> anyhow::Result<(LineReader, Writer)> {
    let (mut r, w) = lines::tcp(server, from, b"\r\n").await?;
    let w = Writer(Arc::new(Mutex::new(w)));
    let steps = async {
        let mut tries = 0;
        let mut current = nick.to_owned();
        if let Some(p) = password {
            w.line(&format!("PASS {nick}:{p}")).await?;
        }
        w.line(&format!("NICK {current}")).await?;
        w.line(&format!("USER {nick} 0 * :modchat-bench")).await?;
        wait_for(&mut r, &w, "001", |code| {
            if code == "433" && tries < 5 {
                tries += 1;
                current = format!("{nick}_{tries}");
                return Some(format!("NICK {current}"));
            }
            None
        })
        .await
        .with_context(|| format!("registering {nick}"))?;
        w.line(&format!("JOIN #{room}")).await?;
        wait_for(&mut r, &w, "366", |_| None)
            .await
            .with_context(|| format!("{nick} joining #{room}"))?;
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(30), steps)
        .await
        .with_context(|| format!("{nick}: no answer from the IRC server in 30 s"))??;
    Ok((r, w))
}

/// Reads until the numeric `want`, answering PINGs. An error numeric
/// (400-599; not 422, no MOTD, which is no error for us) or an IRCv3
/// `FAIL` fails, unless `retry` (given the numeric, or `FAIL`) gives a line
/// to send instead.
async fn wait_for(
    r: &mut LineReader,
    w: &Writer,
    want: &str,
    mut retry: impl FnMut(&str) -> Option<String>,
) -> anyhow::Result<()> {
    while let Some(line) = r.next_line().await? {
        let (cmd, _) = command(&line);
        if cmd == want {
            return Ok(());
        }
        match cmd {
            "PING" => w.pong(&line).await?,
            "ERROR" => bail!("{line}"),
            c if c == "FAIL"
                || (c.len() == 3 && matches!(c.as_bytes()[0], b'4' | b'5') && c != "422") =>
            {
                match retry(c) {
                    Some(l) => w.line(&l).await?,
                    None => bail!("{line}"),
                }
            }
            _ => {}
        }
    }
    bail!("the IRC server closed the connection")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_texts() {
        assert_eq!(command(":srv 001 nick :Welcome"), ("001", "nick :Welcome"));
        assert_eq!(command("PING :srv"), ("PING", ":srv"));
        assert_eq!(command("ERROR"), ("ERROR", ""));
        assert_eq!(
            privmsg_text(":a!~a@127.0.0.1 PRIVMSG #r0 :b 1 2 3"),
            Some("b 1 2 3")
        );
        assert_eq!(privmsg_text(":srv 366 a #r0 :End of NAMES list"), None);
    }
}
