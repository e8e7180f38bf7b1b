//! Live moderation: log in to a running server as an admin (or moderator)
//! over the protocol and send one command, so the server acts at once and
//! writes the record itself. Exit 0 done, 1 refused (the server's error
//! code and message are printed), 2 usage, connection or login failure.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use modchat::store::readonly::{parse_time, Cell};
use serde_json::{json, Map, Value};

use crate::cli::{Command, FilterCommand};
use crate::output::{local_time, print_rows, Format};
use crate::{Done, Fail};

/// How long to wait for the server to connect and to answer.
const CONNECT: Duration = Duration::from_secs(5);
const ANSWER: Duration = Duration::from_secs(30);

pub fn run(server: &str, name: &str, command: &Command, format: Format) -> Done {
    let request = request_for(command)?;
    let password = match std::env::var("MODCHAT_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => crate::read_line_from_stdin("password")?,
    };
    let mut conn = Conn::open(server)?;
    conn.call(json!({"type": "login", "username": name, "password": password}))?
        .map_err(|e| Fail::usage(format!("cannot log in as {name}: {}", e.describe())))?;
    let reply = conn
        .call(request)?
        .map_err(|e| Fail::refused(e.describe()))?;
    report(command, &reply, format)
}

/// The protocol request for a live command.
fn request_for(c: &Command) -> Result<Value, Fail> {
    let duration = |d: &Option<String>| -> Result<Option<i64>, Fail> {
        d.as_deref()
            .map(|d| {
                modchat::validate::duration(d).map_err(|e| Fail::usage(format!("--duration: {e}")))
            })
            .transpose()
    };
    let mut r = match c {
        Command::Kick { name, room, reason } => {
            json!({"type": "kick", "user": name, "room": room, "reason": reason})
        }
        Command::Mute {
            name,
            room,
            duration: d,
            reason,
        } => json!({"type": "mute", "user": name, "room": room,
                    "duration_s": duration(d)?, "reason": reason}),
        Command::Unmute { name, room } => json!({"type": "unmute", "user": name, "room": room}),
        Command::Ban {
            name,
            duration: d,
            reason,
        } => json!({"type": "ban", "user": name, "duration_s": duration(d)?, "reason": reason}),
        Command::Unban { name } => json!({"type": "unban", "user": name}),
        Command::Announce { text } => json!({"type": "announce", "text": text}),
        Command::Who { .. } => json!({"type": "who"}),
        Command::DeleteMessage { id } => json!({"type": "delete_message", "message_id": id}),
        Command::Filter { command } => match command {
            FilterCommand::Add { word } => json!({"type": "filter_add", "word": word}),
            FilterCommand::Remove { word } => json!({"type": "filter_remove", "word": word}),
            FilterCommand::List => json!({"type": "filter_list"}),
        },
        Command::User { .. } | Command::Logs { .. } | Command::Sql(_) => {
            return Err(Fail::usage("not a live command"))
        }
    };
    // absent optional fields are left out, not sent as null
    if let Some(o) = r.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    Ok(r)
}

/// What a person reads after a command went through.
fn report(c: &Command, reply: &Map<String, Value>, format: Format) -> Done {
    let until = || match reply
        .get("until")
        .and_then(Value::as_str)
        .and_then(parse_time)
    {
        Some(t) => format!("until {}", local_time(&t)),
        None => "until lifted".into(),
    };
    let line = match c {
        Command::Kick {
            name,
            room: Some(r),
            ..
        } => format!("kicked {name} from {r}"),
        Command::Kick { name, .. } => format!("kicked {name}"),
        Command::Mute {
            name,
            room: Some(r),
            ..
        } => format!("muted {name} in {r} {}", until()),
        Command::Mute { name, .. } => format!("muted {name} {}", until()),
        Command::Unmute { name, .. } => format!("unmuted {name}"),
        Command::Ban { name, .. } => format!("banned {name} {}", until()),
        Command::Unban { name } => format!("unbanned {name}"),
        Command::Announce { .. } => format!(
            "announced, message {}",
            reply.get("id").unwrap_or(&Value::Null)
        ),
        Command::DeleteMessage { id } => format!("deleted message {id}"),
        Command::Filter {
            command: FilterCommand::Add { word },
        } => format!("added {word:?} to the filter"),
        Command::Filter {
            command: FilterCommand::Remove { word },
        } => format!("removed {word:?} from the filter"),
        Command::Filter {
            command: FilterCommand::List,
        } => {
            let words = reply
                .get("words")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for w in words {
                println!("{}", w.as_str().unwrap_or_default());
            }
            return Ok(());
        }
        Command::Who { name } => return who(reply, name.as_deref(), format),
        Command::User { .. } | Command::Logs { .. } | Command::Sql(_) => String::new(),
    };
    println!("{line}");
    Ok(())
}

