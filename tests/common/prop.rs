//! The property tests' runner: a fixed seed, no regression files, fewer cases in debug
//! builds; shared by every test binary that generates inputs with proptest.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// A runner with `release` cases in release builds and `debug` cases in debug builds, its
/// random stream fixed by `seed`, writing no `proptest-regressions` files.
///
/// To explore beyond what CI runs, `IPAMSIM_PROPTEST_CASES=N` sets the number of cases and
/// `IPAMSIM_PROPTEST_SEED=K` (a number) another fixed stream; unset, every run is the same.
pub fn runner(release: u32, debug: u32, seed: u8) -> TestRunner {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("IPAMSIM_PROPTEST_CASES").map_or(
        if cfg!(debug_assertions) {
            debug
        } else {
            release
        },
        |n| n as u32,
    );
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        // Shrinking re-runs the case: bound it so a failure is reported in seconds.
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut key = [0x5a; 32];
    key[0] = seed;
    if let Some(k) = env("IPAMSIM_PROPTEST_SEED") {
        key[8..16].copy_from_slice(&k.to_le_bytes());
    }
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key))
}

/// Runs `test` on `strategy`; a failure panics with the shrunk input, shown by `show`.
pub fn check_all<S: Strategy>(
    mut runner: TestRunner,
    strategy: S,
    show: impl Fn(&S::Value) -> String,
    test: impl Fn(&S::Value) -> Result<(), TestCaseError>,
) {
    match runner.run(&strategy, |v| test(&v)) {
        Ok(()) => {}
        Err(TestError::Fail(why, v)) => panic!("{why}\nminimal failing input:\n{}", show(&v)),
        Err(TestError::Abort(why)) => panic!("aborted: {why}"),
    }
}

/// Fails the case with the message unless `cond` holds (`prop_assert!` without the
/// assertion's source text in the message).
#[allow(unused_macros)]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)*)));
        }
    };
}
#[allow(unused_imports)]
pub(crate) use ensure;
