//! The full-screen view: rooms on the left (with unread counts), the
//! current room's lines in the middle, its members on the right, an input
//! line with history at the bottom. Keys: Enter sends, Up/Down recall,
//! Tab/Shift-Tab switch rooms, PageUp/PageDown scroll, Ctrl-C quits.
//! A dropped connection is resumed with the login token, keeping what was
//! typed; not after being kicked or banned.

use std::time::Duration;

use ratatui::crossterm::event::{
    self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, Paragraph};
use ratatui::{DefaultTerminal, Frame};
use serde_json::json;
use tokio::sync::mpsc;
use unicode_width::UnicodeWidthStr;

use super::commands::{self, Action};
use super::conn::{self, Incoming, Sender, Target};
use super::state::{Chat, Kind, Line};

/// The keys `/help` lists after the commands.
const KEYS: &[(&str, &str)] = &[
    ("Enter", "send (a paste is one message)"),
    ("Up / Down", "the lines you sent before"),
    ("Ctrl-A / Ctrl-E", "start / end of the line"),
    (
        "Alt-B / Alt-F, Ctrl-Left / Ctrl-Right",
        "a word back / forward",
    ),
    ("Ctrl-W / Alt-D", "delete the word before / after"),
    ("Ctrl-K / Ctrl-U", "delete to the end / the whole line"),
    (
        "PageUp / PageDown (Shift too)",
        "scroll the room; -MORE- in the top bar while not at the bottom",
    ),
    ("F2 / F3", "show or hide the rooms / the members"),
    (
        "mouse wheel",
        "scroll the room (Shift+drag selects text; /mouse gives the mouse back to the terminal)",
    ),
    (
        "Tab / Shift-Tab",
        "complete a nick, /command or #room (again: the next one)",
    ),
    (
        "Alt-1…9, Ctrl-N / Ctrl-P, Alt-Left / Alt-Right",
        "rooms (a half-typed line stays with its room)",
    ),
    ("Ctrl-C, or Ctrl-D on an empty line", "quit"),
];

/// The input line and its history.
#[derive(Default)]
struct Input {
    text: String,
    /// Cursor, in chars.
    cursor: usize,
    history: Vec<String>,
    /// Position while recalling; `None` when editing a new line.
    recall: Option<usize>,
}

impl Input {
    fn byte(&self, char_pos: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_pos)
            .map_or(self.text.len(), |(i, _)| i)
    }
    fn insert(&mut self, c: char) {
        let at = self.byte(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }
    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte(self.cursor);
            self.text.remove(at);
        }
    }
    fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte(self.cursor);
            self.text.remove(at);
        }
    }
    fn len(&self) -> usize {
        self.text.chars().count()
    }
    /// The start of the word before the cursor (readline's `backward-word`):
    /// spaces skipped first, then the word.
    fn word_left(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor.min(chars.len());
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }
    /// Where the word the cursor ends starts (nothing skipped: right after
    /// a space it is the cursor itself).
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor.min(chars.len());
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }
    /// The end of the word after the cursor (`forward-word`).
    fn word_right(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor.min(chars.len());
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        i
    }
    /// Removes the chars in `from..to` (char positions); the cursor goes to
    /// `from`.
    fn cut(&mut self, from: usize, to: usize) {
        let (a, b) = (self.byte(from), self.byte(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
    }
    /// Readline's keys (Emacs mode): Ctrl-A/E home and end, Ctrl-B/F a
    /// char, Alt-B/F and Ctrl-Left/Right a word, Ctrl-W the word before,
    /// Alt-D the word after, Ctrl-K to the end, Ctrl-U the whole line (not
    /// just to the start: what chat clients do). Whether `k` was one.
    fn readline(&mut self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        match k.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('b') if ctrl => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('f') if ctrl => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Char('b') if alt => self.cursor = self.word_left(),
            KeyCode::Char('f') if alt => self.cursor = self.word_right(),
            KeyCode::Left if ctrl => self.cursor = self.word_left(),
            KeyCode::Right if ctrl => self.cursor = self.word_right(),
            KeyCode::Char('w') if ctrl => self.cut(self.word_left(), self.cursor),
            KeyCode::Backspace if alt || ctrl => self.cut(self.word_left(), self.cursor),
            KeyCode::Char('d') if alt => self.cut(self.cursor, self.word_right()),
            KeyCode::Char('k') if ctrl => self.cut(self.cursor, self.len()),
            KeyCode::Char('u') if ctrl => self.cut(0, self.len()),
            _ => return false,
        }
        true
    }
    fn take(&mut self) -> String {
        let t = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.recall = None;
        if !t.trim().is_empty() && self.history.last() != Some(&t) {
            self.history.push(t.clone());
        }
        t
    }
    fn recall(&mut self, up: bool) {
        if self.history.is_empty() {
            return;
        }
        let n = self.history.len();
        self.recall = match (self.recall, up) {
            (None, true) => Some(n - 1),
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (_, false) => None,
        };
        self.text = self
            .recall
            .map(|i| self.history[i].clone())
            .unwrap_or_default();
        self.cursor = self.text.chars().count();
    }
}

