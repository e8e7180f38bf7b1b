//! IRC guests (`[irc] guests = true`, ../shared/PROTOCOL.md "IRC gateway",
//! docs/irc.md "Guests") over raw sockets on both backends: NICK and USER
//! alone make a guest account with no password; a registered or in-use
//! name gets 433; the name is free again once the guest leaves, and
//! `register` takes the row over with its history; a guest registers its
//! own name in place; what guests may not do; bans hold for the name.

mod common;

use common::irc::IrcClient;
use common::server::PASSWORD;
use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::AccountId;
use modchat::store::schema::{accounts, chat_logs, login_events};
use serde_json::json;

both_backends!(
    a_guest_talks_with_a_json_user,
    names_a_guest_cannot_take,
    the_name_is_free_once_the_guest_leaves,
    register_takes_over_a_guest_row,
    a_guest_registers_in_place,
    what_guests_may_not_do,
    a_ban_holds_for_the_guest_name,
    without_guests_an_account_is_required,
);

fn server(b: Backend) -> TestServer {
    TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
        c.irc.guests = true;
    })
}

/// Connects as a guest and reads up to the end of the welcome.
fn guest(srv: &TestServer, nick: &str) -> IrcClient {
    let mut c = IrcClient::connect(srv.irc.expect("irc listener"));
    c.send("CAP REQ :message-tags server-time echo-message");
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :{nick}"));
    c.send("CAP END");
    let welcome = c.expect_cmd("001");
    // the nick is the account's, as stored (any letter case)
    assert!(
        welcome
            .to_lowercase()
            .contains(&format!(" 001 {} ", nick.to_lowercase())),
        "{welcome}"
    );
    c.expect("end of MOTD", |l| {
        matches!(common::irc::command_of(l), "376" | "422")
    });
    c
}

/// (id, guest, password_hash) of the row with this name.
fn row(srv: &mut TestServer, name: &str) -> Option<(AccountId, bool, Option<String>)> {
    let db = srv.store();
    accounts::table
        .filter(accounts::username_key.eq(name.to_lowercase()))
        .select((accounts::id, accounts::guest, accounts::password_hash))
        .first(&mut db.conn().expect("conn"))
        .optional()
        .expect("query")
}

fn a_guest_talks_with_a_json_user(b: Backend) {
    let mut srv = server(b);
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let mut g = guest(&srv, "Wanderer");
    // a guest's account: no password, the flag set, role user
    let (id, is_guest, hash) = row(&mut srv, "wanderer").expect("guest row");
    assert!(is_guest);
    assert_eq!(hash, None);
    g.send("JOIN #hall");
    g.expect("JOIN echo", |l| l.contains("JOIN #hall"));
    g.expect_cmd("366");
    alice.event("joined");
    g.send("PRIVMSG #hall :hello from a guest");
    let echo = g.expect_cmd("PRIVMSG");
    assert!(echo.contains(":Wanderer!Wanderer@"), "{echo}");
    let msg = alice.event("message");
    assert_eq!(msg["from"], "Wanderer");
    assert_eq!(msg["text"], "hello from a guest");
    alice.ok(json!({"type": "say", "room": "hall", "text": "welcome"}));
    let heard = g.expect_cmd("PRIVMSG");
    assert!(heard.ends_with("PRIVMSG #hall :welcome"), "{heard}");
    // one row each, the guest's by its account id
    let db = srv.store();
    let mut conn = db.conn().expect("conn");
    let by: i64 = chat_logs::table
        .filter(chat_logs::sender_id.eq(id))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(by, 1);
    // the login is audited with reason "guest"
    let reasons: Vec<Option<String>> = login_events::table
        .filter(login_events::account_id.eq(id))
        .select(login_events::reason)
        .load(&mut conn)
        .expect("login events");
    assert_eq!(reasons, vec![Some("guest".to_owned())]);
    // alice's `who` lists the guest like anyone
    let who = alice.ok(json!({"type": "who"}));
    assert!(who.to_string().contains("Wanderer"), "{who}");
}

