//! `history`: pages of a room's messages or of a whisper conversation, by
//! id (`before`, `after`, `around`) within a time window (`since`, `until`).
//!
//! Every query here is an index range, never a scan of the chat log:
//!
//! - a room's messages: `chat_logs_room_id (room_id, id)`;
//! - a whisper conversation: `chat_logs_conversation (sender_id,
//!   recipient_id, id)`, once per direction, each query limited, merged here;
//! - a time bound is first turned into an id bound by one seek, so that a
//!   window far from the anchor never walks the messages between them: in a
//!   room on `chat_logs_room_at (room_id, at)`, in a conversation on
//!   `chat_logs_at (at)`. The pages then also filter on `at`, so nothing
//!   outside [since, until) is ever returned.
//!
//! What the plans were checked against: 200,000 rows (20 rooms, 100
//! accounts), SQLite 3 without ANALYZE and MariaDB 10.11; each query's comment
//! says what `EXPLAIN QUERY PLAN` (SQLite) and `EXPLAIN` (MariaDB) showed.
//!
//! A time bound becomes an id bound through the first message at or after
//! it in `(at, id)` order. That is exact while `at` does not go down as ids
//! go up, which holds on one server (the chat log writer stamps each batch
//! with the time it writes it, one batch at a time). On a cluster whose
//! nodes' clocks differ by d, a message within d of a bound may be left out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::chat_log::Kind;
use super::schema::chat_logs;
use super::{DbConn, StoreResult};
use crate::model::{AccountId, MessageId, RoomId};

/// Whose messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A room's messages (kind `message`).
    Room(RoomId),
    /// The whispers between `me` and `peer`, both directions.
    Conversation { me: AccountId, peer: AccountId },
}

/// Where the page is, by message id. An id is only a position: it need not
/// be a message of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The newest messages.
    Latest,
    /// The newest messages with a smaller id.
    Before(MessageId),
    /// The oldest messages with a larger id.
    After(MessageId),
    /// `ceil(limit / 2)` messages at or before the id (the message itself,
    /// when it is one of the target's) and `floor(limit / 2)` after it; when
    /// one side has fewer, the other side gives more, up to `limit`.
    Around(MessageId),
}

/// The time window [since, until); either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// One entry of a page.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
#[diesel(table_name = chat_logs)]
pub struct HistoryRow {
    pub id: MessageId,
    pub sender_id: Option<AccountId>,
    pub sender_name: String,
    pub recipient_id: Option<AccountId>,
    pub text: String,
    pub action: bool,
    pub at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// One index range: a room, or one direction of a conversation.
#[derive(Debug, Clone, Copy)]
enum Range {
    Room(RoomId),
    Direction { from: AccountId, to: AccountId },
}

/// The window as id bounds (`lo` inclusive, `hi` exclusive) plus the times
/// themselves, which every page filters on as well.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lo: Option<MessageId>,
    hi: Option<MessageId>,
    window: Window,
}

/// Which side of a position, and how it is ordered.
#[derive(Debug, Clone, Copy)]
enum Side {
    /// Ids below (or, `inclusive`, at most) the position, newest first;
    /// `None`: from the newest.
    Older {
        below: Option<MessageId>,
        inclusive: bool,
    },
    /// Ids above the position, oldest first.
    Newer { above: MessageId },
}

