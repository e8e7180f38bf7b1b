//! The command line, as `../shared/PROTOCOL.md` ("Command line") fixes it.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

#[derive(Parser)]
#[command(
    name = "modchat-admin",
    version,
    about = "Administer and audit a modchat community",
    long_about = "Administer and audit a modchat community.\n\n\
        On the database (the server may be running): user, logs, sql.\n\
        Through a running server, which acts at once and keeps the record:\n  \
        modchat-admin --server HOST:PORT --as ADMIN kick|mute|unmute|ban|unban|announce|who|delete-message|filter ...\n\
        (the password from MODCHAT_ADMIN_PASSWORD, else the first line of stdin).\n\n\
        Exit status: 0 done; 1 refused (the server's error code is printed); 2 usage, connection or login failure.",
    after_help = "Examples:\n  \
        printf '%s\\n' 'a long password' | modchat-admin user add alice --role admin\n  \
        modchat-admin user show bob\n  \
        modchat-admin logs chat --room lobby --since 2026-12-01 --format csv > lobby.csv\n  \
        modchat-admin logs modlog --room lobby\n  \
        modchat-admin sql room_operators --param room=lobby\n  \
        modchat-admin sql --list\n  \
        modchat-admin sql logins_on_day --param day=2026-12-01\n  \
        modchat-admin sql --query 'SELECT COUNT(*) AS n FROM chat_logs'\n  \
        MODCHAT_ADMIN_PASSWORD=... modchat-admin --server 127.0.0.1:6001 --as alice mute bob --duration 10m --reason spam"
)]
pub struct Cli {
    /// sqlite://PATH or mysql://USER:PASS@HOST:PORT/DB (the server's database)
    #[arg(
        long,
        env = "MODCHAT_DATABASE_URL",
        default_value = "sqlite://modchat.db",
        global = true
    )]
    pub database_url: String,
    /// A running server's TCP address, for the live commands
    #[arg(long, value_name = "HOST:PORT", global = true)]
    pub server: Option<String>,
    /// The admin or moderator account the live commands act as
    #[arg(long = "as", value_name = "ADMIN", global = true)]
    pub as_user: Option<String>,
    /// How rows are printed
    #[arg(long, value_enum, default_value = "table", global = true)]
    pub format: Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Accounts, straight on the database.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Reports from the audit tables, streamed row by row.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// Canned audit SQL (admin-tools/sql/NAME.sql), or one ad-hoc read-only statement.
    Sql(SqlArgs),
    /// Live: disconnect a user, or remove them from a room.
    Kick {
        name: String,
        /// only this room
        #[arg(long)]
        room: Option<String>,
        /// shown to the user and kept in the record
        #[arg(long)]
        reason: Option<String>,
    },
    /// Live: stop a user talking, everywhere or in a room.
    Mute {
        name: String,
        /// only this room
        #[arg(long)]
        room: Option<String>,
        /// 90, 90s, 10m, 2h, 7d; absent: until unmuted
        #[arg(long, value_name = "D")]
        duration: Option<String>,
        /// shown to the user and kept in the record
        #[arg(long)]
        reason: Option<String>,
    },
    /// Live: lift a mute.
    Unmute {
        name: String,
        /// only this room
        #[arg(long)]
        room: Option<String>,
    },
    /// Live: disconnect a user and refuse their logins.
    Ban {
        name: String,
        /// 90, 90s, 10m, 2h, 7d; absent: until unbanned
        #[arg(long, value_name = "D")]
        duration: Option<String>,
        /// shown to the user and kept in the record
        #[arg(long)]
        reason: Option<String>,
    },
    /// Live: lift a ban.
    Unban { name: String },
    /// Live: send a text to everyone online.
    Announce { text: String },
    /// Live: who is online, with their connections.
    Who { name: Option<String> },
    /// Live: hide a message from history (the chat log keeps it).
    DeleteMessage { id: i64 },
    /// Live: the word filter.
    Filter {
        #[command(subcommand)]
        command: FilterCommand,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an account; the password is the first line of standard input.
    Add {
        name: String,
        /// user, moderator or admin
        #[arg(long, default_value = "user")]
        role: String,
        /// bcrypt work factor, as the server's [auth] bcrypt_cost
        #[arg(long, env = "MODCHAT_AUTH__BCRYPT_COST", default_value_t = 12)]
        bcrypt_cost: u32,
        /// shortest password accepted, as the server's [auth] min_password_bytes
        #[arg(long, env = "MODCHAT_AUTH__MIN_PASSWORD_BYTES", default_value_t = 8)]
        min_password_bytes: usize,
    },
    /// List accounts.
    List {
        /// only this role: user, moderator or admin
        #[arg(long)]
        role: Option<String>,
    },
    /// One account: role, created, last login, its rooms and the live rooms it owns
    /// or is op in (owns, op_in), sanctions, counts.
    Show { name: String },
    /// Change a role (recorded as a moderation act by the console).
    SetRole { name: String, role: String },
    /// Set a new password from stdin; the account's session tokens are revoked.
    Passwd {
        name: String,
        #[arg(long, env = "MODCHAT_AUTH__BCRYPT_COST", default_value_t = 12)]
        bcrypt_cost: u32,
        /// shortest password accepted, as the server's [auth] min_password_bytes
        #[arg(long, env = "MODCHAT_AUTH__MIN_PASSWORD_BYTES", default_value_t = 8)]
        min_password_bytes: usize,
    },
}

