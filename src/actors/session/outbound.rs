//! A connection's outbound queue: what rooms, the registry and the session
//! push for one client, in order. It has a byte cap: a client that does not
//! read is cut off when the cap is passed, and no sender ever waits for it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};

struct Shared {
    queued: AtomicUsize,
    cap: usize,
    closed: AtomicBool,
    overflowed: AtomicBool,
    kill: Notify,
}

/// The sending side; cheap to clone (rooms keep one per member session).
#[derive(Clone)]
pub struct Outbound {
    tx: mpsc::UnboundedSender<Bytes>,
    shared: Arc<Shared>,
}

/// The writer's side, owned by the transport's writer task.
pub struct OutboundRx {
    rx: mpsc::UnboundedReceiver<Bytes>,
    shared: Arc<Shared>,
}

/// What the writer should do next.
pub enum Next {
    /// Write these frames (each one JSON object; the transport frames them).
    Frames(Vec<Bytes>),
    /// Everything queued before `close` was handed out: finish the stream.
    Close,
}

pub fn channel(cap: usize) -> (Outbound, OutboundRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queued: AtomicUsize::new(0),
        cap,
        closed: AtomicBool::new(false),
        overflowed: AtomicBool::new(false),
        kill: Notify::new(),
    });
    (
        Outbound {
            tx,
            shared: shared.clone(),
        },
        OutboundRx { rx, shared },
    )
}

impl Outbound {
    /// Queues one frame. Past the cap the connection is marked overflowed,
    /// the writer is told to drop it, and this and later frames are dropped.
    pub fn push(&self, frame: Bytes) -> bool {
        let s = &self.shared;
        if s.closed.load(Ordering::Relaxed) || s.overflowed.load(Ordering::Relaxed) {
            return false;
        }
        let n = frame.len() + 1;
        let before = s.queued.fetch_add(n, Ordering::Relaxed);
        if before + n > s.cap {
            if !s.overflowed.swap(true, Ordering::Relaxed) {
                s.kill.notify_one();
            }
            return false;
        }
        self.tx.send(frame).is_ok()
    }

    /// No more frames: the writer sends what is queued, then ends.
    pub fn close(&self) {
        if !self.shared.closed.swap(true, Ordering::Relaxed) {
            let _ = self.tx.send(Bytes::new());
        }
    }

    pub fn is_overflowed(&self) -> bool {
        self.shared.overflowed.load(Ordering::Relaxed)
    }

    pub fn queued_bytes(&self) -> usize {
        self.shared.queued.load(Ordering::Relaxed)
    }
}

impl OutboundRx {
    /// Waits for frames, then takes all that are ready (up to ~64 KiB) so
    /// the transport writes them in one call.
    pub async fn next(&mut self) -> Next {
        let Some(first) = self.rx.recv().await else {
            return Next::Close;
        };
        if first.is_empty() {
            return Next::Close;
        }
        let mut size = first.len();
        let mut frames = vec![first];
        while size < 64 * 1024 {
            match self.rx.try_recv() {
                Ok(f) if f.is_empty() => {
                    // keep the close marker for the next call
                    self.shared.closed.store(true, Ordering::Relaxed);
                    self.rx.close();
                    break;
                }
                Ok(f) => {
                    size += f.len();
                    frames.push(f);
                }
                Err(_) => break,
            }
        }
        Next::Frames(frames)
    }

    /// The frames were written: they no longer count against the cap.
    pub fn written(&self, frames: &[Bytes]) {
        let n: usize = frames.iter().map(|f| f.len() + 1).sum();
        self.shared.queued.fetch_sub(n, Ordering::Relaxed);
    }

    /// A handle that resolves when the cap is passed: the writer must then
    /// drop the client.
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(self.shared.clone())
    }
}

pub struct OverflowSignal(Arc<Shared>);

impl OverflowSignal {
    pub async fn wait(&self) {
        self.0.kill.notified().await
    }
}
