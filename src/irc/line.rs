//! One IRC line: a client's bytes to a [`Line`] ([`parse`]), and a server
//! line to bytes ([`write_line`], [`Line::to_bytes`]). No networking and no
//! state: the framing (`\r\n`, a bare `\n`, the cap on a line in the
//! reader) is the transport's, what a command means is the gateway's.
//!
//! # Our own parser, not `irc-proto`
//!
//! `irc-proto` 1.1.0 (the `irc` crate's protocol half) was read and tried
//! on hostile lines before this was written. It does not fit a server:
//!
//! - its parser (`impl FromStr for Message`) takes a `&str` and applies no
//!   limit at all: a 1 MB line parses into a 1 MB `PRIVMSG`; the 8191-byte
//!   tag and 510-byte body limits would have to be checked around it, on
//!   bytes it then scans again;
//! - it accepts what a server must refuse: `"PRIVMSG #a b\0c"` and
//!   `"PRIVMSG #a :x\r\nQUIT"` parse as messages with a NUL and a line
//!   break in the text; `"@a=b"` (lone tags), `":src "` and `"   "` parse
//!   as a message whose command is the empty string instead of an error;
//! - tags: no key validation, duplicates all kept (the spec: the last
//!   wins), `foo=` kept apart from `foo` (the spec: the same);
//! - after 14 middle parameters the rest is one parameter, spaces included
//!   (RFC 2812's grammar), where Ergo and modern clients split every one;
//! - it turns known commands into a typed, client-oriented `Command` enum:
//!   `MODE #a xyz` becomes a list of "unknown" modes and a bad mode string
//!   fails the whole line instead of reaching the gateway for a 472;
//! - its writer does not protect the line: a `Command::Raw` parameter
//!   `"hi\r\nQUIT :x"` is written as `PRIVMSG #a :hi\r\nQUIT :x\r\n`, two
//!   lines; a middle parameter with a space silently becomes two
//!   parameters; and it formats through `Display`, a `String` per command
//!   and per line (`stringify` joins, `format!`s), where a server writing
//!   every event wants bytes appended to a connection's buffer;
//! - `impl From<&str> for Message` is `s.parse().unwrap()`: a panic one
//!   `.into()` away; its default features pull in `tokio`, `tokio-util` and
//!   `bytes` for a line codec we do not use (`encoding` is optional), and
//!   it brings `thiserror` 1 beside our `thiserror` 2.
//!
//! What is left to do is ~250 lines, written here after Ergo's parser
//! (`ergochat/irc-go`, `ircmsg/message.go` and `tags.go`), whose behaviour
//! it mirrors unless said otherwise below.
//!
//! # What a client line may be ([`parse`])
//!
//! - At most [`MAX_TAGS_LEN`] (8191) bytes of tags, counting the `@` and
//!   the space after them (the message-tags spec's limit;
//!   [`LinePart::Tags`]), and at most [`MAX_BODY_LEN`] (510) bytes for the
//!   rest, without the `\r\n` (RFC 1459's 512; [`LinePart::Body`]). Ergo
//!   answers both with 417 `ERR_INPUTTOOLONG`; it would also accept only
//!   4094 bytes of tag data from a client, the contract says 8191. The
//!   lengths are checked first, on the raw bytes, so a 1 MB line costs at
//!   most a scan of 8191 bytes.
//! - No NUL, CR or LF inside ([`LineError::ForbiddenByte`]; Ergo quits such
//!   a client with "Received malformed line").
//! - UTF-8 only (`UTF8ONLY`): [`LineError::NotUtf8`] carries the line as it
//!   parses with U+FFFD in place of the bad bytes, so the gateway can answer
//!   `FAIL <command> INVALID_UTF8` with the line's `label`, as Ergo does.
//! - Empty, only spaces, only tags (`@a=b` or `@a=b `), a source without a
//!   command: [`LineError::NoCommand`] (Ergo ignores such lines).
//! - Parts and parameters are separated by one or more spaces (tabs are not
//!   spaces); a parameter starting with `:` is the trailing one and takes
//!   the rest of the line, spaces included; trailing spaces are no
//!   parameter. There is no limit on the number of parameters besides the
//!   510 bytes (so at most 255): RFC 2812 allows 15 and folds the rest into
//!   the 15th, but Ergo, like modern servers, splits every one and lets
//!   each command take what it needs. 10,000 parameters do not fit in 510
//!   bytes and are refused as too long before any is split.
//! - The command is upper-cased (ASCII only, so its length never changes)
//!   and otherwise kept as it came: an unknown command reaches the gateway
//!   for its 421. An empty source (`: CMD`) is no source.
//! - Tags: `key[=value]` separated by `;`. A key is an optional `+`
//!   (client-only tag) and then `-./0-9A-Za-z` (Ergo's lenient form of the
//!   spec's `[vendor/]name`); a tag with any other key is dropped, not the
//!   line ("Implementations MUST NOT perform any validation that would
//!   reject the message if an invalid tag key name is used"). Values are
//!   unescaped (`\:` `;`, `\s` space, `\\` `\`, `\r` CR, `\n` LF, `\x` any
//!   other `x`, a lone `\` at the end dropped); an empty value is no value
//!   (`foo=` and `foo` are the same); when a key comes twice the last one
//!   wins. [`Line::tags`] comes out sorted by key.
//!
//! # What the server writes ([`write_line`])
//!
//! A server line must never be split or reshaped by what a user typed:
//!
//! - the last parameter gets a `:` when it is empty, starts with `:` or
//!   contains a space; every NUL, CR and LF in it becomes a space (user
//!   text is delivered, never a second line);
//! - every other parameter must be non-empty, not start with `:`, and hold
//!   no space, NUL, CR or LF: otherwise [`WriteError::BadParam`] (those are
//!   nicks, rooms, numbers: the gateway's own, never free text);
//! - the command must be ASCII letters and digits, the source non-empty
//!   without space, NUL, CR or LF, a tag key as above; tag values are
//!   escaped (NUL, which has no escape, is left out) and the tags may not
//!   pass [`MAX_TAGS_LEN`];
//! - a body over [`MAX_BODY_LEN`] bytes loses the end of its last parameter
//!   at a character boundary, as Ergo truncates its output at 512 bytes (a
//!   safety net: the gateway splits long texts itself); when even the part
//!   before the last parameter is too long, [`LinePart::Body`] is refused;
//! - on an error nothing is written. The line ends with `\r\n`.
//!
//! A line [`parse`] accepts is written back no longer than it came and
//! parses again to the same [`Line`] (the `irc_line` fuzz target checks
//! both), unless its command is not ASCII letters and digits.

