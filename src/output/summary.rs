//! The run summary: one typed struct, written as `summary.json` (serde_json) and printed as
//! text from the same values (`summary/text.rs`).

mod text;

use crate::engine::RunStats;
use crate::model::record::{Recorder, WaitCause};
use crate::model::totals::MsHistogram;
use crate::model::World;
use crate::scenario::{CniConfig, Ec2Action};
use serde::Serialize;
use std::collections::BTreeMap;

/// Nearest-rank percentiles of a set of durations, in seconds (`None` when there are none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: usize,
    /// Median (s).
    pub p50: Option<f64>,
    /// 90th percentile (s).
    pub p90: Option<f64>,
    /// 99th percentile (s).
    pub p99: Option<f64>,
    /// Maximum (s).
    pub max: Option<f64>,
}

impl Percentiles {
    /// Nearest-rank percentiles of durations counted in milliseconds: the value at rank
    /// `ceil(p/100 × n)` of the sorted samples.
    pub fn of(h: &MsHistogram) -> Percentiles {
        let [p50, p90, p99, max] = h
            .percentiles([50, 90, 99, 100])
            .map(|v| v.map(|ms| ms as f64 / 1000.0));
        Percentiles {
            count: h.count() as usize,
            p50,
            p90,
            p99,
            max,
        }
    }

    /// [`Percentiles::of`] a list of durations in milliseconds.
    pub fn of_millis(v: Vec<u64>) -> Percentiles {
        let mut h = MsHistogram::default();
        v.into_iter().for_each(|ms| h.add(ms));
        Percentiles::of(&h)
    }

    /// The p99, or 0 with no samples (for sorting and objectives).
    pub fn p99_or_zero(&self) -> f64 {
        self.p99.unwrap_or(0.0)
    }
}

/// The aws-node settings the run used, under their environment variable names.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[allow(non_snake_case)]
pub struct CniSettings {
    /// ENIs (1 by default).
    pub WARM_ENI_TARGET: u32,
    /// IPs (0 = unset).
    pub WARM_IP_TARGET: u32,
    /// IPs (0 = unset).
    pub MINIMUM_IP_TARGET: u32,
    /// Prefixes.
    pub WARM_PREFIX_TARGET: u32,
    /// /28 prefixes instead of secondary IPs.
    pub ENABLE_PREFIX_DELEGATION: bool,
    /// ENI cap; −1 = unset.
    pub MAX_ENI: i64,
    /// Seconds.
    pub IP_COOLDOWN_PERIOD: i64,
    /// Custom networking.
    pub AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: bool,
    /// Subnet discovery.
    pub ENABLE_SUBNET_DISCOVERY: bool,
}

impl From<&CniConfig> for CniSettings {
    fn from(c: &CniConfig) -> Self {
        CniSettings {
            WARM_ENI_TARGET: c.warm_eni_target,
            WARM_IP_TARGET: c.warm_ip_target,
            MINIMUM_IP_TARGET: c.minimum_ip_target,
            WARM_PREFIX_TARGET: c.warm_prefix_target,
            ENABLE_PREFIX_DELEGATION: c.enable_prefix_delegation,
            MAX_ENI: c.max_eni.map_or(-1, i64::from),
            IP_COOLDOWN_PERIOD: c.ip_cooldown_period_s,
            AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: c.custom_network_cfg,
            ENABLE_SUBNET_DISCOVERY: c.enable_subnet_discovery,
        }
    }
}

/// Pod counts (DaemonSet pods included, except in `never_scheduled`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PodCounts {
    /// Pods created.
    pub created: u32,
    /// Running at the end.
    pub running_at_end: u32,
    /// Unschedulable at the end.
    pub unschedulable_at_end: u32,
    /// Waiting for an IP at the end.
    pub waiting_ip_at_end: u32,
    /// Deleted during the run.
    pub deleted: u32,
    /// Workload pods never bound to a node (deleted or still pending at the end).
    pub never_scheduled: u32,
    /// Pod-network pods bound to a node that never got an IP.
    pub never_got_ip: u32,
}

