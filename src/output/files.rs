//! The output directory: locked while a run writes into it; files written under unique
//! temporary names and renamed only when everything succeeded, so a failed or interrupted
//! run leaves nothing that looks like a result, and two runs never mix their files.
//!
//! - Lock: an advisory exclusive lock (`flock`) on the directory itself, held for the run;
//!   a second run into the same directory fails at once. The lock dies with the process, so
//!   a killed run never leaves the directory locked, and no lock file is left behind.
//! - Temporary files: `.<name>.<pid>-<n>.partial`, removed when the [`OutputDir`] is dropped
//!   without [`OutputDir::commit`] (an error, a panic, an interrupted run) and by
//!   [`abandon_all`] (called from the signal handler before it ends the process).
//! - Directories: those [`OutputDir::open`] had to create (`--out` and missing parents, a
//!   compare's `runs/` and `runs/<setting>/`) are removed again, if left empty, when the
//!   output is dropped without commit and by [`abandon_all`]: an interrupted run leaves no
//!   empty directory behind.
//! - Commit: every temporary file is renamed to its name; then files this run did not
//!   write but an earlier run could have (another `--outputs` choice, a `report.html`) are
//!   removed, so the directory holds one run's results only. [`abandon_all`] waits for a
//!   commit under way, so a directory holds all of a commit's files or none of them.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Every file a run or a comparison can leave in its directory (the lock file aside).
pub const RESULT_FILES: [&str; 13] = [
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
    "metrics.om",
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
                crate::scenario::shown_path(d)
            ),
            DirError::Io(d, e) => {
                write!(
                    f,
                    "cannot write to output directory {}: {e}",
                    crate::scenario::shown_path(d)
                )
            }
            DirError::NotADirectory(d, file) if d == file => write!(
                f,
                "--out {} is a file; give a directory (it is created if missing)",
                crate::scenario::shown_path(d)
            ),
            DirError::NotADirectory(d, file) => write!(
                f,
                "--out {}: {} is a file; give a directory (it is created if missing)",
                crate::scenario::shown_path(d),
                crate::scenario::shown_path(file)
            ),
        }
    }
}

impl std::error::Error for DirError {}

/// What the unfinished outputs of this process hold: temporary files and the directories
/// they created (removed if left empty).
struct Unfinished {
    temps: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

static UNFINISHED: Mutex<Unfinished> = Mutex::new(Unfinished {
    temps: Vec::new(),
    dirs: Vec::new(),
});
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// The registry of unfinished outputs (a thread that panicked holding it left it usable:
/// every change to it is one push or one removal).
fn unfinished() -> MutexGuard<'static, Unfinished> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes `dirs` (deepest first) where they are empty; errors are ignored (a directory
/// that holds anything stays).
fn remove_empty_dirs(dirs: &mut [PathBuf]) {
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs.iter() {
        let _ = fs::remove_dir(d);
    }
}

/// Removes every temporary file still open anywhere in this process, then the directories
/// unfinished outputs created, where empty (before the process ends on a signal). Waits for
/// a commit under way to finish.
pub fn abandon_all() {
    let mut u = unfinished();
    for p in u.temps.drain(..) {
        let _ = fs::remove_file(p);
    }
    let mut dirs = std::mem::take(&mut u.dirs);
    remove_empty_dirs(&mut dirs);
}

/// The directories among `dir` and its ancestors that do not exist, deepest first.
fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect()
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
    /// Directories [`OutputDir::open`] created (deepest first), removed if left empty
    /// when the output is dropped without commit.
    created: Vec<PathBuf>,
    committed: bool,
}

