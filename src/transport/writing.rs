//! A writer task's writes: each batch's bytes to the socket while watching
//! the outbound queue for overflow and the session's end ([`watched`], the
//! WebSocket writer's frames too), then the stream's close, each bounded by
//! [`LINGER`] once the session ended.
//!
//! Every connection holds its writer's future for its whole life, and a
//! future keeps room for the largest state it can be in, so what a writer
//! keeps across a wait is kept small (issue 21's idle memory): the write in
//! progress is an offset and an optional buffer polled by hand, not a
//! nested `write_all` and `select!`, and the linger timer is boxed, made
//! only once the session ends. The JSON lines' writer and the IRC
//! gateway's share it.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Sleep;

use crate::actors::session::outbound::{Interrupt, OutboundRx, LINGER};
use crate::protocol::Outgoing;

/// The linger timer: none until the session ends.
pub type Linger = Option<Pin<Box<Sleep>>>;

/// The bytes of one batch, and how many were written.
///
/// One JSON frame is the common case while a client keeps up (each
/// delivery wakes its writer before the next arrives), so it is written
/// from its own shared bytes and a line end with vectored writes, with no
/// buffer to allocate and no copy. Several frames, or a stream without
/// vectored writes (TLS), are joined into one buffer so that one call
/// carries them all; it is allocated per batch, so an idle connection
/// holds none.
pub struct Batch<'a> {
    frames: &'a [Outgoing],
    joined: Option<Vec<u8>>,
    done: usize,
}

impl<'a> Batch<'a> {
    /// Each frame's JSON, then a line end.
    pub fn lines(frames: &'a [Outgoing]) -> Batch<'a> {
        Batch {
            frames,
            joined: None,
            done: 0,
        }
    }

    /// Bytes made by the transport (the IRC gateway's rendered lines).
    pub fn bytes(buf: Vec<u8>) -> Batch<'static> {
        Batch {
            frames: &[],
            joined: Some(buf),
            done: 0,
        }
    }

    fn poll_write<W: AsyncWrite + Unpin>(
        &mut self,
        mut wr: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let n = match (self.frames, &self.joined) {
                ([one], None) if wr.is_write_vectored() => {
                    let body = one.json();
                    if self.done > body.len() {
                        return Poll::Ready(Ok(()));
                    }
                    let rest = &body[self.done..];
                    let iov = [IoSlice::new(rest), IoSlice::new(b"\n")];
                    let from = usize::from(rest.is_empty());
                    ready!(wr.as_mut().poll_write_vectored(cx, &iov[from..]))?
                }
                (frames, None) => {
                    let mut buf = Vec::with_capacity(frames.iter().map(|f| f.len() + 1).sum());
                    for f in frames {
                        buf.extend_from_slice(f.json());
                        buf.push(b'\n');
                    }
                    self.joined = Some(buf);
                    continue;
                }
                (_, Some(buf)) => {
                    if self.done == buf.len() {
                        return Poll::Ready(Ok(()));
                    }
                    ready!(wr.as_mut().poll_write(cx, &buf[self.done..]))?
                }
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.done += n;
        }
    }
}

/// How a batch's write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// The stream failed: the connection is gone.
    Failed,
    /// The queue passed its cap while the client did not read: drop it.
    Overflow,
    /// The session ended and the batch was not written within [`LINGER`].
    Lingered,
}

/// Starts the linger: what is left of a session that ended gets this long.
pub fn linger() -> Pin<Box<Sleep>> {
    Box::pin(tokio::time::sleep(LINGER))
}

/// How a watched write ended.
pub enum Watched<T> {
    Done(T),
    /// The queue passed its cap while the client did not read: drop it.
    Overflow,
    /// The session ended and the write did not finish within [`LINGER`].
    Lingered,
}

/// Runs `write`, a write to a client, watching its queue: an overflow
/// drops the client at once, and the end of the session starts `linger`
/// (the write then has until it rings). Every transport's writer waits on
/// its client this way.
pub async fn watched<F: Future>(
    write: F,
    rx: &OutboundRx,
    linger: &mut Linger,
) -> Watched<F::Output> {
    let mut write = std::pin::pin!(write);
    std::future::poll_fn(|cx| loop {
        if let Poll::Ready(r) = write.as_mut().poll(cx) {
            return Poll::Ready(Watched::Done(r));
        }
        match linger {
            Some(t) => return t.as_mut().poll(cx).map(|()| Watched::Lingered),
            None => match ready!(rx.poll_interrupted(cx)) {
                Interrupt::Overflow => return Poll::Ready(Watched::Overflow),
                // the write goes on, within the linger
                Interrupt::Closed => *linger = Some(self::linger()),
            },
        }
    })
    .await
}

