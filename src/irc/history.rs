//! CHATHISTORY, MARKREAD and REDACT (docs/irc.md sections 6, 8.4, 8.5), and
//! labeled-response on every command (8.1): the reader's side. A child
//! module of `conn`, so it uses the reader's state and helpers as they are;
//! the replies are written by `render::render_history`.

use actix::Addr;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use super::super::line::{self, Line};
use super::super::render::render_history::{after, fmt_time, parse_time, Hist, Target};
use super::super::render::Control;
use super::super::state::Pending;
use super::{lock, Flow, Gateway};
use crate::actors::session::Session;

/// CHATHISTORY's largest page (`history`'s `limit` maximum), and the page
/// given for a missing, zero, bad or too large limit (Ergo
/// `parseHistoryLimit`).
pub const MAX_PAGE: i64 = 100;

/// A message reference: `msgid=N`, `timestamp=T` or `*`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Ref {
    Id(i64),
    Time(DateTime<Utc>),
    Star,
}

pub(super) fn parse_ref(s: &str) -> Option<Ref> {
    if s == "*" {
        return Some(Ref::Star);
    }
    if let Some(id) = s.strip_prefix("msgid=") {
        return id.parse::<i64>().ok().filter(|i| *i > 0).map(Ref::Id);
    }
    s.strip_prefix("timestamp=")
        .and_then(parse_time)
        .map(Ref::Time)
}

/// What one CHATHISTORY asks of `history`.
enum Plan {
    /// One page: `history` with these fields, then only ids above `gt` and
    /// below `lt`.
    Page(Map<String, Value>, Option<i64>, Option<i64>),
    /// A lookup first (`history` with these fields), then the page.
    Lookup(Map<String, Value>, Hist),
    /// Nothing can be between the references: an empty batch.
    Empty,
}

fn fields(target: &Target, limit: i64, pairs: &[(&str, Value)]) -> Map<String, Value> {
    let mut m = target.arg();
    m.insert("limit".into(), limit.into());
    for (k, v) in pairs {
        m.insert((*k).into(), v.clone());
    }
    m
}

/// The `history` request(s) of `CHATHISTORY sub target a [b] limit`
/// (docs/irc.md section 6); `None`: the references do not fit the
/// subcommand.
fn plan(sub: &str, target: &Target, a: Ref, b: Option<Ref>, limit: i64) -> Option<Plan> {
    let page = |pairs: &[(&str, Value)], gt, lt| Plan::Page(fields(target, limit, pairs), gt, lt);
    Some(match (sub, a, b) {
        ("LATEST", Ref::Star, _) => page(&[], None, None),
        ("LATEST", Ref::Id(x), _) => page(&[], Some(x), None),
        ("LATEST", Ref::Time(t), _) => page(&[("since", after(t).into())], None, None),
        ("BEFORE", Ref::Star, _) => page(&[], None, None),
        ("BEFORE", Ref::Id(x), _) => page(&[("before", x.into())], None, None),
        ("BEFORE", Ref::Time(t), _) => page(&[("until", fmt_time(t).into())], None, None),
        ("AFTER", Ref::Id(x), _) => page(&[("after", x.into())], None, None),
        ("AFTER", Ref::Time(t), _) => page(
            &[("after", 0.into()), ("since", after(t).into())],
            None,
            None,
        ),
        ("AROUND", Ref::Id(x), _) => page(&[("around", x.into())], None, None),
        ("AROUND", Ref::Time(t), _) => {
            let m = fields(target, 1, &[("until", after(t).into())]);
            Plan::Lookup(
                m,
                Hist::AroundAt {
                    target: target.clone(),
                    at: t,
                    limit,
                },
            )
        }
        ("BETWEEN", a, Some(b)) => between(target, a, b, limit, &page)?,
        _ => return None,
    })
}

/// A page's `history` fields, then the ids above and below which it keeps.
type PageOf<'a> = dyn Fn(&[(&str, Value)], Option<i64>, Option<i64>) -> Plan + 'a;

fn between(target: &Target, a: Ref, b: Ref, limit: i64, page: &PageOf<'_>) -> Option<Plan> {
    Some(match (a, b) {
        (Ref::Id(a), Ref::Id(b)) if a < b => page(&[("after", a.into())], None, Some(b)),
        (Ref::Id(a), Ref::Id(b)) if a > b => page(&[("before", a.into())], Some(b), None),
        (Ref::Time(a), Ref::Time(b)) if a + TimeDelta::milliseconds(1) < b => page(
            &[
                ("after", 0.into()),
                ("since", after(a).into()),
                ("until", fmt_time(b).into()),
            ],
            None,
            None,
        ),
        (Ref::Time(a), Ref::Time(b)) if b + TimeDelta::milliseconds(1) < a => page(
            &[("since", after(b).into()), ("until", fmt_time(a).into())],
            None,
            None,
        ),
        (Ref::Id(_), Ref::Id(_)) | (Ref::Time(_), Ref::Time(_)) => Plan::Empty,
        // `*` is the end of history on its side (Ergo: an unbounded reference)
        (Ref::Id(a), Ref::Star) => page(&[("after", a.into())], None, None),
        (Ref::Time(a), Ref::Star) => page(
            &[("after", 0.into()), ("since", after(a).into())],
            None,
            None,
        ),
        (Ref::Star, Ref::Id(b)) => page(&[("after", 0.into())], None, Some(b)),
        (Ref::Star, Ref::Time(b)) => page(
            &[("after", 0.into()), ("until", fmt_time(b).into())],
            None,
            None,
        ),
        (Ref::Star, Ref::Star) => page(&[("after", 0.into())], None, None),
        // one msgid, one time: the msgid's own time gives the direction
        (Ref::Id(id), Ref::Time(at)) | (Ref::Time(at), Ref::Id(id)) => Plan::Lookup(
            fields(target, 1, &[("around", id.into())]),
            Hist::Mixed {
                target: target.clone(),
                id,
                id_first: matches!(a, Ref::Id(_)),
                at,
                limit,
            },
        ),
    })
}