/// A page of `limit` messages of `target`, oldest first.
pub fn page(
    conn: &mut DbConn,
    target: Target,
    anchor: Anchor,
    window: Window,
    limit: i64,
) -> StoreResult<Vec<HistoryRow>> {
    let Some(bounds) = bounds(conn, target, window)? else {
        return Ok(Vec::new());
    };
    let ranges: Vec<Range> = match target {
        Target::Room(r) => vec![Range::Room(r)],
        Target::Conversation { me, peer } if me == peer => {
            vec![Range::Direction { from: me, to: me }]
        }
        Target::Conversation { me, peer } => vec![
            Range::Direction { from: me, to: peer },
            Range::Direction { from: peer, to: me },
        ],
    };
    let n = limit.max(0) as usize;
    let rows = match anchor {
        Anchor::Latest => {
            let older = side(conn, &ranges, &bounds, Side::older(None, false), limit)?;
            oldest_first(older, n)
        }
        Anchor::Before(id) => {
            let older = side(conn, &ranges, &bounds, Side::older(Some(id), false), limit)?;
            oldest_first(older, n)
        }
        Anchor::After(id) => {
            let mut newer = side(conn, &ranges, &bounds, Side::Newer { above: id }, limit)?;
            newer.truncate(n);
            newer
        }
        Anchor::Around(id) => {
            let older = side(conn, &ranges, &bounds, Side::older(Some(id), true), limit)?;
            let newer = side(conn, &ranges, &bounds, Side::Newer { above: id }, limit)?;
            around(older, newer, n)
        }
    };
    Ok(rows)
}

impl Side {
    fn older(below: Option<MessageId>, inclusive: bool) -> Side {
        Side::Older { below, inclusive }
    }
}

/// `older` is newest first; the newest `n` of it, oldest first.
fn oldest_first(mut older: Vec<HistoryRow>, n: usize) -> Vec<HistoryRow> {
    older.truncate(n);
    older.reverse();
    older
}

/// Splits `n` between `older` (newest first, the position itself included)
/// and `newer` (oldest first): `ceil(n/2)` and `floor(n/2)`, and what one
/// side lacks the other gives, as far as it has.
fn around(older: Vec<HistoryRow>, mut newer: Vec<HistoryRow>, n: usize) -> Vec<HistoryRow> {
    let take_newer = newer.len().min((n / 2).max(n.saturating_sub(older.len())));
    let take_older = older.len().min(n - take_newer);
    newer.truncate(take_newer);
    let mut rows = oldest_first(older, take_older);
    rows.append(&mut newer);
    rows
}

/// One side of a position over every range, merged: up to `limit` rows,
/// in the side's order.
fn side(
    conn: &mut DbConn,
    ranges: &[Range],
    bounds: &Bounds,
    side: Side,
    limit: i64,
) -> StoreResult<Vec<HistoryRow>> {
    let mut rows = Vec::new();
    for range in ranges {
        rows.extend(fetch(conn, *range, bounds, side, limit)?);
    }
    match side {
        Side::Older { .. } => rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.id)),
        Side::Newer { .. } => rows.sort_unstable_by_key(|r| r.id),
    }
    rows.truncate(limit.max(0) as usize);
    Ok(rows)
}

/// A query's text up to the index hint's place, and its binds in order.
struct Sql {
    /// The index the query must use (`INDEXED BY` on SQLite, `FORCE INDEX`
    /// on MariaDB): without it MariaDB walks the primary key backwards for
    /// `ORDER BY id DESC LIMIT n`, which for a quiet room is a scan of the
    /// whole chat log.
    index: &'static str,
    select: &'static str,
    filters: Vec<(&'static str, Bind)>,
    order: &'static str,
    limit: i64,
}

#[derive(Debug, Clone)]
enum Bind {
    Id(i64),
    Text(&'static str),
    Time(NaiveDateTime),
}

impl Sql {
    fn text(&self, hint: String) -> String {
        let filters: Vec<&str> = self.filters.iter().map(|(f, _)| *f).collect();
        format!(
            "SELECT {} FROM chat_logs {hint} WHERE {} ORDER BY {} LIMIT {}",
            self.select,
            filters.join(" AND "),
            self.order,
            self.limit.max(0)
        )
    }
}

/// Runs `$sql` on one backend's own connection, loading `$row`s.
macro_rules! load_on {
    ($c:expr, $backend:ty, $sql:expr, $hint:expr, $row:ty) => {{
        use diesel::sql_types::{BigInt, Text, Timestamp};
        let mut q = diesel::sql_query($sql.text($hint)).into_boxed::<$backend>();
        for (_, bind) in &$sql.filters {
            q = match bind.clone() {
                Bind::Id(v) => q.bind::<BigInt, _>(v),
                Bind::Text(v) => q.bind::<Text, _>(v),
                Bind::Time(v) => q.bind::<Timestamp, _>(v),
            };
        }
        q.load::<$row>($c)?
    }};
}

/// Runs `$sql` with its index hint on whichever backend `$conn` is.
macro_rules! load {
    ($conn:expr, $sql:expr, $row:ty) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => load_on!(
                c,
                diesel::sqlite::Sqlite,
                $sql,
                format!("INDEXED BY {}", $sql.index),
                $row
            ),
            #[cfg(feature = "mysql")]
            DbConn::Mysql(c) => load_on!(
                c,
                diesel::mysql::Mysql,
                $sql,
                format!("FORCE INDEX ({})", $sql.index),
                $row
            ),
        }
    };
}

