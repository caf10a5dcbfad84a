//! Any bytes as `import`'s JSON (kubectl nodes and pods, AWS subnets): reading, checking,
//! building and writing the scenario must never panic, every problem must be one line, and
//! a scenario built must pass the scenario loader. The body is
//! `ipamsim::fuzzing::import_json`, which `tests/fuzz_corpus.rs` also runs on the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = ipamsim::fuzzing::import_json(data) {
        panic!("{broken}");
    }
});
