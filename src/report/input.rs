//! Reading the output directory's files: CSV through the csv crate, each record read by
//! header name (extra columns ignored) into a row struct ([`super::rows`]), or, for
//! `comparison.csv`, whose columns vary with the comparison, cell by cell; JSON through
//! serde_json into typed structs. Every problem is an error naming the file and line,
//! never a panic.

use super::ReportError;
use crate::output::csv_read::Columns;
use serde::Deserialize;
use std::path::Path;

/// A CSV file being read, with its path for error messages.
pub struct CsvIn<'p> {
    path: &'p Path,
    reader: csv::Reader<crate::input::Bounded<std::fs::File>>,
}

/// One data row: its 1-based line number and its fields.
pub struct Row<'p> {
    path: &'p Path,
    /// 1-based line of the row in the file.
    pub line: u64,
    record: csv::ByteRecord,
}

impl<'p> CsvIn<'p> {
    /// Opens a CSV file with a header row.
    pub fn open(path: &'p Path) -> Result<CsvIn<'p>, ReportError> {
        let file =
            crate::input::open(path, crate::input::RUN_CSV).map_err(|e| io_error(path, e))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(file);
        Ok(CsvIn { path, reader })
    }

    /// The header's cells.
    pub fn header(&mut self) -> Result<Vec<String>, ReportError> {
        let path = self.path;
        Ok(self
            .reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(String::from)
            .collect())
    }

    /// Where the columns of row struct `T` are; a missing one is an error on line 1.
    pub fn columns_of<'de, T: Deserialize<'de>>(&mut self) -> Result<Columns, ReportError> {
        let path = self.path;
        let header = self.reader.headers().map_err(|e| csv_error(path, e))?;
        Columns::of::<T>(header).map_err(|name| ReportError::Malformed {
            file: path.to_path_buf(),
            line: 1,
            message: format!("missing column \"{name}\""),
        })
    }

    /// Indices of the named columns; a missing one is an error on line 1.
    pub fn columns<const N: usize>(&mut self, names: [&str; N]) -> Result<[usize; N], ReportError> {
        let header = self.header()?;
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot =
                header
                    .iter()
                    .position(|h| h == name)
                    .ok_or_else(|| ReportError::Malformed {
                        file: self.path.to_path_buf(),
                        line: 1,
                        message: format!("missing column \"{name}\""),
                    })?;
        }
        Ok(out)
    }

    /// The index of a column that may be absent.
    pub fn optional_column(&mut self, name: &str) -> Result<Option<usize>, ReportError> {
        Ok(self.header()?.iter().position(|h| h == name))
    }

    /// Calls `f` on every data row in file order; stops at the first error.
    pub fn for_each(
        self,
        mut f: impl FnMut(&Row<'p>) -> Result<(), ReportError>,
    ) -> Result<(), ReportError> {
        let CsvIn { path, mut reader } = self;
        let mut row = Row {
            path,
            line: 0,
            record: csv::ByteRecord::new(),
        };
        loop {
            match reader.read_byte_record(&mut row.record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    row.line = row.record.position().map_or(0, csv::Position::line);
                    f(&row)?;
                }
                Err(e) => return Err(csv_error(path, e)),
            }
        }
    }
}

impl Row<'_> {
    /// A located error on this row.
    pub fn error(&self, message: String) -> ReportError {
        ReportError::Malformed {
            file: self.path.to_path_buf(),
            line: self.line,
            message,
        }
    }

    /// This row as row struct `T`, whose columns are `cols`; a bad cell is an error naming
    /// its column.
    pub fn read<'s, T: Deserialize<'s>>(&'s self, cols: &Columns) -> Result<T, ReportError> {
        cols.read(&self.record)
            .map_err(|e| self.error(format!("column \"{}\": {}", e.column, e.message)))
    }

    /// The text of field `i` (`name` for the message).
    pub fn text(&self, i: usize, name: &str) -> Result<&str, ReportError> {
        std::str::from_utf8(self.record.get(i).unwrap_or(b""))
            .map_err(|_| self.error(format!("column \"{name}\": not valid UTF-8")))
    }

    /// Field `i` as a finite number.
    pub fn number(&self, i: usize, name: &str) -> Result<f64, ReportError> {
        number_of(self.text(i, name)?).map_err(|m| self.error(format!("column \"{name}\": {m}")))
    }

    /// Field `i` as a number, `None` when empty.
    pub fn optional_number(&self, i: usize, name: &str) -> Result<Option<f64>, ReportError> {
        if self.text(i, name)?.is_empty() {
            Ok(None)
        } else {
            self.number(i, name).map(Some)
        }
    }

    /// Field `i` as `true`/`1` or `false`/`0`.
    pub fn flag(&self, i: usize, name: &str) -> Result<bool, ReportError> {
        flag_of(self.text(i, name)?).map_err(|m| self.error(format!("column \"{name}\": {m}")))
    }
}

/// A cell as a finite number, or what is wrong with it.
pub fn number_of(cell: &str) -> Result<f64, String> {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("\"{cell}\" is not a number")),
    }
}

/// A cell as `true`/`1` or `false`/`0`, or what is wrong with it.
pub fn flag_of(cell: &str) -> Result<bool, String> {
    match cell {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("\"{cell}\" is not true/false or 1/0")),
    }
}

fn csv_error(path: &Path, e: csv::Error) -> ReportError {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    match e.into_kind() {
        csv::ErrorKind::Io(source) => io_error(path, source),
        _ => ReportError::Malformed {
            file: path.to_path_buf(),
            line,
            message,
        },
    }
}

/// A read error: an input refused by [`crate::input`] is malformed input (exit 2), any
/// other an I/O failure.
fn io_error(path: &Path, source: std::io::Error) -> ReportError {
    match crate::input::refusal(&source) {
        Some(r) => ReportError::Malformed {
            file: path.to_path_buf(),
            line: 0,
            message: r.to_string(),
        },
        None => ReportError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Reads a JSON file into `T`; a parse or shape error is located at its line.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text =
        crate::input::read_to_string(path, crate::input::JSON).map_err(|e| io_error(path, e))?;
    serde_json::from_str(&text).map_err(|e| ReportError::Malformed {
        file: path.to_path_buf(),
        line: e.line() as u64,
        message: e.to_string(),
    })
}

/// `path` if it exists (following symlinks), else `None` (an optional input that is
/// absent); one that is there but no regular file is refused when it is read.
pub fn optional(path: std::path::PathBuf) -> Option<std::path::PathBuf> {
    path.exists().then_some(path)
}
