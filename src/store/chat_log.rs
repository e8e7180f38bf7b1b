//! `chat_logs`: every text, room messages, whispers and announcements. Rows
//! arrive in batches from the group-commit writer; one transaction a batch.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::chat_logs;
use super::{DbConn, StoreResult};
use crate::model::{AccountId, MessageId, RoomId};

/// What a text is; stored as the contract's `kind` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    Whisper,
    Announcement,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Whisper => "whisper",
            Kind::Announcement => "announcement",
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = chat_logs)]
// Without this, diesel turns a SQLite batch into one INSERT per row.
#[diesel(treat_none_as_default_value = false)]
pub struct NewChatLog {
    pub kind: &'static str,
    pub room_id: Option<RoomId>,
    pub sender_id: Option<AccountId>,
    pub sender_name: String,
    pub recipient_id: Option<AccountId>,
    pub text: String,
    /// An emote (`/me waves`).
    pub action: bool,
    pub at: NaiveDateTime,
}

/// How ids of a multi-row insert can be learned on MySQL, which has no
/// RETURNING. Decided once per pool from `innodb_autoinc_lock_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MysqlIds {
    /// Lock mode 0 or 1: one INSERT's ids are consecutive from
    /// `LAST_INSERT_ID()`.
    Consecutive,
    /// Lock mode 2 (interleaved): ids may have gaps from concurrent inserts,
    /// so rows are inserted one by one inside the transaction.
    OneByOne,
}

/// Inserts the rows in one transaction and returns their ids, in order.
pub fn insert_batch(
    conn: &mut DbConn,
    rows: &[NewChatLog],
    mysql_ids: MysqlIds,
) -> StoreResult<Vec<MessageId>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let _ = mysql_ids;
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => Ok(c.transaction(|c| {
            diesel::insert_into(chat_logs::table)
                .values(rows)
                .returning(chat_logs::id)
                .get_results::<MessageId>(c)
        })?),
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => Ok(c.transaction(|c| mysql_insert(c, rows, mysql_ids))?),
    }
}

/// The newest message id of each room of `rooms` that has one, on either
/// backend's own connection.
macro_rules! newest_per_room {
    ($c:expr, $rooms:expr) => {{
        let rows: Vec<(Option<RoomId>, Option<MessageId>)> = if $rooms.is_empty() {
            Vec::new()
        } else {
            chat_logs::table
                .filter(chat_logs::room_id.eq_any($rooms))
                .group_by(chat_logs::room_id)
                .select((chat_logs::room_id, diesel::dsl::max(chat_logs::id)))
                .load($c)?
        };
        rows.into_iter()
            .filter_map(|(r, m)| Some((r?, m?)))
            .collect::<Vec<(RoomId, MessageId)>>()
    }};
}

/// [`insert_batch`] for a cluster, where several nodes' writers commit
/// into the same rooms: the transaction first locks the batch's rooms'
/// rows and reads each room's newest message id ([`lock_rooms_newest`]),
/// then inserts. Within a
/// room, ids are then given in commit order and every committed message's
/// predecessor is committed too; each row comes back with the id of the
/// room message before it (`prev`, 0 for a room's first message and for
/// rows without a room), which lets every node deliver a room in id order.
pub fn insert_batch_sequenced(
    conn: &mut DbConn,
    rows: &[NewChatLog],
    mysql_ids: MysqlIds,
) -> StoreResult<Vec<(MessageId, MessageId)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut rooms: Vec<RoomId> = rows.iter().filter_map(|r| r.room_id).collect();
    rooms.sort_unstable();
    rooms.dedup();
    let _ = mysql_ids;
    let (ids, last) = match conn {
        #[cfg(feature = "sqlite")]
        // one writer per file: a cluster runs on MySQL/MariaDB only
        DbConn::Sqlite(c) => c.transaction(|c| {
            let last = newest_per_room!(c, &rooms);
            let ids = diesel::insert_into(chat_logs::table)
                .values(rows)
                .returning(chat_logs::id)
                .get_results::<MessageId>(c)?;
            Ok::<_, diesel::result::Error>((ids, last))
        })?,
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => c.transaction(|c| {
            let last = lock_rooms_newest(c, &rooms)?;
            let ids = mysql_insert(c, rows, mysql_ids)?;
            Ok::<_, diesel::result::Error>((ids, last))
        })?,
    };
    let mut last: std::collections::HashMap<RoomId, MessageId> = last.into_iter().collect();
    Ok(rows
        .iter()
        .zip(ids)
        .map(|(row, id)| match row.room_id {
            Some(room) => (id, last.insert(room, id).unwrap_or(MessageId(0))),
            None => (id, MessageId(0)),
        })
        .collect())
}

/// A room's messages after `after`, oldest first: what a node missed (a
/// gap in a room's sequence, or a NATS outage).
pub fn room_after(
    conn: &mut DbConn,
    room_id: RoomId,
    after: MessageId,
    limit: i64,
) -> StoreResult<Vec<ChatLogRow>> {
    Ok(chat_logs::table
        .filter(chat_logs::room_id.eq(room_id))
        .filter(chat_logs::kind.eq(Kind::Message.as_str()))
        .filter(chat_logs::id.gt(after))
        .order(chat_logs::id)
        .limit(limit)
        .select(ChatLogRow::as_select())
        .load(conn)?)
}

