//! Bounded reading of every file input: run outputs (CSV and JSON) read by `explain`,
//! `report` and `merge`, kubectl and AWS CLI JSON read by `import`, and scenario, trace and
//! manifest text. Every input is opened through [`open`], which
//!
//! - refuses a path that is not a regular file after following symlinks (a device such as
//!   `/dev/zero`, a FIFO, a directory), before opening it, so nothing blocks or streams
//!   forever;
//! - counts the bytes read and fails once a file is longer than its kind's [`Limit`] (the
//!   count, not the file's metadata, decides: `/proc`-like files report a wrong size);
//! - for line-based inputs (CSV), fails on a line longer than the line limit, so one
//!   newline-free gigabyte is never buffered.
//!
//! A refusal is an [`std::io::Error`] of kind `InvalidData` carrying a [`Refusal`]; callers
//! treat it as invalid input (exit 2) with [`refusal`]. The limits are documented in
//! docs/scenario-input.md ("Limits on inputs").

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The most bytes (and, for line-based inputs, bytes per line) read from one kind of input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The most bytes read from the file.
    pub bytes: u64,
    /// The longest line, newline excluded, if the input is line-based.
    pub line: Option<u64>,
}

/// A run's CSV outputs (`events.csv` of a 100,000-node run is about 2 GB): 16 GiB, lines
/// up to 1 MiB.
pub const RUN_CSV: Limit = Limit {
    bytes: 16 * GIB,
    line: Some(MIB),
};

/// JSON documents: a run's `summary.json`, `comparison.json`, a `shard.json` part, kubectl
/// and AWS CLI output: 1 GiB.
pub const JSON: Limit = Limit {
    bytes: GIB,
    line: None,
};

/// Scenario, trace and manifest text: 64 MiB.
pub const TEXT: Limit = Limit {
    bytes: 64 * MIB,
    line: None,
};

/// Why an input was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The path is a device, FIFO, directory or socket.
    NotRegular,
    /// The file is longer than this many bytes.
    TooLarge(u64),
    /// This 1-based line is longer than the limit (bytes).
    LongLine {
        /// The line.
        line: u64,
        /// The limit.
        limit: u64,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRegular => write!(
                f,
                "not a regular file (a device, FIFO or directory cannot be an input)"
            ),
            Self::TooLarge(n) => write!(
                f,
                "the file is larger than {} ({n} bytes), the most that is read",
                size(*n)
            ),
            Self::LongLine { line, limit } => write!(
                f,
                "line {line}: line longer than {} ({limit} bytes), the most that is read",
                size(*limit)
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// `n` bytes as `N GiB`, `N MiB` or bytes.
pub fn size(n: u64) -> String {
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The refusal an I/O error carries, if it is one of this module's.
pub fn refusal(err: &io::Error) -> Option<Refusal> {
    err.get_ref()?.downcast_ref::<Refusal>().copied()
}

fn refused(r: Refusal) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, r)
}

/// Opens `path` for reading within `limit`; refuses anything but a regular file.
pub fn open(path: &Path, limit: Limit) -> io::Result<Bounded<File>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(refused(Refusal::NotRegular));
    }
    Ok(Bounded::new(File::open(path)?, limit))
}

/// Reads all of `path` (within `limit`) as bytes.
pub fn read_bytes(path: &Path, limit: Limit) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path, limit)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads all of `path` (within `limit`) as UTF-8 text.
pub fn read_to_string(path: &Path, limit: Limit) -> io::Result<String> {
    String::from_utf8(read_bytes(path, limit)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
}

/// A reader that fails once more than its limit's bytes, or a line longer than its line
/// limit, has been read.
pub struct Bounded<R> {
    inner: R,
    limit: Limit,
    read: u64,
    line: u64,
    line_len: u64,
}

impl<R> Bounded<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, limit: Limit) -> Self {
        Bounded {
            inner,
            limit,
            read: 0,
            line: 1,
            line_len: 0,
        }
    }

    /// Whether more than the byte limit was read (the reader then failed).
    pub fn exceeded(&self) -> bool {
        self.read > self.limit.bytes
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.exceeded() {
            return Err(refused(Refusal::TooLarge(self.limit.bytes)));
        }
        // Never ask for more than one byte past the limit.
        let room = self.limit.bytes + 1 - self.read;
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        if self.exceeded() {
            return Err(refused(Refusal::TooLarge(self.limit.bytes)));
        }
        if let Some(max) = self.limit.line {
            for part in buf[..n].split_inclusive(|&b| b == b'\n') {
                let ends = part.last() == Some(&b'\n');
                self.line_len += part.len() as u64 - u64::from(ends);
                if self.line_len > max {
                    return Err(refused(Refusal::LongLine {
                        line: self.line,
                        limit: max,
                    }));
                }
                if ends {
                    self.line += 1;
                    self.line_len = 0;
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], limit: Limit) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Bounded::new(data, limit).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn limits_bytes_and_lines() {
        let small = Limit {
            bytes: 10,
            line: Some(4),
        };
        assert_eq!(read_all(b"abcd\nef\n", small).unwrap(), b"abcd\nef\n");
        let e = read_all(b"ab\nabcde\n", small).unwrap_err();
        assert_eq!(refusal(&e), Some(Refusal::LongLine { line: 2, limit: 4 }));
        let e = read_all(b"ab\nab\nab\nab\n", small).unwrap_err();
        assert_eq!(refusal(&e), Some(Refusal::TooLarge(10)));
        assert!(e.to_string().contains("larger than 10 bytes"));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(16 * GIB), "16 GiB");
        assert_eq!(size(MIB), "1 MiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
