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
use modchat::store::{DatabaseUrl, Db, PoolOptions, StoreError};

use cli::{Cli, Command};

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
    let reads_only = matches!(cli.command, Command::Logs { .. } | Command::Sql(_));
    if let (true, DatabaseUrl::Sqlite { path }) = (reads_only, &url) {
        // a reader must not leave an empty database file behind a typo
        if !std::path::Path::new(path).exists() {
            return Err(Fail::usage(format!(
                "no database at {path}: give the server's with --database-url or MODCHAT_DATABASE_URL"
            )));
        }
    }
    // Readers leave the schema alone: an auditor's read-only database user
    // may run them. Account changes create or migrate it first.
    let open = |migrate: bool| {
        Db::open(
            &url,
            &PoolOptions {
                max_size: 1,
                migrate,
                ..PoolOptions::default()
            },
        )
        .map_err(|e| Fail::usage(e.to_string()))
    };
    match cli.command {
        Command::User { command } => accounts::run(&open(true)?, command, format),
        Command::Logs { command } => reports::run(&open(false)?, command, format),
        Command::Sql(args) => sql::run(&url, args, format),
        _ => Err(Fail::usage("live commands need --server HOST:PORT")),
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