/// A room's newest message id (0: none).
pub fn room_newest(conn: &mut DbConn, room_id: RoomId) -> StoreResult<MessageId> {
    let m: Option<MessageId> = chat_logs::table
        .filter(chat_logs::room_id.eq(room_id))
        .select(diesel::dsl::max(chat_logs::id))
        .first(conn)?;
    Ok(m.unwrap_or(MessageId(0)))
}

/// Locks the rooms' rows, in id order (so two writers never deadlock),
/// then reads each room's newest message id. Two statements on purpose:
/// under READ COMMITTED each statement reads from its own snapshot, and a
/// statement that waited for a lock may have taken its snapshot before the
/// other writer committed; the second statement starts once every lock is
/// held, so it sees every earlier commit to these rooms.
#[cfg(feature = "mysql")]
fn lock_rooms_newest(
    c: &mut diesel::MysqlConnection,
    rooms: &[RoomId],
) -> QueryResult<Vec<(RoomId, MessageId)>> {
    use super::schema::rooms as r;
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    r::table
        .filter(r::id.eq_any(rooms))
        .order(r::id)
        .select(r::id)
        .for_update()
        .load::<RoomId>(c)?;
    Ok(newest_per_room!(c, rooms))
}

#[cfg(feature = "mysql")]
fn mysql_insert(
    c: &mut diesel::MysqlConnection,
    rows: &[NewChatLog],
    mysql_ids: MysqlIds,
) -> QueryResult<Vec<MessageId>> {
    match mysql_ids {
        MysqlIds::Consecutive => {
            diesel::insert_into(chat_logs::table)
                .values(rows)
                .execute(c)?;
            let MessageId(first) = last_insert_id(c)?;
            Ok((0..rows.len() as i64)
                .map(|i| MessageId(first + i))
                .collect())
        }
        MysqlIds::OneByOne => {
            let mut ids = Vec::with_capacity(rows.len());
            for row in rows {
                diesel::insert_into(chat_logs::table)
                    .values(row)
                    .execute(c)?;
                ids.push(last_insert_id(c)?);
            }
            Ok(ids)
        }
    }
}

#[cfg(feature = "mysql")]
fn last_insert_id(c: &mut diesel::MysqlConnection) -> QueryResult<MessageId> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "CAST(LAST_INSERT_ID() AS SIGNED)",
    ))
    .get_result(c)
}

/// Reads `innodb_autoinc_lock_mode` to choose how batch ids are learned.
#[cfg(feature = "mysql")]
pub fn detect_mysql_ids(c: &mut diesel::MysqlConnection) -> QueryResult<MysqlIds> {
    let mode: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "CAST(@@innodb_autoinc_lock_mode AS SIGNED)",
    ))
    .get_result(c)?;
    Ok(if mode == 2 {
        MysqlIds::OneByOne
    } else {
        MysqlIds::Consecutive
    })
}

/// One stored text, as `history` and the tests read it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = chat_logs)]
pub struct ChatLogRow {
    pub id: MessageId,
    pub kind: String,
    pub room_id: Option<RoomId>,
    pub sender_id: Option<AccountId>,
    pub sender_name: String,
    pub recipient_id: Option<AccountId>,
    pub text: String,
    pub at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub deleted_by: Option<AccountId>,
    pub action: bool,
}

/// The newest `limit` messages of a room older than `before` (or the newest
/// overall), oldest first.
pub fn history(
    conn: &mut DbConn,
    room_id: RoomId,
    before: Option<MessageId>,
    limit: i64,
) -> StoreResult<Vec<ChatLogRow>> {
    let mut q = chat_logs::table
        .filter(chat_logs::room_id.eq(room_id))
        .filter(chat_logs::kind.eq(Kind::Message.as_str()))
        .select(ChatLogRow::as_select())
        .order(chat_logs::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(chat_logs::id.lt(b));
    }
    let mut rows: Vec<ChatLogRow> = q.load(conn)?;
    rows.reverse();
    Ok(rows)
}

pub fn find(conn: &mut DbConn, id: MessageId) -> StoreResult<Option<ChatLogRow>> {
    Ok(chat_logs::table
        .find(id)
        .select(ChatLogRow::as_select())
        .first(conn)
        .optional()?)
}

/// Rows by id range, for audits and tests.
pub fn range(conn: &mut DbConn, from: MessageId, to: MessageId) -> StoreResult<Vec<ChatLogRow>> {
    Ok(chat_logs::table
        .filter(chat_logs::id.ge(from))
        .filter(chat_logs::id.le(to))
        .order(chat_logs::id)
        .select(ChatLogRow::as_select())
        .load(conn)?)
}

/// Marks a message deleted; the text stays for the audit trail.
pub fn mark_deleted(
    conn: &mut DbConn,
    id: MessageId,
    by: AccountId,
    at: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        chat_logs::table
            .find(id)
            .filter(chat_logs::deleted_at.is_null()),
    )
    .set((
        chat_logs::deleted_at.eq(Some(at)),
        chat_logs::deleted_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// When each of `ids` was sent (ids not in the log are left out): one
/// primary-key lookup for them all.
pub fn times_of(
    conn: &mut DbConn,
    ids: &[MessageId],
) -> StoreResult<std::collections::HashMap<MessageId, NaiveDateTime>> {
    Ok(chat_logs::table
        .filter(chat_logs::id.eq_any(ids))
        .select((chat_logs::id, chat_logs::at))
        .load::<(MessageId, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}
