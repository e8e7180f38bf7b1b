//! A progress line on stderr every few seconds during a long run, so a
//! person watching knows it is alive and how far it got; stdout stays the
//! report's alone.

use std::time::Duration;

/// Prints what `line` returns every `every`, until dropped.
pub struct Progress(tokio::task::JoinHandle<()>);

impl Progress {
    /// Needs a tokio runtime (call it from the scenario's async code).
    pub fn start(every: Duration, line: impl Fn() -> String + Send + 'static) -> Progress {
        Progress(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await; // the first tick is immediate
            loop {
                tick.tick().await;
                eprintln!("{}", line());
            }
        }))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.abort();
    }
}
