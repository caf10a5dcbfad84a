//! Deciding between settings: service-level objectives ([`slo`]), replication statistics
//! ([`stats`]) and the recommendation ([`recommend`]). All three are pure: they know
//! nothing of runs or files.

pub mod recommend;
pub mod slo;
pub mod stats;
