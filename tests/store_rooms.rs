//! The storage of rooms of their own (issue 18) on both backends: the
//! migration's owner backfill, deleted rooms, room roles, room bans and read
//! markers. docs/protocol.md: Storage.

mod common;

use chrono::{NaiveDateTime, TimeDelta};
use common::db::{Backend, TestDb};
use diesel::prelude::*;
use modchat::model::{AccountId, MessageId, Role, RoomRole};
use modchat::store::chat_log::{self, Kind, NewChatLog};
use modchat::store::moderation::{self, MuteRow};
use modchat::store::read_markers::{self, RoomSummary, Scope, UNREAD_CAP};
use modchat::store::room_bans::{self, RoomBanRow};
use modchat::store::{accounts, now, rooms, DbConn, StoreError};

both_backends!(
    owner_backfill_on_existing_rows,
    deleted_room_frees_its_name,
    room_roles,
    room_ban_expires_by_now,
    read_marker_never_backwards,
    read_markers_racing_first_marks,
    unread_counts,
);

/// The migration before this issue's, by version.
const ROOMS_OF_THEIR_OWN: &str = "2026-12-07-000001";

/// Migrates `t` up to (not including) `before`, straight from the
/// migration folders, as an older server would have left it.
fn migrate_until(t: &TestDb, before: &str) {
    use diesel::migration::MigrationSource;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    fn run<C>(c: &mut C, dir: &str, before: &str)
    where
        C: MigrationHarness<C::Backend> + diesel::migration::MigrationConnection,
        FileBasedMigrations: MigrationSource<C::Backend>,
    {
        // the table of applied migrations, as run_pending_migrations makes it
        c.setup().expect("__diesel_schema_migrations");
        let source = FileBasedMigrations::from_path(dir).expect("migrations folder");
        let mut all = MigrationSource::<C::Backend>::migrations(&source).expect("read migrations");
        all.sort_by_key(|m| m.name().to_string());
        let mut ran = 0;
        for m in &all {
            if m.name().to_string().as_str() < before {
                c.run_migration(m.as_ref()).expect("run a migration");
                ran += 1;
            }
        }
        assert!(
            ran > 0 && ran < all.len(),
            "{ran} of {} migrations",
            all.len()
        );
    }
    match t.backend {
        Backend::Sqlite => {
            let path = t.url.strip_prefix("sqlite://").expect("sqlite url");
            let mut c = diesel::SqliteConnection::establish(path).expect("open sqlite");
            run(&mut c, "migrations/sqlite", before);
        }
        Backend::Mysql => {
            #[cfg(feature = "mysql")]
            {
                let mut c = diesel::MysqlConnection::establish(&t.url).expect("open mysql");
                run(&mut c, "migrations/mysql", before);
            }
        }
    }
}

