//! A hint to the processor to start loading memory that will be read soon.
//!
//! A large cluster's state does not fit in the processor's caches: each event touches a
//! node (or a pod) drawn from tens of thousands, and its first read of that state waits for
//! main memory. The engine names the next event before it handles the current one
//! ([`super::Model::prefetch`]), so that the wait overlaps the current event's work.

/// Asks for the cache line holding `*r` to be loaded. Never changes anything a program can
/// observe but its speed; does nothing on processors without the instruction.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetch` is a hint that never faults, whatever the address (here a valid
    // reference's), and SSE, which provides it, is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// Cache line size assumed (bytes).
const LINE: usize = 64;

/// Asks for every cache line of `*r` to be loaded (for a record whose fields are read
/// together, larger than a line).
#[inline(always)]
pub fn prefetch_whole<T>(r: &T) {
    let base = (r as *const T).cast::<u8>();
    let mut off = 0;
    while off < std::mem::size_of::<T>() {
        // SAFETY: `off` is inside `*r`, so the pointer stays within one object (`add`'s
        // requirement); it is only handed to the prefetch hint, never read.
        prefetch(unsafe { &*base.add(off) });
        off += LINE;
    }
}