/// `who [NAME]`: one row per connection of every user online (or one).
fn who(reply: &Map<String, Value>, only: Option<&str>, format: Format) -> Done {
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut rows = Vec::new();
    for u in reply
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = s(u, "name");
        if only.is_some_and(|o| !o.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let rooms: Vec<String> = u
            .get("rooms")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        // a table stays one screen wide for a user in many rooms; csv and
        // jsonl carry every room, for scripts
        let rooms = match format {
            Format::Table => compact_rooms(&rooms, 40),
            _ => rooms.join(","),
        };
        for c in u
            .get("connections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            rows.push(vec![
                Cell::Text(name.clone()),
                Cell::Text(s(u, "role")),
                Cell::Text(rooms.clone()),
                Cell::Text(s(c, "addr")),
                Cell::Text(s(c, "transport")),
                parse_time(&s(c, "since")).map_or(Cell::Null, Cell::Time),
            ]);
        }
    }
    if let (Some(o), true) = (only, rows.is_empty()) {
        return Err(Fail::refused(format!("{o} is not online")));
    }
    print_rows(
        format,
        &["user", "role", "rooms", "addr", "transport", "since"],
        &rows,
    )?;
    Ok(())
}

/// Rooms in at most about `width` characters: as many names as fit, then
/// `+N more` (`modchat-admin user show NAME` lists them all).
fn compact_rooms(rooms: &[String], width: usize) -> String {
    let mut out = String::new();
    for (i, r) in rooms.iter().enumerate() {
        let more = format!(" +{} more", rooms.len() - i);
        let sep = if out.is_empty() { "" } else { "," };
        let last = i + 1 == rooms.len();
        let room_fits = out.len() + sep.len() + r.len() <= width;
        // the last one needs no room for "+N more" after it
        if room_fits && (last || out.len() + sep.len() + r.len() + more.len() <= width) {
            out.push_str(sep);
            out.push_str(r);
        } else {
            out.push_str(&more);
            break;
        }
    }
    out
}

/// A server's `error` reply.
struct Refusal {
    code: String,
    message: String,
}

impl Refusal {
    fn describe(&self) -> String {
        format!("{}: {}", self.code, self.message)
    }
}

/// One connection, one request at a time; events in between are skipped.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: i64,
}

impl Conn {
    fn open(server: &str) -> Result<Conn, Fail> {
        let cant = |e: String| Fail::usage(format!("cannot connect to {server}: {e}"));
        let addr = server
            .to_socket_addrs()
            .map_err(|e| cant(e.to_string()))?
            .next()
            .ok_or_else(|| cant("no address".into()))?;
        let s = TcpStream::connect_timeout(&addr, CONNECT).map_err(|e| cant(e.to_string()))?;
        s.set_read_timeout(Some(ANSWER))
            .map_err(|e| cant(e.to_string()))?;
        let writer = s.try_clone().map_err(|e| cant(e.to_string()))?;
        Ok(Conn {
            reader: BufReader::new(s),
            writer,
            next_id: 1,
        })
    }

    /// Sends a request and waits for its reply: `Ok` with the result's
    /// fields, or the server's refusal.
    fn call(&mut self, mut request: Value) -> Result<Result<Map<String, Value>, Refusal>, Fail> {
        let id = self.next_id;
        self.next_id += 1;
        request["id"] = id.into();
        let lost =
            |e: std::io::Error| Fail::usage(format!("the connection to the server failed: {e}"));
        let mut line = serde_json::to_vec(&request).map_err(|e| Fail::usage(e.to_string()))?;
        line.push(b'\n');
        self.writer.write_all(&line).map_err(lost)?;
        loop {
            let mut buf = String::new();
            if self.reader.read_line(&mut buf).map_err(lost)? == 0 {
                return Err(Fail::usage("the server closed the connection"));
            }
            let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(&buf) else {
                continue;
            };
            if frame.get("re") != Some(&Value::from(id)) {
                continue; // an event
            }
            return Ok(match frame.get("type").and_then(Value::as_str) {
                Some("ok") => Ok(frame),
                _ => Err(Refusal {
                    code: frame
                        .get("code")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                        .to_owned(),
                    message: frame
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                }),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rooms_stay_compact() {
        let rooms: Vec<String> = (0..30).map(|i| format!("room-number-{i}")).collect();
        let shown = super::compact_rooms(&rooms, 40);
        assert_eq!(shown, "room-number-0,room-number-1 +28 more");
        assert!(shown.len() <= 40);
        let few = ["lobby".to_owned(), "dev".to_owned()];
        assert_eq!(super::compact_rooms(&few, 40), "lobby,dev");
        assert_eq!(super::compact_rooms(&[], 40), "");
    }
}