/// docs/protocol.md: Storage (room_members.room_role; existing rooms get
/// their creator as owner)
fn owner_backfill_on_existing_rows(b: Backend) {
    use modchat::store::schema::room_members as m;
    let t = TestDb::new(b);
    migrate_until(&t, ROOMS_OF_THEIR_OWN);
    let at = now();
    {
        // rows as the previous schema holds them, written with its columns
        // only (a raw connection: the pool would migrate first)
        let sql = |stmts: &[String]| match b {
            Backend::Sqlite => {
                let path = t.url.strip_prefix("sqlite://").expect("sqlite url");
                let mut c = diesel::SqliteConnection::establish(path).expect("open");
                for s in stmts {
                    diesel::sql_query(s).execute(&mut c).expect(s);
                }
            }
            Backend::Mysql => {
                #[cfg(feature = "mysql")]
                {
                    let mut c = diesel::MysqlConnection::establish(&t.url).expect("open");
                    for s in stmts {
                        diesel::sql_query(s).execute(&mut c).expect(s);
                    }
                }
            }
        };
        let ts = at.format("%Y-%m-%d %H:%M:%S").to_string();
        sql(&[
            format!("INSERT INTO accounts (id, username, username_key, password_hash, role, created_at) VALUES (1, 'Olga', 'olga', 'x', 'user', '{ts}')"),
            format!("INSERT INTO accounts (id, username, username_key, password_hash, role, created_at) VALUES (2, 'pat', 'pat', 'x', 'user', '{ts}')"),
            format!("INSERT INTO rooms (id, name, capacity, created_by, created_at) VALUES (10, 'olgas', 50, 1, '{ts}')"),
            // a room whose creator's account is gone: no owner
            format!("INSERT INTO rooms (id, name, capacity, created_by, created_at) VALUES (11, 'orphan', 50, NULL, '{ts}')"),
            // a room its creator has left
            format!("INSERT INTO rooms (id, name, capacity, created_by, created_at) VALUES (12, 'pats', 50, 2, '{ts}')"),
            format!("INSERT INTO room_members (room_id, account_id, joined_at) VALUES (10, 1, '{ts}')"),
            format!("INSERT INTO room_members (room_id, account_id, joined_at) VALUES (10, 2, '{ts}')"),
            format!("INSERT INTO room_members (room_id, account_id, joined_at) VALUES (11, 1, '{ts}')"),
            format!("INSERT INTO room_members (room_id, account_id, joined_at) VALUES (12, 1, '{ts}')"),
            format!("INSERT INTO chat_logs (kind, room_id, sender_id, sender_name, text, at) VALUES ('message', 10, 1, 'Olga', 'hello', '{ts}')"),
        ]);
    }
    // the pool runs the pending migration
    let db = t.open();
    let mut c = db.conn().unwrap();
    let mut roles: Vec<(i64, i64, String)> = m::table
        .select((m::room_id, m::account_id, m::room_role))
        .load::<(modchat::model::RoomId, AccountId, String)>(&mut *c)
        .unwrap()
        .into_iter()
        .map(|(r, a, role)| (r.0, a.0, role))
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            (10, 1, "owner".to_owned()),
            (10, 2, "member".to_owned()),
            (11, 1, "member".to_owned()),
            (12, 1, "member".to_owned()),
        ]
    );
    let olgas = rooms::find(&mut c, "olgas").unwrap().unwrap();
    assert_eq!(olgas.topic, "");
    assert_eq!(olgas.deleted_at, None);
    assert_eq!(rooms::all(&mut c).unwrap().len(), 3);
    let action: Vec<bool> = modchat::store::schema::chat_logs::table
        .select(modchat::store::schema::chat_logs::action)
        .load(&mut *c)
        .unwrap();
    assert_eq!(action, [false], "old messages are not emotes");
    // the creator who had left is owner again when coming back
    assert!(rooms::add_member(&mut c, olgas.id, AccountId(2)).is_ok());
    let pats = rooms::find(&mut c, "pats").unwrap().unwrap();
    assert!(rooms::add_member(&mut c, pats.id, AccountId(2)).unwrap());
    assert_eq!(
        rooms::room_role_of(&mut c, pats.id, AccountId(2)).unwrap(),
        Some(RoomRole::Owner)
    );
    // the new columns hold only what the CHECK allows
    let bad = diesel::update(m::table.filter(m::room_id.eq(modchat::model::RoomId(10))))
        .set(m::room_role.eq("boss"))
        .execute(&mut *c);
    assert!(bad.is_err(), "room_role CHECK");
}

fn user(c: &mut DbConn, name: &str) -> AccountId {
    accounts::create(c, name, "x", Role::User).unwrap().id
}