/// The pods that never got an IP: how many, and how long they waited (s).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NeverGotIp {
    /// Pods.
    pub count: u32,
    /// Binding → deletion or the end, over those pods only.
    pub wait_s: WaitStats,
}

/// p50, p99 and max of a wait (s).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WaitStats {
    /// Median (s).
    pub p50: Option<f64>,
    /// 99th percentile (s).
    pub p99: Option<f64>,
    /// Maximum (s).
    pub max: Option<f64>,
}

/// EC2 calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ec2Counts {
    /// Requests made, throttled ones included.
    pub calls: u64,
    /// Requests answered `RequestLimitExceeded`.
    pub throttled: u64,
    /// Requests per action (EC2 API names).
    pub by_action: BTreeMap<&'static str, u64>,
}

/// Pod IP addresses held by the nodes' datastores.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IpCounts {
    /// `ips_total` at the end.
    pub held_at_end: u32,
    /// `ips_assigned` at the end.
    pub assigned_at_end: u32,
    /// Mean of `ips_available` (cooldown included) over the samples.
    pub idle_mean: f64,
    /// Peak of `ips_available` over the samples.
    pub idle_peak: u32,
    /// Peak of `ips_total` over the samples.
    pub held_peak: u32,
}

/// Peaks over the run (exact, not sampled).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Peaks {
    /// Pods waiting for an IP at once.
    pub waiting_ip: u32,
    /// Pods unschedulable at once.
    pub unschedulable: u32,
}

/// Nodes over the run. Launch attempts = `launched` + `launch_failed` = nodes at start +
/// `added`; `at_end` = `launched` − `removed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeCounts {
    /// Nodes that exist at the end (launched and not removed).
    pub at_end: u32,
    /// Launches after t = 0 (autoscaler and `launch` entries), failed ones included.
    pub added: u32,
    /// Nodes removed by scale-down.
    pub removed: u32,
    /// Most nodes that existed at once.
    pub peak: u32,
    /// Instances launched over the run (at start and after) that got their primary address.
    pub launched: u32,
    /// Launches that found no free address in their subnet: the node never existed.
    pub launch_failed: u32,
    /// The failed launches per nodegroup and subnet, in order of the first failure.
    pub launch_failures: Vec<LaunchFailures>,
}

/// Failed launches of one nodegroup in one subnet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LaunchFailures {
    /// The nodegroup.
    pub nodegroup: String,
    /// The subnet that had no free address for the instance.
    pub subnet: String,
    /// EC2's answer.
    pub error: crate::model::record::Ec2Error,
    /// Launches that failed (nodes).
    pub nodes: u32,
}

impl LaunchFailures {
    /// The failed launches of a finished run, from its nodes: an instance without a primary
    /// address that was never removed (a removed one gave its address back) found none.
    fn of<R: Recorder>(world: &World<R>) -> Vec<LaunchFailures> {
        let mut out: Vec<(crate::model::ids::GroupId, crate::model::ids::SubnetId, u32)> =
            Vec::new();
        for (_, n) in world.nodes().iter() {
            if n.primary_ip.is_some() || n.removed {
                continue;
            }
            match out
                .iter_mut()
                .find(|(g, s, _)| *g == n.group && *s == n.subnet)
            {
                Some(entry) => entry.2 += 1,
                None => out.push((n.group, n.subnet, 1)),
            }
        }
        out.into_iter()
            .map(|(g, s, nodes)| LaunchFailures {
                nodegroup: world.scenario().nodegroups[g.index()].name.clone(),
                subnet: world.subnets()[s.index()].name.clone(),
                error: crate::model::record::Ec2Error::InsufficientFreeAddressesInSubnet,
                nodes,
            })
            .collect()
    }
}

/// ENIs over the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EniCounts {
    /// ENIs in datastores at the end.
    pub at_end: u32,
    /// ENIs that became usable (created or adopted).
    pub attached: u64,
    /// ENIs ipamd freed.
    pub freed: u64,
}