impl OutputDir {
    /// Creates `dir` if missing, takes its lock and proves a file can be written there.
    pub fn open(dir: &Path) -> Result<OutputDir, DirError> {
        let io = |e| DirError::Io(dir.to_path_buf(), e);
        if let Some(file) = file_in_the_way(dir) {
            return Err(DirError::NotADirectory(dir.to_path_buf(), file));
        }
        let mut created = missing_dirs(dir);
        unfinished().dirs.extend(created.iter().cloned());
        let locked = fs::create_dir_all(dir).and_then(|()| {
            // A directory opened read-only can carry a flock (Linux, macOS, the BSDs).
            let lock = File::open(dir)?;
            match lock.try_lock() {
                Ok(()) => Ok(Ok(lock)),
                Err(fs::TryLockError::WouldBlock) => Ok(Err(DirError::Busy(dir.to_path_buf()))),
                Err(fs::TryLockError::Error(e)) => Err(e),
            }
        });
        let lock = match locked {
            Ok(Ok(lock)) => lock,
            Ok(Err(busy)) => {
                // the directory is another run's: leave it to that run
                unfinished().dirs.retain(|d| !created.contains(d));
                return Err(busy);
            }
            Err(e) => {
                unfinished().dirs.retain(|d| !created.contains(d));
                remove_empty_dirs(&mut created);
                return Err(io(e));
            }
        };
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            temps: Vec::new(),
            created,
            committed: false,
        };
        // Prove the directory is writable before anything is simulated.
        out.create(".write-test").map_err(io)?;
        let tested: Vec<PathBuf> = out.temps.drain(..).map(|(tmp, _)| tmp).collect();
        for tmp in &tested {
            let _ = fs::remove_file(tmp);
        }
        unfinished().temps.retain(|x| !tested.contains(x));
        Ok(out)
    }

    /// Opens `name` for writing under a temporary name (`name` must be a plain file name).
    pub fn create(&mut self, name: &'static str) -> io::Result<BufWriter<File>> {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".{name}.{}-{n}.partial", std::process::id()));
        let f = File::create(&tmp)?;
        unfinished().temps.push(tmp.clone());
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
    /// removes the result files in `stale` this run did not write. Holds the registry of
    /// unfinished outputs meanwhile, so that [`abandon_all`] (a signal) comes before or after
    /// the whole commit.
    pub fn commit(mut self, stale: &[&str]) -> io::Result<()> {
        let mut u = unfinished();
        let done = self.commit_holding(&mut u, stale);
        drop(u); // before `self` is dropped (which takes the registry when not committed)
        done
    }

    fn commit_holding(&mut self, u: &mut Unfinished, stale: &[&str]) -> io::Result<()> {
        for (tmp, name) in &self.temps {
            fs::rename(tmp, self.dir.join(name))?;
            u.temps.retain(|x| x != tmp);
        }
        for name in stale {
            if !self.temps.iter().any(|(_, n)| n == name) {
                match fs::remove_file(self.dir.join(name)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        u.dirs.retain(|d| !self.created.contains(d));
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let mut u = unfinished();
            for (tmp, _) in &self.temps {
                let _ = fs::remove_file(tmp);
                u.temps.retain(|x| x != tmp);
            }
            u.dirs.retain(|d| !self.created.contains(d));
            remove_empty_dirs(&mut self.created);
        }
    }
}

/// Checks that `target`, a file a command is about to replace, is ours to replace: it does
/// not exist, or it is a regular file (not a symlink, a device, a FIFO or a directory), and
/// it is none of the command's `inputs`. The message says what is wrong (exit 2).
pub fn check_replaceable(target: &Path, inputs: &[&Path]) -> Result<(), String> {
    let shown = crate::scenario::shown_path(target);
    match fs::symlink_metadata(target) {
        Err(_) => return Ok(()),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(format!(
                "{shown} is a symbolic link; give a path to a regular file (a link is not \
                 followed nor replaced)"
            ))
        }
        Ok(m) if !m.is_file() => {
            return Err(format!(
                "{shown} exists and is not a regular file (a directory, device or pipe); \
                 give a new path or a regular file to replace"
            ))
        }
        Ok(_) => {}
    }
    let same = |a: &Path, b: &Path| match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    match inputs.iter().find(|i| same(target, i)) {
        Some(i) => Err(format!(
            "{shown} is also an input ({}); write the result to another file",
            crate::scenario::shown_path(i)
        )),
        None => Ok(()),
    }
}