use std::fmt;

/// The most bytes of tags a line may have, counting the `@` and the space
/// after them.
pub const MAX_TAGS_LEN: usize = 8191;

/// The most bytes a line may have after its tags, without the `\r\n`.
pub const MAX_BODY_LEN: usize = 510;

/// One IRC line. [`parse`] fills it from a client's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// Tag keys (a client-only tag's with its `+`) and unescaped values,
    /// sorted by key, each key once; `None` for no (or an empty) value.
    pub tags: Vec<(String, Option<String>)>,
    /// The source (prefix) without its `:`; clients rarely send one.
    pub source: Option<String>,
    /// Upper-cased (ASCII); never empty.
    pub command: String,
    /// The parameters, the trailing one without its `:`.
    pub params: Vec<String>,
}

/// Which part of a line is over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinePart {
    /// The tags, `@` and space included: over [`MAX_TAGS_LEN`].
    Tags,
    /// The rest: over [`MAX_BODY_LEN`].
    Body,
}

/// Why a client line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The part is over its limit (Ergo: 417 `ERR_INPUTTOOLONG`).
    TooLong(LinePart),
    /// A NUL, CR or LF inside the line (which one).
    ForbiddenByte(u8),
    /// Not UTF-8; with the line as it parses with U+FFFD for the bad
    /// bytes, when it does, to answer (its command, its `label`) and
    /// nothing else.
    NotUtf8(Option<Box<Line>>),
    /// Empty, only spaces, only tags, or only a source.
    NoCommand,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::TooLong(LinePart::Tags) => {
                write!(f, "the tags are over {MAX_TAGS_LEN} bytes")
            }
            LineError::TooLong(LinePart::Body) => {
                write!(f, "the line is over {MAX_BODY_LEN} bytes")
            }
            LineError::ForbiddenByte(b) => write!(f, "the line contains the byte {b:#04x}"),
            LineError::NotUtf8(_) => f.write_str("the line is not UTF-8"),
            LineError::NoCommand => f.write_str("the line has no command"),
        }
    }
}

impl std::error::Error for LineError {}

/// Why a server line was not written (a bug in the caller: nothing here
/// comes from a client as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The tag at this index has a key that is not a tag key.
    BadTagKey(usize),
    /// The source is empty or holds a space, NUL, CR or LF.
    BadSource,
    /// The command is empty or not only ASCII letters and digits.
    BadCommand,
    /// The parameter at this index (not the last) is empty, starts with
    /// `:` or holds a space, NUL, CR or LF.
    BadParam(usize),
    /// The tags are over [`MAX_TAGS_LEN`], or the body is over
    /// [`MAX_BODY_LEN`] before its last parameter starts.
    TooLong(LinePart),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BadTagKey(i) => write!(f, "tag {i} has a bad key"),
            WriteError::BadSource => f.write_str("bad source"),
            WriteError::BadCommand => f.write_str("bad command"),
            WriteError::BadParam(i) => write!(f, "parameter {i} cannot be a middle parameter"),
            WriteError::TooLong(part) => write!(f, "{part:?} too long"),
        }
    }
}

impl std::error::Error for WriteError {}

