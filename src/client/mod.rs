//! `modchat chat`: the terminal client. A full-screen view (ratatui and
//! crossterm) when both stdin and stdout are terminals, a plain line mode
//! otherwise, for scripts. Both speak the protocol through [`conn`], keep
//! one model ([`state::Chat`]) and read input lines with one parser
//! ([`commands`]).

pub mod commands;
pub mod conn;
pub(crate) mod plain;
pub mod state;
pub(crate) mod tui;

use std::io::{IsTerminal, Write};

use anyhow::Context as _;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use self::conn::{Incoming, Sender, Target};
use self::state::Chat;

/// The command line of `modchat chat`.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// The account; asked for when absent.
    pub user: Option<String>,
    /// Create the account first.
    pub register: bool,
}

/// Runs the client until the user quits. The password comes from
/// `MODCHAT_PASSWORD`, else a prompt without echo (or, in the plain mode,
/// the next line of stdin).
pub fn run(opts: Options) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if interactive {
        let user = match opts.user.clone() {
            Some(u) => u,
            None => prompt_line("username: ")?,
        };
        rt.block_on(async {
            let (tx, rx, chat, token) = sign_in(&opts, &user).await?;
            tui::run(opts.target.clone(), tx, rx, chat, token).await
        })
    } else {
        rt.block_on(plain::run(opts))
    }
}

/// A connection and its session: the sender, the frames, the model after
/// login, the token.
type Started = (Sender, mpsc::UnboundedReceiver<Incoming>, Chat, String);

/// At a terminal: logs in, and after a wrong password lets the user try
/// again, register the name (only when asked, the password typed twice)
/// or give up; never ends the client for a typo.
async fn sign_in(opts: &Options, user: &str) -> anyhow::Result<Started> {
    let (mut tx, mut rx) = conn::connect(&opts.target).await?;
    let mut chat = Chat::default();
    let mut register = opts.register;
    let mut password = match std::env::var("MODCHAT_PASSWORD") {
        Ok(p) => p,
        Err(_) if register => new_password()?,
        Err(_) => read_password("password: ")?,
    };
    loop {
        if let Some(token) = log_in(&mut tx, &mut rx, &mut chat, user, &password, register).await? {
            return Ok((tx, rx, chat, token));
        }
        println!("Wrong password, or there is no account named {user}.");
        let answer = prompt_line(&format!(
            "Enter: type the password again · r: create the account {user} · q: quit > "
        ))?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "q" | "quit" => anyhow::bail!("not logged in"),
            "r" | "register" => {
                register = true;
                password = new_password()?;
            }
            _ => {
                register = false;
                password = read_password("password: ")?;
            }
        }
    }
}

/// A new account's password, typed twice.
fn new_password() -> anyhow::Result<String> {
    loop {
        let p = read_password("new password (at least 8 characters): ")?;
        if read_password("the same again: ")? == p {
            return Ok(p);
        }
        println!("The two differ; once more.");
    }
}

/// Connects and logs in, for the plain mode: a wrong password ends it.
pub(crate) async fn start(opts: &Options, user: &str, password: &str) -> anyhow::Result<Started> {
    let (mut tx, mut rx) = conn::connect(&opts.target).await?;
    let mut chat = Chat::default();
    match log_in(&mut tx, &mut rx, &mut chat, user, password, opts.register).await? {
        Some(token) => Ok((tx, rx, chat, token)),
        None => anyhow::bail!(
            "cannot log in as {user}: wrong password, or no such account (bad_credentials)"
        ),
    }
}

/// Logs in (registering first when asked). Returns the token for
/// `resume`; `None` for `bad_credentials`, which the caller may retry.
pub(crate) async fn log_in(
    tx: &mut Sender,
    rx: &mut mpsc::UnboundedReceiver<Incoming>,
    chat: &mut Chat,
    user: &str,
    password: &str,
    register: bool,
) -> anyhow::Result<Option<String>> {
    if register {
        let r = call(
            tx,
            rx,
            json!({"type": "register", "username": user, "password": password}),
        )
        .await?;
        if r["type"] != "ok" && r["code"] != "username_taken" {
            anyhow::bail!(
                "cannot register {user}: {}",
                r["message"].as_str().unwrap_or("refused")
            );
        }
    }
    let login = json!({"type": "login", "username": user, "password": password});
    let r = call(tx, rx, login).await?;
    if r["code"] == "bad_credentials" {
        return Ok(None);
    }
    if r["type"] != "ok" {
        let until = match &r["until"] {
            Value::String(_) => format!(" until {}", state::local_time(&r["until"])),
            _ if r["code"] == "banned" => " until lifted".into(),
            _ => String::new(),
        };
        anyhow::bail!(
            "cannot log in as {user}: {}{until} ({})",
            r["message"].as_str().unwrap_or("refused"),
            r["code"].as_str().unwrap_or("")
        );
    }
    let token = r["token"].as_str().unwrap_or_default().to_owned();
    for f in chat.logged_in(&r) {
        send(tx, chat, f).await?;
    }
    Ok(Some(token))
}

/// Reads a typed line where the user is: the one parser's context, built
/// from the model, for both front ends.
pub(crate) fn parse_line(chat: &Chat, line: &str) -> Result<commands::Action, String> {
    let joined = chat.joined();
    let messages = chat.messages_shown();
    let cx = commands::Context {
        room: chat.room_name(),
        with: chat.partner(),
        last_whisper_from: chat.last_whisper_from.as_deref(),
        joined: &joined,
        oldest: chat.oldest_id(),
        messages: &messages,
    };
    commands::parse(line, &cx)
}

/// Sends a request the model will see the reply to.
pub(crate) async fn send(tx: &mut Sender, chat: &mut Chat, req: Value) -> anyhow::Result<()> {
    let id = tx.send(req.clone()).await?;
    chat.pending.insert(id, req);
    Ok(())
}

/// One request and its reply, before the model runs (login); events that
/// arrive meanwhile are dropped.
async fn call(
    tx: &mut Sender,
    rx: &mut mpsc::UnboundedReceiver<Incoming>,
    req: Value,
) -> anyhow::Result<Value> {
    let id = tx.send(req).await?;
    loop {
        match rx.recv().await {
            Some(Incoming::Frame(v)) if v["re"] == json!(id) => return Ok(v),
            Some(Incoming::Frame(_)) => continue,
            Some(Incoming::Closed(why)) => anyhow::bail!("{why}"),
            None => anyhow::bail!("the connection is gone"),
        }
    }
}

fn prompt_line(prompt: &str) -> anyhow::Result<String> {
    print!("{prompt}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Reads a password at the terminal without echoing it.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use ratatui::crossterm::terminal;
    print!("{prompt}");
    std::io::stdout().flush()?;
    terminal::enable_raw_mode().context("cannot read the password without echo")?;
    let mut pw = String::new();
    let result = loop {
        match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Backspace => {
                    pw.pop();
                }
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(anyhow::anyhow!("cancelled"))
                }
                KeyCode::Char(c) => pw.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e.into()),
        }
    };
    let _ = terminal::disable_raw_mode();
    println!();
    result.map(|()| pw)
}
