//! `user add|list|show|set-role|passwd`, straight on the database. A role
//! or password change is a moderation act: the change and its
//! `moderation_actions` row (`set_role`, `set_password`; actor NULL: the
//! console) are written in one transaction, and a running server applies it
//! to its sessions (a new password closes them).

use diesel::Connection;
use modchat::model::{AccountId, Role, RoomRole};
use modchat::store::{
    accounts, audit, console, fmt_time, moderation, rooms, Db, DbConn, StoreError,
};

use crate::cli::UserCommand;
use crate::output::{local_time, print_rows, Format};
use crate::{read_line_from_stdin, Done, Fail};
use modchat::store::readonly::Cell;

pub fn run(db: &Db, command: UserCommand, format: Format) -> Done {
    let mut conn = db.conn()?;
    let conn = &mut *conn;
    match command {
        UserCommand::Add {
            name,
            role,
            bcrypt_cost,
            min_password_bytes,
        } => {
            modchat::validate::username(&name)
                .map_err(|e| Fail::refused(format!("username: {e}")))?;
            let role: Role = role.parse().map_err(Fail::refused)?;
            let hash = new_password_hash(bcrypt_cost, min_password_bytes)?;
            // reserved and held names are the console's to give; look-alikes
            // of an existing account are refused here too
            match accounts::create(conn, &name, &hash, role) {
                Ok(a) => {
                    println!("added {} ({}), id {}", a.username, a.role, a.id);
                    Ok(())
                }
                Err(StoreError::Conflict) => Err(Fail::refused(format!(
                    "username {name:?} is taken or looks like an existing name"
                ))),
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::List { role } => {
            let role: Option<Role> = role.map(|r| r.parse().map_err(Fail::refused)).transpose()?;
            let rows: Vec<Vec<Cell>> = audit::list_accounts(conn, role)?
                .into_iter()
                .map(|a| {
                    vec![
                        Cell::Text(a.name),
                        Cell::Text(a.role),
                        Cell::Time(a.created_at),
                        a.last_login.map_or(Cell::Null, Cell::Time),
                    ]
                })
                .collect();
            print_rows(format, &["name", "role", "created_at", "last_login"], &rows)?;
            Ok(())
        }
        UserCommand::Show { name } => {
            let info = audit::account_info(conn, &name)?
                .ok_or_else(|| Fail::refused(format!("no user {name}")))?;
            let run = room_roles(conn, info.account.id)?;
            show(&info, &run, format)
        }
        UserCommand::SetRole { name, role } => {
            let role: Role = role.parse().map_err(Fail::refused)?;
            let a = accounts::find_by_name(conn, &name)?
                .ok_or_else(|| Fail::refused(format!("no user {name}")))?;
            if a.role == role {
                println!("{} is already {}; nothing changed", a.username, role);
                return Ok(());
            }
            let at = modchat::store::now();
            conn.transaction(|c| moderation::change_role(c, a.id, role, None, at))?;
            println!("{} is now {} (was {})", a.username, role, a.role);
            Ok(())
        }
        UserCommand::Passwd {
            name,
            bcrypt_cost,
            min_password_bytes,
        } => {
            let a = accounts::find_by_name(conn, &name)?
                .ok_or_else(|| Fail::refused(format!("no user {name}")))?;
            let hash = new_password_hash(bcrypt_cost, min_password_bytes)?;
            let at = modchat::store::now();
            let revoked = conn.transaction(|c| console::change_password(c, a.id, &hash, at))?;
            println!(
                "new password set for {}; {revoked} session token(s) revoked; a running server closes its sessions",
                a.username
            );
            Ok(())
        }
    }
}

/// Reads the password (first line of stdin), checks it, hashes it.
fn new_password_hash(bcrypt_cost: u32, min_password_bytes: usize) -> Result<String, Fail> {
    if !(4..=31).contains(&bcrypt_cost) {
        return Err(Fail::usage("--bcrypt-cost must be 4 to 31"));
    }
    let password = read_line_from_stdin("password")?;
    if !(1..=72).contains(&min_password_bytes) {
        return Err(Fail::usage("--min-password-bytes must be 1 to 72"));
    }
    modchat::validate::password_min(&password, min_password_bytes)
        .map_err(|e| Fail::refused(format!("password: {e}")))?;
    modchat::auth::hash_password(&password, bcrypt_cost).map_err(Fail::refused)
}

/// The live rooms an account runs, by name: those where its
/// `room_members.room_role` is `owner`, and those where it is `op`.
struct RoomsRun {
    owns: Vec<String>,
    op_in: Vec<String>,
}

fn room_roles(conn: &mut DbConn, account: AccountId) -> Result<RoomsRun, Fail> {
    let mut run = RoomsRun {
        owns: Vec::new(),
        op_in: Vec::new(),
    };
    for (name, role) in rooms::owned_and_opped(conn, account)? {
        match role {
            RoomRole::Owner => run.owns.push(name),
            RoomRole::Op => run.op_in.push(name),
            RoomRole::Member => {}
        }
    }
    Ok(run)
}

fn show(info: &audit::AccountInfo, run: &RoomsRun, format: Format) -> Done {
    let a = &info.account;
    let mutes: Vec<String> = info
        .mutes
        .iter()
        .map(|(room, m)| {
            let r#where = room
                .as_deref()
                .map_or("everywhere".into(), |r| format!("in {r}"));
            let until = m.until.map_or("until unmuted".into(), |u| {
                format!("until {}", time(&u, format))
            });
            let reason = m
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!("{where} {until}{reason}")
        })
        .collect();
    let ban = info.ban.as_ref().map(|b| {
        let until = b.until.map_or("until unbanned".into(), |u| {
            format!("until {}", time(&u, format))
        });
        let reason = b
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        format!("{until}{reason}")
    });
    let fields: Vec<(&str, Cell)> = vec![
        ("name", Cell::Text(a.username.clone())),
        ("id", Cell::Int(a.id.0)),
        ("role", Cell::Text(a.role.to_string())),
        // an IRC guest's row: no password, its name anyone's while unused
        (
            "guest",
            Cell::Text(if a.guest { "yes" } else { "no" }.into()),
        ),
        ("created_at", Cell::Time(info.created_at)),
        ("last_login", info.last_login.map_or(Cell::Null, Cell::Time)),
        ("rooms", Cell::Text(info.rooms.join(", "))),
        ("owns", Cell::Text(run.owns.join(", "))),
        ("op_in", Cell::Text(run.op_in.join(", "))),
        ("messages", Cell::Int(info.messages)),
        ("whispers", Cell::Int(info.whispers)),
        ("announcements", Cell::Int(info.announcements)),
        ("logins", Cell::Int(info.logins)),
        ("failed_logins", Cell::Int(info.failed_logins)),
        ("muted", Cell::Text(mutes.join("; "))),
        ("banned", ban.map_or(Cell::Text(String::new()), Cell::Text)),
    ];
    if format == Format::Table {
        // a card, one field a line, rather than a one-row table
        for (k, v) in &fields {
            let v = match v {
                Cell::Time(t) => local_time(t),
                Cell::Null => "never".into(),
                Cell::Int(i) => i.to_string(),
                Cell::Text(s) if s.is_empty() => "no".into(),
                Cell::Text(s) => s.clone(),
                _ => String::new(),
            };
            println!("{:<14} {v}", format!("{k}:"));
        }
        return Ok(());
    }
    let (columns, row): (Vec<&str>, Vec<Cell>) = fields.into_iter().unzip();
    print_rows(format, &columns, &[row])?;
    Ok(())
}

fn time(t: &chrono::NaiveDateTime, format: Format) -> String {
    match format {
        Format::Table => local_time(t),
        _ => fmt_time(t),
    }
}
