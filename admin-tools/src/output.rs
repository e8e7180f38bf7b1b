//! Printing rows: an aligned table for people, CSV (RFC 4180) and JSON
//! lines for programs. Rows arrive a page at a time and leave at once, so
//! an export of any size runs in constant memory; the table takes its
//! column widths from the first page.

use std::io::{self, Write};

use chrono::{Local, TimeZone};
use clap::ValueEnum;
use modchat::store::{fmt_time, readonly::Cell};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, times in local time with their offset.
    Table,
    /// RFC 4180 with a header row; times RFC 3339 UTC.
    Csv,
    /// One JSON object per line; times RFC 3339 UTC.
    Jsonl,
}

pub struct Printer<W: Write> {
    format: Format,
    columns: Vec<String>,
    out: W,
    /// Table widths, fixed by the first page.
    widths: Option<Vec<usize>>,
    count: u64,
}

impl<W: Write> Printer<W> {
    pub fn new(format: Format, columns: Vec<String>, out: W) -> Printer<W> {
        Printer {
            format,
            columns,
            out,
            widths: None,
            count: 0,
        }
    }

    /// Prints a page of rows and flushes it.
    pub fn page(&mut self, rows: &[Vec<Cell>]) -> io::Result<()> {
        let first = self.count == 0 && self.widths.is_none();
        match self.format {
            Format::Table => {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| r.iter().map(table_cell).collect())
                    .collect();
                if first {
                    let mut w: Vec<usize> =
                        self.columns.iter().map(|c| c.chars().count()).collect();
                    for r in &cells {
                        for (i, c) in r.iter().enumerate() {
                            if let Some(x) = w.get_mut(i) {
                                *x = (*x).max(c.chars().count());
                            }
                        }
                    }
                    let header = self.columns.clone();
                    self.table_line(&w, &header)?;
                    let rule: Vec<String> = w.iter().map(|n| "-".repeat(*n)).collect();
                    self.table_line(&w, &rule)?;
                    self.widths = Some(w);
                }
                let w = self.widths.clone().unwrap_or_default();
                for r in &cells {
                    self.table_line(&w, r)?;
                }
            }
            Format::Csv => {
                if first {
                    let header = self
                        .columns
                        .iter()
                        .map(|c| csv_field(c))
                        .collect::<Vec<_>>();
                    write!(self.out, "{}\r\n", header.join(","))?;
                    self.widths = Some(Vec::new());
                }
                for r in rows {
                    let line: Vec<String> = r.iter().map(|c| csv_field(&plain(c))).collect();
                    write!(self.out, "{}\r\n", line.join(","))?;
                }
            }
            Format::Jsonl => {
                self.widths = Some(Vec::new());
                for r in rows {
                    let obj: Map<String, Value> = self
                        .columns
                        .iter()
                        .cloned()
                        .zip(r.iter().map(json))
                        .collect();
                    serde_json::to_writer(&mut self.out, &obj)?;
                    self.out.write_all(b"\n")?;
                }
            }
        }
        self.count += rows.len() as u64;
        self.out.flush()
    }

    /// Ends the output: the header of an empty result, and the row count
    /// under a table.
    pub fn finish(mut self) -> io::Result<()> {
        if self.widths.is_none() && self.format != Format::Jsonl {
            self.page(&[])?;
        }
        if self.format == Format::Table {
            let n = self.count;
            writeln!(self.out, "({n} row{})", if n == 1 { "" } else { "s" })?;
        }
        self.out.flush()
    }

    fn table_line(&mut self, widths: &[usize], cells: &[String]) -> io::Result<()> {
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            if i + 1 < cells.len() {
                let w = widths.get(i).copied().unwrap_or(0);
                let pad = w.saturating_sub(c.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }
}

/// Prints a whole, small result to stdout (one page).
pub fn print_rows<S: AsRef<str>>(
    format: Format,
    columns: &[S],
    rows: &[Vec<Cell>],
) -> io::Result<()> {
    let columns = columns.iter().map(|c| c.as_ref().to_owned()).collect();
    let mut p = Printer::new(format, columns, io::stdout().lock());
    p.page(rows)?;
    p.finish()
}

/// A time as people read it: local, with the offset.
pub fn local_time(t: &chrono::NaiveDateTime) -> String {
    Local
        .from_utc_datetime(t)
        .format("%Y-%m-%d %H:%M:%S%.3f %:z")
        .to_string()
}

fn table_cell(c: &Cell) -> String {
    match c {
        Cell::Time(t) => local_time(t),
        // one row stays one line
        Cell::Text(s) => s
            .chars()
            .map(|ch| match ch {
                '\n' => '↵',
                '\t' => ' ',
                c if c.is_control() => '�',
                c => c,
            })
            .collect(),
        other => plain(other),
    }
}

/// The machine form of a value (CSV; JSON strings).
fn plain(c: &Cell) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => f.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Time(t) => fmt_time(t),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

fn json(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(i) => (*i).into(),
        Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cell::Bool(b) => (*b).into(),
        other => plain(other).into(),
    }
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
