//! The simulated cluster: components that each own their state — instances, the
//! Kubernetes side, every node's ipamd, subnets, the EC2 account, the autoscaler — and the
//! world that routes events between them. The model never formats text: it records typed
//! facts and samples ([`record`]).

pub mod autoscaler;
pub mod calico;
pub mod ec2;
pub mod event;
pub mod ids;
pub mod ipamd;
pub mod kube;
pub mod lease;
pub mod nodes;
pub mod podeni;
pub mod record;
pub mod rng;
pub mod subnet;
pub mod totals;
pub mod world;

pub use event::Event;
pub use kube::pods::{NameSuffix, PodName};
pub use world::World;