struct App {
    chat: Chat,
    input: Input,
    /// Lines scrolled up from the bottom.
    scroll: usize,
    connected: bool,
    /// Kicked or banned: no reconnecting.
    stay_out: bool,
    quit: bool,
    server: String,
    /// What was typed in each room left with a half-typed line.
    drafts: std::collections::HashMap<String, String>,
    /// A Tab completion being cycled: where its word starts (chars), the
    /// candidates, the one shown.
    completing: Option<(usize, Vec<String>, usize)>,
    /// Requests made while drawing or switching (a marker for the view
    /// left, a conversation's history), sent by the event loop.
    outbox: Vec<serde_json::Value>,
    /// The side panes at a narrow width (F2 rooms, F3 members); on a wide
    /// screen they show unless hidden the same way.
    show_rooms: Option<bool>,
    show_members: Option<bool>,
    /// The width the lines were last drawn at, to keep a scrolled-up
    /// window in place when lines arrive below it.
    lines_width: std::cell::Cell<u16>,
    lines_height: std::cell::Cell<u16>,
    /// The mouse is ours (wheel scrolling) rather than the terminal's.
    mouse: bool,
    /// Whether the screen was wide at the last draw (side panes by default).
    wide: std::cell::Cell<bool>,
}

impl App {
    /// A connected view of `chat`, nothing typed, at the bottom.
    fn new(chat: Chat, server: &str) -> App {
        App {
            chat,
            input: Input::default(),
            scroll: 0,
            connected: true,
            stay_out: false,
            quit: false,
            server: server.to_owned(),
            drafts: Default::default(),
            completing: None,
            outbox: Vec::new(),
            show_rooms: None,
            show_members: None,
            lines_width: std::cell::Cell::new(80),
            lines_height: std::cell::Cell::new(20),
            wide: std::cell::Cell::new(true),
            mouse: true,
        }
    }

    /// Moves to another room (by `go` on the model), keeping the
    /// half-typed line with the room it was typed in.
    fn go(&mut self, go: impl FnOnce(&mut Chat)) {
        let before = self.chat.view_name().map(str::to_owned);
        // what was on screen of the view left is read
        if self.scroll == 0 {
            self.outbox.extend(self.chat.read_marks());
        }
        go(&mut self.chat);
        self.outbox.extend(self.chat.history_due());
        let after = self.chat.view_name().map(str::to_owned);
        if before == after {
            return;
        }
        if let Some(r) = before {
            let typed = std::mem::take(&mut self.input.text);
            if !typed.is_empty() {
                self.drafts.insert(r, typed);
            }
        }
        self.input.text = after
            .and_then(|r| self.drafts.remove(&r))
            .unwrap_or_default();
        self.input.cursor = self.input.len();
        self.scroll = 0;
    }

    /// Tab: completes the word before the cursor, a nick of the room
    /// (`alice: ` at the start of the line), a `/command` or a `#room`;
    /// Tab again shows the next candidate.
    fn complete(&mut self, step: isize) {
        let (start, candidates, i) = match self.completing.take() {
            Some((start, c, i)) => {
                let n = c.len() as isize;
                (start, c, ((i as isize + step).rem_euclid(n)) as usize)
            }
            None => {
                let start = self.input.word_start();
                let word: String = self
                    .input
                    .text
                    .chars()
                    .skip(start)
                    .take(self.input.cursor - start)
                    .collect();
                let c = self.candidates(&word, start == 0);
                if c.is_empty() {
                    return;
                }
                (start, c, 0)
            }
        };
        self.input.cut(start, self.input.cursor);
        for ch in candidates[i].chars() {
            self.input.insert(ch);
        }
        self.completing = Some((start, candidates, i));
    }

    fn candidates(&self, word: &str, first: bool) -> Vec<String> {
        let lower = word.to_lowercase();
        let mut c: Vec<String> = if let Some(cmd) = word.strip_prefix('/') {
            commands::HELP
                .iter()
                .filter_map(|(u, _)| u.split(' ').next())
                .filter(|n| n[1..].starts_with(&cmd.to_lowercase()))
                .map(|n| format!("{n} "))
                .collect()
        } else if let Some(r) = word.strip_prefix('#') {
            self.chat
                .joined()
                .into_iter()
                .filter(|n| n.starts_with(&r.to_lowercase()))
                .map(|n| format!("#{n} "))
                .collect()
        } else if word.is_empty() {
            Vec::new()
        } else {
            let members = match self.chat.current {
                Some(i) => &self.chat.rooms[i].members[..],
                None => &[],
            };
            let suffix = if first { ": " } else { " " };
            members
                .iter()
                .filter(|m| m.name.to_lowercase().starts_with(&lower) && m.name != self.chat.me)
                .map(|m| format!("{}{suffix}", m.name))
                .collect()
        };
        c.sort();
        c.dedup();
        c
    }
}

/// Draws `chat` once, as the event loop does, on a `width` x `height`
/// screen in memory with `typed` in the input line: how the client_events
/// fuzz target renders whatever a server sent.
pub(crate) fn render_in_memory(chat: Chat, typed: &str, width: u16, height: u16, scroll: usize) {
    let mut input = Input::default();
    for c in typed.chars() {
        input.insert(c);
    }
    let mut app = App::new(chat, "fuzz");
    app.input = input;
    app.scroll = scroll;
    let backend = ratatui::backend::TestBackend::new(width, height);
    // a TestBackend cannot fail
    let Ok(mut t) = ratatui::Terminal::new(backend);
    let _ = t.draw(|f| draw(f, &app));
}

/// Sleeps until `at` (forever when `None`; the branch is off then).
pub(crate) async fn sleep_until(at: Option<std::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

/// Keys from a thread of their own (crossterm's `read` blocks).
fn spawn_keys() -> mpsc::UnboundedReceiver<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    rx
}

