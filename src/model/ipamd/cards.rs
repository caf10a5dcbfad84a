//! Network cards (VPC CNI v1.20.0+, `ENABLE_MULTI_NIC`): one datastore and one warm pool
//! per managed card, and the pods that take an address on each card.
//!
//! Upstream (aws/amazon-vpc-cni-k8s v1.23.1): with `ENABLE_MULTI_NIC` every card is managed
//! (`markUnmanagedNetworkCards`, `pkg/ipamd/ipamd.go:296-324`; EFA-only cards aside, which
//! the model does not have), each with its own datastore (`InitializeDataStores`,
//! `pkg/ipamd/datastore/data_store.go:1732-1752`). The pool manager decides card by card,
//! in Go map order over a snapshot of every card's statistics taken at the start of the
//! tick (`isDatastorePoolTooLow`, `ipamd.go:2623-2657`, iterated at `ipamd.go:803-815`), and
//! `nodeInit`'s pre-scaling does the same once (`handlePreScaling`, `ipamd.go:674-693`).
//!
//! The loop works on one card at a time: the datastore of the card in hand is
//! [`NodeIpamd::ds`], which every routine of the loop reads and changes, and the others
//! wait in [`NodeIpamd::cards`]. Taking another card in hand swaps two datastores (no
//! copy). A node with one managed card has no slots at all: nothing here costs it anything.

use super::datastore::Datastore;
use super::pool::{PoolStats, Targets};
use super::{Ctx, NodeIpamd};
use crate::model::ids::{EniId, PodId};
use crate::model::lease::{Ipv4, Lease};
use crate::time::SimTime;

/// A managed network card's state while another card is in hand.
#[derive(Clone, Debug, Default)]
pub struct CardSlot {
    /// The card's datastore (an empty placeholder while the card is in hand).
    pub(super) ds: Datastore,
    /// "max ENI limit reached" reported for this card (until its ENI count changes).
    pub(super) at_max_eni: bool,
    /// The card's statistics at the start of the tick (or of pre-scaling) in progress.
    pub(super) snapshot: PoolStats,
    /// `CheckFreeableENIexists` on the card at that snapshot.
    pub(super) freeable: bool,
}

/// The cards of the tick (or pre-scaling) in progress: Go map order as a rotation of the
/// card indexes, and how far it got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardPass {
    /// The first card (the rotation).
    pub(super) first: u8,
    /// Cards done so far in this pass.
    pub(super) done: u8,
}

/// An address a multi-homed pod holds on a card other than its first lease's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Homed {
    /// The card.
    pub card: u8,
    /// The ENI.
    pub eni: EniId,
    /// The address.
    pub addr: u32,
}

impl NodeIpamd {
    /// Network cards ipamd manages on this node (1 unless `ENABLE_MULTI_NIC` on a
    /// multi-card type).
    pub fn card_count(&self) -> u8 {
        self.conf.cards
    }

    /// The datastore of card `k`.
    pub fn datastore(&self, k: u8) -> &Datastore {
        if k == self.card {
            &self.ds
        } else {
            &self.cards[usize::from(k)].ds
        }
    }

    /// The datastore of card `k`, mutably.
    pub(super) fn datastore_mut(&mut self, k: u8) -> &mut Datastore {
        if k == self.card {
            &mut self.ds
        } else {
            &mut self.cards[usize::from(k)].ds
        }
    }

