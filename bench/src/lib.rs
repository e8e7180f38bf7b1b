//! `modchat-bench`: a loopback load generator speaking the modchat protocol
//! over TCP. Scenarios return one JSON object (the binary prints a table and
//! that object as one line); the smoke test in the server's tests calls them
//! directly.
//!
//! Run the server for a benchmark with a low bcrypt cost and the flood
//! limits raised through the environment, e.g.
//! `MODCHAT_AUTH__BCRYPT_COST=4 MODCHAT_LIMITS__SAY_BURST=1000000
//! MODCHAT_LIMITS__SAY_PER_S=1000000 modchat serve`.

pub mod client;
pub mod fanout;
pub mod idle;
pub mod procfs;
pub mod saturate;

/// A readable table of a report's top-level numbers.
pub fn table(report: &serde_json::Value) -> String {
    let mut out = String::new();
    if let Some(o) = report.as_object() {
        for (k, v) in o {
            let v = match v {
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) if f.fract() != 0.0 => format!("{f:.3}"),
                    _ => n.to_string(),
                },
                other => other.to_string(),
            };
            out.push_str(&format!("{k:<32} {v}\n"));
        }
    }
    out
}
