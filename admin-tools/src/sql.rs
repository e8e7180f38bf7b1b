//! `sql NAME [--param k=v]...`, `sql --query '...'` and `sql --list`.
//!
//! Canned queries are the files of `admin-tools/sql/`, embedded in the
//! binary: `NAME.sql`, or `NAME.mysql.sql` / `NAME.sqlite.sql` where the
//! backends need different SQL. Each opens with a comment: its first line
//! says what it answers, and `--   :name  meaning` lines declare its
//! parameters. Everything runs through the store's read-only runner.

use modchat::store::readonly::{self, bind_time, parse_time, prepare, Prepared};
use modchat::store::{Backend, DatabaseUrl};

use crate::cli::SqlArgs;
use crate::output::{print_rows, Format};
use crate::{Done, Fail};

include!(concat!(env!("OUT_DIR"), "/canned.rs"));

/// A canned query for one backend.
pub struct Canned {
    pub name: String,
    pub summary: String,
    /// (name, meaning), as declared in the header.
    pub params: Vec<(String, String)>,
    pub sql: &'static str,
}

impl Canned {
    fn parse(name: &str, sql: &'static str) -> Canned {
        let header: Vec<&str> = sql
            .lines()
            .take_while(|l| l.trim_start().starts_with("--"))
            .map(|l| l.trim_start().trim_start_matches('-'))
            .collect();
        let summary = header
            .first()
            .map(|l| l.trim().to_owned())
            .unwrap_or_default();
        let params = header
            .iter()
            .filter_map(|l| l.trim_start().strip_prefix(':'))
            .filter_map(|l| {
                let (name, meaning) = l.split_once(char::is_whitespace)?;
                Some((name.to_owned(), meaning.trim().to_owned()))
            })
            .collect();
        Canned {
            name: name.to_owned(),
            summary,
            params,
            sql,
        }
    }
}

/// Every canned query that runs on `backend`, by name.
pub fn canned(backend: Backend) -> Vec<Canned> {
    let own = match backend {
        Backend::Mysql => ".mysql.sql",
        Backend::Sqlite => ".sqlite.sql",
    };
    let mut out: Vec<Canned> = CANNED
        .iter()
        .filter_map(|(file, sql)| {
            if let Some(name) = file.strip_suffix(own) {
                return Some(Canned::parse(name, sql));
            }
            let name = file.strip_suffix(".sql")?;
            // a variant for the other backend, or a shared file
            // overridden by this backend's own
            if name.ends_with(".mysql") || name.ends_with(".sqlite") {
                return None;
            }
            let overridden = CANNED.iter().any(|(f, _)| *f == format!("{name}{own}"));
            (!overridden).then(|| Canned::parse(name, sql))
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `sql --list` (or `sql` alone) only lists the canned queries: it needs
/// no database.
pub fn lists_only(args: &SqlArgs) -> bool {
    args.list || (args.name.is_none() && args.query.is_none())
}

pub fn run(url: &DatabaseUrl, args: SqlArgs, format: Format) -> Done {
    let all = canned(url.backend());
    if lists_only(&args) {
        for c in &all {
            println!("{}", c.name);
            println!("    {}", c.summary);
            for (p, meaning) in &c.params {
                println!("    --param {p}=...  {meaning}");
            }
        }
        return Ok(());
    }
    let (stmt, declared) = match (&args.name, &args.query) {
        (Some(name), _) => {
            let c = all.iter().find(|c| &c.name == name).ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
                Fail::usage(format!(
                    "no canned query {name:?}; there are: {}",
                    names.join(", ")
                ))
            })?;
            let stmt = prepare(c.sql).map_err(|e| Fail::refused(format!("{name}: {e}")))?;
            (stmt, Some(&c.params))
        }
        (None, q) => (
            prepare(q.as_deref().unwrap_or_default()).map_err(Fail::refused)?,
            None,
        ),
    };
    let values = bind_values(&stmt, &args.params, declared)?;
    let timeout = modchat::validate::duration(&args.timeout)
        .map_err(|e| Fail::usage(format!("--timeout: {e}")))?;
    let timeout = std::time::Duration::from_secs(timeout.unsigned_abs());
    let table = readonly::run(url, &stmt, &values, timeout)?;
    print_rows(format, &table.columns, &table.rows)?;
    Ok(())
}

/// The value of each `?` in order, from `--param k=v`. Every parameter the
/// statement uses must be given, and nothing else. A time given as RFC 3339
/// is bound in the stored form (UTC), so it compares right on both backends.
fn bind_values(
    stmt: &Prepared,
    given: &[String],
    declared: Option<&Vec<(String, String)>>,
) -> Result<Vec<String>, Fail> {
    let mut map = std::collections::HashMap::new();
    for kv in given {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Fail::usage(format!("--param {kv:?}: expected KEY=VALUE")))?;
        let k = k.trim().to_ascii_lowercase();
        if !stmt.params.contains(&k) {
            return Err(Fail::usage(format!("--param {k}: the query has no :{k}")));
        }
        let is_rfc3339 = v.contains('T') && chrono::DateTime::parse_from_rfc3339(v.trim()).is_ok();
        let v = match parse_time(v) {
            Some(t) if is_rfc3339 => bind_time(&t),
            _ => v.to_owned(),
        };
        map.insert(k, v);
    }
    stmt.params
        .iter()
        .map(|p| {
            map.get(p).cloned().ok_or_else(|| {
                let meaning = declared
                    .and_then(|d| d.iter().find(|(n, _)| n == p))
                    .map(|(_, m)| format!(" ({m})"))
                    .unwrap_or_default();
                Fail::usage(format!("missing --param {p}=...{meaning}"))
            })
        })
        .collect()
}