const ROW_COLUMNS: &str = "`id`, `sender_id`, `sender_name`, `recipient_id`, `text`, `action`, \
    `at`, `deleted_at`";

/// One range's rows on one side of a position, up to `limit`.
///
/// A room (`room_id = ? AND kind = 'message'`, id range, `at` filters,
/// `ORDER BY id DESC|ASC LIMIT n`) on `chat_logs_room_id`:
/// - SQLite: `SEARCH chat_logs USING INDEX chat_logs_room_id (room_id=? AND
///   id>? AND id<?)`, no temp b-tree; also what the planner picks unhinted,
///   with or without ANALYZE, while there is an id range (with only `at`
///   ranges and ANALYZE it took `chat_logs_room_at` and a temp b-tree);
/// - MariaDB: `ref` (newest, no id bound) or `range` on `chat_logs_room_id`,
///   `Using where`, no filesort. Unhinted, the newest page was a backwards
///   `index` scan of PRIMARY (775 rows estimated, every row of the chat log
///   for a quiet room), and an `until` page a `range` on PRIMARY (99,671
///   rows): hence the hint.
///
/// A direction of a conversation (`sender_id = ? AND recipient_id = ? AND
/// kind = 'whisper'`, ...) on `chat_logs_conversation`:
/// - SQLite: `SEARCH chat_logs USING INDEX chat_logs_conversation
///   (sender_id=? AND recipient_id=? AND id>? AND id<?)`;
/// - MariaDB: `ref` (key_len 18: sender and recipient) or `range` (key_len
///   26: all three columns) on `chat_logs_conversation`, no filesort.
///   Unhinted, a narrow time window took `chat_logs_recipient_at` with a
///   filesort.
fn fetch(
    conn: &mut DbConn,
    range: Range,
    bounds: &Bounds,
    side: Side,
    limit: i64,
) -> StoreResult<Vec<HistoryRow>> {
    let (index, mut filters) = match range {
        Range::Room(room) => (
            "chat_logs_room_id",
            vec![
                ("room_id = ?", Bind::Id(room.0)),
                ("kind = ?", Bind::Text(Kind::Message.as_str())),
            ],
        ),
        Range::Direction { from, to } => (
            "chat_logs_conversation",
            vec![
                ("sender_id = ?", Bind::Id(from.0)),
                ("recipient_id = ?", Bind::Id(to.0)),
                ("kind = ?", Bind::Text(Kind::Whisper.as_str())),
            ],
        ),
    };
    if let Some(lo) = bounds.lo {
        filters.push(("id >= ?", Bind::Id(lo.0)));
    }
    if let Some(hi) = bounds.hi {
        filters.push(("id < ?", Bind::Id(hi.0)));
    }
    if let Some(since) = bounds.window.since {
        filters.push(("`at` >= ?", Bind::Time(since)));
    }
    if let Some(until) = bounds.window.until {
        filters.push(("`at` < ?", Bind::Time(until)));
    }
    let order = match side {
        Side::Older { below: None, .. } => "id DESC",
        Side::Older {
            below: Some(id),
            inclusive,
        } => {
            filters.push((if inclusive { "id <= ?" } else { "id < ?" }, Bind::Id(id.0)));
            "id DESC"
        }
        Side::Newer { above } => {
            filters.push(("id > ?", Bind::Id(above.0)));
            "id ASC"
        }
    };
    let sql = Sql {
        index,
        select: ROW_COLUMNS,
        filters,
        order,
        limit,
    };
    Ok(load!(conn, &sql, HistoryRow))
}

