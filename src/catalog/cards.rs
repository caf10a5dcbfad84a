//! Per network card: what ipamd can use on each card of a type with `ENABLE_MULTI_NIC=true`
//! (VPC CNI v1.20 and later), from the catalog's `network_cards` (docs/capacity.md, "Network
//! cards", cites the upstream code).

use super::{InstanceType, IPS_PER_PREFIX};

impl InstanceType {
    /// ENIs ipamd can attach to network card `card` with `ENABLE_MULTI_NIC=true` (ENIs): the
    /// card's own maximum, but never more than the default card's, because ipamd's
    /// `hasRoomForEni` checks every card against the one `maxENI` it read for the default
    /// card (`pkg/ipamd/ipamd.go`). 0 for a card the type does not have.
    pub fn card_enis(&self, card: usize) -> u32 {
        self.network_cards
            .get(card)
            .map_or(0, |&enis| enis.min(self.max_enis))
    }

    /// Addresses network card `card` can hold for pods with `ENABLE_MULTI_NIC=true` (IPs): its
    /// ENIs ([`InstanceType::card_enis`]) × (IPv4 per ENI − 1), × 16 with prefix delegation
    /// where the CNI supports it. Custom networking leaves out the primary ENI, which only
    /// card 0 has. Card 0 gives [`InstanceType::pod_ips`].
    pub fn card_pod_ips(
        &self,
        card: usize,
        prefix_delegation: bool,
        custom_networking: bool,
    ) -> u32 {
        let enis = self.card_enis(card);
        let enis = if custom_networking && card == 0 {
            enis.saturating_sub(1)
        } else {
            enis
        };
        let ips = enis.saturating_mul(self.ipv4_per_eni.saturating_sub(1));
        if prefix_delegation && self.supports_prefix_delegation() {
            ips.saturating_mul(IPS_PER_PREFIX)
        } else {
            ips
        }
    }

    /// Addresses a node can hold for pods on all its network cards with `ENABLE_MULTI_NIC=true`
    /// (IPs): the sum of [`InstanceType::card_pod_ips`] over the cards. Without multi-NIC,
    /// ipamd manages card 0 only: [`InstanceType::pod_ips`].
    pub fn multi_nic_pod_ips(&self, prefix_delegation: bool, custom_networking: bool) -> u32 {
        (0..self.cards()).fold(0u32, |sum, card| {
            sum.saturating_add(self.card_pod_ips(card, prefix_delegation, custom_networking))
        })
    }

    /// Pods annotated `k8s.amazonaws.com/nicConfig: multi-nic-attachment` whose addresses a
    /// node can hold with `ENABLE_MULTI_NIC=true` (pods): each takes one address on every
    /// card, so the card with the fewest pod addresses bounds them (the minimum of
    /// [`InstanceType::card_pod_ips`]). kubelet's max pods bounds them too, as any pods.
    pub fn multi_homed_pods(&self, prefix_delegation: bool, custom_networking: bool) -> u32 {
        (0..self.cards())
            .map(|card| self.card_pod_ips(card, prefix_delegation, custom_networking))
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::lookup;
    use super::*;

    #[test]
    fn multi_nic_addresses_per_card() {
        // c6in.32xlarge: 2 cards of 8 ENIs, 50 IPv4 per ENI.
        // per card 8 x 49 = 392; both cards 784; multi-homed pods min(392, 392) = 392.
        // PD: 392 x 16 = 6272 per card, 12544 in all. CN: card 0 loses its primary ENI,
        // 7 x 49 = 343, card 1 keeps 392: 735 in all, 343 multi-homed pods.
        let c = lookup("c6in.32xlarge").unwrap();
        assert_eq!(
            (
                c.card_pod_ips(0, false, false),
                c.card_pod_ips(1, false, false)
            ),
            (392, 392)
        );
        assert_eq!(c.multi_nic_pod_ips(false, false), 784);
        assert_eq!(c.multi_homed_pods(false, false), 392);
        assert_eq!(c.multi_nic_pod_ips(true, false), 12544);
        assert_eq!(
            (
                c.multi_nic_pod_ips(false, true),
                c.multi_homed_pods(false, true)
            ),
            (735, 343)
        );
        // Card 0 is what ipamd manages without multi-NIC.
        assert_eq!(c.card_pod_ips(0, true, true), c.pod_ips(true, true));
        // p5.48xlarge: 32 cards of 2 ENIs, 50 IPv4 per ENI: 2 x 49 = 98 per card,
        // 32 x 98 = 3136 in all, 98 multi-homed pods.
        let p = lookup("p5.48xlarge").unwrap();
        assert_eq!(
            (
                p.multi_nic_pod_ips(false, false),
                p.multi_homed_pods(false, false)
            ),
            (3136, 98)
        );
        // A card the type does not have holds nothing.
        assert_eq!((p.card_enis(32), p.card_pod_ips(32, false, false)), (0, 0));
        // One card: multi-NIC changes nothing (t3.medium 3 x 5 = 15).
        let t = lookup("t3.medium").unwrap();
        assert_eq!(
            (
                t.multi_nic_pod_ips(false, false),
                t.multi_homed_pods(false, false)
            ),
            (15, 15)
        );
    }

    #[test]
    fn a_card_never_gets_more_enis_than_the_default_card() {
        // An invented type whose card 1 allows more ENIs (6) than card 0 (4): ipamd checks
        // every card against card 0's limit, so card 1 counts 4 x (10 - 1) = 36, not 54.
        let t = InstanceType {
            name: "zz.test".into(),
            max_enis: 4,
            ipv4_per_eni: 10,
            hypervisor: "nitro".into(),
            bare_metal: false,
            vcpus: Some(8),
            network_cards: vec![4, 6, 2],
        };
        assert_eq!((t.card_enis(1), t.card_enis(2)), (4, 2));
        // 36 + 36 + 2 x 9 = 90; the fewest, card 2, bounds multi-homed pods: 18.
        assert_eq!(
            (
                t.multi_nic_pod_ips(false, false),
                t.multi_homed_pods(false, false)
            ),
            (90, 18)
        );
    }
}
