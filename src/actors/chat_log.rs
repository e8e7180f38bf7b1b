//! The chat-log writer: group commit for every text of the server.
//!
//! Rooms and the registry send [`Append`]; the writer inserts everything
//! pending in one transaction (up to `chat_log_batch_rows`), and only after
//! the commit calls each append's completion, in id order. The next batch
//! starts as soon as the last one commits, so a quiet server writes each
//! message at once and a busy one batches by itself.

use std::sync::Arc;

use actix::prelude::*;
use chrono::NaiveDateTime;

use crate::error::Failure;
use crate::metrics::Metrics;
use crate::model::MessageId;
use crate::store::chat_log::{insert_batch, insert_batch_sequenced, NewChatLog};
use crate::store::Db;

/// A committed text: its id and the time stamped on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub id: MessageId,
    pub at: NaiveDateTime,
    /// In a cluster: the id of the same room's message before this one (0:
    /// none, or not a room message). Always 0 on a single server, whose
    /// writer alone gives a room's ids.
    pub prev: MessageId,
}

pub type Completion = Box<dyn FnOnce(Result<Committed, Failure>) + Send>;

/// Log this row; call `done` after the commit (or with the failure). The
/// row's `at` is replaced by the batch's commit time.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Append {
    pub row: NewChatLog,
    pub done: Completion,
}

/// The answer to a logged text's request, sent by the actor that fans the
/// text out once it has done so.
pub type Ack = tokio::sync::oneshot::Sender<Result<Committed, Failure>>;

/// Logs `row`. After the commit, `then(result, ack)` becomes a message to
/// `to`, the actor that fans the text out (in commit order, so in id
/// order); it answers `ack` when done. Resolves with that answer.
pub fn log_then<M>(
    writer: &Addr<ChatLogWriter>,
    row: NewChatLog,
    to: Recipient<M>,
    then: impl FnOnce(Result<Committed, Failure>, Ack) -> M + Send + 'static,
) -> impl std::future::Future<Output = Result<Committed, Failure>> + 'static
where
    M: Message<Result = ()> + Send + 'static,
{
    let (ack, rx) = tokio::sync::oneshot::channel();
    writer.do_send(Append {
        row,
        done: Box::new(move |result| to.do_send(then(result, ack))),
    });
    async move {
        rx.await
            .unwrap_or_else(|_| Err(Failure::new(crate::error::ErrorCode::Internal)))
    }
}

/// Resolves when everything appended so far is committed (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

pub struct ChatLogWriter {
    db: Db,
    metrics: Arc<Metrics>,
    max_batch: usize,
    pending: Vec<Append>,
    in_flight: bool,
    flushed: Vec<tokio::sync::oneshot::Sender<()>>,
    /// In a cluster, batches lock their rooms and learn each message's
    /// predecessor (`insert_batch_sequenced`).
    sequenced: bool,
}

impl ChatLogWriter {
    pub fn new(db: Db, max_batch: usize, metrics: Arc<Metrics>, sequenced: bool) -> Self {
        ChatLogWriter {
            sequenced,
            db,
            metrics,
            max_batch: max_batch.max(1),
            pending: Vec::new(),
            in_flight: false,
            flushed: Vec::new(),
        }
    }

    fn write_next(&mut self, ctx: &mut Context<Self>) {
        if self.in_flight {
            return;
        }
        if self.pending.is_empty() {
            for w in self.flushed.drain(..) {
                let _ = w.send(());
            }
            return;
        }
        let n = self.pending.len().min(self.max_batch);
        let at = crate::store::now();
        let (rows, dones): (Vec<NewChatLog>, Vec<Completion>) = self
            .pending
            .drain(..n)
            .map(|a| (NewChatLog { at, ..a.row }, a.done))
            .unzip();
        self.in_flight = true;
        let ids_mode = self.db.mysql_ids();
        let kinds: [u64; 3] = rows.iter().fold([0; 3], |mut k, r| {
            k[match r.kind {
                "message" => 0,
                "whisper" => 1,
                _ => 2,
            }] += 1;
            k
        });
        let started = std::time::Instant::now();
        let sequenced = self.sequenced;
        let write = self.db.run(move |c| {
            if sequenced {
                insert_batch_sequenced(c, &rows, ids_mode)
            } else {
                insert_batch(c, &rows, ids_mode)
                    .map(|ids| ids.into_iter().map(|id| (id, MessageId(0))).collect())
            }
        });
        ctx.spawn(write.into_actor(self).map(move |result, act, ctx| {
            match result {
                Ok(ids) if ids.len() == dones.len() => {
                    let m = &act.metrics;
                    m.commit_seconds.observe(started.elapsed().as_secs_f64());
                    m.batch_rows.observe(ids.len() as f64);
                    m.messages.inc_by(kinds[0]);
                    m.whispers.inc_by(kinds[1]);
                    m.announcements.inc_by(kinds[2]);
                    for (done, (id, prev)) in dones.into_iter().zip(ids) {
                        done(Ok(Committed { id, at, prev }));
                    }
                }
                Ok(ids) => {
                    tracing::error!(
                        rows = dones.len(),
                        ids = ids.len(),
                        "chat log batch returned the wrong number of ids"
                    );
                    for done in dones {
                        done(Err(Failure::new(crate::error::ErrorCode::Internal)));
                    }
                }
                Err(e) => {
                    let f = Failure::from(e);
                    for done in dones {
                        done(Err(f.clone()));
                    }
                }
            }
            act.in_flight = false;
            act.write_next(ctx);
        }));
    }
}

impl Actor for ChatLogWriter {
    type Context = Context<Self>;
}

impl Handler<Append> for ChatLogWriter {
    type Result = ();
    fn handle(&mut self, msg: Append, ctx: &mut Context<Self>) {
        self.pending.push(msg);
        self.write_next(ctx);
    }
}

impl Handler<Flush> for ChatLogWriter {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: Flush, _ctx: &mut Context<Self>) -> Self::Result {
        if !self.in_flight && self.pending.is_empty() {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.flushed.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
