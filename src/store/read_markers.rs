//! `read_markers`: how far an account has read each room and each whisper
//! conversation, so unread counts survive a reload. One row per
//! (account, room) and per (account, peer), kept by the database's unique
//! keys; a marker never moves backwards.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::schema::{read_markers, room_members, rooms};
use super::{DbConn, StoreError, StoreResult};
use crate::model::{AccountId, MessageId, RoomId};

/// What a marker is about: a room, or the whisper conversation with a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Room(RoomId),
    Peer(AccountId),
}

/// The most `unread` counts: 1000 means "1000 or more".
pub const UNREAD_CAP: i64 = 1000;

/// Moves the account's marker of `scope` forward to `message` (read at
/// `at`). `false` when the marker already stood at `message` or later: a
/// marker never moves backwards. Two racing first marks are settled by
/// the unique key: the loser updates (or finds it stands further already).
pub fn mark(
    conn: &mut DbConn,
    account: AccountId,
    scope: Scope,
    message: MessageId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    if forward(conn, account, scope, message, at)? {
        return Ok(true);
    }
    let (room, peer) = match scope {
        Scope::Room(r) => (Some(r), None),
        Scope::Peer(p) => (None, Some(p)),
    };
    let inserted = diesel::insert_into(read_markers::table)
        .values((
            read_markers::account_id.eq(account),
            read_markers::room_id.eq(room),
            read_markers::peer_id.eq(peer),
            read_markers::last_read_id.eq(message),
            read_markers::at.eq(at),
        ))
        .execute(conn);
    match inserted.map_err(StoreError::from) {
        Ok(_) => Ok(true),
        // a marker exists: it stands at `message` or later, or a racing
        // first mark just put it below
        Err(StoreError::Conflict) => forward(conn, account, scope, message, at),
        Err(e) => Err(e),
    }
}

/// The update half of [`mark`]: `true` when an existing marker below
/// `message` moved up to it.
fn forward(
    conn: &mut DbConn,
    account: AccountId,
    scope: Scope,
    message: MessageId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let mine = read_markers::table
        .filter(read_markers::account_id.eq(account))
        .filter(read_markers::last_read_id.lt(message));
    let n = match scope {
        Scope::Room(r) => diesel::update(mine.filter(read_markers::room_id.eq(r)))
            .set((
                read_markers::last_read_id.eq(message),
                read_markers::at.eq(at),
            ))
            .execute(conn)?,
        Scope::Peer(p) => diesel::update(mine.filter(read_markers::peer_id.eq(p)))
            .set((
                read_markers::last_read_id.eq(message),
                read_markers::at.eq(at),
            ))
            .execute(conn)?,
    };
    Ok(n > 0)
}

/// The last message the account has read in `scope`; `None`: never marked.
pub fn get(conn: &mut DbConn, account: AccountId, scope: Scope) -> StoreResult<Option<MessageId>> {
    let mine = read_markers::table.filter(read_markers::account_id.eq(account));
    Ok(match scope {
        Scope::Room(r) => mine
            .filter(read_markers::room_id.eq(r))
            .select(read_markers::last_read_id)
            .first(conn)
            .optional()?,
        Scope::Peer(p) => mine
            .filter(read_markers::peer_id.eq(p))
            .select(read_markers::last_read_id)
            .first(conn)
            .optional()?,
    })
}

/// A room as `rooms` shows it to one of its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomSummary {
    /// The account's marker; `None`: never marked.
    pub last_read: Option<MessageId>,
    /// When that message was sent (IRC's MARKREAD gives a time, not an
    /// id); `None` also when the message is gone.
    pub last_read_at: Option<NaiveDateTime>,
    /// Messages by others, not deleted, after `last_read` (never marked:
    /// sent since the account joined), at most [`UNREAD_CAP`].
    pub unread: i64,
}

/// Where counting starts in one room.
#[derive(Debug, Clone, Copy)]
enum Start {
    /// after this message (the marker)
    After(MessageId),
    /// at or after the time the account joined (no marker)
    Since(NaiveDateTime),
}

/// Rooms per statement in [`room_summaries`]: each is one branch of a
/// `UNION ALL`.
const ROOMS_PER_QUERY: usize = 50;

