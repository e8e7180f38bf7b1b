//! A buffered reader that holds no buffer while its connection is idle.
//!
//! Tens of thousands of logged-in connections spend nearly all their time
//! waiting for a line. A `BufReader` keeps its whole buffer for each of them;
//! this one reads into a scratch buffer of the thread and keeps only the
//! bytes not consumed yet, freeing them once they are.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// How much one read may take.
const SCRATCH: usize = 16 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

pub struct LazyBufReader<R> {
    inner: R,
    /// Bytes read but not consumed yet; empty (unallocated) when idle.
    buf: Vec<u8>,
    pos: usize,
}

impl<R> LazyBufReader<R> {
    pub fn new(inner: R) -> Self {
        LazyBufReader {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for LazyBufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let avail = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = avail.len().min(out.remaining());
        out.put_slice(&avail[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for LazyBufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.get_mut();
        if me.pos >= me.buf.len() {
            let inner = &mut me.inner;
            let buf = &mut me.buf;
            ready!(SCRATCH_BUF.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let mut rb = ReadBuf::new(&mut scratch[..]);
                let polled = Pin::new(inner).poll_read(cx, &mut rb);
                if let Poll::Ready(Ok(())) = polled {
                    buf.clear();
                    buf.extend_from_slice(rb.filled());
                }
                polled
            }))?;
            me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[me.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.get_mut();
        me.pos = (me.pos + amt).min(me.buf.len());
        if me.pos == me.buf.len() {
            // drained: an idle connection keeps nothing
            me.buf = Vec::new();
            me.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt;

    #[actix_rt::test]
    async fn reads_lines_and_keeps_nothing_when_drained() {
        let input: &[u8] = b"first\nsecond line\n";
        let mut r = LazyBufReader::new(input);
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first\n");
        assert!(!r.buf.is_empty(), "the rest of the read is kept");
        line.clear();
        r.read_line(&mut line).await.unwrap();
        assert_eq!(line, "second line\n");
        assert_eq!(r.buf.capacity(), 0, "drained: nothing held");
        line.clear();
        assert_eq!(r.read_line(&mut line).await.unwrap(), 0);
    }
}
