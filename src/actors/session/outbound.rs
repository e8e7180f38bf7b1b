//! A connection's outbound queue: what rooms, the registry and the session
//! push for one client, in order. It has a byte cap: a client that does not
//! read is cut off when the cap is passed, and no sender ever waits for it.
//!
//! A plain vector under a lock rather than a channel: the writer takes
//! everything queued in one swap and writes it with one call, and an idle
//! connection's queue holds no allocation (a channel keeps a block of slots
//! for each).

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use bytes::Bytes;
use tokio::sync::Notify;

struct State {
    frames: Vec<Bytes>,
    /// Bytes queued and not yet written (each frame counts one more for its
    /// line end).
    queued: usize,
    closed: bool,
    overflowed: bool,
    /// The writer, parked on an empty queue.
    waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    cap: usize,
    kill: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic while holding it cannot leave the state half-changed
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending side; cheap to clone (rooms keep one per member session).
#[derive(Clone)]
pub struct Outbound {
    shared: Arc<Shared>,
}

/// The writer's side, owned by the transport's writer task.
pub struct OutboundRx {
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
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            frames: Vec::new(),
            queued: 0,
            closed: false,
            overflowed: false,
            waker: None,
        }),
        cap,
        kill: Notify::new(),
    });
    (
        Outbound {
            shared: shared.clone(),
        },
        OutboundRx { shared },
    )
}

impl Outbound {
    /// Queues one frame. Past the cap the connection is marked overflowed,
    /// the writer is told to drop it, and this and later frames are dropped.
    pub fn push(&self, frame: Bytes) -> bool {
        let n = frame.len() + 1;
        let mut s = self.shared.lock();
        if s.closed || s.overflowed {
            return false;
        }
        if s.queued + n > self.shared.cap {
            s.overflowed = true;
            drop(s);
            self.shared.kill.notify_one();
            return false;
        }
        s.queued += n;
        s.frames.push(frame);
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// No more frames: the writer sends what is queued, then ends.
    pub fn close(&self) {
        let mut s = self.shared.lock();
        if s.closed {
            return;
        }
        s.closed = true;
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub fn is_overflowed(&self) -> bool {
        self.shared.lock().overflowed
    }

    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().queued
    }
}

impl OutboundRx {
    /// Waits for frames, then takes all that are queued, so the transport
    /// writes them in one call.
    pub async fn next(&mut self) -> Next {
        std::future::poll_fn(|cx| {
            let mut s = self.shared.lock();
            if !s.frames.is_empty() {
                return Poll::Ready(Next::Frames(std::mem::take(&mut s.frames)));
            }
            if s.closed {
                return Poll::Ready(Next::Close);
            }
            match &s.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// The frames were written: they no longer count against the cap.
    pub fn written(&self, frames: &[Bytes]) {
        let n: usize = frames.iter().map(|f| f.len() + 1).sum();
        let mut s = self.shared.lock();
        s.queued = s.queued.saturating_sub(n);
    }

    /// A handle that resolves when the cap is passed: the writer must then
    /// drop the client.
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(self.shared.clone())
    }
}

impl Drop for OutboundRx {
    /// The writer is gone (the connection failed or ended): later pushes are
    /// refused at once instead of piling up to the cap.
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.closed = true;
        s.frames = Vec::new();
    }
}

pub struct OverflowSignal(Arc<Shared>);

impl OverflowSignal {
    pub async fn wait(&self) {
        self.0.kill.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn batches_in_order_then_closes() {
        let (tx, mut rx) = channel(1024);
        assert!(tx.push(Bytes::from_static(b"a")));
        assert!(tx.push(Bytes::from_static(b"bb")));
        tx.close();
        assert!(!tx.push(Bytes::from_static(b"late")), "closed");
        match rx.next().await {
            Next::Frames(f) => {
                assert_eq!(f, vec![Bytes::from_static(b"a"), Bytes::from_static(b"bb")]);
                rx.written(&f);
            }
            Next::Close => panic!("frames first"),
        }
        assert_eq!(tx.queued_bytes(), 0);
        assert!(matches!(rx.next().await, Next::Close));
    }

    #[actix_rt::test]
    async fn over_the_cap_is_overflowed_and_signalled() {
        let (tx, rx) = channel(10);
        let signal = rx.overflow_signal();
        assert!(tx.push(Bytes::from_static(b"12345678")));
        assert!(!tx.push(Bytes::from_static(b"xx")), "9 + 3 > 10");
        assert!(tx.is_overflowed());
        signal.wait().await; // notify_one stored a permit
    }

    #[actix_rt::test]
    async fn a_push_wakes_the_writer() {
        let (tx, mut rx) = channel(1024);
        let pusher = tx.clone();
        actix_rt::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            pusher.push(Bytes::from_static(b"late"));
        });
        assert!(matches!(rx.next().await, Next::Frames(f) if f.len() == 1));
    }
}
