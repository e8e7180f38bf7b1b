//! A connection's outbound queue: what rooms, the registry and the session
//! push for one client, in order. It has a byte cap: a client that does not
//! read is cut off when the cap is passed, and no sender ever waits for it.
//!
//! A plain vector under a lock rather than a channel: the writer takes
//! everything queued in one swap and writes it with one call, and an idle
//! connection's queue holds no allocation (a channel keeps a block of slots
//! for each).

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Poll, Waker};

use crate::protocol::Outgoing;

struct State {
    frames: Vec<Outgoing>,
    /// Bytes queued and not yet written (each frame counts one more for its
    /// line end).
    queued: usize,
    closed: bool,
    overflowed: bool,
    /// The writer, parked on an empty queue.
    waker: Option<Waker>,
    /// The writer, waiting for a write while watching for overflow or
    /// the end of the session.
    kill_waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    cap: usize,
    /// The writer's thread, to wake it from others in batches; learnt on
    /// the writer's first wait (it may run on another thread than the one
    /// that made the queue).
    home: OnceLock<Option<Arc<Flusher>>>,
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
    /// The last batch's vector, emptied, for the next swap (no allocation
    /// per batch while batches follow each other; dropped when the writer
    /// parks).
    spare: Vec<Outgoing>,
}

/// What the writer should do next.
pub enum Next {
    /// Write these frames (each one JSON object; the transport frames them).
    Frames(Vec<Outgoing>),
    /// Everything queued before `close` was handed out: finish the stream.
    Close,
    /// The client stopped reading and the queue passed its cap: drop it.
    Overflow,
}

/// Why a write in progress was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// The queue passed its cap: drop the client now.
    Overflow,
    /// The session ended: finish what is queued within a bounded time.
    Closed,
}

/// How long a closing connection's writer may take to hand its last
/// frames (a `kicked` or `banned` event, `shutdown`) to a client, and
/// to close the stream, before the socket is dropped anyway.
pub const LINGER: std::time::Duration = std::time::Duration::from_secs(5);

pub fn channel(cap: usize) -> (Outbound, OutboundRx) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            frames: Vec::new(),
            queued: 0,
            closed: false,
            overflowed: false,
            waker: None,
            kill_waker: None,
        }),
        cap,
        home: OnceLock::new(),
    });
    (
        Outbound {
            shared: shared.clone(),
        },
        OutboundRx {
            shared,
            spare: Vec::new(),
        },
    )
}

