//! A wall-clock pulse for long loops, so that they look outside (a stop flag, a progress
//! bar) every few milliseconds of wall time whatever their work costs, at the price of one
//! relaxed atomic load per step.
//!
//! One background thread of the process advances a counter every [`PERIOD`]; [`kick`]
//! advances it at once (the signal handler calls it, so that a stop is seen at the next
//! step rather than at the next beat). A [`Pulse`] remembers the value it saw last and
//! [`Pulse::beat`] says whether it changed. Nothing computed depends on it: it decides
//! only when a loop calls its observer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Once;
use std::time::Duration;

/// Wall time between two beats of the background thread: 10 ms.
pub const PERIOD: Duration = Duration::from_millis(10);

/// Steps between two beats when the background thread could not be started (a process
/// out of threads): the loop then looks outside every 4,096 steps instead.
const FALLBACK_STEPS: u32 = 4096;

/// The counter, alone on its cache line: every loop reads it at each step, and only the
/// beat thread (every [`PERIOD`]) and [`kick`] write it.
#[repr(align(64))]
struct Beat(AtomicU64);

static BEAT: Beat = Beat(AtomicU64::new(0));
static TICKING: AtomicBool = AtomicBool::new(false);
static START: Once = Once::new();

/// Starts the beat thread once per process; later calls do nothing.
fn start() {
    START.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("ipamsim-pulse".into())
            .stack_size(64 * 1024)
            .spawn(|| loop {
                std::thread::sleep(PERIOD);
                BEAT.0.fetch_add(1, Ordering::Relaxed);
            });
        TICKING.store(spawned.is_ok(), Ordering::Relaxed);
    });
}

/// Makes every [`Pulse`] beat at its next [`Pulse::beat`] (called by the signal handler:
/// a stop is then seen within one step). Async-signal-safe: one atomic addition.
pub fn kick() {
    BEAT.0.fetch_add(1, Ordering::Relaxed);
}

/// One loop's view of the pulse.
#[derive(Debug)]
pub struct Pulse {
    /// The counter's value at the last beat seen.
    seen: u64,
    /// Steps left before a beat when the beat thread is not running.
    fallback: u32,
}

impl Default for Pulse {
    fn default() -> Self {
        Self::new()
    }
}

impl Pulse {
    /// A pulse (starting the process's beat thread if it is not running yet).
    pub fn new() -> Pulse {
        start();
        let ticking = TICKING.load(Ordering::Relaxed);
        Pulse {
            seen: BEAT.0.load(Ordering::Relaxed),
            fallback: if ticking { u32::MAX } else { FALLBACK_STEPS },
        }
    }

    /// Whether the pulse beat since the last call that returned `true`: at least every
    /// [`PERIOD`] of wall time (plus the beat thread's scheduling delay), and at once after
    /// a [`kick`]. One relaxed atomic load when it did not.
    #[inline]
    pub fn beat(&mut self) -> bool {
        let now = BEAT.0.load(Ordering::Relaxed);
        if now != self.seen {
            self.seen = now;
            return true;
        }
        self.fallback_beat()
    }

    /// The beat without a beat thread: every [`FALLBACK_STEPS`] steps.
    #[cold]
    #[inline(never)]
    fn fallback_beat_slow(&mut self) -> bool {
        if TICKING.load(Ordering::Relaxed) {
            self.fallback = u32::MAX;
            return false;
        }
        self.fallback = FALLBACK_STEPS;
        true
    }

    #[inline]
    fn fallback_beat(&mut self) -> bool {
        self.fallback -= 1;
        self.fallback == 0 && self.fallback_beat_slow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kick_makes_the_next_step_beat_once() {
        let mut p = Pulse::new();
        // drain a beat the thread may have given since
        let _ = p.beat();
        kick();
        assert!(p.beat());
    }

    #[test]
    fn the_thread_beats_within_a_second() {
        let mut p = Pulse::new();
        let started = std::time::Instant::now();
        // generous: the bound is one PERIOD plus scheduling delay on a loaded machine
        while !p.beat() {
            assert!(started.elapsed() < Duration::from_secs(5), "no beat");
            std::thread::yield_now();
        }
    }
}