/// Security groups for pods (`ENABLE_POD_ENI`): the VPC resource controller's ENIs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PodEniCounts {
    /// Nodes with a trunk ENI attached at the end.
    pub trunks_at_end: u32,
    /// Branch ENIs created (one per pod that got one).
    pub branch_enis_created: u64,
    /// Most branch ENIs at once over the cluster, cooling ones included.
    pub peak_branch_enis: u32,
}

/// Multi-NIC (`ENABLE_MULTI_NIC`): pods annotated `multi-nic-attachment` on nodes that
/// manage several network cards, each holding one address per card.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MultiNicCounts {
    /// Nodes that managed more than one network card (nodes).
    pub multi_card_nodes: u32,
    /// Multi-homed pods that got their addresses (pods; one address on every managed card).
    pub multi_homed_pods: u64,
    /// The addresses those pods got (addresses).
    pub multi_homed_addresses: u64,
    /// Multi-homed pods holding their addresses at the end (pods).
    pub multi_homed_pods_at_end: u64,
    /// The addresses they hold at the end (addresses).
    pub multi_homed_addresses_at_end: u64,
}

/// Subnet addresses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SubnetCounts {
    /// Free addresses over all subnets at the end.
    pub free_ips_at_end: u64,
    /// Lowest free addresses over the samples.
    pub min_free_ips: u64,
    /// Most subnet addresses the cluster held at once (sampled): free addresses before the
    /// first node minus the lowest free count (nodes' primaries, ENIs, pod addresses).
    pub used_peak: u64,
}

/// Pod-seconds waited by cause (`waits.csv` summed), every cause present, in the order of
/// [`WaitCause::ALL`]; serialized as a map `{cause: pod-seconds}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaitByCause(pub [f64; WaitCause::ALL.len()]);

impl WaitByCause {
    /// Pod-seconds of `cause`.
    pub fn get(&self, cause: WaitCause) -> f64 {
        self.0[cause.index()]
    }

    /// The causes with time, most pod-seconds first (ties in [`WaitCause::ALL`] order).
    pub fn ranked(&self) -> Vec<(WaitCause, f64)> {
        let mut v: Vec<_> = WaitCause::ALL
            .into_iter()
            .map(|c| (c, self.get(c)))
            .filter(|&(_, s)| s > 0.0)
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

impl Serialize for WaitByCause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(WaitCause::ALL.len()))?;
        for c in WaitCause::ALL {
            m.serialize_entry(c.word(), &self.get(c))?;
        }
        m.end()
    }
}

/// Calico IPAM's figures (`summary.json` key `calico`, present only with
/// `ipam.plugin: calico`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalicoCounts {
    /// The pool.
    pub pool: String,
    /// Block prefix length.
    pub block_size: u8,
    /// Strict affinity (no borrowing).
    pub strict_affinity: bool,
    /// Blocks claimed over the run.
    pub blocks_claimed: u64,
    /// Blocks claimed at the end.
    pub blocks_at_end: u32,
    /// Most blocks claimed at once.
    pub blocks_peak: u32,
    /// Assignments of an address from another node's block.
    pub borrowed_addresses: u64,
    /// Assignments refused (no address; the kubelet retried).
    pub refused_assignments: u64,
}