fn names_a_guest_cannot_take(b: Backend) {
    let srv = server(b);
    let _alice = srv.user("alice");
    let irc = srv.irc.expect("irc");
    // a registered name: 433, and registration waits for another NICK
    let mut c = IrcClient::connect(irc);
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let taken = c.expect_cmd("433");
    assert!(taken.starts_with(":modchat.local 433 * alice :"), "{taken}");
    // a look-alike of it, in another letter case, a nick with a '.'
    c.send("NICK ALICE");
    c.expect_cmd("433");
    c.send("NICK a.lice");
    assert_eq!(
        c.expect_cmd("432"),
        ":modchat.local 432 * a.lice :Erroneous nickname"
    );
    c.send("NICK aIice");
    c.expect_cmd("433");
    c.send("NICK alicia");
    c.expect_cmd("001");
    // a guest's name while the guest is on: 433 too
    let mut d = IrcClient::connect(irc);
    d.send("NICK alicia");
    d.send("USER x 0 * :x");
    d.expect_cmd("433");
    // logging into a guest's name with a password never works
    let mut j = srv.connect();
    j.err(
        json!({"type": "login", "username": "alicia", "password": PASSWORD}),
        "bad_credentials",
    );
    // the guest command is the gateway's: a JSON client does not know it
    j.err(
        json!({"type": "guest", "username": "sneaky"}),
        "unknown_command",
    );
}

fn the_name_is_free_once_the_guest_leaves(b: Backend) {
    let mut srv = server(b);
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let mut g = guest(&srv, "drifter");
    let (first, _, _) = row(&mut srv, "drifter").expect("row");
    g.send("JOIN #hall");
    g.expect_cmd("366");
    g.send("QUIT :bye");
    g.expect_closed();
    alice.event("offline");
    // the same nick later: the same row (its rooms come with it)
    let mut again = guest(&srv, "Drifter");
    let join = again.expect_cmd("JOIN");
    assert!(join.contains("JOIN #hall"), "{join}");
    let (second, _, _) = row(&mut srv, "drifter").expect("row");
    assert_eq!(first, second);
    let db = srv.store();
    let n: i64 = accounts::table
        .filter(accounts::username_key.eq("drifter"))
        .count()
        .get_result(&mut db.conn().expect("conn"))
        .expect("count");
    assert_eq!(n, 1);
}

fn register_takes_over_a_guest_row(b: Backend) {
    let mut srv = server(b);
    let mut alice = srv.user("alice");
    alice.ok(json!({"type": "create_room", "room": "hall"}));
    let mut g = guest(&srv, "visitor");
    let (id, _, _) = row(&mut srv, "visitor").expect("row");
    g.send("JOIN #hall");
    g.expect_cmd("366");
    g.send("PRIVMSG #hall :a guest's words");
    g.expect_cmd("PRIVMSG");
    // registering the name while the guest is on: taken
    let mut j = srv.connect();
    let e = j.err(
        json!({"type": "register", "username": "visitor", "password": PASSWORD}),
        "username_taken",
    );
    assert!(e["message"].as_str().unwrap_or("").contains("guest"), "{e}");
    g.send("QUIT");
    g.expect_closed();
    alice.event("offline");
    // once it left: the row is taken over, history and all
    j.ok(json!({"type": "register", "username": "Visitor", "password": PASSWORD}));
    let (after, is_guest, hash) = row(&mut srv, "visitor").expect("row");
    assert_eq!(after, id);
    assert!(!is_guest);
    assert!(hash.is_some_and(|h| h.starts_with("$2")));
    j.login("Visitor");
    let h = j.ok(json!({"type": "history", "room": "hall"}));
    assert!(h.to_string().contains("a guest's words"), "{h}");
    // and no guest may take the name now
    let mut c = IrcClient::connect(srv.irc.expect("irc"));
    c.send("NICK visitor");
    c.send("USER v 0 * :v");
    c.expect_cmd("433");
}

