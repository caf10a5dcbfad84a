//! Subnet discovery as aws-node v1.22+ does it (`ENABLE_SUBNET_DISCOVERY`, PR #3463): which
//! subnets a new ENI may be created in, and whether the subnet of the node's primary ENI
//! is excluded, so that the primary ENI holds no pod addresses.
//!
//! Citations are to aws/amazon-vpc-cni-k8s v1.23.1 (`pkg/awsutils/awsutils.go` unless
//! another file is named). Two tags are read, both by exact key:
//!
//! - `kubernetes.io/role/cni` (`awsutils.go:80-82`): its value `"0"` excludes the subnet;
//!   any other non-empty value ("1", "shared", "true", …) opts it in; an absent tag and an
//!   empty value are the same (`getTagValue` returns `""` for both, `awsutils.go:1311-1319`).
//! - `cni.networking.k8s.aws/cluster/<name>` (`awsutils.go:70-71`): only the key counts,
//!   never its value (`checkClusterTags`, `awsutils.go:1321-1332`). With `CLUSTER_NAME`
//!   set (`awsutils.go:68, 1298-1301`), a subnet carrying such keys is for those clusters
//!   only; with `CLUSTER_NAME` empty they are ignored.
//!
//! The rules are pure functions of a subnet's [`Tags`]. They live with the scenario, not the
//! model, because validation needs them too (combinations the model does not cover are
//! refused, a nodegroup left without an ENI subnet is warned about); the model's ipamd
//! (`model/ipamd/eni.rs`, the node's configuration) calls them.

/// What subnet discovery reads of one subnet.
#[derive(Clone, Copy, Debug)]
pub struct Tags<'a> {
    /// `kubernetes.io/role/cni`: `None` absent or empty, `Some(false)` `"0"`, `Some(true)`
    /// any other value.
    pub role_cni: Option<bool>,
    /// The `<name>`s of its `cni.networking.k8s.aws/cluster/<name>` tag keys.
    pub clusters: &'a [String],
}

