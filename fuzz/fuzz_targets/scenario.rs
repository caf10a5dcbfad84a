//! Any bytes as a scenario file: reading, validating, overriding and showing the result
//! must never panic, and every problem must be a one-line message. The body is
//! `ipamsim::fuzzing::scenario`, which `tests/fuzz_corpus.rs` also runs on the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ipamsim::fuzzing::scenario(data) {
        panic!("{broken}");
    }
});
