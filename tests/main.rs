//! The integration tests, one crate: each file under tests/ is a module of it, so the suite
//! links the library once (`cargo test --release`; one file: `cargo test --release --test
//! main golden::`; one test: its name as the filter).

mod common;

mod autoscaling;
mod bounded_inputs;
mod calico;
mod capacity;
mod capacity_cards;
mod capacity_scenario;
mod churn_trace;
mod cli;
mod compare;
mod decide;
mod deploy;
mod determinism;
mod docs;
mod explain;
mod failures;
mod fuzz_corpus;
mod golden;
mod import;
mod import_limits;
mod ipv6;
mod layout;
mod lazy_ticks;
mod messages;
mod metrics;
mod metrics_prometheus;
mod multi_nic;
mod node_start;
mod outputs;
mod prefix;
mod properties;
mod properties_cli;
mod replay;
mod report;
mod robustness;
mod scenario_input;
mod security_groups;
mod signals;
mod steady_state;
mod subnet_discovery;
mod throttling;
mod timing;
mod usability;
mod waits;
