//! Reading the output files: CSV one record at a time, each read by header name into a row
//! struct ([`super::rows`]), every problem located as `FILE:LINE: what is wrong`.

use super::{ExplainError, Ms};
use crate::input::{self, Bounded};
use crate::output::csv_read::Columns;
use serde::Deserialize;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// The files each view reads, for the message about a missing one.
pub const OVERVIEW_FILES: &str = "waits.csv and pods.csv";
/// The files a pod's story reads.
pub const STORY_FILES: &str = "waits.csv, pods.csv and events.csv";

/// Checks that `dir` is a directory.
pub fn check_dir(dir: &Path) -> Result<(), ExplainError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(ExplainError::invalid(format!(
            "{}: not a directory; give the output directory of `ipamsim run --out DIR`",
            crate::scenario::shown_path(dir)
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ExplainError::invalid(format!(
            "{}: no such directory; give the output directory of `ipamsim run --out DIR`",
            crate::scenario::shown_path(dir)
        ))),
        Err(e) => Err(ExplainError::invalid(format!(
            "{}: {e}",
            crate::scenario::shown_path(dir)
        ))),
    }
}

/// One CSV file being read: its path, reader, columns by name and the current record.
pub struct Table {
    path: PathBuf,
    reader: csv::Reader<BufReader<Bounded<File>>>,
    header: csv::StringRecord,
    record: csv::StringRecord,
}

impl Table {
    /// Opens `dir/name`; `needs` names the files the view reads (for a missing one).
    pub fn open(dir: &Path, name: &str, needs: &str) -> Result<Table, ExplainError> {
        let path = dir.join(name);
        let file = match input::open(&path, input::RUN_CSV) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let why = if name == "waits.csv" {
                    "; the run must include waits (a scenario's `outputs:` or run's `--outputs` \
                     can leave it out: run again with `--outputs all`)"
                } else {
                    "; the run's `outputs:` or `--outputs` left it out (run again with \
                     `--outputs all`)"
                };
                return Err(ExplainError::invalid(format!(
                    "{}: no such file{why}; this needs {needs} of one run",
                    crate::scenario::shown_path(&path)
                )));
            }
            Err(e) => {
                return Err(ExplainError::invalid(format!(
                    "{}: {e}",
                    crate::scenario::shown_path(&path)
                )))
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(csv_error(&path, e)),
        };
        if header.iter().all(str::is_empty) {
            return Err(ExplainError::invalid(format!(
                "{}:1: empty file: no header row",
                crate::scenario::shown_path(&path)
            )));
        }
        Ok(Table {
            path,
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }

    /// Where the columns of row struct `T` are; an error naming the header when one is
    /// missing.
    pub fn columns<'de, T: Deserialize<'de>>(&self) -> Result<Columns, ExplainError> {
        Columns::of::<T>(&self.header).map_err(|name| {
            let have: Vec<&str> = self.header.iter().collect();
            ExplainError::invalid(format!(
                "{}:1: no column `{name}` (the header has {}); is this a file of `ipamsim run`?",
                crate::scenario::shown_path(&self.path),
                have.join(",")
            ))
        })
    }

    /// Reads the next record; `false` at the end of the file.
    pub fn next(&mut self) -> Result<bool, ExplainError> {
        self.reader
            .read_record(&mut self.record)
            .map_err(|e| csv_error(&self.path, e))
    }

    /// The current record as row struct `T`, whose columns are `cols`; an error at its line
    /// naming the column of a bad cell.
    pub fn row<'s, T: Deserialize<'s>>(&'s self, cols: &Columns) -> Result<T, ExplainError> {
        cols.read(self.record.as_byte_record())
            .map_err(|e| self.error(e.to_string()))
    }

    /// The 1-based line of the current record.
    pub fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    /// An error at the current record's line.
    pub fn error(&self, what: String) -> ExplainError {
        ExplainError::invalid(format!(
            "{}:{}: {what}",
            crate::scenario::shown_path(&self.path),
            self.line()
        ))
    }
}

/// A `csv` error as a located message.
fn csv_error(path: &Path, e: csv::Error) -> ExplainError {
    let at = |pos: Option<&csv::Position>| pos.map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => ExplainError::invalid(format!(
            "{}:{}: {len} fields where the header has {expected_len}",
            crate::scenario::shown_path(path),
            at(pos.as_ref())
        )),
        csv::ErrorKind::Utf8 { pos, .. } => ExplainError::invalid(format!(
            "{}:{}: not valid UTF-8",
            crate::scenario::shown_path(path),
            at(pos.as_ref())
        )),
        csv::ErrorKind::Io(io) => match input::refusal(io) {
            Some(r) => ExplainError::invalid(format!("{}: {r}", crate::scenario::shown_path(path))),
            None => ExplainError {
                message: format!(
                    "{}: reading failed: {io}",
                    crate::scenario::shown_path(path)
                ),
                invalid: false,
            },
        },
        _ => ExplainError::invalid(format!("{}: {e}", crate::scenario::shown_path(path))),
    }
}

/// Parses seconds written as digits with an optional fraction (`12.345`, `60`, `0.5`)
/// into milliseconds, rounding a longer fraction half up. `None` for anything else
/// (signs, exponents, more than 12 integer digits).
pub fn parse_ms(s: &str) -> Option<Ms> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.contains('.') && frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = int.parse().ok()?;
    let mut ms = 0u64;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += u64::from(b - b'0') * 10u64.pow(2 - i as u32);
    }
    if frac.as_bytes().get(3).is_some_and(|&b| b >= b'5') {
        ms += 1;
    }
    Some(Ms(whole * 1000 + ms))
}

/// `IP_COOLDOWN_PERIOD` (ms) from `dir/summary.json`'s `cni`, if the file is there and
/// says it (it only refines a story, so a missing or odd file is no error).
pub fn cooldown_period(dir: &Path) -> Option<Ms> {
    let text = input::read_to_string(&dir.join("summary.json"), input::JSON).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let s = v.get("cni")?.get("IP_COOLDOWN_PERIOD")?.as_f64()?;
    (s.is_finite() && s >= 0.0).then(|| Ms((s * 1000.0).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_to_milliseconds() {
        assert_eq!(parse_ms("12.345"), Some(Ms(12_345)));
        assert_eq!(parse_ms("60"), Some(Ms(60_000)));
        assert_eq!(parse_ms("0.5"), Some(Ms(500)));
        assert_eq!(parse_ms("1.0005"), Some(Ms(1_001)));
        assert_eq!(parse_ms("1.0004"), Some(Ms(1_000)));
        for bad in [
            "",
            "-1",
            "1e3",
            "1.",
            ".5",
            "abc",
            "1.2.3",
            "1,5",
            "9999999999999",
        ] {
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
    }
}
