//! The output directory: locked while a run writes into it; files written under unique
//! temporary names and renamed only when everything succeeded, so a failed or interrupted
//! run leaves nothing that looks like a result, and two runs never mix their files.
//!
//! - Lock: an advisory exclusive lock (`flock`) on the directory itself, held for the run;
//!   a second run into the same directory fails at once. The lock dies with the process, so
//!   a killed run never leaves the directory locked, and no lock file is left behind.
//! - Temporary files: `.<name>.<pid>-<n>.partial`, removed when the [`OutputDir`] is dropped
//!   without [`OutputDir::commit`] (an error, a panic) and by [`remove_registered_temps`]
//!   (called from the signal handler before a forced exit).
//! - Commit: every temporary file is renamed to its name; then files this run did not
//!   write but an earlier run could have (another `--outputs` choice, a `report.html`) are
//!   removed, so the directory holds one run's results only.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Every file a run or a comparison can leave in its directory (the lock file aside).
pub const RESULT_FILES: [&str; 12] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
    "waits.csv",
    "summary.json",
    "report.html",
    "comparison.csv",
    "comparison.json",
    "blocks.csv",
    "shard.json",
];

/// Why an output directory cannot be used.
#[derive(Debug)]
pub enum DirError {
    /// Another ipamsim process holds the directory's lock.
    Busy(PathBuf),
    /// The directory cannot be created or written.
    Io(PathBuf, io::Error),
    /// The directory (first) or one of its parents (second) exists and is not a directory.
    NotADirectory(PathBuf, PathBuf),
}

impl std::fmt::Display for DirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirError::Busy(d) => write!(
                f,
                "output directory {} is in use by another ipamsim run (it holds the directory's \
                 lock); wait for it or choose another --out",
                d.display()
            ),
            DirError::Io(d, e) => {
                write!(f, "cannot write to output directory {}: {e}", d.display())
            }
            DirError::NotADirectory(d, file) if d == file => write!(
                f,
                "--out {} is a file; give a directory (it is created if missing)",
                d.display()
            ),
            DirError::NotADirectory(d, file) => write!(
                f,
                "--out {}: {} is a file; give a directory (it is created if missing)",
                d.display(),
                file.display()
            ),
        }
    }
}

impl std::error::Error for DirError {}

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

fn register(p: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.push(p.to_path_buf());
    }
}

fn unregister(p: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.retain(|x| x != p);
    }
}

/// Removes every temporary file still open anywhere in this process (before a forced exit
/// on a signal).
pub fn remove_registered_temps() {
    if let Ok(t) = TEMPS.lock() {
        for p in t.iter() {
            let _ = fs::remove_file(p);
        }
    }
}

/// The nearest of `dir` and its parents that exists, if it is not a directory (a regular
/// file, or a link to one): `dir` cannot be created there.
fn file_in_the_way(dir: &Path) -> Option<PathBuf> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if let Ok(m) = fs::metadata(a) {
            return (!m.is_dir()).then(|| a.to_path_buf());
        }
    }
    None
}

/// An output directory being written.
pub struct OutputDir {
    dir: PathBuf,
    _lock: File,
    temps: Vec<(PathBuf, &'static str)>,
    committed: bool,
}

impl OutputDir {
    /// Creates `dir` if missing, takes its lock and proves a file can be written there.
    pub fn open(dir: &Path) -> Result<OutputDir, DirError> {
        let io = |e| DirError::Io(dir.to_path_buf(), e);
        if let Some(file) = file_in_the_way(dir) {
            return Err(DirError::NotADirectory(dir.to_path_buf(), file));
        }
        fs::create_dir_all(dir).map_err(io)?;
        // A directory opened read-only can carry a flock (Linux, macOS, the BSDs).
        let lock = File::open(dir).map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(DirError::Busy(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            temps: Vec::new(),
            committed: false,
        };
        // Prove the directory is writable before anything is simulated.
        out.create(".write-test").map_err(io)?;
        for (tmp, _) in out.temps.drain(..) {
            let _ = fs::remove_file(&tmp);
            unregister(&tmp);
        }
        Ok(out)
    }

    /// Opens `name` for writing under a temporary name (`name` must be a plain file name).
    pub fn create(&mut self, name: &'static str) -> io::Result<BufWriter<File>> {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".{name}.{}-{n}.partial", std::process::id()));
        let f = File::create(&tmp)?;
        register(&tmp);
        self.temps.push((tmp, name));
        Ok(BufWriter::with_capacity(1 << 16, f))
    }

    /// Writes `name` whole, under a temporary name until commit.
    pub fn write(&mut self, name: &'static str, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let mut w = self.create(name)?;
        w.write_all(bytes)?;
        w.flush()
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Renames every temporary file to its name (writers must be flushed and dropped), then
    /// removes the result files in `stale` this run did not write.
    pub fn commit(mut self, stale: &[&str]) -> io::Result<()> {
        for (tmp, name) in &self.temps {
            fs::rename(tmp, self.dir.join(name))?;
            unregister(tmp);
        }
        for name in stale {
            if !self.temps.iter().any(|(_, n)| n == name) {
                match fs::remove_file(self.dir.join(name)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.temps {
                let _ = fs::remove_file(tmp);
                unregister(tmp);
            }
        }
    }
}