/// What a run ended with: `summary.json`, and the text printed after `run`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The version of ipamsim that ran.
    pub ipamsim_version: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario file's bytes (hex), empty when run from memory.
    pub scenario_sha256: String,
    /// Seed used.
    pub seed: u64,
    /// Simulated duration (s).
    pub duration_s: f64,
    /// The aws-node settings in effect.
    pub cni: CniSettings,
    /// Pod counts.
    pub pods: PodCounts,
    /// Binding → IP (s), pod-network pods that got one.
    pub time_to_ip_s: Percentiles,
    /// Creation → running (s), every workload pod; one that never ran counts until it was
    /// deleted or the run ended.
    pub time_to_running_s: Percentiles,
    /// Binding → IP (s), every pod-network pod bound to a node; one that never got an IP
    /// counts until deleted or the end (what `compare` ranks by).
    pub time_to_ip_censored_s: Percentiles,
    /// The pods that never got an IP.
    pub never_got_ip: NeverGotIp,
    /// EC2 requests.
    pub ec2: Ec2Counts,
    /// Pod addresses held.
    pub ips: IpCounts,
    /// Peaks.
    pub peak: Peaks,
    /// Nodes.
    pub nodes: NodeCounts,
    /// ENIs.
    pub enis: EniCounts,
    /// Trunk and branch ENIs; only with `ENABLE_POD_ENI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_enis: Option<PodEniCounts>,
    /// Multi-homed pods and their addresses; only with `ENABLE_MULTI_NIC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_nic: Option<MultiNicCounts>,
    /// Subnets.
    pub subnets: SubnetCounts,
    /// Simulated seconds with at least one pod waiting for an IP.
    pub seconds_any_waiting: f64,
    /// Pod-seconds waited by cause, every pod from creation until it ran, was deleted or
    /// the run ended (the sum of `waits.csv`).
    pub wait_by_cause_s: WaitByCause,
    /// Calico IPAM's figures; left out of `summary.json` with the VPC CNI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calico: Option<CalicoCounts>,
    /// Events the engine handled (how the run was computed, not what it found: not in
    /// summary.json).
    #[serde(skip)]
    pub engine_events: u64,
    /// The service-level objectives `run` judged the run by (`--slo`); left out of
    /// `summary.json` when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<crate::scenario::slo::Outcome>,
    /// The scenario can change its node count (it has `autoscaling` or `launch`).
    #[serde(skip)]
    pub nodes_change: bool,
}

