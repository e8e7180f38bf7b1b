//! docs/protocol.md, "Word filter": matching on the normal form of text and
//! entry (NFKC, case folded, invisible characters removed, look-alikes
//! mapped to their TR39 skeleton), so the evasions found in issue 17 are
//! blocked, whole words still only.

mod common;

use common::{Backend, TestServer};
use diesel::prelude::*;
use modchat::model::Role;
use modchat::store::schema::chat_logs;
use serde_json::json;

both_backends!(evasions_are_blocked, entries_are_stored_as_typed_words);

/// Each evasion of issue 17 over the wire, by `say` and by `whisper`:
/// zero-width space, soft hyphen, word joiner, full width, Cyrillic
/// look-alikes (small and capital), a digit zero. None is delivered or
/// logged; ordinary words beside the entry still pass.
fn evasions_are_blocked(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| {
        // every evasion is a strike: keep the sender unmuted to try them all
        c.moderation.filter_strikes = 1000;
    });
    let mut a = srv.account("boss", Role::Admin);
    let mut u = srv.user("sly");
    let mut l = srv.user("listener");
    u.ok(json!({"type": "create_room", "room": "r"}));
    l.ok(json!({"type": "join", "room": "r"}));
    a.ok(json!({"type": "filter_add", "word": "frobnicate"}));
    a.ok(json!({"type": "filter_add", "word": "foo bar"}));
    let count = |srv: &mut TestServer| -> i64 {
        let db = srv.store();
        chat_logs::table
            .count()
            .get_result(&mut db.conn().unwrap())
            .unwrap()
    };
    let before = count(&mut srv);
    for text in [
        "frobnicate",
        "let us frob\u{200b}nicate",
        "frob\u{ad}nicate it",
        "frob\u{2060}nicate",
        "\u{feff}frob\u{200d}nicate\u{200c}",
        "ＦＲＯＢＮＩＣＡＴＥ",
        "fr\u{43e}bni\u{441}\u{430}t\u{435}",
        "FR\u{41e}BNI\u{421}\u{410}\u{422}\u{415}!",
        "fr0bnicate",
        "F\u{200b}rObNiCaTe",
        "well: f\u{200b}oo b\u{430}r",
    ] {
        u.err(json!({"type": "say", "room": "r", "text": text}), "blocked");
        u.err(
            json!({"type": "whisper", "to": "listener", "text": text}),
            "blocked",
        );
    }
    assert_eq!(count(&mut srv), before, "blocked texts are not logged");
    for text in ["frobnicated", "frob nicate", "foo, baz bar", "a ｆｏｏ"] {
        u.ok(json!({"type": "say", "room": "r", "text": text}));
    }
    for text in ["frobnicated", "frob nicate", "foo, baz bar", "a ｆｏｏ"] {
        let m = l.event("message");
        assert_eq!(m["text"], text, "delivered exactly as sent");
    }
    l.assert_none("a blocked text", |v| {
        v["type"] == "whisper" || (v["type"] == "message" && v["text"] == "frobnicate")
    });
}

/// An entry is stored and listed in its folded form, invisible characters
/// removed and look-alikes not mapped (`mira` stays `mira`, not its
/// skeleton `rnira`), yet it matches its look-alikes.
fn entries_are_stored_as_typed_words(b: Backend) {
    let mut srv = TestServer::start_with(b, |c| c.moderation.filter_strikes = 1000);
    let mut a = srv.account("boss", Role::Admin);
    let mut u = srv.user("talker");
    u.ok(json!({"type": "create_room", "room": "r"}));
    let r = a.ok(json!({"type": "filter_add", "word": "Mi\u{ad}ra"}));
    assert_eq!(r["word"], "mira");
    assert_eq!(
        a.ok(json!({"type": "filter_list"}))["words"],
        json!(["mira"])
    );
    u.err(
        json!({"type": "say", "room": "r", "text": "rnira"}),
        "blocked",
    );
    u.err(
        json!({"type": "say", "room": "r", "text": "MIRA"}),
        "blocked",
    );
    u.ok(json!({"type": "say", "room": "r", "text": "mirage"}));
}