pub async fn run(
    target: Target,
    tx: Sender,
    rx: mpsc::UnboundedReceiver<Incoming>,
    chat: Chat,
    token: String,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        event::EnableBracketedPaste,
        event::EnableMouseCapture
    );
    let result = event_loop(&mut terminal, target, tx, rx, chat, token).await;
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        event::DisableBracketedPaste,
        event::DisableMouseCapture
    );
    let _ = ratatui::try_restore();
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    target: Target,
    mut tx: Sender,
    mut rx: mpsc::UnboundedReceiver<Incoming>,
    chat: Chat,
    token: String,
) -> anyhow::Result<()> {
    let mut app = App::new(chat, &target.server);
    let mut keys = spawn_keys();
    let mut ping = tokio::time::interval(Duration::from_secs(15));
    // read markers go at most every 2 s, not one per message shown
    let mut marks = tokio::time::interval(Duration::from_secs(2));
    let mut backoff = Duration::from_millis(500);
    let retry = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(retry);
    while !app.quit {
        if app.connected {
            for r in std::mem::take(&mut app.outbox) {
                let _ = super::send(&mut tx, &mut app.chat, r).await;
            }
        }
        terminal.draw(|f| draw(f, &app))?;
        tokio::select! {
            ev = keys.recv() => match ev {
                Some(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    if let Some(line) = on_key(&mut app, k) {
                        submit(&mut app, &mut tx, line).await;
                    }
                }
                // a paste is one text, its lines kept: Enter sends it as one
                // message (each line a `say` would meet the rate limit)
                Some(Event::Paste(text)) => {
                    let text = text.replace("\r\n", "\n").replace('\r', "\n");
                    for c in text.trim_end_matches('\n').chars() {
                        app.input.insert(c);
                    }
                }
                // the wheel scrolls the room (the terminal's own selection
                // is Shift+drag meanwhile; /mouse hands the mouse back)
                Some(Event::Mouse(m)) => match m.kind {
                    MouseEventKind::ScrollUp => app.scroll += 3,
                    MouseEventKind::ScrollDown => app.scroll = app.scroll.saturating_sub(3),
                    _ => {}
                },
                Some(_) => {}
                None => break,
            },
            frame = rx.recv(), if app.connected => match frame {
                Some(Incoming::Frame(v)) => {
                    let ty = v["type"].as_str().unwrap_or_default();
                    if ty == "banned" || (ty == "kicked" && v["room"].is_null()) {
                        app.stay_out = true;
                    }
                    for f in app.chat.on_frame(&v) {
                        let _ = super::send(&mut tx, &mut app.chat, f).await;
                    }
                    // a text refused for what it is comes back to be fixed
                    if let Some(text) = app.chat.give_back.take() {
                        if app.input.text.is_empty() {
                            app.input.cursor = text.chars().count();
                            app.input.text = text;
                        }
                    }
                }
                other => {
                    let why = match other {
                        Some(Incoming::Closed(w)) => w,
                        None => "the connection is gone".into(),
                        Some(Incoming::Frame(_)) => String::new(),
                    };
                    app.connected = false;
                    if app.stay_out {
                        app.chat.notice(Kind::Error, format!("{why}. Not reconnecting. Ctrl-C quits."));
                    } else {
                        app.chat.notice(Kind::Error, format!("{why}; reconnecting…"));
                        retry.as_mut().reset(tokio::time::Instant::now() + backoff);
                    }
                }
            },
            _ = &mut retry, if !app.connected && !app.stay_out => {
                match reconnect(&target, &token, &mut app).await {
                    Ok((t, r)) => {
                        (tx, rx) = (t, r);
                        app.connected = true;
                        app.chat.resend_held();
                        backoff = Duration::from_millis(500);
                        app.chat.notice(Kind::Notice, "reconnected");
                    }
                    Err(e) => {
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                        app.chat.notice(Kind::Error, format!("{e:#}; trying again in {} s", backoff.as_secs_f32()));
                        retry.as_mut().reset(tokio::time::Instant::now() + backoff);
                    }
                }
            },
            _ = sleep_until(app.chat.held_until), if app.connected && app.chat.held_until.is_some() => {
                for f in app.chat.held_due() {
                    let _ = super::send(&mut tx, &mut app.chat, f).await;
                }
            },
            _ = marks.tick(), if app.connected => {
                if app.scroll == 0 {
                    app.outbox.extend(app.chat.read_marks());
                }
            },
            _ = ping.tick(), if app.connected => {
                let t = chrono::Utc::now().timestamp_millis();
                let _ = super::send(&mut tx, &mut app.chat, json!({"type": "ping", "t": t})).await;
            },
        }
        app.chat.take_backlog();
        // lines that came below a scrolled-up window keep it in place; a
        // line taller than the window shows from its top, -MORE- below
        let shown = app.chat.view_name().map(str::to_owned);
        let height = app.lines_height.get() as usize;
        for (view, line) in app.chat.take_new() {
            if view != shown {
                continue;
            }
            let rows = rows_of(&line, app.lines_width.get() as usize).len();
            if app.scroll > 0 {
                app.scroll += rows;
            } else if rows > height {
                app.scroll = rows - height;
            }
        }
    }
    Ok(())
}