/// Parses one client line, given without its line end.
pub fn parse(raw: &[u8]) -> Result<Line, LineError> {
    // 1. the limits, on bytes, before anything reads the whole line
    let body_start = if raw.first() == Some(&b'@') {
        let window = &raw[..raw.len().min(MAX_TAGS_LEN)];
        match window.iter().position(|&b| b == b' ') {
            Some(space) => space + 1,
            None if raw.len() > window.len() => return Err(LineError::TooLong(LinePart::Tags)),
            // only tags: NoCommand, once the bytes are known to be sound
            None => raw.len(),
        }
    } else {
        0
    };
    if raw.len() - body_start > MAX_BODY_LEN {
        return Err(LineError::TooLong(LinePart::Body));
    }
    // 2. bytes that may never be in a line
    if let Some(&b) = raw.iter().find(|&&b| matches!(b, 0 | b'\r' | b'\n')) {
        return Err(LineError::ForbiddenByte(b));
    }
    // 3. UTF-8
    match std::str::from_utf8(raw) {
        Ok(s) => parse_str(s),
        Err(_) => {
            let lossy = String::from_utf8_lossy(raw);
            Err(LineError::NotUtf8(parse_str(&lossy).ok().map(Box::new)))
        }
    }
}

/// The structure of a line already known to be short, UTF-8 and clean.
fn parse_str(s: &str) -> Result<Line, LineError> {
    let (tags, rest) = match s.strip_prefix('@') {
        Some(t) => {
            let (tags, rest) = t.split_once(' ').ok_or(LineError::NoCommand)?;
            (parse_tags(tags), rest)
        }
        None => (Vec::new(), s),
    };
    let mut rest = rest.trim_start_matches(' ');
    let mut source = None;
    if let Some(r) = rest.strip_prefix(':') {
        let (src, after) = r.split_once(' ').ok_or(LineError::NoCommand)?;
        if !src.is_empty() {
            source = Some(src.to_owned());
        }
        rest = after.trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return Err(LineError::NoCommand);
    }
    let command = command.to_ascii_uppercase();
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_owned());
            break;
        }
        match rest.split_once(' ') {
            Some((param, after)) => {
                params.push(param.to_owned());
                rest = after;
            }
            None => {
                params.push(rest.to_owned());
                break;
            }
        }
    }
    Ok(Line {
        tags,
        source,
        command,
        params,
    })
}

/// The tags between `@` and the space: bad keys dropped, values unescaped,
/// sorted by key, the last of a key kept. O(n log n) in the tag count, so
/// 4000 one-letter tags cost no more than sorting them.
fn parse_tags(s: &str) -> Vec<(String, Option<String>)> {
    let mut all: Vec<(String, Option<String>)> = Vec::new();
    for item in s.split(';') {
        let (key, value) = item.split_once('=').unwrap_or((item, ""));
        if !valid_tag_key(key) {
            continue;
        }
        let value = unescape_tag_value(value);
        all.push((key.to_owned(), (!value.is_empty()).then_some(value)));
    }
    // stable: among equal keys the order of the line is kept
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tags: Vec<(String, Option<String>)> = Vec::with_capacity(all.len());
    for tag in all {
        match tags.last_mut() {
            Some(last) if last.0 == tag.0 => *last = tag,
            _ => tags.push(tag),
        }
    }
    tags
}

/// A tag key as Ergo takes it: an optional `+`, then one or more of
/// `-./0-9A-Za-z`.
pub fn valid_tag_key(key: &str) -> bool {
    let name = key.strip_prefix('+').unwrap_or(key);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/'))
}

/// A tag value as the message-tags spec unescapes it.
pub fn unescape_tag_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            // `\\` and any other escaped character: the character
            Some(c) => out.push(c),
            // a lone `\` at the end: nothing
            None => break,
        }
    }
    out
}

/// Appends a tag value escaped as the message-tags spec says; NUL, which
/// no escape can carry, is left out.
fn escape_tag_value(out: &mut Vec<u8>, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b';' => out.extend_from_slice(b"\\:"),
            b' ' => out.extend_from_slice(b"\\s"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0 => {}
            b => out.push(b),
        }
    }
}

fn breaks_line(b: u8) -> bool {
    matches!(b, 0 | b'\r' | b'\n')
}

/// Whether a parameter can be written as a middle (not last) parameter.
fn valid_middle(p: &str) -> bool {
    !p.is_empty() && !p.starts_with(':') && !p.bytes().any(|b| b == b' ' || breaks_line(b))
}

/// Appends one server line, `\r\n` included, to `out`: `tags` as
/// `(key, value)` (an empty value writes the key alone), then the source,
/// the command and the parameters. The rules are the module's; on an error
/// `out` is left as it was.
pub fn write_line(
    out: &mut Vec<u8>,
    tags: &[(&str, &str)],
    source: Option<&str>,
    command: &str,
    params: &[&str],
) -> Result<(), WriteError> {
    write_line_as(out, tags, source, command, params, false)
}