/// The window as id bounds; `None` when nothing is at or after `since`
/// (the page is empty).
fn bounds(conn: &mut DbConn, target: Target, window: Window) -> StoreResult<Option<Bounds>> {
    let lo = match window.since {
        None => None,
        Some(t) => match first_at_or_after(conn, target, t)? {
            None => return Ok(None),
            Some(id) => Some(id),
        },
    };
    let hi = match window.until {
        None => None,
        Some(t) => first_at_or_after(conn, target, t)?,
    };
    Ok(Some(Bounds { lo, hi, window }))
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: MessageId,
}

/// The id of the first row at or after `t`, in `(at, id)` order: for a
/// room among its rows, for a conversation among all rows (an id is only a
/// position). One index seek, no sort (the index carries the row id, so
/// `ORDER BY at, id` is its order):
/// - room, on `chat_logs_room_at`: SQLite `SEARCH chat_logs USING COVERING
///   INDEX chat_logs_room_at (room_id=? AND at>?)`; MariaDB `range`, `Using
///   where; Using index` (also what both pick unhinted);
/// - conversation, on `chat_logs_at`: SQLite `SEARCH chat_logs USING
///   COVERING INDEX chat_logs_at (at>?)`; MariaDB `range`, `Using where;
///   Using index`.
fn first_at_or_after(
    conn: &mut DbConn,
    target: Target,
    t: NaiveDateTime,
) -> StoreResult<Option<MessageId>> {
    let (index, mut filters) = match target {
        Target::Room(room) => ("chat_logs_room_at", vec![("room_id = ?", Bind::Id(room.0))]),
        Target::Conversation { .. } => ("chat_logs_at", vec![]),
    };
    filters.push(("`at` >= ?", Bind::Time(t)));
    let sql = Sql {
        index,
        select: "id",
        filters,
        order: "`at`, id",
        limit: 1,
    };
    let rows: Vec<IdRow> = load!(conn, &sql, IdRow);
    Ok(rows.first().map(|r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ids: &[i64]) -> Vec<HistoryRow> {
        ids.iter()
            .map(|&id| HistoryRow {
                id: MessageId(id),
                sender_id: None,
                sender_name: String::new(),
                recipient_id: None,
                text: String::new(),
                action: false,
                at: NaiveDateTime::default(),
                deleted_at: None,
            })
            .collect()
    }

    fn ids(r: &[HistoryRow]) -> Vec<i64> {
        r.iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn around_splits_and_fills() {
        // older is newest first (the position first), newer oldest first
        let older = || rows(&[10, 9, 8, 7, 6, 5]);
        let newer = || rows(&[11, 12, 13, 14, 15, 16]);
        assert_eq!(ids(&around(older(), newer(), 5)), [8, 9, 10, 11, 12]);
        assert_eq!(ids(&around(older(), newer(), 4)), [9, 10, 11, 12]);
        assert_eq!(ids(&around(older(), newer(), 1)), [10]);
        // one side short: the other fills
        assert_eq!(ids(&around(rows(&[10]), newer(), 4)), [10, 11, 12, 13]);
        assert_eq!(ids(&around(older(), rows(&[11]), 4)), [8, 9, 10, 11]);
        assert_eq!(ids(&around(rows(&[]), newer(), 3)), [11, 12, 13]);
        assert_eq!(ids(&around(older(), rows(&[]), 3)), [8, 9, 10]);
        assert_eq!(ids(&around(rows(&[10]), rows(&[11]), 9)), [10, 11]);
    }
}