fn a_guest_registers_in_place(b: Backend) {
    let mut srv = server(b);
    let mut g = guest(&srv, "newcomer");
    let (id, _, _) = row(&mut srv, "newcomer").expect("row");
    // a guest cannot make rooms...
    g.send("JOIN #mine");
    let refused = g.expect_cmd("403");
    assert!(refused.contains("#mine"), "{refused}");
    // ...until it registers its name, staying connected
    g.send(&format!("REGISTER * - {PASSWORD}"));
    let ok = g.expect_cmd("REGISTER");
    assert!(ok.contains("SUCCESS newcomer"), "{ok}");
    g.expect_cmd("900");
    let (after, is_guest, hash) = row(&mut srv, "newcomer").expect("row");
    assert_eq!(after, id);
    assert!(!is_guest && hash.is_some());
    g.send("JOIN #mine");
    g.expect_cmd("366");
    // the password works from JSON now
    let mut j = srv.connect();
    j.login("newcomer");
}

fn what_guests_may_not_do(b: Backend) {
    let mut srv = server(b);
    let mut admin = srv.account("root", modchat::model::Role::Admin);
    admin.ok(json!({"type": "create_room", "room": "hall"}));
    let mut g = guest(&srv, "tourist");
    g.send("JOIN #hall");
    g.expect_cmd("366");
    // change its name
    g.send("NICK someone");
    let no = g.expect_cmd("432");
    assert!(no.contains("guests cannot change their name"), "{no}");
    // read whisper history (the next guest of the name would read it)
    admin.ok(json!({"type": "whisper", "to": "tourist", "text": "psst"}));
    g.expect_cmd("PRIVMSG");
    g.send("CHATHISTORY LATEST root * 10");
    g.expect("refused CHATHISTORY", |l| {
        l.starts_with(":modchat.local FAIL CHATHISTORY")
    });
    // be an op of a room, or hold a site role
    let e = admin.err(
        json!({"type": "set_room_role", "room": "hall", "user": "tourist", "role": "op"}),
        "forbidden",
    );
    assert!(
        e["message"].as_str().unwrap_or("").contains("guests"),
        "{e}"
    );
    admin.err(
        json!({"type": "set_role", "user": "tourist", "role": "moderator"}),
        "forbidden",
    );
    // nothing of it left a moderation row
    assert!(srv.actions().is_empty());
}

fn a_ban_holds_for_the_guest_name(b: Backend) {
    let mut srv = server(b);
    let mut m = srv.account("mod", modchat::model::Role::Moderator);
    let mut g = guest(&srv, "troll");
    m.ok(json!({"type": "ban", "user": "troll", "reason": "spam"}));
    g.expect("the ban's close", |l| l.starts_with("ERROR"));
    g.expect_closed();
    let mut again = IrcClient::connect(srv.irc.expect("irc"));
    again.send("NICK troll");
    again.send("USER t 0 * :t");
    let e = again.expect_cmd("ERROR");
    assert!(e.contains("banned") && e.contains("spam"), "{e}");
    again.expect_closed();
}

fn without_guests_an_account_is_required(b: Backend) {
    let srv = TestServer::start_with(b, |c| {
        c.irc.listen = "127.0.0.1:0".into();
    });
    let mut c = IrcClient::connect(srv.irc.expect("irc"));
    c.send("CAP LS 302");
    let ls = c.expect_cmd("CAP");
    assert!(ls.contains("account-required"), "{ls}");
    c.send("NICK someone");
    c.send("USER someone 0 * :x");
    c.send("CAP END");
    let fail = c.expect_cmd("FAIL");
    assert!(fail.contains("ACCOUNT_REQUIRED"), "{fail}");
    c.expect_closed();
}
