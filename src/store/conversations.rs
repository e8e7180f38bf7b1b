//! An account's whisper conversations, newest first, with their read
//! state: what a client needs to list direct messages after a reload or on
//! another device (`history with` then reads one back).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::read_markers::UNREAD_CAP;
use super::schema::read_markers;
use super::{DbConn, StoreResult};
use crate::model::{AccountId, MessageId};

/// One conversation as its account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The other account's current name.
    pub with: String,
    /// The newest whisper either way, and when it was sent.
    pub last_id: MessageId,
    pub last_at: NaiveDateTime,
    /// The account's marker; `None`: never marked.
    pub last_read: Option<MessageId>,
    /// Whispers from the other account after `last_read` (never marked:
    /// all of them), deleted ones not counted, at most [`UNREAD_CAP`].
    pub unread: i64,
}

#[derive(QueryableByName)]
struct Latest {
    #[diesel(sql_type = BigInt)]
    peer: i64,
    #[diesel(sql_type = BigInt)]
    last: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    peer: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The `limit` conversations of `account` with the newest whispers. Three
/// index-only groupings and a fixed number of lookups, whatever the number
/// of whispers: sent ones on `chat_logs_conversation` (sender, recipient,
/// id), received ones on `chat_logs_incoming` (recipient, sender, id); each
/// unread count is one range of `chat_logs_conversation` after the marker,
/// cut at [`UNREAD_CAP`]. An account that is gone drops out of the list.
pub fn list(conn: &mut DbConn, account: AccountId, limit: i64) -> StoreResult<Vec<Conversation>> {
    let limit = limit.clamp(1, 500);
    let (sent, received) = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => (
            "INDEXED BY chat_logs_conversation",
            "INDEXED BY chat_logs_incoming",
        ),
        #[cfg(feature = "mysql")]
        DbConn::Mysql(_) => (
            "FORCE INDEX (chat_logs_conversation)",
            "FORCE INDEX (chat_logs_incoming)",
        ),
    };
    // whispers have a recipient and no room; room messages no recipient
    let sql = format!(
        "SELECT peer, MAX(last) AS last FROM (\
         SELECT recipient_id AS peer, MAX(id) AS last FROM chat_logs {sent} \
         WHERE sender_id = ? AND recipient_id IS NOT NULL GROUP BY recipient_id \
         UNION ALL \
         SELECT sender_id AS peer, MAX(id) AS last FROM chat_logs {received} \
         WHERE recipient_id = ? AND sender_id IS NOT NULL GROUP BY sender_id\
         ) AS both_ways GROUP BY peer ORDER BY last DESC LIMIT {limit}"
    );
    let latest: Vec<Latest> = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::sql_query(sql)
            .bind::<BigInt, _>(account.0)
            .bind::<BigInt, _>(account.0)
            .load(c)?,
        #[cfg(feature = "mysql")]
        DbConn::Mysql(c) => diesel::sql_query(sql)
            .bind::<BigInt, _>(account.0)
            .bind::<BigInt, _>(account.0)
            .load(c)?,
    };
    if latest.is_empty() {
        return Ok(Vec::new());
    }
    let peers: Vec<AccountId> = latest.iter().map(|l| AccountId(l.peer)).collect();
    let names = super::accounts::names_of(conn, peers.iter().copied())?;
    let ids: Vec<MessageId> = latest.iter().map(|l| MessageId(l.last)).collect();
    let times = super::chat_log::times_of(conn, &ids)?;
    let markers: HashMap<AccountId, MessageId> = read_markers::table
        .filter(read_markers::account_id.eq(account))
        .filter(read_markers::peer_id.eq_any(&peers))
        .select((read_markers::peer_id, read_markers::last_read_id))
        .load::<(Option<AccountId>, MessageId)>(conn)?
        .into_iter()
        .filter_map(|(p, id)| Some((p?, id)))
        .collect();
    let unread = unread_counts(conn, account, &peers, &markers)?;
    Ok(latest
        .into_iter()
        .filter_map(|l| {
            let peer = AccountId(l.peer);
            let last_id = MessageId(l.last);
            Some(Conversation {
                with: names.get(&peer)?.clone(),
                last_id,
                last_at: *times.get(&last_id)?,
                last_read: markers.get(&peer).copied(),
                unread: unread.get(&peer).copied().unwrap_or(0),
            })
        })
        .collect())
}

/// One statement per 50 peers: a `UNION ALL` branch each, a COUNT over a
/// LIMITed range of the peer's whispers to `account` after its marker.
fn unread_counts(
    conn: &mut DbConn,
    account: AccountId,
    peers: &[AccountId],
    markers: &HashMap<AccountId, MessageId>,
) -> StoreResult<HashMap<AccountId, i64>> {
    let int = match conn {
        #[cfg(feature = "mysql")]
        DbConn::Mysql(_) => "SIGNED",
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => "INTEGER",
    };
    let mut out = HashMap::new();
    for chunk in peers.chunks(50) {
        // ids are integers of ours: written in, not bound
        let sql = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let after = markers.get(p).map_or(0, |m| m.0);
                format!(
                    "SELECT CAST({p} AS {int}) AS peer, CAST(COUNT(*) AS {int}) AS n FROM (\
                     SELECT 1 AS one FROM chat_logs WHERE sender_id = {p} AND recipient_id = {me} \
                     AND id > {after} AND deleted_at IS NULL LIMIT {UNREAD_CAP}) AS unread_{i}",
                    p = p.0,
                    me = account.0,
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows: Vec<Count> = match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::sql_query(sql).load(c)?,
            #[cfg(feature = "mysql")]
            DbConn::Mysql(c) => diesel::sql_query(sql).load(c)?,
        };
        out.extend(rows.into_iter().map(|c| (AccountId(c.peer), c.n)));
    }
    Ok(out)
}