/// docs/protocol.md: Storage (rooms.deleted_at: a deleted room's name is
/// free again), Moderation (`delete_room`)
fn deleted_room_frees_its_name(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let owner = user(&mut c, "owner");
    let guest = user(&mut c, "guest");
    let old = rooms::create(&mut c, "lounge", 10, owner).unwrap();
    let other = rooms::create(&mut c, "other", 10, owner).unwrap();
    assert!(rooms::add_member(&mut c, old.id, guest).unwrap());
    assert!(rooms::add_member(&mut c, other.id, guest).unwrap());
    assert!(rooms::set_topic(&mut c, old.id, "tea and talk", None, modchat::store::now()).unwrap());
    assert!(rooms::set_capacity(&mut c, old.id, 20).unwrap());
    let found = rooms::find(&mut c, "lounge").unwrap().unwrap();
    assert_eq!((found.topic.as_str(), found.capacity), ("tea and talk", 20));
    let at = now();
    room_bans::put(
        &mut c,
        &RoomBanRow {
            account_id: guest,
            room_id: other.id,
            until: None,
            reason: None,
            actor_id: Some(owner),
            created_at: at,
        },
    )
    .unwrap();
    for room in [old.id, other.id] {
        let ban = RoomBanRow {
            account_id: user(&mut c, &format!("banned{}", room.0)),
            room_id: room,
            until: None,
            reason: Some("spam".into()),
            actor_id: Some(owner),
            created_at: at,
        };
        room_bans::put(&mut c, &ban).unwrap();
        moderation::put_mute(
            &mut c,
            &MuteRow {
                account_id: guest,
                room_id: room,
                until: None,
                reason: None,
                actor_id: Some(owner),
                created_at: at,
            },
        )
        .unwrap();
    }
    // a global mute (room 0) is not the room's
    moderation::put_mute(
        &mut c,
        &MuteRow {
            account_id: owner,
            room_id: modchat::model::RoomId(0),
            until: None,
            reason: None,
            actor_id: None,
            created_at: at,
        },
    )
    .unwrap();

    assert!(rooms::mark_deleted(&mut c, old.id, at).unwrap());
    assert!(
        !rooms::mark_deleted(&mut c, old.id, at).unwrap(),
        "deleted once"
    );
    assert!(rooms::find(&mut c, "lounge").unwrap().is_none());
    assert_eq!(
        rooms::all(&mut c)
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["other"]
    );
    assert_eq!(rooms::rooms_of(&mut c, guest).unwrap(), ["other"]);
    assert!(rooms::members_of(&mut c, old.id).unwrap().is_empty());
    assert_eq!(rooms::members_of(&mut c, other.id).unwrap().len(), 2);
    let kept = rooms::find_by_id(&mut c, old.id).unwrap().unwrap();
    assert_eq!(kept.deleted_at, Some(at), "the row stays, marked");
    assert!(!rooms::set_topic(&mut c, old.id, "x", None, modchat::store::now()).unwrap());
    assert!(!rooms::set_capacity(&mut c, old.id, 5).unwrap());
    assert!(matches!(
        rooms::add_member(&mut c, old.id, guest),
        Err(StoreError::Query(diesel::result::Error::NotFound))
    ));
    assert!(matches!(
        rooms::add_member_within_capacity(&mut c, old.id, guest),
        Err(StoreError::Query(diesel::result::Error::NotFound))
    ));
    // its bans and mutes went with it, the other room's and global ones stay
    let bans = room_bans::active(&mut c, at).unwrap();
    assert_eq!(bans.len(), 2);
    assert!(bans.iter().all(|b| b.room_id == other.id));
    let mutes = moderation::active_mutes(&mut c, at).unwrap();
    let mut muted: Vec<i64> = mutes.iter().map(|m| m.room_id.0).collect();
    muted.sort();
    assert_eq!(muted, [0, other.id.0]);

    // the name is free again, once
    let new = rooms::create(&mut c, "lounge", 10, guest).unwrap();
    assert_ne!(new.id, old.id);
    assert_eq!(new.topic, "", "a new room, not the old one");
    assert!(matches!(
        rooms::create(&mut c, "lounge", 10, owner),
        Err(StoreError::Conflict)
    ));
    assert_eq!(rooms::find(&mut c, "lounge").unwrap().unwrap().id, new.id);
    // records of either room still name it
    let names = rooms::names_of(&mut c, [old.id, new.id]).unwrap();
    assert_eq!(names.get(&old.id).map(String::as_str), Some("lounge"));
    assert_eq!(names.get(&new.id).map(String::as_str), Some("lounge"));
    // and deleted again: two deleted rooms of one name
    assert!(rooms::mark_deleted(&mut c, new.id, now()).unwrap());
    rooms::create(&mut c, "lounge", 10, owner).unwrap();

    // the per-account cap counts rooms that still exist
    let capped = user(&mut c, "capped");
    let r = rooms::create_within(&mut c, "mine1", 10, capped, Some(1))
        .unwrap()
        .unwrap();
    assert!(rooms::create_within(&mut c, "mine2", 10, capped, Some(1))
        .unwrap()
        .is_none());
    assert!(rooms::mark_deleted(&mut c, r.id, now()).unwrap());
    assert!(rooms::create_within(&mut c, "mine2", 10, capped, Some(1))
        .unwrap()
        .is_some());
}