/// Times (T): RFC 3339 (`2026-12-01T10:00:00Z`, any offset) or a date
/// (`2026-12-01`, a UTC day). `--until` is exclusive; a date there means
/// through the end of that day.
#[derive(Subcommand)]
pub enum LogsCommand {
    /// Every text: room messages, whispers, announcements.
    Chat {
        /// only this room
        #[arg(long)]
        room: Option<String>,
        /// the sender
        #[arg(long)]
        user: Option<String>,
        /// whispers with this user (with --user: between the two, both ways)
        #[arg(long)]
        with: Option<String>,
        #[arg(long, value_name = "T")]
        since: Option<String>,
        #[arg(long, value_name = "T")]
        until: Option<String>,
        /// texts containing this (ASCII letters in any case)
        #[arg(long, value_name = "TEXT")]
        grep: Option<String>,
        /// also deleted messages, with who deleted them and when
        #[arg(long)]
        include_deleted: bool,
    },
    /// Every login and resume attempt.
    Logins {
        /// an account, or a name typed at login that has none
        #[arg(long)]
        user: Option<String>,
        /// a UTC day, YYYY-MM-DD
        #[arg(long, value_name = "YYYY-MM-DD")]
        day: Option<String>,
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// failed attempts only
        #[arg(long)]
        failed: bool,
    },
    /// Every moderation act, oldest first.
    Modlog {
        /// acts on this user
        #[arg(long)]
        target: Option<String>,
        /// acts by this account (a moderator, an admin, or a room's owner or op)
        #[arg(long)]
        actor: Option<String>,
        /// kick, mute, unmute, ban, unban, set_role, delete_message, filter_block, auto_mute,
        /// filter_add, filter_remove, set_room_role, set_topic, set_capacity, delete_room, set_password
        #[arg(long)]
        action: Option<String>,
        /// acts in this room, by name: every room that had this name, deleted rooms
        /// included (a deleted room's name may be taken again by a new room);
        /// the room_id column tells them apart
        #[arg(long, value_name = "R")]
        room: Option<String>,
        #[arg(long, value_name = "T")]
        since: Option<String>,
    },
}

#[derive(Args)]
pub struct SqlArgs {
    /// A canned query: admin-tools/sql/NAME.sql (see --list)
    #[arg(conflicts_with_all = ["query", "list"])]
    pub name: Option<String>,
    /// A parameter of the query, written :KEY in the SQL
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// One ad-hoc statement, run read-only (a write is refused)
    #[arg(long, value_name = "SQL", conflicts_with = "list")]
    pub query: Option<String>,
    /// List the canned queries and their parameters
    #[arg(long)]
    pub list: bool,
    /// Stop the statement after this long (exit 1): 30, 30s, 2m
    #[arg(long, value_name = "D", default_value = "30s")]
    pub timeout: String,
}

#[derive(Subcommand)]
pub enum FilterCommand {
    /// Add a word to the filter.
    Add { word: String },
    /// Remove a word from the filter.
    Remove { word: String },
    /// List the filtered words.
    List,
}

/// The live commands, or `None` for the database ones.
pub fn live_command(c: &Command) -> Option<&Command> {
    match c {
        Command::User { .. } | Command::Logs { .. } | Command::Sql(_) => None,
        live => Some(live),
    }
}