impl Outbound {
    /// Queues one frame. Past the cap the connection is marked overflowed,
    /// the writer is told to drop it, and this and later frames are dropped.
    pub fn push(&self, frame: impl Into<Outgoing>) -> bool {
        let frame = frame.into();
        let n = frame.len() + 1;
        let mut s = self.shared.lock();
        if s.closed || s.overflowed {
            return false;
        }
        if s.queued + n > self.shared.cap {
            s.overflowed = true;
            let wakers = [s.waker.take(), s.kill_waker.take()];
            drop(s);
            wakers.into_iter().flatten().for_each(Waker::wake);
            return false;
        }
        s.queued += n;
        s.frames.push(frame);
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            match self.shared.home.get() {
                Some(Some(home)) if !home.is_current() => home.defer(w),
                _ => w.wake(),
            }
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
        let wakers = [s.waker.take(), s.kill_waker.take()];
        drop(s);
        wakers.into_iter().flatten().for_each(Waker::wake);
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
        self.shared.home.get_or_init(Flusher::current);
        let spare = &mut self.spare;
        std::future::poll_fn(|cx| {
            let mut s = self.shared.lock();
            if s.overflowed {
                return Poll::Ready(Next::Overflow);
            }
            if !s.frames.is_empty() {
                let mut batch = std::mem::take(spare);
                std::mem::swap(&mut s.frames, &mut batch);
                return Poll::Ready(Next::Frames(batch));
            }
            if s.closed {
                return Poll::Ready(Next::Close);
            }
            // parked: an idle connection keeps no vector (two of them,
            // with room for 4 frames each, were 320 bytes of every idle
            // connection); a busy one takes batches without parking and
            // keeps reusing them
            if s.frames.capacity() > 0 {
                s.frames = Vec::new();
            }
            *spare = Vec::new();
            match &s.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// Resolves when the queue passes its cap: the writer, blocked on a
    /// client that does not read, must then drop it.
    pub async fn overflowed(&self) {
        std::future::poll_fn(|cx| {
            let mut s = self.shared.lock();
            if s.overflowed {
                return Poll::Ready(());
            }
            match &s.kill_waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.kill_waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// Resolves when the queue passes its cap or the session ends, whichever
    /// comes first: a writer blocked on a client that does not read must
    /// then drop it at once, or give its last frames a bounded time (the
    /// session's end must not keep the socket open for ever).
    pub async fn interrupted(&self) -> Interrupt {
        std::future::poll_fn(|cx| self.poll_interrupted(cx)).await
    }

    /// [`Self::interrupted`] as a poll, for a writer that waits on its
    /// write and this in one hand-written future.
    pub fn poll_interrupted(&self, cx: &mut std::task::Context<'_>) -> Poll<Interrupt> {
        let mut s = self.shared.lock();
        if s.overflowed {
            return Poll::Ready(Interrupt::Overflow);
        }
        if s.closed {
            return Poll::Ready(Interrupt::Closed);
        }
        match &s.kill_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => s.kill_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The frames were written: they no longer count against the cap, and
    /// their vector serves the next batch (unless a burst made it large).
    pub fn written(&mut self, mut frames: Vec<Outgoing>) {
        let n: usize = frames.iter().map(|f| f.len() + 1).sum();
        {
            let mut s = self.shared.lock();
            s.queued = s.queued.saturating_sub(n);
        }
        frames.clear();
        if frames.capacity() <= 64 {
            self.spare = frames;
        }
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

/// Wakes one thread's writers on behalf of other threads.
///
/// A room fans a message out to sessions that live on other threads; waking
/// each writer from there costs a cross-thread wake-up (a system call when
/// that thread sleeps) per delivery. Instead the wakers are queued here and
/// this thread's flusher task, woken once per burst, wakes them locally.
struct Flusher {
    state: Mutex<FlushState>,
}

struct FlushState {
    dirty: Vec<Waker>,
    /// The flusher task, parked on an empty list.
    task: Option<Waker>,
    /// The task runs; when its thread's runtime has stopped, wake directly.
    alive: bool,
}

thread_local! {
    static FLUSHER: RefCell<Option<Arc<Flusher>>> = const { RefCell::new(None) };
    static FLUSHER_PTR: Cell<usize> = const { Cell::new(0) };
}

impl Flusher {
    fn lock(&self) -> MutexGuard<'_, FlushState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This thread's flusher, started on first use; `None` off an arbiter
    /// (nowhere to run its task: writers are then woken directly).
    fn current() -> Option<Arc<Flusher>> {
        actix_rt::Arbiter::try_current()?;
        FLUSHER.with(|slot| {
            let mut slot = slot.borrow_mut();
            if let Some(f) = slot.as_ref().filter(|f| f.lock().alive) {
                return Some(f.clone());
            }
            let f = Arc::new(Flusher {
                state: Mutex::new(FlushState {
                    dirty: Vec::new(),
                    task: None,
                    alive: true,
                }),
            });
            FLUSHER_PTR.with(|p| p.set(Arc::as_ptr(&f) as usize));
            actix_rt::spawn(flush_loop(f.clone()));
            *slot = Some(f.clone());
            Some(f)
        })
    }

    fn is_current(self: &Arc<Self>) -> bool {
        FLUSHER_PTR.with(|p| p.get() == Arc::as_ptr(self) as usize)
    }

    fn defer(&self, w: Waker) {
        let mut s = self.lock();
        if !s.alive {
            drop(s);
            return w.wake();
        }
        s.dirty.push(w);
        let task = s.task.take();
        drop(s);
        if let Some(t) = task {
            t.wake();
        }
    }
}

async fn flush_loop(f: Arc<Flusher>) {
    struct Dead(Arc<Flusher>);
    impl Drop for Dead {
        fn drop(&mut self) {
            let mut s = self.0.lock();
            s.alive = false;
            for w in s.dirty.drain(..) {
                w.wake();
            }
        }
    }
    let _dead = Dead(f.clone());
    let mut batch = Vec::new();
    loop {
        std::future::poll_fn(|cx| {
            let mut s = f.lock();
            if s.dirty.is_empty() {
                s.task = Some(cx.waker().clone());
                Poll::Pending
            } else {
                std::mem::swap(&mut s.dirty, &mut batch);
                Poll::Ready(())
            }
        })
        .await;
        for w in batch.drain(..) {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[actix_rt::test]
    async fn batches_in_order_then_closes() {
        let (tx, mut rx) = channel(1024);
        assert!(tx.push(Bytes::from_static(b"a")));
        assert!(tx.push(Bytes::from_static(b"bb")));
        tx.close();
        assert!(!tx.push(Bytes::from_static(b"late")), "closed");
        match rx.next().await {
            Next::Frames(f) => {
                let got: Vec<&Bytes> = f.iter().map(Outgoing::json).collect();
                assert_eq!(
                    got,
                    vec![&Bytes::from_static(b"a"), &Bytes::from_static(b"bb")]
                );
                rx.written(f);
            }
            _ => panic!("frames first"),
        }
        assert_eq!(tx.queued_bytes(), 0);
        assert!(matches!(rx.next().await, Next::Close));
    }

    #[actix_rt::test]
    async fn over_the_cap_is_overflowed_and_signalled() {
        let (tx, mut rx) = channel(10);
        assert!(tx.push(Bytes::from_static(b"12345678")));
        assert!(!tx.push(Bytes::from_static(b"xx")), "9 + 3 > 10");
        assert!(tx.is_overflowed());
        rx.overflowed().await;
        assert!(matches!(rx.next().await, Next::Overflow));
    }

    #[actix_rt::test]
    async fn the_end_of_the_session_interrupts_a_write() {
        let (tx, rx) = channel(1024);
        let closer = tx.clone();
        actix_rt::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            closer.close();
        });
        assert_eq!(rx.interrupted().await, Interrupt::Closed);
        let (tx, rx) = channel(4);
        assert!(!tx.push(Bytes::from_static(b"12345")));
        tx.close();
        assert_eq!(rx.interrupted().await, Interrupt::Overflow, "overflow wins");
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
