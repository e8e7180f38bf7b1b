//! The writer-to-reader queue of a gateway connection ([`Control`]).
//!
//! A tokio unbounded channel allocates its first block of 32 slots when it
//! is made, about 1 KB for every IRC connection, nearly all of which never
//! carry a message after registration (issue 21's idle memory). This queue
//! allocates on its first message, and frees its slots once drained.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use super::render::Control;

struct State {
    queue: VecDeque<Control>,
    /// The reader, waiting for a message.
    waker: Option<Waker>,
    /// The sender was dropped: nothing more will come.
    tx_gone: bool,
    /// The receiver was dropped: sends fail.
    rx_gone: bool,
}

struct Shared(Mutex<State>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic while holding it cannot leave the state half-changed
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer's side.
pub struct ControlTx(Arc<Shared>);

/// The reader's side.
pub struct ControlRx(Arc<Shared>);

pub fn channel() -> (ControlTx, ControlRx) {
    let shared = Arc::new(Shared(Mutex::new(State {
        queue: VecDeque::new(),
        waker: None,
        tx_gone: false,
        rx_gone: false,
    })));
    (ControlTx(shared.clone()), ControlRx(shared))
}

impl ControlTx {
    /// Queues `c` for the reader; gives it back when the reader is gone.
    pub fn send(&self, c: Control) -> Result<(), Control> {
        let mut s = self.0.lock();
        if s.rx_gone {
            return Err(c);
        }
        s.queue.push_back(c);
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl Drop for ControlTx {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.tx_gone = true;
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl ControlRx {
    /// The next message; `None` once the sender is gone and all is taken.
    pub async fn recv(&mut self) -> Option<Control> {
        std::future::poll_fn(|cx| {
            let mut s = self.0.lock();
            if let Some(c) = s.take() {
                return Poll::Ready(Some(c));
            }
            if s.tx_gone {
                return Poll::Ready(None);
            }
            match &s.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<Control> {
        self.0.lock().take()
    }
}

impl State {
    fn take(&mut self) -> Option<Control> {
        let c = self.queue.pop_front()?;
        if self.queue.is_empty() {
            // drained: give the slots back, an idle connection keeps none
            self.queue = VecDeque::new();
        }
        Some(c)
    }
}

impl Drop for ControlRx {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.rx_gone = true;
        s.queue.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn no_such_room(n: usize) -> Control {
        Control::NoSuchRoom {
            room: format!("r{n}"),
        }
    }

    fn room(c: Control) -> String {
        match c {
            Control::NoSuchRoom { room } => room,
            other => panic!("{other:?}"),
        }
    }

    #[actix_rt::test]
    async fn in_order_then_none_when_the_sender_is_gone() {
        let (tx, mut rx) = channel();
        for n in 0..3 {
            tx.send(no_such_room(n)).unwrap();
        }
        let late = actix_rt::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            tx.send(Control::LoginFailed {
                code: ErrorCode::BadCredentials,
            })
            .unwrap();
        });
        let got: Vec<String> = (0..3).map(|_| room(rx.try_recv().unwrap())).collect();
        assert_eq!(got, ["r0", "r1", "r2"]);
        assert!(rx.try_recv().is_none());
        assert!(matches!(rx.recv().await, Some(Control::LoginFailed { .. })));
        late.await.unwrap();
        assert!(rx.recv().await.is_none(), "the sender is gone");
    }

    #[test]
    fn a_send_without_a_reader_fails() {
        let (tx, rx) = channel();
        drop(rx);
        assert!(tx.send(no_such_room(1)).is_err());
    }
}
