//! The output directory. Files are written under temporary names and renamed only when the
//! whole run succeeded, so a failed run leaves nothing that looks like a result.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The output files, in the order they are listed to the user.
pub const FILES: [&str; 5] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
];

/// Open output files (temporary names until [`OutputDir::commit`]).
pub struct OutputDir {
    dir: PathBuf,
    /// Buffered writers, in [`FILES`] order.
    pub writers: Vec<BufWriter<File>>,
}

fn temp_name(name: &str) -> String {
    format!(".{name}.partial")
}

impl OutputDir {
    /// Creates `dir` if missing and opens the output files under temporary names.
    pub fn create(dir: &Path) -> io::Result<OutputDir> {
        fs::create_dir_all(dir)?;
        let mut writers = Vec::new();
        for name in FILES {
            let f = File::create(dir.join(temp_name(name)))?;
            writers.push(BufWriter::with_capacity(1 << 16, f));
        }
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            writers,
        })
    }

    /// Renames every temporary file to its final name (after the writers were flushed and
    /// dropped).
    pub fn commit(dir: &Path) -> io::Result<()> {
        for name in FILES {
            fs::rename(dir.join(temp_name(name)), dir.join(name))?;
        }
        Ok(())
    }

    /// Removes the temporary files of a failed run.
    pub fn discard(dir: &Path) {
        for name in FILES {
            let _ = fs::remove_file(dir.join(temp_name(name)));
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}
