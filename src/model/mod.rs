//! The simulated cluster: ipamd's pool rules and state machine, the Kubernetes side,
//! subnets and EC2.

pub mod autoscaler;
pub mod datastore;
pub mod ec2;
pub mod ids;
pub mod ipamd;
mod kube;
pub mod pool;
pub mod record;
pub mod subnet;
pub mod totals;
pub mod workload;
pub mod world;

pub use world::{Event, NameSuffix, PodName, World};