/// [`write_line`], with the last parameter always written as a trailing
/// one (`:text`), as servers write texts and reasons: clients and bots that
/// read "the text after ` :`" get it even when it is one word.
pub fn write_text_line(
    out: &mut Vec<u8>,
    tags: &[(&str, &str)],
    source: Option<&str>,
    command: &str,
    params: &[&str],
) -> Result<(), WriteError> {
    write_line_as(out, tags, source, command, params, true)
}

fn write_line_as(
    out: &mut Vec<u8>,
    tags: &[(&str, &str)],
    source: Option<&str>,
    command: &str,
    params: &[&str],
    trailing: bool,
) -> Result<(), WriteError> {
    let start = out.len();
    let result = write_unchecked(out, tags, source, command, params, trailing);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn write_unchecked(
    out: &mut Vec<u8>,
    tags: &[(&str, &str)],
    source: Option<&str>,
    command: &str,
    params: &[&str],
    trailing: bool,
) -> Result<(), WriteError> {
    let start = out.len();
    if !tags.is_empty() {
        out.push(b'@');
        for (i, (key, value)) in tags.iter().enumerate() {
            if !valid_tag_key(key) {
                return Err(WriteError::BadTagKey(i));
            }
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(key.as_bytes());
            if !value.is_empty() {
                out.push(b'=');
                escape_tag_value(out, value);
            }
            if out.len() - start >= MAX_TAGS_LEN {
                return Err(WriteError::TooLong(LinePart::Tags));
            }
        }
        out.push(b' ');
    }
    let body = out.len();
    if let Some(src) = source {
        if src.is_empty() || src.bytes().any(|b| b == b' ' || breaks_line(b)) {
            return Err(WriteError::BadSource);
        }
        out.push(b':');
        out.extend_from_slice(src.as_bytes());
        out.push(b' ');
    }
    if command.is_empty() || !command.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WriteError::BadCommand);
    }
    out.extend_from_slice(command.as_bytes());
    let Some((last, middle)) = params.split_last() else {
        if out.len() - body > MAX_BODY_LEN {
            return Err(WriteError::TooLong(LinePart::Body));
        }
        out.extend_from_slice(b"\r\n");
        return Ok(());
    };
    for (i, param) in middle.iter().enumerate() {
        if !valid_middle(param) {
            return Err(WriteError::BadParam(i));
        }
        out.push(b' ');
        out.extend_from_slice(param.as_bytes());
    }
    // the last parameter: a NUL, CR or LF will be a space, so counts as one
    let mut colon = trailing
        || last.is_empty()
        || last.starts_with(':')
        || last.bytes().any(|b| b == b' ' || breaks_line(b));
    let mut text: &str = last;
    let head = out.len() - body + 1 + usize::from(colon);
    if head + text.len() > MAX_BODY_LEN {
        // cut at a character boundary; a cut text may end up empty, so it
        // always gets its `:`
        colon = true;
        let head = out.len() - body + 2;
        let room = MAX_BODY_LEN
            .checked_sub(head)
            .ok_or(WriteError::TooLong(LinePart::Body))?;
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text = &text[..cut];
    }
    out.push(b' ');
    if colon {
        out.push(b':');
    }
    out.extend(text.bytes().map(|b| if breaks_line(b) { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
    Ok(())
}

impl Line {
    /// The value of a tag; `Some("")` for a tag present without a value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        let i = self
            .tags
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()?;
        Some(self.tags[i].1.as_deref().unwrap_or(""))
    }

    /// The parameter at `i`, if there is one.
    pub fn param(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(String::as_str)
    }

    /// Appends this line with [`write_line`].
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let tags: Vec<(&str, &str)> = self
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref().unwrap_or("")))
            .collect();
        let params: Vec<&str> = self.params.iter().map(String::as_str).collect();
        write_line(out, &tags, self.source.as_deref(), &self.command, &params)
    }

    /// This line as bytes with its `\r\n`, by [`write_line`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn ok(raw: &str) -> Line {
        parse(raw.as_bytes()).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"))
    }

    fn tags(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect();
        v.sort();
        v
    }

    fn line(
        t: &[(&str, Option<&str>)],
        source: Option<&str>,
        command: &str,
        params: &[&str],
    ) -> Line {
        Line {
            tags: tags(t),
            source: source.map(str::to_owned),
            command: command.to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn written(t: &[(&str, &str)], source: Option<&str>, command: &str, params: &[&str]) -> String {
        let mut out = Vec::new();
        write_line(&mut out, t, source, command, params).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Parses, writes, parses again: the same line, no longer than it came.
    fn round_trip(raw: &str) -> Line {
        let l = ok(raw);
        let bytes = l.to_bytes().unwrap();
        assert!(bytes.ends_with(b"\r\n"));
        let body = &bytes[..bytes.len() - 2];
        assert!(body.len() <= raw.len(), "{raw:?} grew to {body:?}");
        assert_eq!(parse(body).unwrap(), l, "{raw:?}");
        l
    }

    // The message-tags spec's escaping table, each way.
    #[test]
    fn escaping_table_of_the_message_tags_spec() {
        for (raw, value) in [
            ("\\:", ";"),
            ("\\s", " "),
            ("\\\\", "\\"),
            ("\\r", "\r"),
            ("\\n", "\n"),
            ("abc", "abc"),
        ] {
            assert_eq!(unescape_tag_value(raw), value, "{raw:?}");
            let mut out = Vec::new();
            escape_tag_value(&mut out, value);
            assert_eq!(out, raw.as_bytes(), "{value:?}");
        }
        // an escaped character that is not in the table is itself; a lone
        // backslash at the end is nothing
        assert_eq!(unescape_tag_value("\\b"), "b");
        assert_eq!(unescape_tag_value("value\\1"), "value1");
        assert_eq!(unescape_tag_value("value1\\"), "value1");
        assert_eq!(unescape_tag_value("a\\\\ntest"), "a\\ntest");
        assert_eq!(unescape_tag_value("é\\sü"), "é ü");
    }

    // The tag examples of the message-tags spec and of the parser tests
    // (ircdocs/parser-tests, msg-split.yaml) that servers and clients use.
    #[test]
    fn tag_examples() {
        assert_eq!(
            ok("@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me :Hello"),
            line(
                &[
                    ("aaa", Some("bbb")),
                    ("ccc", None),
                    ("example.com/ddd", Some("eee"))
                ],
                Some("nick!ident@host.com"),
                "PRIVMSG",
                &["me", "Hello"]
            )
        );
        assert_eq!(
            ok("@a=b;c=32;k;rt=ql7 foo"),
            line(
                &[
                    ("a", Some("b")),
                    ("c", Some("32")),
                    ("k", None),
                    ("rt", Some("ql7"))
                ],
                None,
                "FOO",
                &[]
            )
        );
        assert_eq!(
            ok("@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo").tags,
            tags(&[
                ("a", Some("b\\and\nk")),
                ("c", Some("72 45")),
                ("d", Some("gh;764"))
            ])
        );
        assert_eq!(
            ok("@c;h=;a=b :quux ab cd"),
            line(
                &[("c", None), ("h", None), ("a", Some("b"))],
                Some("quux"),
                "AB",
                &["cd"]
            )
        );
        assert_eq!(
            ok("@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= :irc.example.com COMMAND param1 param2 :param3 param3"),
            line(
                &[
                    ("tag1", Some("value1")),
                    ("tag2", None),
                    ("vendor1/tag3", Some("value2")),
                    ("vendor2/tag4", None)
                ],
                Some("irc.example.com"),
                "COMMAND",
                &["param1", "param2", "param3 param3"]
            )
        );
        assert_eq!(
            ok("@foo=\\\\\\\\\\:\\\\s\\s\\r\\n COMMAND").tag("foo"),
            Some("\\\\;\\s \r\n")
        );
        assert_eq!(
            ok("@tag1=value\\\\ntest COMMAND").tag("tag1"),
            Some("value\\ntest")
        );
        assert_eq!(ok("@tag1=value\\1 COMMAND").tag("tag1"), Some("value1"));
        assert_eq!(ok("@tag1=value1\\ COMMAND").tag("tag1"), Some("value1"));
        // the last of a key wins
        let l = ok("@tag1=1;tag2=3;tag3=4;tag1=5;vendor/tag2=8 COMMAND");
        assert_eq!(
            l.tags,
            tags(&[
                ("tag1", Some("5")),
                ("tag2", Some("3")),
                ("tag3", Some("4")),
                ("vendor/tag2", Some("8"))
            ])
        );
        // client-only tags keep their `+`; a bad key drops the tag only
        let l = ok("@+draft/reply=12;+typing=active;bad_key=1;=x;+;;ok COMMAND");
        assert_eq!(
            l.tags,
            tags(&[
                ("+draft/reply", Some("12")),
                ("+typing", Some("active")),
                ("ok", None)
            ])
        );
        assert_eq!(l.tag("ok"), Some(""));
        assert_eq!(l.tag("bad_key"), None);
        // no tags at all between `@` and the space
        assert_eq!(ok("@ PING x"), line(&[], None, "PING", &["x"]));
    }

    // RFC 1459 / 2812 examples and the parser tests' splitting cases.
    #[test]
    fn rfc_and_parser_test_examples() {
        for (raw, want) in [
            (
                ":WiZ!jto@tolsun.oulu.fi NICK Kilroy",
                line(&[], Some("WiZ!jto@tolsun.oulu.fi"), "NICK", &["Kilroy"]),
            ),
            (
                "PRIVMSG Angel :yes I'm receiving it !",
                line(&[], None, "PRIVMSG", &["Angel", "yes I'm receiving it !"]),
            ),
            (
                "JOIN #foo,#bar fubar,foobar",
                line(&[], None, "JOIN", &["#foo,#bar", "fubar,foobar"]),
            ),
            (
                "MODE #Finnish +imI *!*@*.fi",
                line(&[], None, "MODE", &["#Finnish", "+imI", "*!*@*.fi"]),
            ),
            (
                "USER guest 0 * :Ronnie Reagan",
                line(&[], None, "USER", &["guest", "0", "*", "Ronnie Reagan"]),
            ),
            (
                "KICK &Melbourne Matthew",
                line(&[], None, "KICK", &["&Melbourne", "Matthew"]),
            ),
            (
                "PING :irc.funet.fi",
                line(&[], None, "PING", &["irc.funet.fi"]),
            ),
            ("QUIT", line(&[], None, "QUIT", &[])),
            (
                "foo bar baz asdf",
                line(&[], None, "FOO", &["bar", "baz", "asdf"]),
            ),
            (
                "foo bar baz :asdf quux",
                line(&[], None, "FOO", &["bar", "baz", "asdf quux"]),
            ),
            ("foo bar baz :", line(&[], None, "FOO", &["bar", "baz", ""])),
            (
                "foo bar baz ::asdf",
                line(&[], None, "FOO", &["bar", "baz", ":asdf"]),
            ),
            (
                ":coolguy foo bar baz :  asdf quux ",
                line(&[], Some("coolguy"), "FOO", &["bar", "baz", "  asdf quux "]),
            ),
            (
                ":coolguy PRIVMSG bar :lol :) ",
                line(&[], Some("coolguy"), "PRIVMSG", &["bar", "lol :) "]),
            ),
            (
                ":src JOIN #chan",
                line(&[], Some("src"), "JOIN", &["#chan"]),
            ),
            (
                ":src JOIN :#chan",
                line(&[], Some("src"), "JOIN", &["#chan"]),
            ),
            (":src AWAY", line(&[], Some("src"), "AWAY", &[])),
            (":src AWAY ", line(&[], Some("src"), "AWAY", &[])),
            (
                ":cool\tguy foo bar baz",
                line(&[], Some("cool\tguy"), "FOO", &["bar", "baz"]),
            ),
            (
                ":gravel.mozilla.org 432  #momo :Erroneous Nickname: Illegal characters",
                line(
                    &[],
                    Some("gravel.mozilla.org"),
                    "432",
                    &["#momo", "Erroneous Nickname: Illegal characters"],
                ),
            ),
            (
                ":services.esper.net MODE #foo-bar +o foobar  ",
                line(
                    &[],
                    Some("services.esper.net"),
                    "MODE",
                    &["#foo-bar", "+o", "foobar"],
                ),
            ),
            (
                ":SomeOp MODE #channel +oo SomeUser :AnotherUser",
                line(
                    &[],
                    Some("SomeOp"),
                    "MODE",
                    &["#channel", "+oo", "SomeUser", "AnotherUser"],
                ),
            ),
            // leading spaces, an empty source, a lower-case command
            (
                "   privmsg #a :hi",
                line(&[], None, "PRIVMSG", &["#a", "hi"]),
            ),
            (": ping x", line(&[], None, "PING", &["x"])),
            (
                "@a=1   :s   cmd   p   :t",
                line(&[("a", Some("1"))], Some("s"), "CMD", &["p", "t"]),
            ),
        ] {
            assert_eq!(ok(raw), want, "{raw:?}");
            round_trip(raw);
        }
    }

    // Ergo splits every parameter: no folding after the 15th.
    #[test]
    fn more_than_fifteen_parameters_are_each_kept() {
        let words: Vec<String> = (0..20).map(|i| format!("p{i}")).collect();
        let l = round_trip(&format!("CMD {} :last one", words.join(" ")));
        assert_eq!(l.params.len(), 21);
        assert_eq!(l.params[19], "p19");
        assert_eq!(l.params[20], "last one");
        // as many as 510 bytes hold
        let l = ok(&format!("X{}", " a".repeat(254)));
        assert_eq!(l.params.len(), 254);
    }

    #[test]
    fn no_command() {
        for raw in [
            "",
            " ",
            "   ",
            "@a=b",
            "@a=b ",
            "@a=b    ",
            ":src",
            ":src ",
            "@a :src",
            "@a :src  ",
            "@",
            "@ ",
        ] {
            assert_eq!(parse(raw.as_bytes()), Err(LineError::NoCommand), "{raw:?}");
        }
    }

    #[test]
    fn forbidden_bytes() {
        assert_eq!(parse(b"PRIVMSG #a :b\0c"), Err(LineError::ForbiddenByte(0)));
        assert_eq!(
            parse(b"PRIVMSG #a :x\r\nQUIT"),
            Err(LineError::ForbiddenByte(b'\r'))
        );
        assert_eq!(parse(b"PING\nx"), Err(LineError::ForbiddenByte(b'\n')));
        assert_eq!(parse(b"@a=\0 PING"), Err(LineError::ForbiddenByte(0)));
        assert_eq!(parse(b"\0"), Err(LineError::ForbiddenByte(0)));
    }

    #[test]
    fn bad_utf8_keeps_what_an_answer_needs() {
        let raw = b"@label=abc;+x=\xff privmsg #a :caf\xe9";
        let Err(LineError::NotUtf8(Some(l))) = parse(raw) else {
            panic!("{:?}", parse(raw));
        };
        assert_eq!(l.command, "PRIVMSG");
        assert_eq!(l.tag("label"), Some("abc"));
        assert_eq!(l.params[1], "caf\u{fffd}");
        assert_eq!(parse(b"@\xff"), Err(LineError::NotUtf8(None)));
        let Err(LineError::NotUtf8(Some(l))) = parse(b"\xc3") else {
            panic!()
        };
        assert_eq!(l.command, "\u{fffd}");
        assert!(matches!(
            parse(b"\xed\xa0\x80 x"),
            Err(LineError::NotUtf8(Some(_)))
        ));
    }

    #[test]
    fn limits() {
        // the body: 510 bytes pass, 511 do not, whatever the tags
        let body = format!("PRIVMSG #a :{}", "x".repeat(MAX_BODY_LEN - 12));
        assert_eq!(body.len(), MAX_BODY_LEN);
        assert_eq!(ok(&body).params[1].len(), MAX_BODY_LEN - 12);
        assert_eq!(
            parse(format!("{body}y").as_bytes()),
            Err(LineError::TooLong(LinePart::Body))
        );
        let tags = format!("@k={} ", "v".repeat(MAX_TAGS_LEN - 4));
        assert_eq!(tags.len(), MAX_TAGS_LEN);
        let l = ok(&format!("{tags}{body}"));
        assert_eq!(l.tag("k").map(str::len), Some(MAX_TAGS_LEN - 4));
        assert_eq!(
            parse(format!("{tags}{body}y").as_bytes()),
            Err(LineError::TooLong(LinePart::Body))
        );
        // the tags: 8191 bytes with the `@` and the space
        let over = format!("@k={} ", "v".repeat(MAX_TAGS_LEN - 3));
        assert_eq!(
            parse(format!("{over}PING").as_bytes()),
            Err(LineError::TooLong(LinePart::Tags))
        );
        // too long comes before anything else
        let mut bad = vec![b'\xff'; 600];
        bad.extend_from_slice(b"\0");
        assert_eq!(parse(&bad), Err(LineError::TooLong(LinePart::Body)));
    }

    #[test]
    fn ten_thousand_parameters_are_refused_at_once() {
        let raw = format!("CMD{}", " p".repeat(10_000));
        let t = Instant::now();
        assert_eq!(
            parse(raw.as_bytes()),
            Err(LineError::TooLong(LinePart::Body))
        );
        let tagged = format!("@a=1 CMD{}", " p".repeat(10_000));
        assert_eq!(
            parse(tagged.as_bytes()),
            Err(LineError::TooLong(LinePart::Body))
        );
        // and 2000 tags of one key, 1200 distinct ones
        let many_tags = format!("@{} CMD", vec!["a=1"; 2000].join(";"));
        assert!(many_tags.len() < MAX_TAGS_LEN);
        assert_eq!(ok(&many_tags).tags, tags(&[("a", Some("1"))]));
        let distinct: Vec<String> = (0..1200).map(|i| format!("k{i}")).collect();
        let l = ok(&format!("@{} CMD", distinct.join(";")));
        assert_eq!(l.tags.len(), 1200);
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }

    #[test]
    fn a_megabyte_without_a_newline_is_too_long_at_once() {
        let t = Instant::now();
        let mb = vec![b'x'; 1 << 20];
        assert_eq!(parse(&mb), Err(LineError::TooLong(LinePart::Body)));
        let mut tagged = vec![b'a'; 1 << 20];
        tagged[0] = b'@';
        assert_eq!(parse(&tagged), Err(LineError::TooLong(LinePart::Tags)));
        let mut spaced = tagged.clone();
        spaced[100] = b' ';
        assert_eq!(parse(&spaced), Err(LineError::TooLong(LinePart::Body)));
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn server_lines() {
        assert_eq!(
            written(
                &[("msgid", "12"), ("time", "2024-01-02T03:04:05.678Z")],
                Some("alice!alice@modchat"),
                "PRIVMSG",
                &["#room", "hello there"]
            ),
            "@msgid=12;time=2024-01-02T03:04:05.678Z :alice!alice@modchat PRIVMSG #room :hello there\r\n"
        );
        // a `:` only where the last parameter needs one
        assert_eq!(
            written(&[], Some("srv"), "001", &["alice", "Welcome"]),
            ":srv 001 alice Welcome\r\n"
        );
        assert_eq!(written(&[], None, "PING", &[""]), "PING :\r\n");
        assert_eq!(written(&[], None, "X", &[":)"]), "X ::)\r\n");
        assert_eq!(written(&[], None, "X", &["a b"]), "X :a b\r\n");
        assert_eq!(written(&[], None, "QUIT", &[]), "QUIT\r\n");
        // tag values escaped, an empty value is the key alone
        assert_eq!(
            written(
                &[("+draft/reply", "a; b\\c\r\n"), ("flag", "")],
                None,
                "TAGMSG",
                &["#r"]
            ),
            "@+draft/reply=a\\:\\sb\\\\c\\r\\n;flag TAGMSG #r\r\n"
        );
    }

    #[test]
    fn user_text_never_splits_a_server_line() {
        let text = "hi\r\nQUIT :bye\0\n";
        let out = written(&[("+x", "a\0b")], Some("bob"), "PRIVMSG", &["#a", text]);
        assert_eq!(out, "@+x=ab :bob PRIVMSG #a :hi  QUIT :bye  \r\n");
        assert_eq!(out.matches("\r\n").count(), 1);
        // a text made only of a line break still needs its `:`
        assert_eq!(written(&[], None, "X", &["\n"]), "X : \r\n");
        // anything that is not a middle parameter, source, command or tag
        // key is refused and nothing is written
        let mut out = b"kept".to_vec();
        for (t, src, cmd, params, err) in [
            (
                &[][..],
                None,
                "PRIVMSG",
                &["#a b", "x"][..],
                WriteError::BadParam(0),
            ),
            (
                &[],
                None,
                "PRIVMSG",
                &["#a", "", "x"],
                WriteError::BadParam(1),
            ),
            (&[], None, "PRIVMSG", &[":a", "x"], WriteError::BadParam(0)),
            (
                &[],
                None,
                "PRIVMSG",
                &["a\r\nQUIT", "x"],
                WriteError::BadParam(0),
            ),
            (&[], Some("a b"), "PRIVMSG", &["x"], WriteError::BadSource),
            (&[], Some(""), "PRIVMSG", &["x"], WriteError::BadSource),
            (&[], None, "PRIV MSG", &["x"], WriteError::BadCommand),
            (&[], None, "", &["x"], WriteError::BadCommand),
            (&[], None, "@a", &[], WriteError::BadCommand),
            (
                &[("ok", "1"), ("bad key", "1")],
                None,
                "X",
                &[],
                WriteError::BadTagKey(1),
            ),
        ] {
            assert_eq!(write_line(&mut out, t, src, cmd, params), Err(err));
            assert_eq!(out, b"kept");
        }
        let huge = "v".repeat(MAX_TAGS_LEN);
        assert_eq!(
            write_line(&mut out, &[("k", &huge)], None, "X", &[]),
            Err(WriteError::TooLong(LinePart::Tags))
        );
        assert_eq!(out, b"kept");
    }

    #[test]
    fn a_long_last_parameter_is_cut_at_a_character() {
        let text = "é".repeat(400); // 800 bytes
        let out = written(&[("msgid", "1")], Some("srv"), "PRIVMSG", &["#a", &text]);
        let body = out
            .strip_prefix("@msgid=1 ")
            .and_then(|b| b.strip_suffix("\r\n"))
            .unwrap();
        assert!(body.len() <= MAX_BODY_LEN && body.len() >= MAX_BODY_LEN - 1);
        let l = ok(out.trim_end_matches("\r\n"));
        assert!(text.starts_with(&l.params[1]));
        // but the parameters before it are never cut
        let long = "x".repeat(600);
        let mut out = Vec::new();
        assert_eq!(
            write_line(&mut out, &[], None, "X", &[&long, "text"]),
            Err(WriteError::TooLong(LinePart::Body))
        );
        assert_eq!(
            write_line(&mut out, &[], None, "X", &[&long]),
            Ok(()),
            "only one parameter: it is the last"
        );
    }

    #[test]
    fn round_trips() {
        for raw in [
            "@+draft/reply=1;label=x\\sy PRIVMSG #room :hello :) ",
            "@a=\\\\\\:\\s\\r\\n CMD x",
            ":n!u@h KICK #r bob :bye now",
            "CAP LS 302",
            "AUTHENTICATE PLAIN",
            "AUTHENTICATE +",
            "CHATHISTORY BEFORE #room msgid=12 50",
            "PRIVMSG #a ::starts with colon",
            "PRIVMSG #a :",
            "x y z",
        ] {
            round_trip(raw);
        }
        // an odd command parses (for a 421) but is no server line
        let l = ok("ÄÖ x");
        assert_eq!(l.command, "ÄÖ");
        assert_eq!(l.to_bytes(), Err(WriteError::BadCommand));
    }
}
