//! ipamsim: a deterministic discrete-event simulator of the AWS VPC CNI's IP address
//! manager (ipamd) across a Kubernetes cluster.
//!
//! Layers: [`engine`] (generic event queue), [`model`] (the cluster and ipamd),
//! [`scenario`] (YAML in), [`output`] (CSV and summary out), [`sim`] (one run);
//! [`import`] writes a scenario from a real cluster's kubectl and AWS CLI output, and
//! [`check`] compares a run with what the cluster recorded.

#![warn(missing_docs)]

pub mod capacity;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod decide;
pub mod engine;
pub mod explain;
pub mod fuzzing;
pub mod import;
pub mod input;
pub mod model;
pub mod output;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod text;
pub mod time;