/// docs/protocol.md: Moderation (room roles: owner, op, member)
fn room_roles(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let owner = user(&mut c, "founder");
    let op = user(&mut c, "helper");
    let outsider = user(&mut c, "outsider");
    let room = rooms::create(&mut c, "club", 10, owner).unwrap();
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, owner).unwrap(),
        Some(RoomRole::Owner)
    );
    assert_eq!(
        rooms::add_member_within_capacity(&mut c, room.id, op).unwrap(),
        rooms::Added::Added
    );
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, op).unwrap(),
        Some(RoomRole::Member)
    );
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, outsider).unwrap(),
        None
    );
    assert!(rooms::set_room_role(&mut c, room.id, op, RoomRole::Op).unwrap());
    assert!(
        !rooms::set_room_role(&mut c, room.id, outsider, RoomRole::Op).unwrap(),
        "not a member"
    );
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, op).unwrap(),
        Some(RoomRole::Op)
    );
    let members = rooms::members_of(&mut c, room.id).unwrap();
    let shown: Vec<(&str, RoomRole)> = members
        .iter()
        .map(|m| (m.username.as_str(), m.room_role))
        .collect();
    assert_eq!(
        shown,
        [("founder", RoomRole::Owner), ("helper", RoomRole::Op)]
    );
    let second = rooms::create(&mut c, "annex", 10, op).unwrap();
    assert_eq!(
        rooms::owned_and_opped(&mut c, op).unwrap(),
        [
            ("annex".to_owned(), RoomRole::Owner),
            ("club".to_owned(), RoomRole::Op)
        ]
    );
    assert!(rooms::owned_and_opped(&mut c, outsider).unwrap().is_empty());
    // an op who leaves comes back a member; the owner comes back owner
    assert!(rooms::remove_member(&mut c, room.id, op).unwrap());
    assert!(rooms::add_member(&mut c, room.id, op).unwrap());
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, op).unwrap(),
        Some(RoomRole::Member)
    );
    assert!(rooms::remove_member(&mut c, room.id, owner).unwrap());
    assert!(rooms::owned_and_opped(&mut c, owner).unwrap().is_empty());
    assert_eq!(
        rooms::add_member_within_capacity(&mut c, room.id, owner).unwrap(),
        rooms::Added::Added
    );
    assert_eq!(
        rooms::room_role_of(&mut c, room.id, owner).unwrap(),
        Some(RoomRole::Owner)
    );
    // a deleted room is nobody's
    assert!(rooms::mark_deleted(&mut c, second.id, now()).unwrap());
    assert!(rooms::owned_and_opped(&mut c, op).unwrap().is_empty());
}

/// docs/protocol.md: Moderation (ban with room: until the ban ends)
fn room_ban_expires_by_now(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let owner = user(&mut c, "keeper");
    let target = user(&mut c, "pest");
    let room = rooms::create(&mut c, "garden", 10, owner).unwrap();
    let shed = rooms::create(&mut c, "shed", 10, owner).unwrap();
    let t0 = now();
    let until = t0 + TimeDelta::seconds(60);
    let ban = RoomBanRow {
        account_id: target,
        room_id: room.id,
        until: Some(until),
        reason: Some("trampling".into()),
        actor_id: Some(owner),
        created_at: t0,
    };
    room_bans::put(&mut c, &ban).unwrap();
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, room.id, t0).unwrap(),
        Some(ban.clone())
    );
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, room.id, until - TimeDelta::milliseconds(1))
            .unwrap()
            .map(|b| b.until),
        Some(Some(until))
    );
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, room.id, until).unwrap(),
        None,
        "over at until"
    );
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, shed.id, t0).unwrap(),
        None,
        "one room only"
    );
    assert_eq!(
        room_bans::active(&mut c, t0).unwrap(),
        std::slice::from_ref(&ban)
    );
    assert!(room_bans::active(&mut c, until).unwrap().is_empty());
    // a second ban replaces the first: now without end
    let forever = RoomBanRow {
        until: None,
        reason: None,
        created_at: t0 + TimeDelta::seconds(1),
        ..ban.clone()
    };
    room_bans::put(&mut c, &forever).unwrap();
    let later = t0 + TimeDelta::days(3650);
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, room.id, later).unwrap(),
        Some(forever.clone())
    );
    assert_eq!(room_bans::active(&mut c, later).unwrap(), [forever]);
    assert!(room_bans::delete(&mut c, target, room.id).unwrap());
    assert!(!room_bans::delete(&mut c, target, room.id).unwrap());
    assert_eq!(
        room_bans::room_ban_of(&mut c, target, room.id, t0).unwrap(),
        None
    );
}