    /// Every managed card's datastore, card 0 first.
    pub fn datastores(&self) -> impl Iterator<Item = (u8, &Datastore)> + '_ {
        (0..self.conf.cards).map(|k| (k, self.datastore(k)))
    }

    /// The statistics of every card's datastore, summed (addresses and prefixes).
    pub(super) fn stats_over_cards(&self, now: SimTime) -> PoolStats {
        self.datastores().fold(PoolStats::default(), |a, (_, d)| {
            let s = d.stats(now);
            PoolStats {
                total: a.total + s.total,
                assigned: a.assigned + s.assigned,
                cooldown: a.cooldown + s.cooldown,
                prefixes: a.prefixes + s.prefixes,
                free_prefixes: a.free_prefixes + s.free_prefixes,
            }
        })
    }

    /// ENIs in every card's datastore (ENIs).
    pub fn eni_count(&self) -> u32 {
        self.datastores().map(|(_, d)| d.enis().len() as u32).sum()
    }

    /// The card whose datastore holds ENI `eni`, if any.
    pub(super) fn card_of(&self, eni: EniId) -> Option<u8> {
        self.datastores()
            .find(|(_, d)| d.eni(eni).is_some())
            .map(|(k, _)| k)
    }

    /// The card in hand, on a node that manages several cards (what facts carry).
    pub fn card_tag(&self) -> Option<u8> {
        (self.conf.cards > 1).then_some(self.card)
    }

    /// Takes card `k` in hand (its datastore becomes [`NodeIpamd::ds`]) and tags the facts
    /// that follow with it.
    pub(super) fn hold_card(&mut self, ctx: &mut Ctx<'_>, k: u8) {
        self.select_card(k);
        ctx.card = self.card_tag();
    }

    /// Takes card `k` in hand: its datastore becomes [`NodeIpamd::ds`].
    pub(super) fn select_card(&mut self, k: u8) {
        if k == self.card {
            return;
        }
        let (old, new) = (usize::from(self.card), usize::from(k));
        std::mem::swap(&mut self.ds, &mut self.cards[old].ds);
        std::mem::swap(&mut self.at_max_eni, &mut self.cards[old].at_max_eni);
        std::mem::swap(&mut self.ds, &mut self.cards[new].ds);
        std::mem::swap(&mut self.at_max_eni, &mut self.cards[new].at_max_eni);
        self.card = k;
    }

    /// Card `k`'s ENI count changed: "max ENI limit reached" may be reported again.
    pub(super) fn clear_at_max_eni(&mut self, k: u8) {
        if k == self.card {
            self.at_max_eni = false;
        } else {
            self.cards[usize::from(k)].at_max_eni = false;
        }
    }

    /// Every card may report "max ENI limit reached" again (a new aws-node process).
    pub(super) fn clear_all_at_max_eni(&mut self) {
        self.at_max_eni = false;
        self.cards.iter_mut().for_each(|c| c.at_max_eni = false);
    }

    /// `maxENI` as `hasRoomForEni` applies it to card `k` (ENIs): the trunk's slot is card
    /// 0's only (ipamd.go:2592-2597).
    pub(super) fn max_eni_of(&self, k: u8) -> u32 {
        if k == 0 {
            self.conf.max_eni
        } else {
            self.conf.max_eni + self.conf.trunk
        }
    }

    /// The interfaces EC2 lets card `k` attach (ENIs): every card has the default card's
    /// maximum in the table; card 0's trunk slot aside.
    pub(super) fn instance_max_enis_of(&self, k: u8) -> u32 {
        if k == 0 {
            self.conf.instance_max_enis
        } else {
            self.conf.instance_max_enis + self.conf.trunk
        }
    }

    /// The warm-pool targets of the card in hand: the settings on card 0, the fixed
    /// targets of a card > 0 ([`Targets::for_secondary_card`]).
    pub(super) fn targets(&self) -> Targets {
        self.targets_of(self.card)
    }

    /// The warm-pool targets of card `k`.
    pub(super) fn targets_of(&self, k: u8) -> Targets {
        if k == 0 {
            self.conf.targets
        } else {
            self.conf.targets.for_secondary_card()
        }
    }

    /// Starts a pass over the cards (a tick's decisions, or pre-scaling): every card's
    /// statistics are taken now, and the order is a Go map order (a drawn rotation).
    /// Returns the first card; on a one-card node, card 0 with no draw.
    pub(super) fn begin_card_pass(&mut self, now: SimTime) -> u8 {
        if self.conf.cards <= 1 {
            return 0;
        }
        for k in 0..self.conf.cards {
            let ds = self.datastore(k);
            let (snapshot, freeable) = (ds.stats(now), ds.pd && ds.freeable_eni_exists());
            let slot = &mut self.cards[usize::from(k)];
            slot.snapshot = snapshot;
            slot.freeable = freeable;
        }
        let rot = self.map_order();
        self.pass = CardPass {
            first: (rot % u32::from(self.conf.cards)) as u8,
            done: 0,
        };
        self.pass.first
    }

    /// The next card of the pass in progress, if any is left (and takes it in hand).
    pub(super) fn next_card_of_pass(&mut self, ctx: &mut Ctx<'_>) -> Option<u8> {
        if self.conf.cards <= 1 || self.pass.done + 1 >= self.conf.cards {
            return None;
        }
        self.pass.done += 1;
        let k = (self.pass.first + self.pass.done) % self.conf.cards;
        self.hold_card(ctx, k);
        Some(k)
    }

    /// The pass's snapshot of the card in hand: its statistics and `CheckFreeableENIexists`.
    pub(super) fn pass_snapshot(&self) -> (PoolStats, bool) {
        let slot = &self.cards[usize::from(self.card)];
        (slot.snapshot, slot.freeable)
    }

    /// Whether card `k` can give an address now (one that is not cooling).
    pub(super) fn card_has_address(&self, k: u8, now: SimTime) -> bool {
        let s = self.datastore(k).stats(now);
        s.available() > s.cooldown
    }

    /// Assigns an address of card `k` to `pod` (`AssignPodIPAddress` of the card's
    /// datastore, with its Go map orders).
    pub(super) fn assign_on(&mut self, k: u8, now: SimTime, pod: PodId) -> Option<(EniId, u32)> {
        let eni_rot = self.map_order();
        let ip_rot = self.map_order();
        self.datastore_mut(k).assign(now, pod, eni_rot, ip_rot)
    }

    /// CNI ADD on a node with several managed cards (`AddNetwork`,
    /// `pkg/ipamd/rpc_handler.go:190-250`): the datastores are walked card 0 first. A pod
    /// that needs one address takes it from the first card that has one (a card with none
    /// passes the request on, the last card's failure fails the ADD). A multi-homed pod
    /// needs one address from every card: the walk stops at the first card with none, and
    /// the ADD fails. The addresses it took on the cards before are given back at once by
    /// the CNI DEL the container runtime sends after a failed ADD, so they cool
    /// (`UnassignPodIPAddress`, `data_store.go:1268`). Returns the lease and the card that
    /// failed, if one did.
    pub(super) fn cni_add_cards(
        &mut self,
        now: SimTime,
        pod: PodId,
        multi: bool,
    ) -> Result<Lease, u8> {
        if !multi {
            for k in 0..self.conf.cards {
                if self.card_has_address(k, now) {
                    if let Some((eni, addr)) = self.assign_on(k, now, pod) {
                        return Ok(Lease::v4(Some(eni), Ipv4(addr)));
                    }
                }
            }
            return Err(self.conf.cards - 1);
        }
        let mut first: Option<(EniId, u32)> = None;
        let start = self.homed.len();
        for k in 0..self.conf.cards {
            let got = if self.card_has_address(k, now) {
                self.assign_on(k, now, pod)
            } else {
                None
            };
            match got {
                Some((eni, addr)) if first.is_none() => first = Some((eni, addr)),
                Some((eni, addr)) => self.homed.push((pod, Homed { card: k, eni, addr })),
                None => {
                    // the runtime's DEL gives back what the ADD took
                    if let Some((eni, addr)) = first {
                        self.ds_unassign(0, now, eni, addr, pod);
                    }
                    while self.homed.len() > start {
                        let (_, h) = self.homed.pop().expect("pushed by this ADD");
                        self.ds_unassign(h.card, now, h.eni, h.addr, pod);
                    }
                    return Err(k);
                }
            }
        }
        let (eni, addr) = first.expect("a node manages at least one card");
        if self.conf.cards > 1 {
            self.homed_pods += 1;
            self.homed_addresses += u64::from(self.conf.cards);
        }
        Ok(Lease::v4(Some(eni), Ipv4(addr)))
    }

    /// Multi-homed pods' addresses beyond their lease, with the pod.
    pub fn homed(&self) -> &[(PodId, Homed)] {
        &self.homed
    }

    /// Multi-homed pods holding their addresses now, and those addresses (pods, addresses).
    pub fn homed_at_end(&self) -> (u64, u64) {
        if self.conf.cards <= 1 {
            return (0, 0);
        }
        let extra = self.homed.len() as u64;
        let pods = extra / u64::from(self.conf.cards - 1);
        (pods, extra + pods)
    }

    /// Gives an address of card `k` back (it cools).
    fn ds_unassign(&mut self, k: u8, now: SimTime, eni: EniId, addr: u32, pod: PodId) {
        self.datastore_mut(k).unassign(now, eni, addr, pod);
    }

    /// CNI DEL on a node with several managed cards: the pod's lease goes back to the card
    /// that holds its ENI, and a multi-homed pod's other addresses to theirs
    /// (`DelNetwork`, `rpc_handler.go:343-365`).
    pub(super) fn cni_del_cards(&mut self, now: SimTime, pod: PodId, eni: EniId, addr: u32) {
        if let Some(k) = self.card_of(eni) {
            self.ds_unassign(k, now, eni, addr, pod);
        }
        if self.homed.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.homed.len() {
            if self.homed[i].0 == pod {
                let (_, h) = self.homed.swap_remove(i);
                self.ds_unassign(h.card, now, h.eni, h.addr, pod);
            } else {
                i += 1;
            }
        }
    }
}
