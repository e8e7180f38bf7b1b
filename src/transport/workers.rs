//! The threads that write to connections.
//!
//! Fan-out costs one write (a system call, and on loopback the receiver's
//! side of TCP too) per delivery: that is what needs every core, not the
//! actors. So each connection's writer task runs on one of these arbiters,
//! round robin, while its session and reader stay on the main arbiter with
//! the rooms, the registry and moderation. A request then crosses threads
//! only to reach the database and to be written; the actor hops in between
//! stay on one thread, where a wake-up costs no system call. (Sessions
//! spread over these arbiters too were measured: every request then woke
//! the main thread four or five times, and an idle core's wake-up costs
//! 0.1 ms or more on a VM, so latency grew.)

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

    /// Tells the threads to stop (without waiting for them: no blocking
    /// on the event loop); writers still on them are dropped.
    pub fn stop(&self) {
        for a in &self.arbiters {
            a.stop();
        }
    }
}
