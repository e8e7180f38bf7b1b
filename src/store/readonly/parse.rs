//! Reading an auditor's statement before it runs: one statement, one that
//! reads, `:name` parameters turned into `?` binds. A small scanner that
//! knows quotes and comments, so a `;` or a `:word` inside a string is
//! left alone.

/// A statement ready to run: `sql` with `?` where `params` (in order, a
/// name once per occurrence) are bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub sql: String,
    pub params: Vec<String>,
}

/// The statements that read. Anything else is refused before it reaches
/// the database (which would refuse a write anyway).
const READS: &[&str] = &[
    "select", "with", "explain", "show", "describe", "desc", "values", "table", "pragma",
];

/// Reads `sql`: refuses a second statement, a statement that does not
/// start like a read, `SELECT ... INTO OUTFILE|DUMPFILE`, and a bare `?`.
pub fn prepare(sql: &str) -> Result<Prepared, String> {
    let mut out = String::with_capacity(sql.len());
    let mut params = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut ended = false; // a `;` has been seen
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' | '`' => {
                let start = i;
                i += 1;
                while i < chars.len() {
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            i += 2; // a doubled quote inside the string
                            continue;
                        }
                        break;
                    }
                    if chars[i] == '\\' && c != '`' {
                        i += 1; // MySQL's backslash escapes
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("a quote is not closed".into());
                }
                let lit: String = chars[start..=i].iter().collect();
                if ended {
                    return Err(one_statement());
                }
                out.push_str(&lit);
                words.push(String::from("\u{0}literal"));
                i += 1;
                continue;
            }
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '#' => {
                // MySQL's line comment; SQLite has no `#` operator either
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if next == Some('*') => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                    .ok_or("a /* comment is not closed")?;
                out.push(' ');
                i = end + 2;
                continue;
            }
            ';' => {
                ended = true;
                i += 1;
                continue;
            }
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
                continue;
            }
            _ => {}
        }
        if ended {
            return Err(one_statement());
        }
        if c == '?' {
            return Err("write parameters as :name (given with --param name=value), not ?".into());
        }
        if c == ':' && next.is_some_and(|n| n.is_ascii_alphabetic() || n == '_') {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            params.push(
                chars[start..j]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase(),
            );
            out.push('?');
            words.push(String::from("\u{0}param"));
            i = j;
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let w: String = chars[start..i].iter().collect();
            out.push_str(&w);
            words.push(w.to_lowercase());
            continue;
        }
        out.push(c);
        i += 1;
    }
    let Some(first) = words.first() else {
        return Err("the statement is empty".into());
    };
    if !READS.contains(&first.as_str()) {
        return Err(format!(
            "only a statement that reads may run here (SELECT, WITH, SHOW, EXPLAIN, DESCRIBE); {} is refused and nothing was changed",
            first.to_uppercase()
        ));
    }
    if first == "pragma" && out.contains('=') {
        return Err("a PRAGMA that sets a value is refused; nothing was changed".into());
    }
    if words
        .windows(2)
        .any(|w| w[0] == "into" && (w[1] == "outfile" || w[1] == "dumpfile"))
    {
        return Err("SELECT ... INTO OUTFILE writes a file on the server: refused".into());
    }
    if let Some(lock) = locking_read(&words) {
        return Err(format!(
            "{lock} takes locks that hold up the server's writes: refused, nothing ran (a plain SELECT reads a consistent snapshot without them)"
        ));
    }
    Ok(Prepared {
        sql: out.trim().to_owned(),
        params,
    })
}