impl Summary {
    /// The summary of a finished run whose pods have been recorded
    /// ([`World::record_pods`]); `sha256` names the scenario file's bytes.
    pub fn from_world<R: Recorder>(world: &World<R>, stats: &RunStats, sha256: &str) -> Summary {
        let t = world.totals();
        let p = &world.kube().totals.pods;
        let end = crate::time::SimTime(world.scenario().duration.micros());
        let never = Percentiles::of(&p.never_ip_wait_ms);
        let calls = world.ec2().calls();
        let scaling = &world.autoscaler().totals;
        Summary {
            ipamsim_version: env!("CARGO_PKG_VERSION"),
            scenario: world.scenario().name.clone(),
            scenario_sha256: sha256.to_string(),
            seed: world.scenario().seed,
            duration_s: world.scenario().duration.as_secs_f64(),
            cni: CniSettings::from(&world.scenario().cni),
            pods: PodCounts {
                created: p.created,
                running_at_end: p.running_at_end,
                unschedulable_at_end: p.unschedulable_at_end,
                waiting_ip_at_end: p.waiting_ip_at_end,
                deleted: p.deleted,
                never_scheduled: p.never_scheduled,
                never_got_ip: p.never_got_ip,
            },
            time_to_ip_s: Percentiles::of(&p.time_to_ip_ms),
            time_to_running_s: Percentiles::of(&p.time_to_running_ms),
            time_to_ip_censored_s: Percentiles::of(&p.ip_wait_censored_ms),
            never_got_ip: NeverGotIp {
                count: p.never_got_ip,
                wait_s: WaitStats {
                    p50: never.p50,
                    p99: never.p99,
                    max: never.max,
                },
            },
            ec2: Ec2Counts {
                calls: world.ec2().total_calls(),
                throttled: world.ec2().total_throttled(),
                by_action: Ec2Action::ALL
                    .iter()
                    .map(|&a| (a.name(), calls[a as usize]))
                    .collect(),
            },
            ips: IpCounts {
                held_at_end: t.last_row.ips_total,
                assigned_at_end: t.last_row.ips_assigned,
                idle_mean: if t.samples == 0 {
                    0.0
                } else {
                    t.ips_available_sum as f64 / t.samples as f64
                },
                idle_peak: t.ips_available_peak,
                held_peak: t.peak_ips_total,
            },
            peak: Peaks {
                waiting_ip: world.kube().totals.peak_waiting_ip,
                unschedulable: world.kube().totals.peak_unschedulable,
            },
            nodes: NodeCounts {
                at_end: scaling.live - scaling.failed,
                added: scaling.added,
                removed: scaling.removed,
                peak: scaling.peak,
                launched: world.nodes().len() as u32 - scaling.failed,
                launch_failed: scaling.failed,
                launch_failures: LaunchFailures::of(world),
            },
            enis: EniCounts {
                at_end: t.last_row.enis,
                attached: world.ipamd().nodes.iter().map(|n| n.enis_attached).sum(),
                freed: world.ipamd().nodes.iter().map(|n| n.enis_freed).sum(),
            },
            pod_enis: world.scenario().cni.enable_pod_eni.then(|| {
                let c = world.controller();
                PodEniCounts {
                    trunks_at_end: c
                        .nodes
                        .iter()
                        .filter(|n| matches!(n.trunk, crate::model::podeni::Trunk::Attached { .. }))
                        .count() as u32,
                    branch_enis_created: c.created,
                    peak_branch_enis: c.peak_branches,
                }
            }),
            multi_nic: world.scenario().cni.enable_multi_nic.then(|| {
                let nodes = &world.ipamd().nodes;
                let at_end = nodes.iter().map(|n| n.homed_at_end());
                MultiNicCounts {
                    multi_card_nodes: nodes.iter().filter(|n| n.card_count() > 1).count() as u32,
                    multi_homed_pods: nodes.iter().map(|n| n.homed_pods).sum(),
                    multi_homed_addresses: nodes.iter().map(|n| n.homed_addresses).sum(),
                    multi_homed_pods_at_end: at_end.clone().map(|(p, _)| p).sum(),
                    multi_homed_addresses_at_end: at_end.map(|(_, a)| a).sum(),
                }
            }),
            subnets: SubnetCounts {
                free_ips_at_end: t.last_row.subnet_free_ips,
                min_free_ips: t.min_subnet_free_ips,
                used_peak: t.subnet_free_before.saturating_sub(t.min_subnet_free_ips),
            },
            seconds_any_waiting: world.kube().totals.seconds_any_waiting(end),
            wait_by_cause_s: WaitByCause(
                WaitCause::ALL.map(|c| world.kube().totals.waits.seconds(c)),
            ),
            calico: world.calico().map(|c| CalicoCounts {
                pool: world.scenario().ipam.pool.to_string(),
                block_size: world.scenario().ipam.block_size,
                strict_affinity: world.scenario().ipam.strict_affinity,
                blocks_claimed: c.totals.blocks_claimed,
                blocks_at_end: c.pool.claimed(),
                blocks_peak: c.totals.peak_blocks,
                borrowed_addresses: c.totals.borrowed,
                refused_assignments: c.totals.refused,
            }),
            engine_events: stats.events,
            slo: Vec::new(),
            nodes_change: world
                .sc
                .nodegroups
                .iter()
                .any(|g| g.autoscaling.is_some() || !g.launches.is_empty()),
        }
    }

    /// `summary.json`: the struct as pretty-printed JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 1..=100 s: p50 = rank 50 -> 50, p90 -> 90, p99 -> 99, max 100
        let p = Percentiles::of_millis((1..=100).map(|s| s * 1000).collect());
        assert_eq!(
            (p.p50, p.p90, p.p99, p.max),
            (Some(50.0), Some(90.0), Some(99.0), Some(100.0))
        );
        // 3 samples: p50 = rank ceil(1.5) = 2 -> 20 ms; p90 = rank ceil(2.7) = 3 -> 30 ms
        let p = Percentiles::of_millis(vec![30, 10, 20]);
        assert_eq!((p.p50, p.p90, p.count), (Some(0.02), Some(0.03), 3));
        assert_eq!(Percentiles::of_millis(vec![]).p50, None);
    }
}