/// A new connection, logged in again with `resume`.
async fn reconnect(
    target: &Target,
    token: &str,
    app: &mut App,
) -> anyhow::Result<(Sender, mpsc::UnboundedReceiver<Incoming>)> {
    let (mut tx, mut rx) = conn::connect(target).await?;
    let id = tx.send(json!({"type": "resume", "token": token})).await?;
    loop {
        match rx.recv().await {
            Some(Incoming::Frame(v)) if v["re"] == json!(id) => {
                if v["type"] != "ok" {
                    app.stay_out = true;
                    anyhow::bail!(
                        "cannot resume: {}",
                        v["message"].as_str().unwrap_or("refused")
                    );
                }
                for f in app.chat.logged_in(&v) {
                    super::send(&mut tx, &mut app.chat, f).await?;
                }
                return Ok((tx, rx));
            }
            Some(Incoming::Frame(_)) => continue,
            Some(Incoming::Closed(why)) => anyhow::bail!("{why}"),
            None => anyhow::bail!("the connection is gone"),
        }
    }
}

/// Edits the input; returns a line to submit on Enter.
fn on_key(app: &mut App, k: KeyEvent) -> Option<String> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    if !matches!(k.code, KeyCode::Tab | KeyCode::BackTab) {
        app.completing = None;
    }
    // rooms: Alt-1…9, Ctrl-N / Ctrl-P, Alt-Left / Alt-Right
    match k.code {
        KeyCode::Char(d @ '1'..='9') if alt && !ctrl => {
            let n = d as usize - '1' as usize;
            if let Some(name) = app.chat.joined().get(n).cloned() {
                app.go(|c| c.switch(&name));
            }
            return None;
        }
        KeyCode::Char('n') if ctrl => {
            app.go(|c| c.next_room(1));
            return None;
        }
        KeyCode::Char('p') if ctrl => {
            app.go(|c| c.next_room(-1));
            return None;
        }
        KeyCode::Right if alt => {
            app.go(|c| c.next_room(1));
            return None;
        }
        KeyCode::Left if alt => {
            app.go(|c| c.next_room(-1));
            return None;
        }
        KeyCode::Tab => {
            app.complete(1);
            return None;
        }
        KeyCode::F(2) => {
            app.show_rooms = Some(!app.show_rooms.unwrap_or(app.wide.get()));
            return None;
        }
        KeyCode::F(3) => {
            app.show_members = Some(!app.show_members.unwrap_or(app.wide.get()));
            return None;
        }
        KeyCode::BackTab => {
            app.complete(-1);
            return None;
        }
        _ => {}
    }
    let inp = &mut app.input;
    if inp.readline(&k) {
        return None;
    }
    match k.code {
        KeyCode::Char('c') if ctrl => app.quit = true,
        // Ctrl-D quits on an empty line only, as in a shell
        KeyCode::Char('d') if ctrl && inp.text.is_empty() => app.quit = true,
        KeyCode::Char('d') if ctrl => inp.delete(),
        // AltGr comes as Ctrl+Alt on some terminals: its char is typed
        KeyCode::Char(c) if ctrl && alt => inp.insert(c),
        // other Ctrl and Alt chords type nothing
        KeyCode::Char(_) if ctrl || alt => {}
        KeyCode::Char(c) => inp.insert(c),
        KeyCode::Enter => return Some(inp.take()),
        KeyCode::Backspace => inp.backspace(),
        KeyCode::Delete => inp.delete(),
        KeyCode::Left => inp.cursor = inp.cursor.saturating_sub(1),
        KeyCode::Right => inp.cursor = (inp.cursor + 1).min(inp.text.chars().count()),
        KeyCode::Home => inp.cursor = 0,
        KeyCode::End => inp.cursor = inp.text.chars().count(),
        KeyCode::Up => inp.recall(true),
        KeyCode::Down => inp.recall(false),
        KeyCode::PageUp => app.scroll += 10,
        KeyCode::PageDown => app.scroll = app.scroll.saturating_sub(10),
        KeyCode::Esc => {
            inp.text.clear();
            inp.cursor = 0;
        }
        _ => {}
    }
    None
}

async fn submit(app: &mut App, tx: &mut Sender, line: String) {
    match super::parse_line(&app.chat, &line) {
        // behind texts that wait after `rate_limited`: queued, in order
        Ok(Action::Request(r))
            if app.chat.holding() && matches!(r["type"].as_str(), Some("say" | "whisper")) =>
        {
            app.chat.hold_typed(r);
            app.scroll = 0;
        }
        Ok(Action::Request(r)) if app.connected => {
            if let Err(e) = super::send(tx, &mut app.chat, r).await {
                app.chat.notice(Kind::Error, format!("{e:#}"));
            }
            app.scroll = 0;
        }
        Ok(Action::Request(_)) => {
            app.chat
                .notice(Kind::Error, "not connected: your line is back in the input");
            app.input.text = line;
            app.input.cursor = app.input.text.chars().count();
        }
        Ok(Action::Switch(room)) => app.go(|c| c.switch(&room)),
        Ok(Action::Query(name)) => {
            let mut history = None;
            app.go(|c| history = c.query(&name));
            app.outbox.extend(history);
        }
        Ok(Action::Close) => app.go(Chat::close),
        Ok(Action::ShowTopic) => app.chat.show_topic(),
        Ok(Action::Mouse) => {
            app.mouse = !app.mouse;
            let (done, text) = if app.mouse {
                (
                    ratatui::crossterm::execute!(std::io::stdout(), event::EnableMouseCapture),
                    "the mouse wheel scrolls the room; Shift+drag selects text",
                )
            } else {
                (
                    ratatui::crossterm::execute!(std::io::stdout(), event::DisableMouseCapture),
                    "the mouse is the terminal's again (selection without Shift); PageUp/PageDown scroll",
                )
            };
            match done {
                Ok(()) => app.chat.notice(Kind::Notice, text),
                Err(e) => app.chat.notice(Kind::Error, format!("/mouse: {e}")),
            }
        }
        Ok(Action::Help) => {
            app.chat.notice(
                Kind::Notice,
                "commands (anything else is said in the room; //text says /text):",
            );
            for (u, what) in commands::HELP {
                app.chat.notice(Kind::Notice, format!("  {u} — {what}"));
            }
            app.chat.notice(Kind::Notice, "keys:");
            for (k, what) in KEYS {
                app.chat.notice(Kind::Notice, format!("  {k} — {what}"));
            }
        }
        Ok(Action::Quit) => app.quit = true,
        Ok(Action::Nothing) => {}
        Err(e) => app.chat.notice(Kind::Error, e),
    }
}

