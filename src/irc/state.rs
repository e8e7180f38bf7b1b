//! One IRC connection's own state: what CAP negotiated, where registration
//! is, and what each request in flight was, so its reply can be written as
//! the IRC lines it stands for. Everything else (the account, its rooms,
//! moderation, limits) is the Session's, as for every other transport.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// The capabilities the gateway offers (`CAP LS 302`), with their values,
/// sorted by name as `CAP LS` lists them (docs/irc.md 3.1).
pub const CAPS: &[(&str, &str)] = &[
    ("account-tag", ""),
    ("batch", ""),
    // offered only while registration is open; its value says how
    ("draft/account-registration", ""),
    ("draft/chathistory", ""),
    ("draft/message-redaction", ""),
    ("draft/read-marker", ""),
    ("echo-message", ""),
    ("extended-join", ""),
    ("labeled-response", ""),
    ("message-tags", ""),
    ("multi-prefix", ""),
    ("sasl", "PLAIN"),
    ("server-time", ""),
    ("userhost-in-names", ""),
];

/// The longest `AUTHENTICATE` argument (IRCv3 sasl-3.1): one exactly this
/// long says more follows; a longer one is refused (905).
pub const SASL_CHUNK: usize = 400;

/// The most bytes of base64 one SASL exchange gathers from its chunks; a
/// PLAIN blob of modchat's longest name and password is 184.
pub const SASL_MAX: usize = 1024;

/// SASL PLAIN's exchange: started by `AUTHENTICATE PLAIN`, then the blob
/// in chunks of [`SASL_CHUNK`] bytes.
#[derive(Debug, Default)]
pub struct Sasl {
    /// AUTHENTICATE PLAIN was answered with `+`: what follows is the blob.
    pub plain: bool,
    /// The blob's chunks so far (each exactly [`SASL_CHUNK`] bytes).
    pub chunks: String,
}

/// What one `AUTHENTICATE` argument of the blob makes of the exchange.
#[derive(Debug, PartialEq, Eq)]
pub enum SaslStep {
    /// A chunk of exactly [`SASL_CHUNK`] bytes: more follows.
    More,
    /// The whole blob (base64; empty for a lone `+`): the exchange ends.
    Done(String),
    /// Over [`SASL_MAX`] bytes gathered: 905, the exchange ends.
    TooLong,
}

impl Sasl {
    /// Adds a chunk of the blob (at most [`SASL_CHUNK`] bytes, the caller
    /// checks): a shorter one or `+` ends it (IRCv3 sasl-3.1 chunking).
    pub fn chunk(&mut self, arg: &str) -> SaslStep {
        if arg != "+" {
            if self.chunks.len() + arg.len() > SASL_MAX {
                *self = Sasl::default();
                return SaslStep::TooLong;
            }
            self.chunks.push_str(arg);
            if arg.len() == SASL_CHUNK {
                return SaslStep::More;
            }
        }
        let blob = std::mem::take(&mut self.chunks);
        *self = Sasl::default();
        SaslStep::Done(blob)
    }
}

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
    /// The SASL exchange in progress, if any.
    pub sasl: Sasl,
    /// PASS's login was sent at the end of registration: its failure
    /// closes the connection (a wrong password never becomes a guest).
    pub pass_sent: bool,
    /// The logged-in account's name (the nick from then on).
    pub account: Option<String>,
    /// Logged in as a guest (`[irc] guests`): REGISTER makes the name an
    /// account in place.
    pub guest: bool,
    /// Users shown as gone (QUIT sent): one QUIT per user, however many
    /// rooms said `offline`.
    pub gone: HashSet<String>,
    /// The rooms this client was shown a JOIN of and no PART, KICK or
    /// deletion since: an act in a room outside it gets its line from the
    /// `ok`, as no room event reaches a non-member (docs/irc.md 5.1).
    pub shown: HashSet<String>,
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
            sasl: Sasl::default(),
            pass_sent: false,
            account: None,
            guest: false,
            gone: HashSet::new(),
            shown: HashSet::new(),
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
        let p = re.as_u64().and_then(|r| self.pending.remove(&r));
        if self.pending.is_empty() {
            // an idle connection keeps no table (400 bytes each)
            self.pending.shrink_to_fit();
        }
        p
    }
}

impl Default for IrcState {
    fn default() -> Self {
        IrcState::new()
    }
}

/// The `CAP LS` value: every capability, `name=value` where it has one
/// and the client asked with `CAP LS 302` (`values`), names alone else.
pub fn cap_list(open_registration: bool, guests: bool, values: bool) -> Vec<String> {
    CAPS.iter()
        .filter(|(name, _)| open_registration || *name != "draft/account-registration")
        .map(|(name, value)| {
            let value = match *name {
                "draft/account-registration" => crate::irc::conn::register::cap_value(guests),
                _ => value,
            };
            match values && !value.is_empty() {
                true => format!("{name}={value}"),
                false => (*name).to_owned(),
            }
        })
        .collect()
}

/// The known capability called `name` (a `-` in front asks to remove it).
pub fn known_cap(name: &str) -> Option<&'static str> {
    CAPS.iter().map(|(n, _)| *n).find(|n| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_sorted_and_valued_for_302() {
        let names: Vec<&str> = CAPS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        let with = cap_list(true, false, true).join(" ");
        assert!(with.contains("sasl=PLAIN"), "{with}");
        assert!(
            with.contains("draft/account-registration=before-connect,account-required"),
            "{with}"
        );
        let without = cap_list(true, true, false).join(" ");
        assert!(!without.contains('='), "{without}");
        assert!(without.contains(" sasl "), "{without}");
        assert!(!cap_list(false, true, true)
            .iter()
            .any(|c| c.starts_with("draft/account-registration")));
    }

    #[test]
    fn sasl_chunks_are_gathered() {
        let mut s = Sasl {
            plain: true,
            ..Sasl::default()
        };
        assert_eq!(
            s.chunk("AGFsaWNlAHB3"),
            SaslStep::Done("AGFsaWNlAHB3".into())
        );
        assert!(!s.plain && s.chunks.is_empty());
        // exactly 400 bytes: more follows, then a shorter chunk ends it
        let full = "A".repeat(SASL_CHUNK);
        s.plain = true;
        assert_eq!(s.chunk(&full), SaslStep::More);
        assert_eq!(s.chunk("QQ=="), SaslStep::Done(format!("{full}QQ==")));
        // or `+` after a chunk of exactly 400
        s.plain = true;
        assert_eq!(s.chunk(&full), SaslStep::More);
        assert_eq!(s.chunk("+"), SaslStep::Done(full.clone()));
        // a lone `+`: an empty blob
        s.plain = true;
        assert_eq!(s.chunk("+"), SaslStep::Done(String::new()));
        // past the cap: refused, the exchange over
        s.plain = true;
        assert_eq!(s.chunk(&full), SaslStep::More);
        assert_eq!(s.chunk(&full), SaslStep::More);
        assert_eq!(s.chunk(&full), SaslStep::TooLong);
        assert!(!s.plain && s.chunks.is_empty());
    }
}
