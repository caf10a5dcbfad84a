//! The samples of `metrics.om`: what each node's aws-node would show on its `/metrics`
//! endpoint at a sample time, and the cluster figures charted beside them.
//!
//! These are recorded only when the recorder asks for them ([`super::Recorder::wants_metrics`]);
//! the output module turns them into OpenMetrics text (`crate::output::metrics`).

use super::{Ec2Error, WaitCause};
use crate::scenario::{Ec2Action, EC2_ACTIONS};
use crate::time::SimTime;

/// EC2 error codes the model gives (`Ec2Error::ALL`).
pub const EC2_ERRORS: usize = Ec2Error::ALL.len();

/// One aws-node process's counters, as its Prometheus registry holds them: counts since
/// the process started (an aws-node restart starts them again at 0, as a real restart
/// does). Each is the count of what its `awscni_*` family counts (docs/outputs.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AwsNodeCounters {
    /// CNI ADDs ipamd answered (`awscni_add_ip_req_count`).
    pub add_ip: u32,
    /// CNI DELs ipamd answered, all with reason `PodDeleted`
    /// (`awscni_del_ip_req_count{reason}`).
    pub del_ip: u32,
    /// CNI ADDs answered with no free address (`awscni_no_available_ip_addresses`).
    pub no_ip: u32,
    /// EC2 calls that returned (after the SDK's retries), per action
    /// (`awscni_ec2api_req_count{fn}`).
    pub ec2_calls: [u32; EC2_ACTIONS],
    /// Of those, the calls that failed, per action (`awscni_ec2api_error_count{fn}`).
    pub ec2_errors: [u32; EC2_ACTIONS],
    /// The failed calls by action and EC2 error code
    /// (`awscni_aws_api_error_count{api,error}`).
    pub api_errors: [[u32; EC2_ERRORS]; EC2_ACTIONS],
}

impl AwsNodeCounters {
    /// One EC2 call returned: `error` is EC2's answer when it failed.
    pub fn call(&mut self, action: Ec2Action, error: Option<Ec2Error>) {
        let a = action as usize;
        self.ec2_calls[a] = self.ec2_calls[a].saturating_add(1);
        if let Some(e) = error {
            self.error(action, e);
        }
    }

    /// A call counted as returned turned out to have failed with `error` (an
    /// insufficient-address or attachment-limit answer, which the model decides once the
    /// call's latency is over).
    pub fn error(&mut self, action: Ec2Action, error: Ec2Error) {
        let a = action as usize;
        self.ec2_errors[a] = self.ec2_errors[a].saturating_add(1);
        let e = &mut self.api_errors[a][error.index()];
        *e = e.saturating_add(1);
    }
}

/// One node's metrics at a sample time: the gauges its aws-node sets and its counters.
/// Counts are ENIs, addresses or prefixes.
#[derive(Clone, Copy, Debug)]
pub struct NodeMetricsRow<'a> {
    /// Sample time.
    pub time: SimTime,
    /// Node name (also the `instance` label, as kube-prometheus relabels it).
    pub node: &'a str,
    /// Nodegroup name.
    pub nodegroup: &'a str,
    /// ENIs in the datastore (`awscni_eni_allocated`).
    pub enis: u32,
    /// ENIs the node may attach (`awscni_eni_max`); 0 until `nodeInit` set it.
    pub eni_max: u32,
    /// Addresses the node may hold: addresses per ENI × `eni_max` (`awscni_ip_max`).
    pub ip_max: u32,
    /// Addresses held for pods (`awscni_total_ip_addresses`).
    pub ips_total: u32,
    /// Addresses assigned to pods (`awscni_assigned_ip_addresses`).
    pub ips_assigned: u32,
    /// /28 prefixes held (`awscni_total_ipv4_prefixes`).
    pub prefixes: u32,
    /// The counters of the node's aws-node process.
    pub counters: AwsNodeCounters,
}

/// The cluster's figures at a sample time (the `ipamsim_*` families).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterMetricsRow {
    /// Sample time.
    pub time: SimTime,
    /// Pods no node can take (`ipamsim_pods_unschedulable`).
    pub pods_unschedulable: u32,
    /// Pods bound to a node and waiting for an IP, by the cause their `waits.csv` interval
    /// names, indexed by [`WaitCause::index`] (`ipamsim_pods_waiting_ip{cause}`).
    pub waiting_ip: [u32; WaitCause::ALL.len()],
    /// EC2 requests so far, throttled ones included, per action
    /// (`ipamsim_ec2_requests_total{action}`; the timeline's `ec2_calls` is their sum).
    pub ec2_requests: [u64; EC2_ACTIONS],
    /// EC2 requests answered `RequestLimitExceeded` so far, per action
    /// (`ipamsim_ec2_throttled_requests_total{action}`; the timeline's `ec2_throttled`).
    pub ec2_throttled: [u64; EC2_ACTIONS],
}
