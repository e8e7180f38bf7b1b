//! `modchat-admin`: administration and auditing from the shell.
//!
//! - Straight on the database (which the server may be using): accounts
//!   (`user ...`), reports (`logs ...`), canned and ad-hoc SQL (`sql`).
//! - Through a running server (`--server HOST:PORT --as ADMIN`): live
//!   moderation, so the server acts at once and writes the record itself.
//!
//! It reuses the library's store, validation and protocol rules: no second
//! copy of a query, a migration or a wire name. Exit codes: 0 done, 1
//! refused (by the server, or a name that does not exist, a taken name),
//! 2 usage, connection or login failure.

mod accounts;
mod cli;
mod live;
mod output;
mod reports;
mod sql;

use std::process::ExitCode;

use clap::Parser;
use modchat::store::{readonly, DatabaseUrl, Db, PoolOptions, StoreError};

use cli::{Cli, Command, UserCommand};

/// Why the tool stopped, and so its exit code.
#[derive(Debug)]
pub enum Fail {
    /// Exit 1: the request was refused (the server's error code, a name
    /// that does not exist, a taken name, a refused statement).
    Refused(String),
    /// Exit 2: bad usage, or the database or server cannot be reached, or
    /// the login failed.
    Usage(String),
    /// Exit 0, quietly: whoever read the output stopped reading
    /// (`modchat-admin logs chat | head`).
    Closed,
}

impl Fail {
    pub fn refused(m: impl Into<String>) -> Fail {
        Fail::Refused(m.into())
    }
    pub fn usage(m: impl Into<String>) -> Fail {
        Fail::Usage(m.into())
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        match e {
            StoreError::Unavailable(_) => Fail::Usage(e.to_string()),
            other => Fail::Refused(other.to_string()),
        }
    }
}

/// Output that could not be written.
impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Fail {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => Fail::Closed,
            _ => Fail::Usage(format!("cannot write the output: {e}")),
        }
    }
}

pub type Done = Result<(), Fail>;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) | Err(Fail::Closed) => ExitCode::SUCCESS,
        Err(Fail::Refused(m)) => {
            eprintln!("modchat-admin: {m}");
            ExitCode::from(1)
        }
        Err(Fail::Usage(m)) => {
            eprintln!("modchat-admin: {m}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Done {
    let format = cli.format;
    if let Some(live) = cli::live_command(&cli.command) {
        let server = cli
            .server
            .as_deref()
            .ok_or_else(|| Fail::usage("live commands need --server HOST:PORT and --as ADMIN"))?;
        let name = cli
            .as_user
            .as_deref()
            .ok_or_else(|| Fail::usage("live commands need --as ADMIN (the account to act as)"))?;
        return live::run(server, name, live, format);
    }
    let url = DatabaseUrl::parse(&cli.database_url).map_err(Fail::usage)?;
    let shown = shown_url(&cli.database_url);
    let open = |url: &DatabaseUrl, migrate: bool| {
        Db::open(
            url,
            &PoolOptions {
                max_size: 1,
                migrate,
                ..PoolOptions::default()
            },
        )
        .map_err(|e| Fail::usage(format!("{shown}: {e}")))
    };
    match cli.command {
        // the one command that may start a database: a new SQLite file
        Command::User {
            command: command @ UserCommand::Add { .. },
        } => accounts::run(&open(&url, true)?, command, format),
        // changes need an existing modchat database, which they bring up
        // to date first (a record may need the newest action names)
        Command::User {
            command: command @ (UserCommand::SetRole { .. } | UserCommand::Passwd { .. }),
        } => {
            readonly::existing_schema(&url, &shown)?;
            accounts::run(&open(&url, true)?, command, format)
        }
        // Readers leave the schema alone (an auditor's read-only database
        // user may run them) and refuse a database that is not there.
        Command::User { command } => {
            reader_check(&url, &shown)?;
            accounts::run(&open(&readonly::reader_url(&url), false)?, command, format)
        }
        Command::Logs { command } => {
            reader_check(&url, &shown)?;
            reports::run(&open(&readonly::reader_url(&url), false)?, command, format)
        }
        Command::Sql(args) => {
            if !sql::lists_only(&args) {
                reader_check(&url, &shown)?;
            }
            sql::run(&url, args, format)
        }
        _ => Err(Fail::usage("live commands need --server HOST:PORT")),
    }
}

/// A reader's look before it reads: refused (exit 2) when there is no
/// modchat database at the URL; a schema older than this build is read
/// anyway, with a warning, since the server migrates it at its next start
/// and most reports need nothing new.
fn reader_check(url: &DatabaseUrl, shown: &str) -> Done {
    if let readonly::Schema::Behind(n) = readonly::existing_schema(url, shown)? {
        eprintln!(
            "modchat-admin: warning: the database at {shown} lacks {n} migration(s) of this build \
             (the server applies them at its next start); a report that needs them fails"
        );
    }
    Ok(())
}

/// The URL as it may be printed: a MariaDB password replaced by `***`.
fn shown_url(url: &str) -> String {
    let Some(rest) = url.strip_prefix("mysql://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => format!("mysql://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The first line of stdin, newline (and a CR before it) stripped.
pub fn read_line_from_stdin(what: &str) -> Result<String, Fail> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Fail::usage(format!("cannot read the {what} from stdin: {e}")))?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}
