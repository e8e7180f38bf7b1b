//! The threads that run connections.
//!
//! Fan-out costs one write (a system call, and on loopback the receiver's
//! side of TCP too) per delivery, so it is the connections' I/O that needs
//! every core, not the rooms. Each accepted connection is handed, round
//! robin, to one of these arbiters: its session actor, reader and writer all
//! live there. Rooms, the registry, moderation and the chat-log writer stay
//! on the main arbiter and reach sessions through their addresses and
//! outbound queues, which work across threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix::{Arbiter, ArbiterHandle};

pub struct Workers {
    arbiters: Vec<Arbiter>,
    next: AtomicUsize,
}

impl Workers {
    /// `n` arbiters; 0 means one per core. Call inside the actix system.
    pub fn start(n: usize) -> Workers {
        let n = match n {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Workers {
            arbiters: (0..n).map(|_| Arbiter::new()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.arbiters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arbiters.is_empty()
    }

    /// The arbiter for the next connection.
    pub fn pick(&self) -> ArbiterHandle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.arbiters.len();
        self.arbiters[i].handle()
    }

    /// Stops the threads once their connections have ended.
    pub fn stop(self) {
        for a in self.arbiters {
            a.stop();
            let _ = a.join();
        }
    }
}
