//! The human-readable `detail` column of `events.csv`, written from a typed
//! [`EventRecord`]. Nothing reads this text back: scripts use the typed columns.

use crate::model::record::{EventRecord, Fact, InsufficientThen, RestartReason};
use crate::scenario::Ec2Action;
use crate::text::{self, Count};
use std::fmt::{self, Write};

/// What a pool holds, plural: `IPs` or `prefixes` (as a label, `IPs=9`).
fn noun(prefixes: bool) -> &'static str {
    if prefixes {
        "prefixes"
    } else {
        "IPs"
    }
}

/// What a pool holds, after a count: `1 IP`, `2 IPs`, `1 prefix`, `2 prefixes`.
fn held(prefixes: bool, n: impl Into<u64>) -> &'static str {
    match prefixes {
        true => text::noun(n, "prefix", "prefixes"),
        false => text::noun(n, "IP", "IPs"),
    }
}

/// Writes the detail text of `e` into `out` (no allocation beyond `out`'s growth).
pub fn write_detail(out: &mut impl Write, e: &EventRecord<'_>) -> fmt::Result {
    let subnet = e.subnet.unwrap_or("");
    match e.fact {
        Fact::IpamdStart { restart } => out.write_str(if restart {
            "nodeInit after an aws-node restart"
        } else {
            "nodeInit"
        }),
        Fact::PdUnsupported => {
            let it = &e.group.instance_type;
            write!(
                out,
                "ENABLE_PREFIX_DELEGATION is set but {} ({}) is neither Nitro nor bare metal: \
                 secondary IPs are used",
                it.name, it.hypervisor
            )
        }
        Fact::NodeReady => out.write_str("ipamd init finished"),
        Fact::CalicoNodeReady => out.write_str("calico-node started (no ipamd)"),
        Fact::BlockClaimed { block, blocks } => {
            write!(out, "claimed block {block} (block affinity; {blocks} held)")
        }
        Fact::Ipv6Prefix { prefix } => write!(
            out,
            "AssignIpv6Addresses: the primary ENI holds {}/80",
            std::net::Ipv6Addr::from(u128::from(prefix))
        ),
        Fact::NodeRegistered { start } => write!(
            out,
            "kubelet registered the node (NotReady); ipamd starts in {start}"
        ),
        Fact::NoIp {
            available,
            cooling,
            total,
            cause,
            count,
            until,
            ..
        } => {
            out.write_str("pod/")?;
            if let Some(p) = e.pod {
                write!(out, "{p}")?;
            }
            // the cause is its own column; its meaning is in docs/outputs.md and explain
            write!(
                out,
                " available={available} cooling={cooling} total={total} waits {}",
                cause.word()
            )?;
            if let Some(card) = e.card {
                write!(out, " on network card {card}")?;
            }
            if count > 1 {
                write!(
                    out,
                    "; {} until {until}",
                    Count(count.into(), "failed CNI ADD", "failed CNI ADDs")
                )?;
            }
            Ok(())
        }
        Fact::Assigned {
            eni,
            count,
            total,
            assigned,
            prefixes,
        } => write!(
            out,
            "eni-{} +{count} {} (total={total} assigned={assigned})",
            eni.0,
            held(prefixes, count)
        ),
        Fact::Unassigned {
            eni,
            count,
            total,
            assigned,
            prefixes,
        } => write!(
            out,
            "eni-{} -{count} {} (total={total} assigned={assigned})",
            eni.0,
            held(prefixes, count)
        ),
        Fact::CreateEni {
            eni,
            count,
            available,
            total,
            prefixes,
        } => write!(
            out,
            "eni-{} +{count} {} (available={available} total={total})",
            eni.0,
            held(prefixes, count)
        ),
        Fact::EniReady {
            eni,
            count,
            prefixes,
            ..
        } => write!(out, "eni-{} {}={count}", eni.0, noun(prefixes)),
        Fact::FreeEni {
            eni,
            idle,
            prefixes,
        } => write!(
            out,
            "eni-{} with {idle} idle {}",
            eni.0,
            held(prefixes, idle)
        ),
        Fact::InsufficientAddresses {
            action,
            eni,
            count,
            error,
            then,
            prefixes,
            ..
        } => {
            let err = error.name();
            let eni = eni.map_or(0, |e| e.0);
            match then {
                InsufficientThen::NextSubnet => write!(
                    out,
                    "{} +{count} {} in subnet {subnet} failed: {err}",
                    action.name(),
                    held(prefixes, count)
                ),
                InsufficientThen::RetryWithOne => write!(
                    out,
                    "{} eni-{eni} +{count} {} failed: {err} in subnet {subnet}; retrying with 1",
                    action.name(),
                    held(prefixes, count)
                ),
                InsufficientThen::SkipEni => write!(
                    out,
                    "eni-{eni} skipped: {err} in subnet {subnet} (subnet discovery on: no back-off)"
                ),
            }
        }
        Fact::InsufficientCooldown {
            action,
            error,
            until,
            ..
        } => {
            out.write_str(action.name())?;
            if e.subnet.is_some() {
                write!(out, " in subnet {subnet}")?;
            }
            write!(
                out,
                " failed: {}; no increase for 120s (until {until})",
                error.name()
            )
        }
        Fact::MaxEni { limit } => {
            write!(out, "max ENI limit reached ({limit}): pool cannot grow")
        }
        Fact::Ec2Retry {
            action,
            attempt,
            error,
            backoff,
        } => write!(
            out,
            "{} attempt {attempt}: {}; SDK retries in {backoff}",
            action.name(),
            error.name()
        ),
        Fact::Ec2Failed {
            action,
            attempts,
            error,
        } => write!(
            out,
            "{} failed after {}: {}",
            action.name(),
            Count(attempts.into(), "attempt", "attempts"),
            error.name()
        ),
        Fact::Ec2Repeats {
            action,
            error,
            requests,
            calls,
            until,
        } => write!(
            out,
            "{requests} more {} {} answered {} until {until} ({} failed)",
            action.name(),
            text::noun(requests, "request", "requests"),
            error.name(),
            Count(calls.into(), "call", "calls")
        ),
        Fact::IncreaseFailed {
            action,
            eni,
            count,
            error,
            ..
        } => {
            let err = error.name();
            let eni = eni.map_or(0, |e| e.0);
            match action {
                Ec2Action::AssignPrivateIpAddresses => write!(
                    out,
                    "AssignPrivateIpAddresses eni-{eni} +{} {err}: the tick goes on",
                    count.unwrap_or(0)
                ),
                Ec2Action::DescribeSubnets => {
                    write!(out, "DescribeSubnets {err}: no ENI this tick")
                }
                Ec2Action::ModifyNetworkInterfaceAttribute => write!(
                    out,
                    "ModifyNetworkInterfaceAttribute {err}: freeing eni-{eni}"
                ),
                other => write!(out, "{} {err}", other.name()),
            }
        }
        Fact::AttachFailed { eni, error } => {
            let why = match error {
                crate::model::record::Ec2Error::AttachmentLimitExceeded => {
                    "AttachmentLimitExceeded (instance interface limit)"
                }
                other => other.name(),
            };
            write!(out, "eni-{}: {why}; deleting it", eni.0)
        }
        Fact::ReleaseFailed { error, .. } => write!(
            out,
            "UnassignPrivateIpAddresses {}: the addresses stay on the ENI in EC2; reconcile adds \
             them back",
            error.name()
        ),
        Fact::FreeFailed { eni, error, .. } => write!(
            out,
            "eni-{}: {}; it stays attached and reconcile adopts it again",
            eni.0,
            error.name()
        ),
        Fact::EniLeaked { eni, cleanup_at } => write!(
            out,
            "eni-{}: delete failed; the leaked-ENI cleanup deletes it at {cleanup_at}",
            eni.0
        ),
        Fact::EniCleanedUp { eni } => write!(out, "leaked eni-{} deleted", eni.0),
        Fact::NoSubnetForEni { eni } => write!(
            out,
            "eni-{}: no subnet qualifies for a new ENI (subnet tags): refused before \
             CreateNetworkInterface; no back-off, the next tick tries again",
            eni.0
        ),
        Fact::EniNotInImds { eni } => write!(
            out,
            "eni-{} not seen in IMDS after 12 polls: attached but unused until reconcile adopts it",
            eni.0
        ),
        Fact::EniMissingFromImds { eni, hidden_for } => write!(
            out,
            "eni-{} will not show in IMDS for {hidden_for} (injected)",
            eni.0
        ),
        Fact::AwsNodeRestart { reason, delay } => {
            match reason {
                RestartReason::InjectedFault => {
                    out.write_str("aws-node restarted (injected fault)")?
                }
                RestartReason::InitDescribeFailed(err) => write!(
                    out,
                    "nodeInit failed: DescribeNetworkInterfaces {}",
                    err.name()
                )?,
                RestartReason::CustomNetworkingNoEni => {
                    out.write_str("Failed to attach any ENIs for custom networking")?
                }
                RestartReason::Ipv6PrefixFailed(err) => write!(
                    out,
                    "nodeInit failed: no IPv6 /80 for the primary ENI ({})",
                    err.name()
                )?,
            }
            write!(out, "; aws-node restarts in {delay}")
        }
        Fact::Reconcile { readded } => write!(
            out,
            "{} still on ENIs in EC2 added back to the datastore",
            Count(readded.into(), "CIDR", "CIDRs")
        ),
        Fact::LaunchFailed { .. } => {
            write!(out, "no free address in subnet {subnet} for the instance")
        }
        Fact::Launch {
            count,
            before,
            boot,
        } => write!(
            out,
            "+{} ({before} -> {}) by the launch entry; ipamd starts in {boot}",
            Count(count.into(), "node", "nodes"),
            before + count
        ),
        Fact::ScaleUp {
            count,
            before,
            waiting,
            delay,
            karpenter: true,
            capped,
            ..
        } => write!(
            out,
            "+{} ({before} -> {}) by Karpenter: {} (a batch of {delay}) bound to them as \
             they launch{}",
            Count(count.into(), "node", "nodes"),
            before + count,
            Count(waiting.into(), "pending pod", "pending pods"),
            if capped { "; capped at max" } else { "" }
        ),
        Fact::ScaleUp {
            count,
            before,
            waiting,
            delay,
            absorbed,
            capped,
            karpenter: false,
        } => write!(
            out,
            "+{} ({before} -> {}): {} unschedulable for {delay} or more; {absorbed} fit on \
             booting nodes{}",
            Count(count.into(), "node", "nodes"),
            before + count,
            Count(waiting.into(), "pod", "pods"),
            if capped { "; capped at max" } else { "" }
        ),
        Fact::ScaleDown { since, after } => write!(
            out,
            "node removed: only DaemonSet pods since {since} s ({} {} -> {after})",
            e.group.name,
            after + 1
        ),
        Fact::TrunkAttached { addr, branches, .. } => write!(
            out,
            "VPC resource controller attached the trunk ENI ({} in {subnet}); the node offers \
             {branches} vpc.amazonaws.com/pod-eni",
            std::net::Ipv4Addr::from(addr)
        ),
        Fact::BranchEni {
            branch,
            addr,
            in_use,
            ..
        } => {
            out.write_str("pod/")?;
            if let Some(p) = e.pod {
                write!(out, "{p}")?;
            }
            write!(
                out,
                " annotated with branch-{branch} {} (created, associated with the trunk); \
                 {in_use} branch ENIs in use or being created on the node",
                std::net::Ipv4Addr::from(addr)
            )
        }
        Fact::BranchEniDeleted { branch, addr, .. } => write!(
            out,
            "branch-{branch} {} deleted after its cooldown; the address is back in {subnet}",
            std::net::Ipv4Addr::from(addr)
        ),
        Fact::PodEniFailed {
            trunk,
            error,
            retry_in,
            ..
        } => write!(
            out,
            "CreateNetworkInterface for a {} ENI: {} in {subnet}; the controller tries again \
             in {retry_in}",
            if trunk { "trunk" } else { "branch" },
            error.name()
        ),
    }
}
