//! The plain line mode, for scripts and pipes: each stdin line is a
//! message to the current room or a slash command, read once the replies to
//! the previous line have come; each event is printed as one line. A text
//! refused with `rate_limited` is sent again after the wait it names, before
//! the next line is read: a piped file arrives whole, paced. At the end of
//! stdin the client waits for the replies still due (while they keep
//! coming, at most 10 s of silence), then exits.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::commands::{self, Action};
use super::conn::Incoming;
use super::state::{Chat, Kind, Line};
use super::Options;

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    let user = match opts.user.clone() {
        Some(u) => u,
        None => input.next_line().await?.unwrap_or_default(),
    };
    let password = match std::env::var("MODCHAT_PASSWORD") {
        Ok(p) => p,
        Err(_) => input.next_line().await?.unwrap_or_default(),
    };
    let (mut tx, mut rx, mut chat, _token) = super::start(&opts, &user, &password).await?;
    print_new(&mut chat, false);
    // history pages print once the user's own lines are being read
    let mut asked = false;
    let mut stdin_open = true;
    let mut quit = false;
    let drain = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(drain);
    loop {
        if !stdin_open && chat.idle() || quit {
            break;
        }
        tokio::select! {
            // one line at a time: the next waits for the replies to the last,
            // so a script's `/create lobby` comes before its first message
            line = input.next_line(), if stdin_open && chat.idle() => match line? {
                Some(l) => {
                    asked = true;
                    match super::parse_line(&chat, &l) {
                        Ok(Action::Request(r)) => super::send(&mut tx, &mut chat, r).await?,
                        Ok(Action::Switch(room)) => chat.switch(&room),
                        Ok(Action::Query(name)) => {
                            if let Some(h) = chat.query(&name) {
                                super::send(&mut tx, &mut chat, h).await?;
                            }
                        }
                        Ok(Action::Close) => chat.close(),
                        Ok(Action::ShowTopic) => chat.show_topic(),
                        Ok(Action::Mouse) => {}
                        Ok(Action::Help) => {
                            for (u, what) in commands::HELP {
                                println!("{u:32} {what}");
                            }
                        }
                        Ok(Action::Quit) => quit = true,
                        Ok(Action::Nothing) => {}
                        Err(e) => chat.notice(Kind::Error, e),
                    }
                }
                None => {
                    stdin_open = false;
                    drain.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(10));
                }
            },
            frame = rx.recv() => match frame {
                Some(Incoming::Frame(v)) => {
                    for f in chat.on_frame(&v) {
                        super::send(&mut tx, &mut chat, f).await?;
                    }
                    if !stdin_open {
                        // still answering: the 10 s are of silence
                        drain.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(10));
                    }
                }
                other => {
                    let why = match other {
                        Some(Incoming::Closed(w)) => w,
                        _ => "the connection is gone".into(),
                    };
                    print_new(&mut chat, asked);
                    anyhow::bail!("{why}");
                }
            },
            _ = super::tui::sleep_until(chat.held_until), if chat.held_until.is_some() => {
                for f in chat.held_due() {
                    super::send(&mut tx, &mut chat, f).await?;
                }
            },
            _ = &mut drain => break,
        }
        print_new(&mut chat, asked);
    }
    print_new(&mut chat, asked);
    let _ = tx.send(json!({"type": "logout"})).await;
    Ok(())
}

/// Prints what is new; `backlog`: history pages too (those of a `/join`
/// or `/history`, not the ones a login fetches for every room).
fn print_new(chat: &mut Chat, backlog: bool) {
    // a history page, oldest first, then what came
    for (room, line) in chat.take_backlog() {
        if backlog {
            println!("{}", format_line(Some(&room), &line));
        }
    }
    for (room, line) in chat.take_new() {
        println!("{}", format_line(room.as_deref(), &line));
    }
}

/// One line of output: `[room] 12:00 alice: text`.
pub fn format_line(room: Option<&str>, l: &Line) -> String {
    let at = room.map(|r| format!("[{r}] ")).unwrap_or_default();
    let from = l.from.as_deref().unwrap_or("");
    match l.kind {
        Kind::Message | Kind::Mine => format!("{at}{} {from}: {}", l.time, l.text),
        Kind::Action => format!("{at}{} * {from} {}", l.time, l.text),
        Kind::WhisperIn => format!("{} (whisper from {from}) {}", l.time, l.text),
        Kind::WhisperOut => format!("{} (whisper to {from}) {}", l.time, l.text),
        Kind::Event => format!("{at}{} * {}", l.time, l.text),
        Kind::Notice => format!("{} - {}", l.time, l.text),
        Kind::Error => format!("{} ! {}", l.time, l.text),
    }
}