/// docs/protocol.md: Storage (read_markers), `mark_read`
fn read_marker_never_backwards(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let reader = user(&mut c, "reader");
    let peer = user(&mut c, "peer");
    let room = rooms::create(&mut c, "library", 10, reader).unwrap();
    let at = now();
    let r = Scope::Room(room.id);
    let p = Scope::Peer(peer);
    assert_eq!(read_markers::get(&mut c, reader, r).unwrap(), None);
    assert!(read_markers::mark(&mut c, reader, r, MessageId(10), at).unwrap());
    assert!(!read_markers::mark(&mut c, reader, r, MessageId(5), at).unwrap());
    assert!(!read_markers::mark(&mut c, reader, r, MessageId(10), at).unwrap());
    assert_eq!(
        read_markers::get(&mut c, reader, r).unwrap(),
        Some(MessageId(10))
    );
    // the conversation with a peer is a marker of its own
    assert_eq!(read_markers::get(&mut c, reader, p).unwrap(), None);
    assert!(read_markers::mark(&mut c, reader, p, MessageId(3), at).unwrap());
    assert!(read_markers::mark(&mut c, reader, r, MessageId(12), at).unwrap());
    assert_eq!(
        read_markers::get(&mut c, reader, p).unwrap(),
        Some(MessageId(3))
    );
    assert_eq!(
        read_markers::get(&mut c, reader, r).unwrap(),
        Some(MessageId(12))
    );
    // the peer's side is the peer's
    assert_eq!(
        read_markers::get(&mut c, peer, Scope::Peer(reader)).unwrap(),
        None
    );
    assert!(read_markers::mark(&mut c, peer, Scope::Peer(reader), MessageId(1), at).unwrap());
    assert_eq!(
        read_markers::get(&mut c, reader, p).unwrap(),
        Some(MessageId(3))
    );
    // one row per (account, room) and per (account, peer)
    use modchat::store::schema::read_markers as rm;
    let rows: i64 = rm::table.count().get_result(&mut *c).unwrap();
    assert_eq!(rows, 3);
    let dup = diesel::insert_into(rm::table)
        .values((
            rm::account_id.eq(reader),
            rm::room_id.eq(Some(room.id)),
            rm::last_read_id.eq(MessageId(99)),
            rm::at.eq(at),
        ))
        .execute(&mut *c);
    assert!(dup.is_err(), "the unique key holds");
}

/// Many first marks of one marker at once: one row, the highest id wins.
fn read_markers_racing_first_marks(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let (reader, room) = {
        let mut c = db.conn().unwrap();
        let reader = user(&mut c, "racer");
        (reader, rooms::create(&mut c, "track", 10, reader).unwrap())
    };
    let threads: Vec<_> = (1..=8)
        .map(|i| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut c = db.conn().unwrap();
                read_markers::mark(&mut c, reader, Scope::Room(room.id), MessageId(i), now())
                    .unwrap()
            })
        })
        .collect();
    let moved = threads
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|m| *m)
        .count();
    assert!(moved >= 1);
    let mut c = db.conn().unwrap();
    assert_eq!(
        read_markers::get(&mut c, reader, Scope::Room(room.id)).unwrap(),
        Some(MessageId(8))
    );
    use modchat::store::schema::read_markers as rm;
    let rows: i64 = rm::table.count().get_result(&mut *c).unwrap();
    assert_eq!(rows, 1);
}

fn say(
    c: &mut DbConn,
    db: &modchat::store::Db,
    room: modchat::model::RoomId,
    from: (AccountId, &str),
    n: usize,
    at: NaiveDateTime,
) -> Vec<MessageId> {
    let rows: Vec<NewChatLog> = (0..n)
        .map(|i| NewChatLog {
            kind: Kind::Message.as_str(),
            room_id: Some(room),
            sender_id: Some(from.0),
            sender_name: from.1.to_owned(),
            recipient_id: None,
            text: format!("line {i}"),
            action: false,
            at,
        })
        .collect();
    chat_log::insert_batch(c, &rows, db.mysql_ids()).unwrap()
}