/// A locking clause anywhere in the statement, subqueries and CTEs
/// included: `FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`, and
/// `GET_LOCK`, whose named lock outlives the statement and is the one the
/// server's migrations wait for. Even a user granted only SELECT takes
/// these row locks on MariaDB, so the refusal has to be here. `words` holds
/// no comments and no literal's contents, so a clause split by comments or
/// odd spacing is still adjacent here, and a quoted `'for update'` is not a
/// clause. Punctuation between words is not kept, which can only make the
/// check refuse more (`for, update`), never less.
fn locking_read(words: &[String]) -> Option<&'static str> {
    for (i, w) in words.iter().enumerate() {
        let next = |k: usize| words.get(i + k).map(String::as_str);
        match w.as_str() {
            "for" if next(1) == Some("update") => return Some("SELECT ... FOR UPDATE"),
            "for" if next(1) == Some("share") => return Some("SELECT ... FOR SHARE"),
            "lock" if next(1) == Some("in") && next(2) == Some("share") => {
                return Some("SELECT ... LOCK IN SHARE MODE")
            }
            "get_lock" => return Some("GET_LOCK()"),
            _ => {}
        }
    }
    None
}

fn one_statement() -> String {
    "only one statement may run at a time".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_become_binds() {
        let p = prepare("-- who\nSELECT a FROM t WHERE u = :user AND d >= :since OR u = :user;")
            .unwrap();
        assert_eq!(p.sql, "SELECT a FROM t WHERE u = ? AND d >= ? OR u = ?");
        assert_eq!(p.params, ["user", "since", "user"]);
    }

    #[test]
    fn quotes_and_comments_are_left_alone() {
        let p = prepare("SELECT ':not', 'it''s; fine', \"x:y\" /* ; :z */ FROM t -- ; :w").unwrap();
        assert!(p.params.is_empty());
        assert!(p.sql.contains("'it''s; fine'"));
        assert!(!p.sql.contains("/*"));
    }

    #[test]
    fn writes_and_second_statements_are_refused() {
        for bad in [
            "DELETE FROM chat_logs",
            "update accounts set role = 'admin'",
            "DROP TABLE chat_logs",
            "SELECT 1; DROP TABLE chat_logs",
            "SELECT * FROM t INTO OUTFILE '/tmp/x'",
            "PRAGMA journal_mode = DELETE",
            "SELECT ?",
            "",
            "-- only a comment",
            "SELECT 'open",
        ] {
            assert!(prepare(bad).is_err(), "{bad:?}");
        }
        assert!(prepare("  with x as (select 1) select * from x ;  -- done").is_ok());
    }

    #[test]
    fn locking_reads_are_refused_in_every_spelling() {
        for bad in [
            "SELECT * FROM accounts FOR UPDATE",
            "select * from accounts for share",
            "SELECT * FROM accounts LOCK IN SHARE MODE",
            "SELECT *, SLEEP(20) FROM rooms lock   in\tshare\nmode",
            "SELECT * FROM rooms FOR/**/UPDATE",
            "SELECT * FROM rooms FOR -- a comment\n UPDATE",
            "SELECT * FROM rooms FOR # a comment\n SHARE",
            "SELECT * FROM rooms LOCK/*x*/IN/*y*/SHARE/*z*/MODE",
            "SELECT * FROM rooms FoR UpDaTe NOWAIT",
            "SELECT * FROM rooms FOR UPDATE SKIP LOCKED",
            "SELECT (SELECT id FROM rooms LIMIT 1 FOR UPDATE) AS x",
            "SELECT * FROM (SELECT * FROM rooms FOR UPDATE) t",
            "WITH r AS (SELECT * FROM rooms LOCK IN SHARE MODE) SELECT * FROM r",
            "SELECT 1 FROM rooms WHERE id IN (SELECT id FROM rooms FOR SHARE)",
            "EXPLAIN SELECT * FROM rooms FOR UPDATE",
            "SELECT GET_LOCK('modchat_migrate.x', 0)",
            "SELECT get_lock ('x', 0)",
        ] {
            let e = prepare(bad).expect_err(bad);
            assert!(e.contains("lock") || e.contains("LOCK"), "{bad:?}: {e}");
        }
        for fine in [
            "SELECT 'for update', \"lock in share mode\" FROM rooms",
            "SELECT `for`, `update` FROM t",
            "SELECT for_update, lock_in_share_mode FROM t",
            "SELECT * FROM rooms -- FOR UPDATE",
            "SELECT * FROM rooms /* LOCK IN SHARE MODE */",
            "SELECT 'it''s', 'a\\\\' FROM t",
        ] {
            assert!(prepare(fine).is_ok(), "{fine:?}");
        }
    }
}
