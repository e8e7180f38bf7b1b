//! `modchat-admin`: administration from the shell, against the same
//! database as the server (which may be running). The first admin of a new
//! community is made here: `modchat-admin user add NAME --role admin`.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use modchat::model::Role;
use modchat::store::{accounts, DatabaseUrl, Db, PoolOptions, StoreError};

#[derive(Parser)]
#[command(
    name = "modchat-admin",
    version,
    about = "Administer a modchat database"
)]
struct Cli {
    /// sqlite://PATH or mysql://USER:PASS@HOST:PORT/DB
    #[arg(
        long,
        env = "MODCHAT_DATABASE_URL",
        default_value = "sqlite://modchat.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds an account; the password is the first line of standard input.
    Add {
        name: String,
        /// user, moderator or admin
        #[arg(long, default_value = "user")]
        role: String,
        /// bcrypt work factor, as the server's [auth] bcrypt_cost
        #[arg(long, env = "MODCHAT_AUTH__BCRYPT_COST", default_value_t = 12)]
        bcrypt_cost: u32,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modchat-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let url = DatabaseUrl::parse(&cli.database_url)?;
    match cli.command {
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    role,
                    bcrypt_cost,
                },
        } => {
            modchat::validate::username(&name).map_err(|e| format!("username: {e}"))?;
            let role: Role = role.parse()?;
            if !(4..=31).contains(&bcrypt_cost) {
                return Err("--bcrypt-cost must be 4 to 31".into());
            }
            let password = read_password()?;
            modchat::validate::password(&password).map_err(|e| format!("password: {e}"))?;
            let db = Db::open(
                &url,
                &PoolOptions {
                    max_size: 1,
                    ..PoolOptions::default()
                },
            )
            .map_err(|e| e.to_string())?;
            let hash = modchat::auth::hash_password(&password, bcrypt_cost)?;
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            match accounts::create(&mut conn, &name, &hash, role) {
                Ok(a) => {
                    println!("added {} ({}), id {}", a.username, a.role, a.id);
                    Ok(())
                }
                Err(StoreError::Conflict) => Err(format!("username {name:?} is taken")),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

/// The first line of stdin, newline (and a CR before it) stripped.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}
