//! One IRC connection's own state: what CAP negotiated, where registration
//! is, and what each request in flight was, so its reply can be written as
//! the IRC lines it stands for. Everything else (the account, its rooms,
//! moderation, limits) is the Session's, as for every other transport.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// The capabilities the gateway offers (`CAP LS 302`), with their values.
pub const CAPS: &[(&str, &str)] = &[
    ("sasl", "PLAIN"),
    ("server-time", ""),
    ("message-tags", ""),
    ("echo-message", ""),
    ("account-tag", ""),
    ("extended-join", ""),
    ("multi-prefix", ""),
    ("userhost-in-names", ""),
    ("batch", ""),
    ("labeled-response", ""),
    ("draft/chathistory", ""),
    ("draft/message-redaction", ""),
    ("draft/read-marker", ""),
    // offered only while registration is open; its value says how
    ("draft/account-registration", ""),
];

/// Where registration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Before the welcome burst.
    Registering,
    /// 001 sent: the client is in.
    Registered,
}

/// What a request in flight was, for writing its reply.
#[derive(Debug, Clone)]
pub enum Pending {
    /// REGISTER's `register`, then its `login`.
    Register(crate::irc::conn::register::RegReq),
    /// A ModServ command: its NOTICE.
    ModServ(crate::irc::conn::modserv::ModReq),
    /// SASL PLAIN or PASS: 900/903, or 904.
    Login { sasl: bool },
    /// A guest's login: on, or 433/432 for its nick.
    Guest { nick: String },
    /// A `join` of the JOIN command or the burst (JOIN, topic, names), or
    /// its refusal as a numeric.
    Join { room: String },
    /// `create_room` after a `join` found no room: as `Join`.
    Create { room: String },
    /// `leave`: the PART echo.
    Part {
        room: String,
        reason: Option<String>,
    },
    /// `say` or `whisper`: the echo (echo-message) or an error numeric;
    /// nothing for NOTICE's errors.
    Message {
        command: &'static str,
        target: String,
        text: String,
        action: bool,
        notice: bool,
    },
    /// The burst's `rooms`: the topics, kept for the JOINs that follow.
    Topics,
    /// The burst's `members` of a room the account is in: JOIN, topic,
    /// names (`join` would take a token of the action bucket per room).
    Burst { room: String },
    /// NAMES, LIST, TOPIC, WHO, WHOIS, NICK, KICK, MODE, VERSION
    /// (src/irc/rooms_users.rs; rendered by src/irc/render_rooms.rs).
    Rooms(super::render::render_rooms::RoomReq),
    /// CHATHISTORY, MARKREAD, REDACT and the `read` event's lookup
    /// (src/irc/history.rs; rendered by src/irc/render_history.rs).
    History(super::render::render_history::Hist),
}

#[derive(Debug)]
pub struct IrcState {
    pub stage: Stage,
    /// CAP LS was seen and CAP END not yet: registration waits.
    pub cap_negotiating: bool,
    /// The capabilities the client asked for and got.
    pub caps: Vec<&'static str>,
    /// What NICK said (the account name wins once logged in).
    pub nick: Option<String>,
    /// USER's username and realname.
    pub user: Option<(String, String)>,
    /// PASS name:password, kept until registration.
    pub pass: Option<String>,
    /// AUTHENTICATE PLAIN was started: the next AUTHENTICATE is the blob.
    pub sasl_plain: bool,
    /// The logged-in account's name (the nick from then on).
    pub account: Option<String>,
    /// Logged in as a guest (`[irc] guests`): REGISTER makes the name an
    /// account in place.
    pub guest: bool,
    /// Users shown as gone (QUIT sent): one QUIT per user, however many
    /// rooms said `offline`.
    pub gone: HashSet<String>,
    /// Rooms with a topic, as `rooms` lists them (topic, setter, time),
    /// for the JOIN burst.
    pub topics: HashMap<String, Value>,
    /// labeled-response: the labels whose output is being gathered.
    pub labels: super::render::render_history::Labels,
    /// Requests in flight by their `re`.
    pub pending: HashMap<u64, Pending>,
    pub next_re: u64,
}

impl IrcState {
    pub fn new() -> IrcState {
        IrcState {
            stage: Stage::Registering,
            cap_negotiating: false,
            caps: Vec::new(),
            nick: None,
            user: None,
            pass: None,
            sasl_plain: false,
            account: None,
            guest: false,
            gone: HashSet::new(),
            topics: HashMap::new(),
            labels: Default::default(),
            pending: HashMap::new(),
            next_re: 1,
        }
    }

    pub fn has(&self, cap: &str) -> bool {
        self.caps.contains(&cap)
    }

    /// The name numerics are addressed to: the account, else the nick,
    /// else `*`.
    pub fn me(&self) -> &str {
        self.account
            .as_deref()
            .or(self.nick.as_deref())
            .unwrap_or("*")
    }

    /// Files `p` and gives the `re` its request carries.
    pub fn expect(&mut self, p: Pending) -> Value {
        let re = self.next_re;
        self.next_re += 1;
        self.pending.insert(re, p);
        self.labels.attach(re);
        Value::from(re)
    }

    /// The context of a reply's `re`, taken out.
    pub fn take(&mut self, re: &Value) -> Option<Pending> {
        re.as_u64().and_then(|r| self.pending.remove(&r))
    }
}

impl Default for IrcState {
    fn default() -> Self {
        IrcState::new()
    }
}

/// The `CAP LS` value: every capability, `name=value` where it has one.
pub fn cap_list(open_registration: bool, guests: bool) -> String {
    CAPS.iter()
        .filter(|(name, _)| open_registration || *name != "draft/account-registration")
        .map(|(name, value)| match (*name, value.is_empty()) {
            ("draft/account-registration", _) => {
                format!("{name}={}", crate::irc::conn::register::cap_value(guests))
            }
            (_, true) => (*name).to_owned(),
            (_, false) => format!("{name}={value}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The known capability called `name` (a `-` in front asks to remove it).
pub fn known_cap(name: &str) -> Option<&'static str> {
    CAPS.iter().map(|(n, _)| *n).find(|n| *n == name)
}