/// For each of `rooms`, the account's marker and its unread count. A room
/// the account has neither a marker in nor a membership of counts 0. Every
/// count is one index range (chat_logs (room_id, id) after the marker,
/// (room_id, at) since joining) cut at [`UNREAD_CAP`] rows, so a room with
/// a million unread messages costs what one with a thousand does.
pub fn room_summaries(
    conn: &mut DbConn,
    account: AccountId,
    rooms: &[RoomId],
) -> StoreResult<HashMap<RoomId, RoomSummary>> {
    let mut ids = rooms.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<RoomId, RoomSummary> =
        ids.iter().map(|&r| (r, RoomSummary::default())).collect();
    let mut from: Vec<(RoomId, Start)> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let markers: Vec<(Option<RoomId>, MessageId)> = read_markers::table
            .filter(read_markers::account_id.eq(account))
            .filter(read_markers::room_id.eq_any(chunk))
            .select((read_markers::room_id, read_markers::last_read_id))
            .load(conn)?;
        let joined: Vec<(RoomId, NaiveDateTime)> = room_members::table
            .filter(room_members::account_id.eq(account))
            .filter(room_members::room_id.eq_any(chunk))
            .select((room_members::room_id, room_members::joined_at))
            .load(conn)?;
        let joined: HashMap<RoomId, NaiveDateTime> = joined.into_iter().collect();
        let markers: HashMap<RoomId, MessageId> = markers
            .into_iter()
            .filter_map(|(r, id)| Some((r?, id)))
            .collect();
        for &r in chunk {
            if let Some(&id) = markers.get(&r) {
                if let Some(s) = out.get_mut(&r) {
                    s.last_read = Some(id);
                }
                from.push((r, Start::After(id)));
            } else if let Some(&t) = joined.get(&r) {
                from.push((r, Start::Since(t)));
            }
        }
    }
    for chunk in from.chunks(ROOMS_PER_QUERY) {
        for (room, n) in unread_counts(conn, account, chunk)? {
            if let Some(s) = out.get_mut(&room) {
                s.unread = n;
            }
        }
    }
    // the markers' messages' times: one primary-key lookup per 500
    let marked: Vec<(MessageId, RoomId)> = out
        .iter()
        .filter_map(|(r, s)| Some((s.last_read?, *r)))
        .collect();
    for chunk in marked.chunks(500) {
        let ids: Vec<MessageId> = chunk.iter().map(|(id, _)| *id).collect();
        let times = super::chat_log::times_of(conn, &ids)?;
        for (id, room) in chunk {
            if let Some(s) = out.get_mut(room) {
                s.last_read_at = times.get(id).copied();
            }
        }
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    room_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One statement: a `UNION ALL` branch per room, each a COUNT over a
/// LIMITed index range.
fn unread_counts(
    conn: &mut DbConn,
    account: AccountId,
    rooms: &[(RoomId, Start)],
) -> StoreResult<Vec<(RoomId, i64)>> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::new();
    for (i, (room, from)) in rooms.iter().enumerate() {
        if i > 0 {
            sql.push_str(" UNION ALL ");
        }
        let start = match from {
            Start::After(_) => "id > ?",
            Start::Since(_) => "at >= ?",
        };
        // the room id is an integer of ours: written in, not bound, so the
        // branch's room_id column has the type of an integer literal
        let room = room.0;
        sql.push_str(&format!(
            "SELECT CAST({room} AS {int}) AS room_id, CAST(COUNT(*) AS {int}) AS n FROM (\
             SELECT 1 AS one FROM chat_logs WHERE room_id = {room} AND {start} \
             AND deleted_at IS NULL AND (sender_id IS NULL OR sender_id <> ?) \
             LIMIT {UNREAD_CAP}) AS unread_{i}",
            int = match conn {
                #[cfg(feature = "mysql")]
                DbConn::Mysql(_) => "SIGNED",
                #[cfg(feature = "sqlite")]
                DbConn::Sqlite(_) => "INTEGER",
            },
        ));
    }
    macro_rules! load {
        ($c:expr, $backend:ty) => {{
            let mut q = diesel::sql_query(sql).into_boxed::<$backend>();
            for (_, from) in rooms {
                q = match *from {
                    Start::After(id) => q.bind::<BigInt, _>(id.0),
                    Start::Since(t) => q.bind::<Timestamp, _>(t),
                };
                q = q.bind::<BigInt, _>(account.0);
            }
            q.load::<Count>($c)?
        }};
    }
    let rows: Vec<Count> = match conn {
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => load!(c, diesel::mysql::Mysql),
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => load!(c, diesel::sqlite::Sqlite),
    };
    Ok(rows.into_iter().map(|c| (RoomId(c.room_id), c.n)).collect())
}

/// A room of a `rooms` page, as one account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRoom {
    /// "" when the room has none.
    pub topic: String,
    /// Who set the topic (its current name; None when unknown, or the
    /// account is gone) and when (IRC's 333).
    pub topic_by: Option<String>,
    pub topic_at: Option<NaiveDateTime>,
    /// IRC's 329.
    pub created_at: NaiveDateTime,
    /// For a room the account is in: its marker and unread count.
    pub summary: Option<RoomSummary>,
}

/// What a page of `rooms` (at most 500 names) shows beyond the registry's
/// counts, for `account`: each live room's topic, and [`room_summaries`]
/// for the rooms it is a member of. A fixed number of statements per page
/// (the rooms with the account's membership in one, then the summaries),
/// never one per room. Names that are not live rooms are left out.
pub fn room_page(
    conn: &mut DbConn,
    account: AccountId,
    names: &[String],
) -> StoreResult<HashMap<String, ListedRoom>> {
    type PageRow = (
        RoomId,
        String,
        String,
        Option<NaiveDateTime>,
        Option<AccountId>,
        Option<NaiveDateTime>,
        NaiveDateTime,
    );
    let mut rows: Vec<PageRow> = Vec::new();
    for chunk in names.chunks(500) {
        rows.extend(
            rooms::table
                .left_join(
                    room_members::table.on(room_members::room_id
                        .eq(rooms::id)
                        .and(room_members::account_id.eq(account))),
                )
                .filter(rooms::name.eq_any(chunk))
                .filter(rooms::deleted_at.is_null())
                .select((
                    rooms::id,
                    rooms::name,
                    rooms::topic,
                    room_members::joined_at.nullable(),
                    rooms::topic_by,
                    rooms::topic_at,
                    rooms::created_at,
                ))
                .load::<PageRow>(conn)?,
        );
    }
    let mine: Vec<RoomId> = rows.iter().filter(|r| r.3.is_some()).map(|r| r.0).collect();
    let summaries = room_summaries(conn, account, &mine)?;
    let setters = super::accounts::names_of(conn, rows.iter().filter_map(|r| r.4))?;
    Ok(rows
        .into_iter()
        .map(|(id, name, topic, joined, by, topic_at, created_at)| {
            let summary = joined.and_then(|_| summaries.get(&id).copied());
            let topic_by = by.and_then(|b| setters.get(&b).cloned());
            let listed = ListedRoom {
                topic,
                topic_by,
                topic_at,
                created_at,
                summary,
            };
            (name, listed)
        })
        .collect())
}
