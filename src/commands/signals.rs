//! SIGINT, SIGTERM and SIGHUP: one handler for every command, in place before the
//! program's own code does anything (docs/commands.md#ctrl-c-and-other-signals).
//!
//! The binary blocks the three signals in a constructor that the loader runs before
//! `main` ([`block_early`]); `main` installs the handler first thing and then unblocks them
//! ([`install_signal_handler`]), so a signal that arrives at any moment from the first
//! instruction of the program on is held by the kernel and then handled: the command ends
//! with its documented status (130), never by the signal's default action. Only a signal
//! delivered while the dynamic loader itself runs (before any constructor) cannot be
//! caught by any program.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The signals a command answers: SIGINT, SIGTERM, SIGHUP.
#[cfg(unix)]
fn handled() -> libc::sigset_t {
    // SAFETY: sigemptyset and sigaddset only write the set passed to them, which lives on
    // this stack frame and is fully initialised by sigemptyset before use.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so that one arriving now stays
/// pending until [`install_signal_handler`] unblocks it. The binary calls this from a
/// constructor, before `main` and before the Rust runtime starts; it only makes one system
/// call and touches no Rust runtime state.
pub extern "C" fn block_early() {
    #[cfg(unix)]
    {
        let set = handled();
        // SAFETY: pthread_sigmask reads `set` and changes only this thread's signal mask;
        // a null old set is allowed.
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// Whether one of the three signals is pending (arrived while blocked).
fn pending() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: sigpending writes the set passed to it; sigismember reads it.
        unsafe {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            if libc::sigpending(&mut set) != 0 {
                return false;
            }
            [libc::SIGINT, libc::SIGTERM, libc::SIGHUP]
                .iter()
                .any(|&s| libc::sigismember(&set, s) == 1)
        }
    }
    #[cfg(not(unix))]
    false
}

/// Unblocks the three signals in the calling thread (threads started afterwards inherit
/// the mask), also when the parent process started us with them blocked.
fn unblock() {
    #[cfg(unix)]
    {
        let set = handled();
        // SAFETY: as in block_early.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

static SIGNALS: AtomicU32 = AtomicU32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
/// How many [`Polite`] scopes are open (a command polling [`stop_requested`]).
static POLITE: AtomicU32 = AtomicU32::new(0);

/// Installs the SIGINT/SIGTERM/SIGHUP handler. A signal sets the stop flag and kicks the
/// engine's pulse (a running simulation sees it at its next event or sample row, well
/// within the 100 ms of wall time we aim at). Inside a [`polite`] scope the first signal
/// only asks the command to stop: it winds down, keeps what it committed, and exits 130.
/// Outside one, and at a second signal, every temporary output file and every directory
/// an unfinished output created (left empty) is removed and the process exits 130 at once.
///
/// A signal held since [`block_early`] (or since the parent started us with it blocked) is
/// delivered to the handler as soon as it is unblocked here.
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| {
        STOP.store(true, Ordering::SeqCst);
        crate::engine::pulse::kick();
        let first = SIGNALS.fetch_add(1, Ordering::SeqCst) == 0;
        if !first || POLITE.load(Ordering::SeqCst) == 0 {
            crate::output::files::abandon_all();
            std::process::exit(130);
        }
    });
    // A signal that arrived before this point (while the program started) ends it here,
    // before anything is read or written; the handler's thread is not involved, so the
    // status does not depend on which thread runs first.
    if pending() {
        std::process::exit(130);
    }
    unblock();
}

/// While the returned guard lives, the command polls [`stop_requested`] (at least every
/// 100 ms of wall time) and a first signal only asks it to stop; see
/// [`install_signal_handler`]. Scopes may nest.
#[must_use = "the scope ends when the guard is dropped"]
pub fn polite() -> Polite {
    POLITE.fetch_add(1, Ordering::SeqCst);
    Polite(())
}

/// A scope in which signals ask the command to stop rather than end it ([`polite`]).
pub struct Polite(());

impl Drop for Polite {
    fn drop(&mut self) {
        POLITE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a signal asked the command to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// The stop flag, for code that polls it directly (compare's worker threads).
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Test hook: when the environment variable `IPAMSIM_TEST_HOLD` equals `point`, says so on
/// stderr and waits until a signal asks the command to stop, so that tests can interrupt a
/// command at a known point without depending on timing. Unset in normal use.
pub fn test_hold(point: &str) {
    if std::env::var("IPAMSIM_TEST_HOLD").is_ok_and(|v| v == point) {
        super::eprint_line(&format!("ipamsim: holding at {point} (test hook)"));
        while !stop_requested() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