// ---- Drawing ----------------------------------------------------------------

/// Continuation rows of a wrapped line start under its text, after the
/// `HH:MM ` column, as in irssi.
const INDENT: usize = 6;

/// From this width the side panes show unless hidden (F2, F3); below it
/// they show only when asked, and the status bar lists the rooms.
const WIDE: u16 = 100;

fn draw(f: &mut Frame, app: &App) {
    let [top, body, input] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(3),
    ])
    .areas(f.area());
    let wide = body.width >= WIDE;
    app.wide.set(wide);
    let show_rooms = app.show_rooms.unwrap_or(wide) && body.width >= 60;
    let show_members = app.show_members.unwrap_or(wide) && body.width >= 60;
    let rooms_w = if show_rooms { 20 } else { 0 };
    let members_w = if show_members { 20 } else { 0 };
    let [rooms, middle, members] = Layout::horizontal([
        Constraint::Length(rooms_w),
        Constraint::Min(20),
        Constraint::Length(members_w),
    ])
    .areas(body);
    if show_rooms {
        draw_rooms(f, app, rooms);
    }
    if show_members {
        draw_members(f, app, members);
    }
    let [head, messages] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(middle);
    draw_head(f, app, head);
    let below = draw_lines(f, app, messages);
    draw_status(f, app, top, !show_rooms, below);
    draw_input(f, app, input);
}

