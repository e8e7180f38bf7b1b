//! Splitting a byte stream into lines with a hard cap: an over-long line is
//! discarded as it arrives (never buffered whole) and reported once.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A line without its `\n` (or `\r\n`); never empty.
    Line(Vec<u8>),
    /// A line over the cap was read and thrown away.
    TooLong,
    /// A binary WebSocket frame: never JSON text.
    Binary,
    /// A request a gateway already read from its own protocol (IRC).
    Request(super::Request),
}

pub struct LineReader<R> {
    inner: R,
    line: Vec<u8>,
    max: usize,
    discarding: bool,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            line: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// The next frame; `None` at end of stream. Empty lines are skipped.
    pub async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            let avail = self.inner.fill_buf().await?;
            if avail.is_empty() {
                // the `\r` allowance is for a line end that will not come
                if std::mem::take(&mut self.discarding) || self.line.len() > self.max {
                    self.line.clear();
                    return Ok(Some(Frame::TooLong));
                }
                return Ok(self.take_line().map(Frame::Line));
            }
            match avail.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    if self.discarding {
                        self.inner.consume(i + 1);
                        self.discarding = false;
                        return Ok(Some(Frame::TooLong));
                    }
                    self.line.extend_from_slice(&avail[..i]);
                    self.inner.consume(i + 1);
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                    if self.line.len() > self.max {
                        self.line.clear();
                        return Ok(Some(Frame::TooLong));
                    }
                    if let Some(line) = self.take_line() {
                        return Ok(Some(Frame::Line(line)));
                    }
                }
                None => {
                    let n = avail.len();
                    // +1: a `\r` may still be stripped when the `\n` comes
                    if !self.discarding && self.line.len() + n > self.max + 1 {
                        self.line = Vec::new();
                        self.discarding = true;
                    }
                    if !self.discarding {
                        self.line.extend_from_slice(avail);
                    }
                    self.inner.consume(n);
                }
            }
        }
    }

    /// Bytes of the current line held (at most the cap + 1): the fuzz
    /// target checks that an over-long line is never buffered.
    pub fn buffered(&self) -> usize {
        self.line.len()
    }

    fn take_line(&mut self) -> Option<Vec<u8>> {
        if self.line.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.line))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = LineReader::new(tokio::io::BufReader::with_capacity(7, input), max);
        let mut out = Vec::new();
        while let Some(f) = r.next().await.unwrap() {
            out.push(f);
        }
        out
    }

    #[actix_rt::test]
    async fn splits_and_caps() {
        let l = |s: &str| Frame::Line(s.as_bytes().to_vec());
        assert_eq!(frames(b"a\r\n\nbb\n", 10).await, vec![l("a"), l("bb")]);
        assert_eq!(
            frames(b"0123456789\n0123456789x\nok\n", 10).await,
            vec![l("0123456789"), Frame::TooLong, l("ok")]
        );
        assert_eq!(frames(b"0123456789\r\n", 10).await, vec![l("0123456789")]);
        let long = [b'x'; 1000];
        let mut input = long.to_vec();
        input.extend_from_slice(b"\nafter");
        assert_eq!(frames(&input, 10).await, vec![Frame::TooLong, l("after")]);
        // cut by the end of the stream: no line end, so no `\r` allowance
        assert_eq!(frames(b"01234567890", 10).await, vec![Frame::TooLong]);
        assert_eq!(frames(b"0123456789", 10).await, vec![l("0123456789")]);
    }
}
