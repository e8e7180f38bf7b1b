//! `modchat-bench`: a loopback load generator speaking the modchat protocol
//! (over TCP, or WebSocket with `--proto ws`) and, for comparison, IRC
//! (`--proto irc`, against ngircd, InspIRCd or modchat's own IRC gateway
//! with `--irc-accounts-via`). Scenarios return one JSON object (the
//! binary prints a table and that object as one line); the smoke test in
//! the server's tests calls them directly.
//!
//! - `fanout`, `saturate`, `idle`: rooms and deliveries, on any protocol;
//! - `storm`: logins and resumes, each on a fresh connection;
//! - `log`: chat-log commits through the server, beside raw inserts into
//!   the same database with the server's own store code;
//! - `soak`: a long mixed load on every transport (scripts/soak) that
//!   checks memory, descriptors and that nothing acknowledged is lost;
//! - `summary`: the table `scripts/bench` prints, with ratios to ngircd.
//!
//! Receivers read raw lines and never parse JSON per delivery, on a
//! multi-threaded runtime: the tool must never be the bottleneck, and it
//! reports its own CPU beside the server's to show it is not.
//!
//! Run the server for a benchmark with a low bcrypt cost and the flood
//! limits raised through the environment, e.g.
//! `MODCHAT_AUTH__BCRYPT_COST=4 MODCHAT_LIMITS__SAY_BURST=1000000
//! MODCHAT_LIMITS__SAY_PER_S=1000000 MODCHAT_LIMITS__MAX_CONNECTIONS_PER_ADDRESS=0
//! MODCHAT_LIMITS__ACTION_BURST=1000000 MODCHAT_LIMITS__ACTION_PER_S=1000000
//! MODCHAT_LIMITS__REGISTRATIONS_PER_ADDRESS_PER_HOUR=1000000
//! modchat serve` (every connection of the tool comes from one address: the
//! default cap of 64 would refuse the rest).

pub mod client;
pub mod driver;
pub mod fanout;
pub mod idle;
pub mod irc;
pub mod lines;
pub mod log;
pub mod procfs;
pub mod progress;
pub mod saturate;
pub mod soak;
pub mod stats;
pub mod storm;
pub mod summary;
mod table;

pub use table::table;

/// Connections set up at once by every scenario of this process, 0 for
/// [`Proto::setup_limit`]'s defaults.
static SETUP_AT_ONCE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Overrides [`Proto::setup_limit`] for the whole process (0: the defaults).
pub fn set_setup_limit(n: usize) {
    SETUP_AT_ONCE.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The protocol a run speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Proto {
    /// modchat's newline-delimited JSON over TCP (`--server` is the TCP
    /// listener).
    #[default]
    Modchat,
    /// modchat's JSON over WebSocket (`--server` is the HTTP listener; the
    /// path is `/ws`).
    Ws,
    /// IRC (`--server` is an IRC server: ngircd, InspIRCd, or modchat's
    /// gateway with `--irc-accounts-via`): fanout, saturate and idle only.
    Irc,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Modchat => "modchat",
            Proto::Ws => "ws",
            Proto::Irc => "irc",
        }
    }

    /// How many connections to set up at once, `modchat` being the number
    /// for modchat. ngircd listens with a backlog of 10: past it the kernel
    /// drops the SYN and the client retries a second later, which made a
    /// 500-member setup take 10 s instead of a fraction of one. InspIRCd
    /// holds every registration for about a second (on purpose, its
    /// issue 1242), so 8 at a time would take a minute for 500 members:
    /// [`set_setup_limit`] (`--setup-at-once`) overrides the number.
    pub fn setup_limit(self, modchat: usize) -> usize {
        match SETUP_AT_ONCE.load(std::sync::atomic::Ordering::Relaxed) {
            0 => match self {
                Proto::Irc => modchat.min(8),
                _ => modchat,
            },
            n => n,
        }
    }

    /// Does the server acknowledge each message? (IRC does not.)
    pub fn acks(self) -> bool {
        !matches!(self, Proto::Irc)
    }
}