/// Writes `batch`, [`watched`].
pub async fn write_batch<W: AsyncWrite + Unpin>(
    wr: &mut W,
    rx: &OutboundRx,
    linger: &mut Linger,
    mut batch: Batch<'_>,
) -> Outcome {
    let write = std::future::poll_fn(|cx| batch.poll_write(Pin::new(&mut *wr), cx));
    match watched(write, rx, linger).await {
        Watched::Done(Ok(())) => Outcome::Written,
        Watched::Done(Err(_)) => Outcome::Failed,
        Watched::Overflow => Outcome::Overflow,
        Watched::Lingered => Outcome::Lingered,
    }
}

/// Closes the stream (TLS sends close_notify here, which a peer that does
/// not read never takes), within what is left of the linger, or [`LINGER`]
/// when the session ended with nothing left to write.
pub async fn shut_down<W: AsyncWrite + Unpin>(wr: &mut W, linger: Linger) {
    let mut linger = linger.unwrap_or_else(self::linger);
    tokio::select! {
        _ = wr.shutdown() => {}
        _ = &mut linger => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::session::outbound;
    use bytes::Bytes;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = tokio::net::TcpStream::connect(l.local_addr().unwrap());
        let (a, b) = tokio::join!(a, l.accept());
        (a.unwrap(), b.unwrap().0)
    }

    /// Frames larger than the socket's buffers: the vectored write of one
    /// frame and the joined write of several both resume where a partial
    /// write stopped, and each frame gets its line end.
    #[actix_rt::test]
    async fn partial_writes_resume_where_they_stopped() {
        let (mut a, mut b) = tcp_pair().await;
        assert!(a.is_write_vectored());
        let (_tx, rx) = outbound::channel(1 << 30);
        let big = Bytes::from(vec![b'x'; 8 << 20]);
        let one = [Outgoing::Json(big.clone())];
        let two = [
            Outgoing::Json(big),
            Outgoing::Json(Bytes::from_static(b"[]")),
        ];
        let reader = actix_rt::spawn(async move {
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.map(|_| got)
        });
        let mut linger = None;
        for batch in [Batch::lines(&one), Batch::lines(&two)] {
            assert_eq!(
                write_batch(&mut a, &rx, &mut linger, batch).await,
                Outcome::Written
            );
        }
        let irc = Batch::bytes(b"PING :x\r\n".to_vec());
        assert_eq!(
            write_batch(&mut a, &rx, &mut linger, irc).await,
            Outcome::Written
        );
        shut_down(&mut a, linger).await;
        let got = reader.await.unwrap().unwrap();
        let line = |n: usize| [vec![b'x'; n], b"\n".to_vec()].concat();
        let want = [
            line(8 << 20),
            line(8 << 20),
            b"[]\n".to_vec(),
            b"PING :x\r\n".to_vec(),
        ];
        assert!(got == want.concat(), "{} bytes, not as written", got.len());
    }

    /// The session's end while a write waits starts the linger, and the
    /// write still completes within it.
    #[actix_rt::test]
    async fn the_end_of_the_session_starts_the_linger() {
        let (mut a, mut b) = tcp_pair().await;
        let (tx, rx) = outbound::channel(1 << 30);
        let big = [Outgoing::Json(Bytes::from(vec![b'x'; 8 << 20]))];
        tx.close();
        let reader = actix_rt::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.map(|_| got.len())
        });
        let mut linger = None;
        let out = write_batch(&mut a, &rx, &mut linger, Batch::lines(&big)).await;
        assert_eq!(out, Outcome::Written);
        assert!(linger.is_some(), "started by the close");
        shut_down(&mut a, linger).await;
        assert_eq!(reader.await.unwrap().unwrap(), (8 << 20) + 1);
    }

    /// A client that never reads: the write gives up when the linger rings.
    #[actix_rt::test]
    async fn a_client_that_never_reads_is_given_up_on() {
        let (mut a, _b) = tcp_pair().await;
        let (_tx, rx) = outbound::channel(1 << 30);
        let big = [Outgoing::Json(Bytes::from(vec![b'x'; 32 << 20]))];
        let mut linger: Linger = Some(Box::pin(tokio::time::sleep(Duration::from_millis(200))));
        let out = write_batch(&mut a, &rx, &mut linger, Batch::lines(&big)).await;
        assert_eq!(out, Outcome::Lingered);
    }

    #[actix_rt::test]
    async fn an_overflow_interrupts_a_write() {
        let (mut a, _b) = tcp_pair().await;
        let (tx, rx) = outbound::channel(8);
        let big = [Outgoing::Json(Bytes::from(vec![b'x'; 32 << 20]))];
        let pusher = actix_rt::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            tx.push(Bytes::from(vec![b'y'; 16]))
        });
        let mut linger = None;
        let out = write_batch(&mut a, &rx, &mut linger, Batch::lines(&big)).await;
        assert_eq!(out, Outcome::Overflow);
        assert!(!pusher.await.unwrap(), "over the cap of 8");
    }
}
