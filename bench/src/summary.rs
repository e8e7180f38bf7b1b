//! `summary`: the comparison `scripts/bench` ends with. It reads the
//! `{"target": NAME, "run": REPORT}` lines of one run (modchat on SQLite, on
//! MariaDB, ngircd...) and lays the headline numbers side by side, with
//! each target's ratio to the baseline (ngircd): above 1 means more
//! deliveries/s, but also a longer p99, more CPU per delivery, more bytes
//! per idle connection.

use serde_json::{json, Value};

/// One row: a label and where its number sits in which scenario's report.
struct Metric {
    label: String,
    scenario: &'static str,
    pointer: String,
    /// Shown with a ratio to the baseline (the numbers both sides have).
    ratio: bool,
}

fn metric(label: &str, scenario: &'static str, pointer: &str, ratio: bool) -> Metric {
    Metric {
        label: label.to_owned(),
        scenario,
        pointer: pointer.to_owned(),
        ratio,
    }
}

pub struct Summary {
    /// Targets in the order they first appear, with their reports.
    targets: Vec<(String, Vec<Value>)>,
    baseline: String,
}

impl Summary {
    /// Lines that are not `{"target", "run"}` objects are skipped.
    pub fn from_lines(text: &str, baseline: &str) -> Summary {
        let mut targets: Vec<(String, Vec<Value>)> = Vec::new();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let (Some(t), Some(run)) = (v["target"].as_str(), v.get("run")) else {
                continue;
            };
            match targets.iter_mut().find(|(n, _)| n == t) {
                Some((_, runs)) => runs.push(run.clone()),
                None => targets.push((t.to_owned(), vec![run.clone()])),
            }
        }
        Summary {
            targets,
            baseline: baseline.to_owned(),
        }
    }

    fn metrics(&self) -> Vec<Metric> {
        let mut m = vec![
            metric("fanout deliveries/s", "fanout", "/deliveries_per_s", true),
            metric("fanout lost", "fanout", "/lost", false),
            metric("fanout p50 ms", "fanout", "/latency_ms/p50", true),
            metric("fanout p99 ms", "fanout", "/latency_ms/p99", true),
            metric(
                "fanout server CPU us/delivery",
                "fanout",
                "/server_cpu_us_per_delivery",
                true,
            ),
            metric("fanout tool CPU s", "fanout", "/client_cpu_s", false),
            metric(
                "saturate max deliveries/s",
                "saturate",
                "/max_sustained_deliveries_per_s",
                true,
            ),
            metric(
                "saturate p99 ms at max",
                "saturate",
                "/best_step/latency_ms/p99",
                true,
            ),
            metric(
                "idle bytes/connection",
                "idle",
                "/server_bytes_per_connection",
                true,
            ),
            metric("storm logins/s", "storm", "/logins_per_s", false),
            metric("storm login p99 ms", "storm", "/login_p99_ms", false),
            metric("storm resumes/s", "storm", "/resumes_per_s", false),
            metric("storm resume p99 ms", "storm", "/resume_p99_ms", false),
            metric("storm failures", "storm", "/failures", false),
            metric("log commits/s", "log", "/commits_per_s", false),
            metric("log ack p99 ms", "log", "/latency_ms/p99", false),
            metric("log errors", "log", "/errors", false),
        ];
        // the raw insert runs, by their batch sizes
        let mut batches: Vec<u64> = Vec::new();
        for (_, runs) in &self.targets {
            for r in runs.iter().filter(|r| r["scenario"] == "log") {
                for raw in r["raw"]["runs"].as_array().into_iter().flatten() {
                    if let Some(b) = raw["batch"].as_u64() {
                        if !batches.contains(&b) {
                            batches.push(b);
                        }
                    }
                }
            }
        }
        for (i, b) in batches.iter().enumerate() {
            m.push(metric(
                &format!("log raw rows/s, batch {b}"),
                "log",
                &format!("/raw/runs/{i}/rows_per_s"),
                false,
            ));
        }
        m
    }

    fn value(&self, target: usize, m: &Metric) -> Option<&Value> {
        let run = self.targets[target]
            .1
            .iter()
            .rev()
            .find(|r| r["scenario"] == m.scenario)?;
        Some(run.pointer(&m.pointer).unwrap_or(&Value::Null))
    }

    fn baseline_index(&self) -> Option<usize> {
        self.targets.iter().position(|(n, _)| *n == self.baseline)
    }

    /// `(label, [(target, value)], [(target, ratio)])` for every metric some
    /// target has.
    #[allow(clippy::type_complexity)]
    fn rows(&self) -> Vec<(String, Vec<Option<Value>>, Vec<Option<f64>>)> {
        let base = self.baseline_index();
        let mut out = Vec::new();
        for m in self.metrics() {
            let values: Vec<Option<Value>> = (0..self.targets.len())
                .map(|t| self.value(t, &m).cloned())
                .collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let b = base.and_then(|b| values[b].as_ref()?.as_f64());
            let ratios = (0..self.targets.len())
                .filter(|t| Some(*t) != base)
                .map(|t| {
                    let v = values[t].as_ref()?.as_f64()?;
                    let b = b.filter(|b| m.ratio && *b != 0.0)?;
                    Some(v / b)
                })
                .collect();
            out.push((m.label, values, ratios));
        }
        out
    }

    /// The summary as a table: one column per target, then one ratio column
    /// per target that is not the baseline (when the baseline ran).
    pub fn table(&self) -> String {
        let base = self.baseline_index();
        let mut header = vec!["".to_owned()];
        header.extend(self.targets.iter().map(|(n, _)| n.clone()));
        if base.is_some() {
            for (t, (n, _)) in self.targets.iter().enumerate() {
                if Some(t) != base {
                    header.push(format!("{n}/{}", self.baseline));
                }
            }
        }
        let mut grid = vec![header];
        for (label, values, ratios) in self.rows() {
            let mut row = vec![label];
            row.extend(values.iter().map(|v| match v {
                None => "-".to_owned(),
                Some(Value::Null) => "none".to_owned(),
                Some(v) => v.as_f64().map_or_else(|| v.to_string(), number),
            }));
            if base.is_some() {
                row.extend(
                    ratios
                        .iter()
                        .map(|r| r.map_or_else(String::new, |r| format!("{r:.2}x"))),
                );
            }
            grid.push(row);
        }
        let cols = grid[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in grid {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c == 0 {
                    line.push_str(&format!("{cell:<w$}", w = widths[c]));
                } else {
                    line.push_str(&format!("  {cell:>w$}", w = widths[c]));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// The same numbers as one JSON object.
    pub fn to_json(&self) -> Value {
        let base = self.baseline_index();
        let names: Vec<&String> = self.targets.iter().map(|(n, _)| n).collect();
        let others: Vec<&String> = names
            .iter()
            .enumerate()
            .filter(|(t, _)| Some(*t) != base)
            .map(|(_, n)| *n)
            .collect();
        let rows: Vec<Value> = self
            .rows()
            .into_iter()
            .map(|(label, values, ratios)| {
                let mut o = serde_json::Map::new();
                o.insert("metric".into(), json!(label));
                for (n, v) in names.iter().zip(values) {
                    o.insert((*n).clone(), v.unwrap_or(Value::Null));
                }
                if base.is_some() {
                    for (n, r) in others.iter().zip(ratios) {
                        o.insert(format!("{n}/{}", self.baseline), json!(r));
                    }
                }
                Value::Object(o)
            })
            .collect();
        json!({"summary": rows, "baseline": self.baseline})
    }
}

/// 48,532 for large numbers, 3.45 for small ones.
fn number(x: f64) -> String {
    if x.abs() >= 100.0 {
        let s = format!("{:.0}", x.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_to_the_baseline() {
        let lines = [
            r#"{"target":"modchat-sqlite","run":{"scenario":"fanout","deliveries_per_s":40000.0,"lost":0,"latency_ms":{"p50":2.0,"p99":10.0}}}"#,
            "not json",
            r#"{"target":"ngircd","run":{"scenario":"fanout","deliveries_per_s":50000.0,"lost":0,"latency_ms":{"p50":1.0,"p99":5.0}}}"#,
            r#"{"target":"ngircd","run":{"scenario":"idle","server_bytes_per_connection":2000.0}}"#,
        ]
        .join("\n");
        let s = Summary::from_lines(&lines, "ngircd");
        let t = s.table();
        assert!(t.contains("modchat-sqlite/ngircd"), "{t}");
        assert!(t.contains("0.80x"), "{t}");
        assert!(t.contains("2.00x"), "{t}");
        assert!(t.contains("40,000"), "{t}");
        let j = s.to_json();
        assert_eq!(j["summary"][0]["modchat-sqlite/ngircd"], json!(0.8));
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(3.456), "3.46");
    }
}