/// The top row: who, the rooms when their pane is hidden (irssi's act
/// list), and on the right `-MORE-` while scrolled up, the connection.
fn draw_status(f: &mut Frame, app: &App, area: Rect, act: bool, below: usize) {
    let c = &app.chat;
    let dim = Style::new().fg(Color::Gray);
    let mut left = vec![
        Span::styled(
            " modchat ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" {} ", c.me)),
    ];
    if c.role != "user" && !c.role.is_empty() {
        left.push(Span::styled(format!("({}) ", c.role), dim));
    }
    if act {
        for (i, r) in c.rooms.iter().enumerate() {
            let shown = Some(i) == c.current;
            let label = match r.partner() {
                Some(p) => format!("@{p}"),
                None => format!("#{}", r.name),
            };
            let style = if shown {
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
            } else if r.unread > 0 {
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
            } else {
                dim
            };
            let n = if r.unread > 0 && !shown {
                format!("({})", r.unread)
            } else {
                String::new()
            };
            left.push(Span::styled(format!("{}:{label}{n}", i + 1), style));
            left.push(Span::raw(" "));
        }
    }
    let mut right = Vec::new();
    if app.scroll > 0 {
        let more = if below > 0 {
            format!(" -MORE- {below} newer ")
        } else {
            " -MORE- ".to_owned()
        };
        right.push(Span::styled(
            more,
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    right.push(if app.connected {
        Span::styled(" ● connected", Style::new().fg(Color::Green))
    } else {
        Span::styled(" ● disconnected", Style::new().fg(Color::Red))
    });
    if let Some(ms) = c.latency_ms {
        right.push(Span::styled(format!(" {ms} ms"), dim));
    }
    if !act {
        right.push(Span::styled(format!(" {} ", app.server), dim));
    }
    right.push(Span::styled(" /help ", dim));
    let right = TextLine::from(right);
    let right_w = (right.width() as u16).min(area.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(area);
    let bg = Style::new().bg(Color::Rgb(30, 30, 40));
    f.render_widget(Paragraph::new(TextLine::from(left)).style(bg), l);
    f.render_widget(Paragraph::new(right).style(bg), r);
}

/// Above the lines: the room and its topic, or whose conversation this is.
fn draw_head(f: &mut Frame, app: &App, area: Rect) {
    let c = &app.chat;
    let spans = match c.current.map(|i| &c.rooms[i]) {
        Some(r) => match r.partner() {
            Some(p) => vec![
                Span::styled(format!(" @{p} "), Style::new().add_modifier(Modifier::BOLD)),
                Span::styled(
                    "whispers: what you type goes to them only · /leave closes",
                    Style::new().fg(Color::Gray),
                ),
            ],
            None => vec![
                Span::styled(
                    format!(" #{} ", r.name),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                if r.topic.is_empty() {
                    Span::styled("no topic", Style::new().fg(Color::Gray))
                } else {
                    Span::raw(r.topic.replace('\n', " "))
                },
            ],
        },
        None => vec![Span::styled(
            " no room yet: /rooms lists them, /join ROOM or /create ROOM",
            Style::new().fg(Color::Gray),
        )],
    };
    f.render_widget(
        Paragraph::new(TextLine::from(spans)).style(Style::new().bg(Color::Rgb(24, 24, 32))),
        area,
    );
}

fn draw_rooms(f: &mut Frame, app: &App, area: Rect) {
    let mut items: Vec<ListItem> = Vec::new();
    let mut dms = false;
    for (i, r) in app.chat.rooms.iter().enumerate() {
        if r.partner().is_some() && !dms {
            dms = true;
            items.push(ListItem::new(Span::styled(
                "Whispers",
                Style::new().fg(Color::Gray).add_modifier(Modifier::BOLD),
            )));
        }
        let current = Some(i) == app.chat.current;
        let label = match r.partner() {
            Some(p) => format!("@{p}"),
            None => format!("#{}", r.name),
        };
        let key = if i < 9 {
            format!("{} ", i + 1)
        } else {
            "  ".into()
        };
        let mut spans = vec![
            Span::styled(key, Style::new().fg(Color::DarkGray)),
            Span::raw(label),
        ];
        if r.unread > 0 {
            spans.push(Span::styled(
                format!(" ({})", r.unread),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
        }
        let style = if current {
            Style::new()
                .bg(Color::Rgb(50, 60, 90))
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        items.push(ListItem::new(TextLine::from(spans)).style(style));
    }
    let block = Block::default().borders(Borders::RIGHT).title(" Rooms ");
    f.render_widget(List::new(items).block(block), area);
}

fn draw_members(f: &mut Frame, app: &App, area: Rect) {
    let members = app.chat.current.map(|i| &app.chat.rooms[i].members);
    let mut list: Vec<_> = members.into_iter().flatten().collect();
    let rank = |r: &str| match r {
        "owner" => 0,
        "op" => 1,
        _ => 2,
    };
    list.sort_by_key(|m| (!m.online, rank(&m.room_role), m.name.to_lowercase()));
    let online = list.iter().filter(|m| m.online).count();
    let items: Vec<ListItem> = list
        .iter()
        .map(|m| {
            let dot = if m.online {
                Span::styled("● ", Style::new().fg(Color::Green))
            } else {
                Span::styled("○ ", Style::new().fg(Color::DarkGray))
            };
            // the room's own ranks as IRC shows them: ~owner, @op
            let prefix = match m.room_role.as_str() {
                "owner" => Span::styled("~", Style::new().fg(Color::Yellow)),
                "op" => Span::styled("@", Style::new().fg(Color::Green)),
                _ => Span::raw(""),
            };
            let role = match m.role.as_str() {
                "admin" => Span::styled(" admin", Style::new().fg(Color::Red)),
                "moderator" => Span::styled(" mod", Style::new().fg(Color::Magenta)),
                _ => Span::raw(""),
            };
            let name = if m.online {
                Span::styled(m.name.clone(), Style::new().fg(name_color(&m.name)))
            } else {
                Span::styled(m.name.clone(), Style::new().fg(Color::DarkGray))
            };
            ListItem::new(TextLine::from(vec![dot, prefix, name, role]))
        })
        .collect();
    let title = format!(" Members {online}/{} ", list.len());
    f.render_widget(
        List::new(items).block(Block::default().borders(Borders::LEFT).title(title)),
        area,
    );
}

/// A colour per nick, the same in every room and every run.
fn name_color(name: &str) -> Color {
    const COLORS: [Color; 10] = [
        Color::Cyan,
        Color::Green,
        Color::Yellow,
        Color::LightBlue,
        Color::Magenta,
        Color::LightRed,
        Color::LightGreen,
        Color::LightCyan,
        Color::LightMagenta,
        Color::LightYellow,
    ];
    let h = name
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    COLORS[h % COLORS.len()]
}

/// A line as shown: the first row with time and author, further rows of a
/// multi-line text indented under it.
fn render_line(l: &Line) -> Vec<TextLine<'static>> {
    let text = l.text.replace('\t', "    ");
    let mut parts = text.split('\n');
    let first = parts.next().unwrap_or_default().to_owned();
    let rest: Vec<String> = parts
        .map(|p| format!("{}{p}", " ".repeat(INDENT)))
        .collect();
    let style = match l.kind {
        Kind::WhisperIn | Kind::WhisperOut => Style::new().fg(Color::Magenta),
        Kind::Event => Style::new().fg(Color::DarkGray),
        Kind::Notice => Style::new().fg(Color::Yellow),
        Kind::Error => Style::new().fg(Color::Red),
        Kind::Message | Kind::Mine => Style::new(),
        Kind::Action => Style::new().add_modifier(Modifier::ITALIC),
    };
    let mut out = vec![first_row(l, first)];
    out.extend(
        rest.into_iter()
            .map(|r| TextLine::from(Span::styled(r, style))),
    );
    out
}

fn first_row(l: &Line, text: String) -> TextLine<'static> {
    let time = Span::styled(format!("{} ", l.time), Style::new().fg(Color::DarkGray));
    let from = l.from.clone().unwrap_or_default();
    let body = |st: Style| Span::styled(text.clone(), st);
    let nick = |st: Style| {
        Span::styled(
            format!("{from} "),
            st.fg(name_color(&from)).add_modifier(Modifier::BOLD),
        )
    };
    let spans = match l.kind {
        Kind::Message | Kind::Mine => vec![time, nick(Style::new()), body(Style::new())],
        Kind::Action => vec![
            time,
            Span::styled("* ", Style::new().fg(Color::DarkGray)),
            nick(Style::new()),
            body(Style::new().add_modifier(Modifier::ITALIC)),
        ],
        Kind::WhisperIn => vec![
            time,
            Span::styled(
                format!("⇠ {from} whispers: "),
                Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ),
            body(Style::new().fg(Color::Magenta)),
        ],
        Kind::WhisperOut => vec![
            time,
            Span::styled(format!("⇢ to {from}: "), Style::new().fg(Color::Magenta)),
            body(
                Style::new()
                    .fg(Color::Magenta)
                    .add_modifier(Modifier::ITALIC),
            ),
        ],
        Kind::Event => vec![time, body(Style::new().fg(Color::DarkGray))],
        Kind::Notice => vec![time, body(Style::new().fg(Color::Yellow))],
        Kind::Error => vec![time, body(Style::new().fg(Color::Red))],
    };
    TextLine::from(spans)
}

/// Wraps one row to `width` columns at word boundaries (a word longer
/// than a row is cut); continuation rows start at [`INDENT`], so the time
/// column stays clear as in irssi.
fn wrap(row: TextLine<'static>, width: usize) -> Vec<TextLine<'static>> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(INDENT + 8);
    let mut out: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut col = 0usize;
    let new_row = |out: &mut Vec<Vec<Span<'static>>>, col: &mut usize| {
        out.push(vec![Span::raw(" ".repeat(INDENT))]);
        *col = INDENT;
    };
    for span in row.spans {
        let style = span.style;
        // words and the spaces between them, in order
        let mut tokens: Vec<String> = Vec::new();
        for c in span.content.chars() {
            let space = c == ' ';
            match tokens.last_mut() {
                Some(t) if t.ends_with(' ') == space => t.push(c),
                _ => tokens.push(c.to_string()),
            }
        }
        for tok in tokens {
            let w = tok.width();
            if col + w <= width {
                out.last_mut()
                    .expect("a row")
                    .push(Span::styled(tok, style));
                col += w;
                continue;
            }
            if tok.starts_with(' ') {
                // spaces at a break go
                new_row(&mut out, &mut col);
                continue;
            }
            if w <= width - INDENT && col > INDENT {
                new_row(&mut out, &mut col);
                out.last_mut()
                    .expect("a row")
                    .push(Span::styled(tok, style));
                col += w;
                continue;
            }
            // longer than a row: cut where the row ends
            let mut piece = String::new();
            for c in tok.chars() {
                let cw = c.width().unwrap_or(0);
                if col + cw > width {
                    let done = std::mem::take(&mut piece);
                    out.last_mut()
                        .expect("a row")
                        .push(Span::styled(done, style));
                    new_row(&mut out, &mut col);
                }
                piece.push(c);
                col += cw;
            }
            out.last_mut()
                .expect("a row")
                .push(Span::styled(piece, style));
        }
    }
    out.into_iter().map(TextLine::from).collect()
}

/// A line's rows at `width`.
fn rows_of(l: &Line, width: usize) -> Vec<TextLine<'static>> {
    render_line(l)
        .into_iter()
        .flat_map(|r| wrap(r, width))
        .collect()
}

/// Draws the lines of the view; returns how many lines are below the
/// window (scrolled up), for `-MORE-`.
fn draw_lines(f: &mut Frame, app: &App, area: Rect) -> usize {
    let lines: Vec<&Line> = match app.chat.current {
        Some(i) => app.chat.rooms[i].lines.iter().collect(),
        None => app.chat.lobby.iter().collect(),
    };
    app.lines_width.set(area.width);
    app.lines_height.set(area.height);
    let width = area.width as usize;
    let height = area.height as usize;
    // from the bottom, the rows of as many lines as the window and the
    // scroll need
    let mut rows: Vec<Vec<TextLine<'static>>> = Vec::new();
    let mut total = 0usize;
    let mut start = lines.len();
    while start > 0 && total < height + app.scroll {
        start -= 1;
        let r = rows_of(lines[start], width);
        total += r.len();
        rows.push(r);
    }
    rows.reverse();
    let newest_rows = rows.last().map_or(0, Vec::len);
    let flat: Vec<TextLine<'static>> = rows.iter().flatten().cloned().collect();
    // the window ends `scroll` rows above the bottom; the newest line alone
    // taller than the window shows from its top, never a blank room
    let scroll = app.scroll.min(total.saturating_sub(height));
    let end = if scroll == 0 && newest_rows > height {
        total - newest_rows + height
    } else {
        total - scroll
    };
    let begin = end.saturating_sub(height);
    // lines wholly below the window
    let mut below = 0;
    let mut acc = total;
    for r in rows.iter().rev() {
        if acc - r.len() >= end {
            below += 1;
            acc -= r.len();
        } else {
            break;
        }
    }
    let shown: Vec<TextLine<'static>> = flat[begin..end].to_vec();
    // newest at the bottom, as in every chat: a short history sits low
    let n = shown.len();
    let area = if n < height {
        Rect {
            y: area.y + (height - n) as u16,
            height: n as u16,
            ..area
        }
    } else {
        area
    };
    f.render_widget(Paragraph::new(shown), area);
    below
}

fn draw_input(f: &mut Frame, app: &App, area: Rect) {
    let title = match (app.chat.room_name(), app.chat.partner()) {
        (Some(r), _) => format!(" #{r} "),
        (None, Some(p)) => format!(" whisper to {p} "),
        (None, None) => " type /join ROOM ".into(),
    };
    let count = app.input.text.chars().count();
    let mut block = Block::default().borders(Borders::ALL).title(title);
    // the server's default limit: say so before Enter is refused
    if count > 1800 {
        let style = if count > 2000 {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::Yellow)
        };
        let text = if count > 2000 {
            format!(" {count} characters: {} over 2000 ", count - 2000)
        } else {
            format!(" {count}/2000 ")
        };
        block = block.title_top(TextLine::from(Span::styled(text, style)).right_aligned());
    }
    let inner = block.inner(area);
    // a pasted text's line breaks show as ↵ on the one input line
    let text: String = app.input.text.replace('\n', "↵");
    // keep the cursor in view on a long line
    let before: String = text.chars().take(app.input.cursor).collect();
    let cursor_x = before.width();
    let offset = cursor_x.saturating_sub(inner.width.saturating_sub(1) as usize);
    let p = Paragraph::new(text).block(block).scroll((0, offset as u16));
    f.render_widget(p, area);
    f.set_cursor_position(Position::new(inner.x + (cursor_x - offset) as u16, inner.y));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an 80x24 screen shows of `chat`.
    fn screen(chat: Chat) -> String {
        let app = App::new(chat, "test");
        let Ok(mut t) = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24));
        let _ = t.draw(|f| draw(f, &app));
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    /// Issue 20: readline's keys edit instead of typing letters.
    #[test]
    fn readline_keys_edit_the_line() {
        let mut i = Input::default();
        for c in "hello big world".chars() {
            i.insert(c);
        }
        let ctrl = KeyModifiers::CONTROL;
        let alt = KeyModifiers::ALT;
        assert!(i.readline(&key(KeyCode::Char('w'), ctrl)));
        assert_eq!((i.text.as_str(), i.cursor), ("hello big ", 10));
        i.readline(&key(KeyCode::Char('b'), alt));
        assert_eq!(i.cursor, 6);
        i.readline(&key(KeyCode::Char('k'), ctrl));
        assert_eq!(i.text, "hello ");
        i.readline(&key(KeyCode::Char('a'), ctrl));
        assert_eq!(i.cursor, 0);
        i.readline(&key(KeyCode::Right, ctrl));
        assert_eq!(i.cursor, 5);
        i.readline(&key(KeyCode::Char('e'), ctrl));
        assert_eq!(i.cursor, 6);
        i.readline(&key(KeyCode::Left, ctrl));
        i.readline(&key(KeyCode::Char('d'), alt));
        assert_eq!(i.text, " ");
        i.readline(&key(KeyCode::Char('u'), ctrl));
        assert_eq!((i.text.as_str(), i.cursor), ("", 0));
        // a plain letter is not readline's
        assert!(!i.readline(&key(KeyCode::Char('w'), KeyModifiers::NONE)));
    }

    fn app_in(room: &str, members: &[&str]) -> App {
        let mut chat = Chat::default();
        chat.me = "bob".into();
        chat.on_frame(&serde_json::json!({"type": "ok", "for": "login", "re": null}));
        chat.pending
            .insert(1, serde_json::json!({"type": "join", "room": room}));
        let ms: Vec<serde_json::Value> = members
            .iter()
            .map(|m| serde_json::json!({"name": m, "role": "user", "online": true}))
            .collect();
        chat.on_frame(&serde_json::json!({"type": "ok", "re": 1,
            "room": {"name": room}, "members": ms}));
        App::new(chat, "test")
    }

    /// Issue 20: Tab completes nicks (`alice: ` first on the line), cycles,
    /// and completes commands; a draft stays with its room.
    #[test]
    fn tab_completes_and_drafts_stay_with_their_room() {
        let mut app = app_in("lobby", &["alice", "alfred", "bob"]);
        for c in "al".chars() {
            app.input.insert(c);
        }
        app.complete(1);
        assert_eq!(app.input.text, "alfred: ");
        app.complete(1);
        assert_eq!(app.input.text, "alice: ");
        app.completing = None;
        for c in "hi al".chars() {
            app.input.insert(c);
        }
        app.complete(1);
        assert_eq!(app.input.text, "alice: hi alfred ");
        app.completing = None;
        app.input.cut(0, app.input.len());
        for c in "/jo".chars() {
            app.input.insert(c);
        }
        app.complete(1);
        assert_eq!(app.input.text, "/join ");
        app.input.cut(0, app.input.len());
        // a second room: the half-typed line stays in lobby
        app.chat
            .pending
            .insert(2, serde_json::json!({"type": "join", "room": "den"}));
        app.chat.on_frame(
            &serde_json::json!({"type": "ok", "re": 2, "room": {"name": "den"}, "members": []}),
        );
        app.go(|c| c.switch("lobby"));
        app.input.cut(0, app.input.len());
        for c in "half typed".chars() {
            app.input.insert(c);
        }
        app.go(|c| c.switch("den"));
        assert_eq!(app.input.text, "");
        app.go(|c| c.switch("lobby"));
        assert_eq!(app.input.text, "half typed");
    }

    /// Issue 20: a message taller than the pane used to blank the room.
    #[test]
    fn a_message_taller_than_the_pane_shows_from_its_top() {
        let mut chat = Chat::default();
        let text: String = (0..2000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        chat.push(
            None,
            Line {
                time: "10:00".into(),
                kind: Kind::Message,
                from: Some("alice".into()),
                text,
                id: Some(1),
            },
        );
        let shown = screen(chat);
        // its first rows: the sender and the start of the text
        assert!(shown.contains("10:00 alice"), "{shown}");
        assert!(
            shown.contains("10:00 alice abcdefghijklmnopqrstuvwxyz"),
            "{shown}"
        );
        // wrapped rows continue under the text, clear of the time column
        assert!(shown.contains("\n      qrstuvwxyz"), "{shown}");
    }
}