impl<'a> Tags<'a> {
    /// The tags of a scenario subnet.
    pub fn of(s: &'a super::SubnetSpec) -> Tags<'a> {
        Tags {
            role_cni: s.role_cni,
            clusters: &s.cluster_tags,
        }
    }
}

/// `ValidSubnetTagsMatchingClusterName` (`awsutils.go:1294-1309`): with `cluster` (the
/// `CLUSTER_NAME` variable) empty, every subnet matches; otherwise a subnet matches when it
/// has no cluster tag at all or has this cluster's.
pub fn matches_cluster(tags: Tags<'_>, cluster: &str) -> bool {
    cluster.is_empty() || tags.clusters.is_empty() || tags.clusters.iter().any(|c| c == cluster)
}

/// `isSubnetValidForENICreation` (`awsutils.go:1256-1292`): whether ipamd may create an ENI
/// in the subnet. `primary`: it is the subnet of the node's primary ENI.
///
/// 1. `kubernetes.io/role/cni = "0"` excludes any subnet (l.1264-1268);
/// 2. untagged: the primary subnet qualifies, whatever its cluster tags (backwards
///    compatibility); another subnet does not (l.1270-1282);
/// 3. tagged non-zero: it qualifies when it [`matches_cluster`] (l.1284-1291).
pub fn valid_for_eni(tags: Tags<'_>, primary: bool, cluster: &str) -> bool {
    match tags.role_cni {
        Some(false) => false,
        None => primary,
        Some(true) => matches_cluster(tags, cluster),
    }
}

/// `IsSubnetExcluded` (`awsutils.go:2577-2609`): the subnet is tagged `"0"`, or tagged
/// non-zero but for other clusters only. It equals "not [`valid_for_eni`] as the primary
/// subnet". With subnet discovery on, an ENI in such a subnet is marked excluded from pod
/// addresses when it is set up (`pkg/ipamd/ipamd.go:1295-1300, 2868-2893`), in IPv4 only;
/// with it off, ipamd refuses to create any ENI when the primary subnet is excluded
/// (`awsutils.go:1203-1212`).
pub fn excluded(tags: Tags<'_>, cluster: &str) -> bool {
    !valid_for_eni(tags, true, cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "my-example-cluster";

    fn tags(role_cni: Option<bool>, clusters: &[String]) -> Tags<'_> {
        Tags { role_cni, clusters }
    }
    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    // Cases of `TestValidTagWithClusterSpecificTags` (pkg/awsutils/awsutils_test.go:2397-2516),
    // CLUSTER_NAME = "my-example-cluster", in its order.

    #[test]
    fn secondary_tagged_without_cluster_tag_is_for_every_cluster() {
        assert!(valid_for_eni(tags(Some(true), &[]), false, OURS));
    }

    #[test]
    fn secondary_tagged_for_another_cluster_only_is_not_ours() {
        let other = names(&["some-other-cluster"]);
        assert!(!valid_for_eni(tags(Some(true), &other), false, OURS));
    }

    #[test]
    fn secondary_tagged_for_several_clusters_including_ours_is_ours() {
        let both = names(&[OURS, "some-other-cluster"]);
        assert!(valid_for_eni(tags(Some(true), &both), false, OURS));
    }

    #[test]
    fn secondary_with_our_cluster_tag_but_no_role_tag_is_not_used() {
        let ours = names(&[OURS]);
        assert!(!valid_for_eni(tags(None, &ours), false, OURS));
    }

    #[test]
    fn primary_tagged_with_our_cluster_is_used() {
        let ours = names(&[OURS]);
        assert!(valid_for_eni(tags(Some(true), &ours), true, OURS));
    }

    #[test]
    fn primary_untagged_is_used_whatever_its_cluster_tags() {
        let other = names(&["some-other-cluster"]);
        assert!(valid_for_eni(tags(None, &other), true, OURS));
        let ours = names(&[OURS]);
        assert!(valid_for_eni(tags(None, &ours), true, OURS));
        assert!(valid_for_eni(tags(None, &[]), true, OURS));
    }

    // Rule 1 and the primary subnet's other cases (awsutils.go:1264-1289).

    #[test]
    fn role_cni_zero_excludes_primary_and_secondary_even_with_our_cluster_tag() {
        let ours = names(&[OURS]);
        for primary in [true, false] {
            assert!(!valid_for_eni(tags(Some(false), &[]), primary, OURS));
            assert!(!valid_for_eni(tags(Some(false), &ours), primary, OURS));
        }
    }

    #[test]
    fn primary_tagged_non_zero_for_another_cluster_is_not_used() {
        // the cluster check of rule 3 applies to the primary subnet too once it has the
        // role tag: "1" plus another cluster's key excludes it
        let other = names(&["some-other-cluster"]);
        assert!(!valid_for_eni(tags(Some(true), &other), true, OURS));
        assert!(excluded(tags(Some(true), &other), OURS));
    }

    // `ValidSubnetTagsMatchingClusterName` with CLUSTER_NAME unset (awsutils.go:1298-1301;
    // TestValidSubnetTagsMatchingClusterName, awsutils_test.go:2696).

    #[test]
    fn cluster_tags_are_ignored_when_cluster_name_is_unset() {
        let other = names(&["some-other-cluster"]);
        assert!(matches_cluster(tags(Some(true), &other), ""));
        assert!(valid_for_eni(tags(Some(true), &other), false, ""));
        assert!(!excluded(tags(Some(true), &other), ""));
    }

    #[test]
    fn a_cluster_name_is_matched_whole_not_by_prefix() {
        // "prod" must not match a subnet tagged for "prod-2" only
        let prod2 = names(&["prod-2"]);
        assert!(!matches_cluster(tags(Some(true), &prod2), "prod"));
        let empty_name = names(&[""]); // the bare prefix as a key: a cluster tag for no one
        assert!(!matches_cluster(tags(Some(true), &empty_name), "prod"));
    }

    // `IsSubnetExcluded` (TestIsSubnetExcluded, awsutils_test.go:2792).

    #[test]
    fn is_subnet_excluded_cases() {
        let ours = names(&[OURS]);
        let other = names(&["some-other-cluster"]);
        assert!(!excluded(tags(None, &[]), OURS)); // no tag: not excluded
        assert!(!excluded(tags(None, &other), OURS)); // no role tag: cluster tags unread
        assert!(excluded(tags(Some(false), &[]), OURS)); // "0"
        assert!(!excluded(tags(Some(true), &[]), OURS)); // "1", no cluster tag
        assert!(!excluded(tags(Some(true), &ours), OURS)); // "1", ours
        assert!(excluded(tags(Some(true), &other), OURS)); // "1", another's only
    }

    #[test]
    fn excluded_is_exactly_not_valid_as_primary() {
        let sets = [
            names(&[]),
            names(&[OURS]),
            names(&["x"]),
            names(&[OURS, "x"]),
        ];
        for role in [None, Some(false), Some(true)] {
            for set in &sets {
                for cluster in ["", OURS] {
                    let t = tags(role, set);
                    assert_eq!(excluded(t, cluster), !valid_for_eni(t, true, cluster));
                }
            }
        }
    }
}
