//! IPv6 mode (`ENABLE_IPv6`): one /80 prefix on the primary ENI, assigned at `nodeInit`
//! with `AssignIpv6Addresses` (`assignIPv6Prefix`, ipamd.go:1177-1216), and no pool
//! manager: "Outside of Security Groups for Pods, no additional ENIs are attached in IPv6
//! mode. The prefix used for the primary ENI is more than enough for all pods"
//! (ipamd.go:769-780); warm targets are ignored (ipamd.go:421).
//!
//! Addresses inside the /80 follow `getUnusedIP` (data_store.go:1478-1538): if some
//! released addresses are past their cooldown, every one of them leaves the map and one of
//! them (Go map order: a random one here) is returned; otherwise the lowest address not in
//! the map (assigned or cooling) is, counting from the /80's network address.

use super::pool::{is_cooling, PoolStats};
use super::{Ctx, NodeIpamd, Step};
use crate::model::ids::PodId;
use crate::model::record::{Ec2Error, Fact, RestartReason};
use crate::scenario::Ec2Action;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// One address of the /80 in ipamd's map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// The pod it is assigned to, if any.
    pod: Option<PodId>,
    /// When its last pod released it (cooling from then), if it is not assigned.
    unassigned_at: Option<SimTime>,
}

/// A node's /80 and the addresses of it in ipamd's map, by offset from its base.
#[derive(Clone, Debug)]
pub struct V6Pool {
    /// The /80's network address.
    pub prefix: u128,
    /// Addresses in ipamd's map (assigned or cooling), by offset from `prefix`.
    map: BTreeMap<u32, Slot>,
    /// `IP_COOLDOWN_PERIOD` (s).
    cooldown_s: i64,
}

impl V6Pool {
    /// An empty pool over `prefix`.
    pub fn new(prefix: u128, cooldown_s: i64) -> V6Pool {
        V6Pool {
            prefix,
            map: BTreeMap::new(),
            cooldown_s,
        }
    }

    /// An address for `pod`: a released one past its cooldown (the `rot`-th of them), or the
    /// lowest offset not in the map.
    pub fn assign(&mut self, now: SimTime, rot: u32, pod: PodId) -> u32 {
        let cd = self.cooldown_s;
        let cooled: Vec<u32> = self
            .map
            .iter()
            .filter(|(_, s)| {
                s.pod.is_none()
                    && s.unassigned_at
                        .is_some_and(|t| !is_cooling(now.micros(), t.micros(), cd))
            })
            .map(|(&o, _)| o)
            .collect();
        let off = if cooled.is_empty() {
            // the first gap in the map's offsets
            let mut want = 0u32;
            for &o in self.map.keys() {
                if o != want {
                    break;
                }
                want += 1;
            }
            want
        } else {
            for o in &cooled {
                self.map.remove(o);
            }
            cooled[rot as usize % cooled.len()]
        };
        self.map.insert(
            off,
            Slot {
                pod: Some(pod),
                unassigned_at: None,
            },
        );
        off
    }

    /// `pod` gives back the address at `off`; it cools (or leaves the map with no cooldown).
    pub fn unassign(&mut self, now: SimTime, off: u32, pod: PodId) {
        if self.map.get(&off).is_some_and(|s| s.pod == Some(pod)) {
            if self.cooldown_s < 0 {
                self.map.remove(&off);
            } else {
                self.map.insert(
                    off,
                    Slot {
                        pod: None,
                        unassigned_at: Some(now),
                    },
                );
            }
        }
    }

    /// The map as pool statistics: held = in the map, assigned, cooling.
    pub fn stats(&self, now: SimTime) -> PoolStats {
        let mut s = PoolStats {
            total: self.map.len() as u32,
            ..PoolStats::default()
        };
        for slot in self.map.values() {
            if slot.pod.is_some() {
                s.assigned += 1;
            } else if slot
                .unassigned_at
                .is_some_and(|t| is_cooling(now.micros(), t.micros(), self.cooldown_s))
            {
                s.cooldown += 1;
            }
        }
        s
    }

    /// The full address at `off`.
    pub fn address(&self, off: u32) -> u128 {
        self.prefix + u128::from(off)
    }
}

impl NodeIpamd {
    /// IPv6 `nodeInit` after the ENIs are known: the primary ENI gets its /80 (unless it
    /// has one, after a restart), then init is done.
    pub(super) fn init_ipv6(&mut self, ctx: &mut Ctx<'_>) {
        if self.v6.is_some() {
            return self.init_done(ctx);
        }
        self.ec2_call(ctx, Ec2Action::AssignIpv6Addresses, Step::Ipv6Assigned);
    }

    /// `AssignIpv6Addresses` returned: the subnet's /64 gives the node a /80; or the call
    /// failed, `nodeInit` fails and aws-node restarts.
    pub(super) fn ipv6_assigned(&mut self, ctx: &mut Ctx<'_>, error: Option<Ec2Error>) {
        let subnet = self.conf.subnet;
        let got = match error {
            None => ctx.subnet(subnet).allocate_v6_prefix().ok_or_else(|| {
                let e = Ec2Error::InsufficientCidrBlocks;
                self.counters.error(Ec2Action::AssignIpv6Addresses, e);
                e
            }),
            Some(e) => Err(e),
        };
        match got {
            Ok(prefix) => {
                self.v6 = Some(V6Pool::new(prefix, ctx.sc.cni.ip_cooldown_period_s));
                ctx.emit(Fact::Ipv6Prefix {
                    prefix: prefix.into(),
                });
                self.init_done(ctx);
            }
            Err(e) => self.restart(ctx, RestartReason::Ipv6PrefixFailed(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime(s * 1_000_000)
    }

    #[test]
    fn addresses_count_up_from_the_prefix_and_cooled_ones_come_back() {
        let mut p = V6Pool::new(0x2600_0000_0000_0000_0000_0000_0000_0000, 30);
        let pods: Vec<PodId> = (0..4).map(PodId::from_index).collect();
        // offsets 0, 1, 2 from the /80's network address
        let offs: Vec<u32> = pods[..3].iter().map(|&q| p.assign(t(0), 0, q)).collect();
        assert_eq!(offs, [0, 1, 2]);
        p.unassign(t(10), 1, pods[1]);
        // offset 1 cools until 40 s: the next address is the first gap, 3
        assert_eq!(p.assign(t(20), 0, pods[3]), 3);
        let s = p.stats(t(20));
        assert_eq!((s.total, s.assigned, s.cooldown), (4, 3, 1));
        // past its cooldown, offset 1 is handed out again
        p.unassign(t(21), 3, pods[3]);
        assert_eq!(p.assign(t(41), 0, pods[1]), 1);
        // offset 3 (released at 21 s) is still cooling at 41 s; at 52 s it is past
        assert_eq!(p.stats(t(41)).cooldown, 1);
        assert_eq!(p.assign(t(52), 0, pods[3]), 3);
        assert_eq!(p.address(3), 0x2600_0000_0000_0000_0000_0000_0000_0003);
    }
}
