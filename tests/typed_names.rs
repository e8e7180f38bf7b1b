//! The protocol's names are enums in the code and text with a CHECK in the
//! database: every variant must be storable on both backends, and nothing
//! else. Adding a moderation act without the migration that widens the
//! CHECK fails here.

mod common;

use common::db::{Backend, TestDb};
use diesel::prelude::*;
use modchat::model::{ModAction, Role, RoomRole};
use modchat::store::moderation::{self, NewAction};
use modchat::store::{accounts, now, rooms};

both_backends!(every_mod_action_is_storable, every_room_role_is_storable);

fn every_mod_action_is_storable(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let a = accounts::create(&mut c, "actor", "x", Role::Admin).unwrap();
    for &action in ModAction::ALL {
        let rec = NewAction::new(action, now()).target(a.id).actor(a.id);
        moderation::record(&mut c, &rec)
            .unwrap_or_else(|e| panic!("{action} is refused by the database: {e}"));
        assert_eq!(action.as_str().parse::<ModAction>().unwrap(), action);
    }
    let stored: Vec<String> = modchat::store::schema::moderation_actions::table
        .select(modchat::store::schema::moderation_actions::action)
        .order(modchat::store::schema::moderation_actions::id)
        .load(&mut *c)
        .unwrap();
    let want: Vec<&str> = ModAction::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(stored, want);
    // the CHECK refuses a name the enum does not have
    let bad = diesel::sql_query(
        "INSERT INTO moderation_actions (action, at) VALUES ('frobnicate', '2026-01-01 00:00:00')",
    )
    .execute(&mut *c);
    assert!(bad.is_err(), "an unknown action must be refused");
}

fn every_room_role_is_storable(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let owner = accounts::create(&mut c, "owner", "x", Role::User).unwrap();
    let room = rooms::create(&mut c, "hall", 10, owner.id).unwrap();
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, owner.id).unwrap(),
        Some(RoomRole::Owner),
        "the creator owns the room"
    );
    // the owner is the creator (one at most); the others can be given
    let given = RoomRole::ALL.iter().filter(|r| **r != RoomRole::Owner);
    for (i, &role) in given.enumerate() {
        let u = accounts::create(&mut c, &format!("user{i}"), "x", Role::User).unwrap();
        rooms::add_member(&mut c, room.id, u.id).unwrap();
        assert!(rooms::set_room_role(&mut c, room.id, u.id, role).unwrap());
        assert_eq!(
            rooms::room_role_of(&mut c, room.id, u.id).unwrap(),
            Some(role)
        );
    }
    let bad = diesel::sql_query(format!(
        "UPDATE room_members SET room_role = 'king' WHERE account_id = {}",
        owner.id
    ))
    .execute(&mut *c);
    assert!(bad.is_err(), "an unknown room role must be refused");
}
