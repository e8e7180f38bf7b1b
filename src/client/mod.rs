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
        let password = match std::env::var("MODCHAT_PASSWORD") {
            Ok(p) => p,
            Err(_) => read_password("password: ")?,
        };
        rt.block_on(async {
            let (tx, rx, chat, token) = start(&opts, &user, &password, true).await?;
            tui::run(opts.target.clone(), tx, rx, chat, token).await
        })
    } else {
        rt.block_on(plain::run(opts))
    }
}

/// A connection and its session: the sender, the frames, the model after
/// login, the token.
type Started = (Sender, mpsc::UnboundedReceiver<Incoming>, Chat, String);

/// Connects and logs in; `may_ask`: at a terminal, offer to register.
pub(crate) async fn start(
    opts: &Options,
    user: &str,
    password: &str,
    may_ask: bool,
) -> anyhow::Result<Started> {
    let (mut tx, mut rx) = conn::connect(&opts.target).await?;
    let mut chat = Chat::default();
    let token = log_in(
        &mut tx,
        &mut rx,
        &mut chat,
        user,
        password,
        opts.register,
        may_ask,
    )
    .await?;
    Ok((tx, rx, chat, token))
}

/// Logs in (registering first when asked, or when the user agrees after
/// `bad_credentials` at a terminal). Returns the token for `resume`.
pub(crate) async fn log_in(
    tx: &mut Sender,
    rx: &mut mpsc::UnboundedReceiver<Incoming>,
    chat: &mut Chat,
    user: &str,
    password: &str,
    register: bool,
    may_ask: bool,
) -> anyhow::Result<String> {
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
    let mut r = call(tx, rx, login.clone()).await?;
    if r["code"] == "bad_credentials" && may_ask && !register {
        let answer = prompt_line(&format!(
            "No account {user}, or a wrong password. Register {user} with this password? [y/N] "
        ))?;
        if answer.trim().eq_ignore_ascii_case("y") {
            let reg = call(
                tx,
                rx,
                json!({"type": "register", "username": user, "password": password}),
            )
            .await?;
            if reg["type"] != "ok" {
                anyhow::bail!(
                    "cannot register {user}: {}",
                    reg["message"].as_str().unwrap_or("refused")
                );
            }
            r = call(tx, rx, login).await?;
        }
    }
    if r["type"] != "ok" {
        anyhow::bail!(
            "cannot log in as {user}: {} ({})",
            r["message"].as_str().unwrap_or("refused"),
            r["code"].as_str().unwrap_or("")
        );
    }
    let token = r["token"].as_str().unwrap_or_default().to_owned();
    for f in chat.logged_in(&r) {
        send(tx, chat, f).await?;
    }
    Ok(token)
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