impl Gateway {
    /// A line, its output labeled when it carries `@label` and the client
    /// has labeled-response (docs/irc.md 8.1).
    pub(super) async fn labeled_line(&mut self, raw: &[u8], session: &Addr<Session>) -> Flow {
        if !raw.starts_with(b"@") {
            return self.line(raw, session).await;
        }
        let label = line::parse(raw)
            .ok()
            .and_then(|l| l.tag("label").map(str::to_owned))
            .filter(|l| !l.is_empty());
        let id = match label {
            Some(tag) => {
                let mut st = lock(&self.state);
                match st.has("labeled-response") {
                    true => Some(st.labels.open(tag)),
                    false => None,
                }
            }
            None => None,
        };
        let flow = self.line(raw, session).await;
        if let Some(id) = id {
            self.release_label(id);
        }
        flow
    }

    /// What the writer asked for; a follow-up of a labeled command's reply
    /// is part of that command's output.
    pub(super) async fn labeled_control(&mut self, c: Control, session: &Addr<Session>) -> Flow {
        match c {
            Control::Labeled(id, inner) => {
                lock(&self.state).labels.current = Some(id);
                let flow = self.control(*inner, session).await;
                self.release_label(id);
                flow
            }
            c => self.control(c, session).await,
        }
    }

    /// The reader is done with label `id`: its output goes out when no
    /// reply is awaited any more.
    fn release_label(&self, id: u64) {
        let done = {
            let mut st = lock(&self.state);
            st.labels.current = None;
            let batch = st.has("batch");
            st.labels.release(id, batch, &self.server)
        };
        if let Some(buf) = done {
            self.push(buf);
        }
    }

    fn fail(&self, command: &str, code: &str, context: &[&str], text: &str) {
        self.with_out(|out, _| out.fail(command, code, context, text));
    }

    /// `CHATHISTORY sub target ref [ref] [limit]` (docs/irc.md section 6).
    pub(super) async fn chathistory(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        const CMD: &str = "CHATHISTORY";
        let Some(sub) = l.param(0).map(str::to_ascii_uppercase) else {
            self.fail(CMD, "NEED_MORE_PARAMS", &[], "Missing parameters");
            return Flow::Go;
        };
        let refs = match sub.as_str() {
            "LATEST" | "BEFORE" | "AFTER" | "AROUND" => 1,
            "BETWEEN" => 2,
            "TARGETS" => {
                self.fail(CMD, "UNKNOWN_COMMAND", &[&sub], "TARGETS is not supported");
                return Flow::Go;
            }
            _ => {
                self.fail(CMD, "UNKNOWN_COMMAND", &[&sub], "Unknown command");
                return Flow::Go;
            }
        };
        if l.params.len() < 2 + refs {
            self.fail(CMD, "NEED_MORE_PARAMS", &[&sub], "Missing parameters");
            return Flow::Go;
        }
        let raw_target = l.params[1].clone();
        let Some(target) = Target::parse(&raw_target) else {
            self.fail(
                CMD,
                "INVALID_TARGET",
                &[&sub, &raw_target],
                "Messages could not be retrieved",
            );
            return Flow::Go;
        };
        let limit = l
            .param(2 + refs)
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .unwrap_or(MAX_PAGE);
        let a = parse_ref(&l.params[2]);
        let b = if refs == 2 {
            parse_ref(&l.params[3]).map(Some)
        } else {
            Some(None)
        };
        let p = match (a, b) {
            (Some(a), Some(b)) => plan(&sub, &target, a, b, limit),
            _ => None,
        };
        match p {
            None => {
                self.fail(CMD, "INVALID_PARAMS", &[&sub], "Invalid parameters");
                Flow::Go
            }
            Some(Plan::Empty) => {
                let me = lock(&self.state).me().to_owned();
                self.with_out(|out, st| {
                    super::super::render::render_history::page(
                        out,
                        st,
                        &me,
                        &target,
                        &[],
                        None,
                        None,
                    )
                });
                Flow::Go
            }
            Some(Plan::Page(args, gt, lt)) => {
                let h = Hist::Page {
                    sub,
                    target,
                    gt,
                    lt,
                };
                self.request(session, "history", Value::Object(args), Pending::History(h))
                    .await
            }
            Some(Plan::Lookup(args, h)) => {
                self.request(session, "history", Value::Object(args), Pending::History(h))
                    .await
            }
        }
    }

