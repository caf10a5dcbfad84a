//! Any bytes as a scenario file: reading, validating, overriding and showing the result
//! must never panic, and every problem must be a one-line message.
#![no_main]

use ipamsim::scenario::{LoadOptions, Source};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Relative paths (traces, cni_from) point nowhere.
    let dir = Path::new("/nonexistent/ipamsim-fuzz");
    let _ = ipamsim::time::parse_duration(text);
    let source = match Source::from_text(text, "fuzz.yaml", dir) {
        Ok(source) => source,
        Err(e) => {
            assert_eq!(e.to_string().lines().count(), e.problems.len());
            return;
        }
    };
    for opts in [LoadOptions::default(), LoadOptions { allow_large: true }] {
        match source.scenario(&opts) {
            Ok(sc) => {
                for line in sc.warning_lines() {
                    assert!(!line.contains('\n'));
                }
            }
            Err(e) => assert_eq!(e.to_string().lines().count(), e.problems.len()),
        }
    }
    let overrides = [
        ("WARM_IP_TARGET".to_string(), "5".to_string()),
        ("nodegroups[0].count".to_string(), "3".to_string()),
        ("kubelet.retry_interval".to_string(), "2s".to_string()),
    ];
    let _ = source.with_overrides(&overrides, &LoadOptions::default());
});
