//! The readable table each scenario prints above its JSON line.

/// A readable table of a report: one `key value` line per number, nested
/// objects under dotted keys, and arrays of objects (saturate's steps, the
/// log scenario's raw runs) as a table of their own, one row per element.
pub fn table(report: &serde_json::Value) -> String {
    let mut out = String::new();
    rows(&mut out, "", report);
    out
}

fn rows(out: &mut String, prefix: &str, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                rows(out, &key, v);
            }
        }
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => {
            out.push_str(&format!("{prefix}:\n"));
            let mut grid = Vec::new();
            for item in a {
                let mut flat = String::new();
                rows(&mut flat, "", item);
                grid.push(
                    flat.lines()
                        .filter_map(|l| l.split_once(' '))
                        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
                        .collect::<Vec<_>>(),
                );
            }
            let keys: Vec<String> = grid[0].iter().map(|(k, _)| k.clone()).collect();
            let width = |i: usize| {
                grid.iter()
                    .filter_map(|r| r.get(i).map(|(_, v)| v.len()))
                    .chain([keys[i].len()])
                    .max()
                    .unwrap_or(0)
            };
            let widths: Vec<usize> = (0..keys.len()).map(width).collect();
            let line = |cells: Vec<&str>| {
                let mut l = String::from("  ");
                for (c, w) in cells.iter().zip(&widths) {
                    l.push_str(&format!("{c:<w$}  "));
                }
                l.trim_end().to_owned() + "\n"
            };
            out.push_str(&line(keys.iter().map(String::as_str).collect()));
            for r in &grid {
                out.push_str(&line(r.iter().map(|(_, v)| v.as_str()).collect()));
            }
        }
        other => out.push_str(&format!("{prefix:<40} {}\n", fmt_value(other))),
    }
}

/// Whole numbers as they are, fractions with three decimals.
fn fmt_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.3}"),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