    /// `MARKREAD target [timestamp=T]` (docs/irc.md 8.5).
    pub(super) async fn markread(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        const CMD: &str = "MARKREAD";
        let Some(raw_target) = l.param(0).filter(|t| !t.is_empty()) else {
            self.fail(CMD, "NEED_MORE_PARAMS", &[], "Missing parameters");
            return Flow::Go;
        };
        let Some(target) = Target::parse(raw_target) else {
            self.fail(CMD, "INVALID_PARAMS", &[raw_target], "Invalid target");
            return Flow::Go;
        };
        let Some(stamp) = l.param(1) else {
            return self.marker_of(target, session).await;
        };
        let Some(t) = stamp.strip_prefix("timestamp=").and_then(parse_time) else {
            self.fail(CMD, "INVALID_PARAMS", &[stamp], "Invalid timestamp");
            return Flow::Go;
        };
        // the newest message at or before T: the marker is a message id
        let args = fields(&target, 1, &[("until", after(t).into())]);
        self.request(
            session,
            "history",
            Value::Object(args),
            Pending::History(Hist::MarkFind { target }),
        )
        .await
    }

    /// `MARKREAD target timestamp=...` (or `*`) with the stored marker.
    async fn marker_of(&mut self, target: Target, session: &Addr<Session>) -> Flow {
        match &target {
            Target::Room(room) => {
                self.request(
                    session,
                    "rooms",
                    json!({"query": room}),
                    Pending::History(Hist::MarkGet { target }),
                )
                .await
            }
            // no request reads a conversation's marker (docs/irc.md 11)
            Target::With(_) => {
                self.with_out(|out, _| {
                    super::super::render::render_history::markread(out, &target, None)
                });
                Flow::Go
            }
        }
    }

    /// `REDACT #room msgid [:reason]` (docs/irc.md 8.4).
    pub(super) async fn redact(&mut self, l: &Line, session: &Addr<Session>) -> Flow {
        const CMD: &str = "REDACT";
        let (Some(raw_target), Some(msgid)) = (l.param(0), l.param(1)) else {
            self.numeric("461", &[CMD, "Not enough parameters"]);
            return Flow::Go;
        };
        let room = match Target::parse(raw_target) {
            Some(Target::Room(room)) => room,
            _ => {
                let text = format!("You cannot delete messages from {raw_target}");
                self.fail(CMD, "INVALID_TARGET", &[raw_target], &text);
                return Flow::Go;
            }
        };
        let Some(id) = msgid.parse::<i64>().ok().filter(|i| *i > 0) else {
            self.fail(
                CMD,
                "UNKNOWN_MSGID",
                &[raw_target, msgid],
                "This message does not exist",
            );
            return Flow::Go;
        };
        // the message must be that room's: the page at its id holds it
        let args = json!({"room": room, "around": id, "limit": 1});
        self.request(
            session,
            "history",
            args,
            Pending::History(Hist::RedactFind { room, msgid: id }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(parse_ref("*"), Some(Ref::Star));
        assert_eq!(parse_ref("msgid=42"), Some(Ref::Id(42)));
        assert_eq!(parse_ref("msgid=0"), None);
        assert_eq!(parse_ref("msgid=x"), None);
        assert_eq!(parse_ref("42"), None);
        let t = parse_ref("timestamp=2026-11-21T10:00:00.123Z");
        assert!(matches!(t, Some(Ref::Time(_))));
        assert_eq!(parse_ref("timestamp=yesterday"), None);
        let t = parse_time("2026-11-21T10:00:00.123Z").unwrap();
        assert_eq!(after(t), "2026-11-21T10:00:00.124Z");
        assert_eq!(fmt_time(t), "2026-11-21T10:00:00.123Z");
    }

    #[test]
    fn plans() {
        let room = Target::Room("a".into());
        let p = |sub, a, b| plan(sub, &room, a, b, 10);
        assert!(matches!(
            p("LATEST", Ref::Id(5), None),
            Some(Plan::Page(_, Some(5), None))
        ));
        assert!(p("AFTER", Ref::Star, None).is_none());
        assert!(p("AROUND", Ref::Star, None).is_none());
        assert!(matches!(
            p("BETWEEN", Ref::Id(9), Some(Ref::Id(3))),
            Some(Plan::Page(m, Some(3), None)) if m["before"] == 9
        ));
        assert!(matches!(
            p("BETWEEN", Ref::Id(3), Some(Ref::Id(9))),
            Some(Plan::Page(m, None, Some(9))) if m["after"] == 3
        ));
        assert!(matches!(
            p("BETWEEN", Ref::Id(3), Some(Ref::Id(3))),
            Some(Plan::Empty)
        ));
        let t = parse_time("2026-11-21T10:00:00.123Z").unwrap();
        assert!(matches!(
            p("BETWEEN", Ref::Id(3), Some(Ref::Time(t))),
            Some(Plan::Lookup(_, Hist::Mixed { id_first: true, .. }))
        ));
    }
}