/// docs/protocol.md: `rooms` (unread: by others, not deleted, after
/// last_read or since joining, capped at 1000; last_read)
fn unread_counts(b: Backend) {
    let t = TestDb::new(b);
    let db = t.open();
    let mut c = db.conn().unwrap();
    let reader = user(&mut c, "reader");
    let talker = user(&mut c, "talker");
    let busy = rooms::create(&mut c, "busy", 10, talker).unwrap();
    let quiet = rooms::create(&mut c, "quiet", 10, talker).unwrap();
    let elsewhere = rooms::create(&mut c, "elsewhere", 10, talker).unwrap();
    let t0 = now();
    // before the reader joins: not unread for a reader who never marked
    say(
        &mut c,
        &db,
        busy.id,
        (talker, "talker"),
        3,
        t0 - TimeDelta::seconds(10),
    );
    assert!(rooms::add_member(&mut c, busy.id, reader).unwrap());
    assert!(rooms::add_member(&mut c, quiet.id, reader).unwrap());
    let joined = now();
    let by_talker = say(&mut c, &db, busy.id, (talker, "talker"), 4, joined);
    let own = say(&mut c, &db, busy.id, (reader, "reader"), 2, joined);
    assert!(chat_log::mark_deleted(&mut c, by_talker[3], talker, joined).unwrap());
    say(&mut c, &db, elsewhere.id, (talker, "talker"), 5, joined);
    let ids = [busy.id, quiet.id, elsewhere.id];
    let s = read_markers::room_summaries(&mut c, reader, &ids).unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(
        s[&busy.id],
        RoomSummary {
            last_read: None,
            unread: 3,
            ..s[&busy.id]
        },
        "since joining, by others, not deleted"
    );
    assert_eq!(s[&quiet.id], RoomSummary::default());
    assert_eq!(
        s[&elsewhere.id],
        RoomSummary::default(),
        "not a member, never read: nothing counts"
    );
    // read up to the second message of the talker
    assert!(read_markers::mark(&mut c, reader, Scope::Room(busy.id), by_talker[1], now()).unwrap());
    let s = read_markers::room_summaries(&mut c, reader, &[busy.id]).unwrap();
    assert_eq!(
        s[&busy.id],
        RoomSummary {
            last_read: Some(by_talker[1]),
            unread: 1,
            ..s[&busy.id]
        }
    );
    // a marker counts from itself, whenever the reader joined
    assert!(read_markers::mark(&mut c, reader, Scope::Room(busy.id), own[1], now()).unwrap());
    let more = say(&mut c, &db, busy.id, (talker, "talker"), 1100, now());
    let s = read_markers::room_summaries(&mut c, reader, &[busy.id, busy.id]).unwrap();
    assert_eq!(
        s[&busy.id],
        RoomSummary {
            last_read: Some(own[1]),
            unread: UNREAD_CAP,
            ..s[&busy.id]
        },
        "capped"
    );
    assert!(
        read_markers::mark(&mut c, reader, Scope::Room(busy.id), more[1099 - 7], now()).unwrap()
    );
    let s = read_markers::room_summaries(&mut c, reader, &[busy.id]).unwrap();
    assert_eq!(s[&busy.id].unread, 7);
    // many rooms at once (more than one statement's worth)
    let mut many = vec![busy.id];
    for i in 0..60 {
        let r = rooms::create(&mut c, &format!("r{i}"), 10, talker).unwrap();
        assert!(rooms::add_member(&mut c, r.id, reader).unwrap());
        if i % 2 == 0 {
            say(&mut c, &db, r.id, (talker, "talker"), i % 5 + 1, now());
        }
        many.push(r.id);
    }
    let s = read_markers::room_summaries(&mut c, reader, &many).unwrap();
    assert_eq!(s.len(), 61);
    assert_eq!(s[&busy.id].unread, 7);
    for (i, r) in many[1..].iter().enumerate() {
        let want = if i % 2 == 0 { (i % 5 + 1) as i64 } else { 0 };
        assert_eq!(s[r].unread, want, "room r{i}");
    }
    assert!(read_markers::room_summaries(&mut c, reader, &[])
        .unwrap()
        .is_empty());
}
