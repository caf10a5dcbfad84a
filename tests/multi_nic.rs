//! Multi-NIC (VPC CNI v1.20.0+, `ENABLE_MULTI_NIC`): a datastore and a warm pool per network
//! card, multi-homed pods with one address per card, and the refusals upstream makes.
//! Citations are to aws/amazon-vpc-cni-k8s v1.23.1 (b52188387f2e).
use crate::common;

use common::{events_of, ipamsim, run_yaml};
use ipamsim::model::record::{MemoryRecorder, PodState, WaitCause};
use ipamsim::model::World;
use ipamsim::time::SimTime;

/// One node of `itype` with `cni` lines, a host-network DaemonSet, and `workload` (YAML
/// lines of one workload entry, without the leading `- `).
fn one_node(itype: &str, cni: &str, workload: &str, duration: &str) -> String {
    format!(
        "duration: {duration}
sample_interval: 10s
cni:
{cni}
ipamd: {{placement: canonical}}
subnets: [{{name: a, cidr: 10.0.0.0/20}}]
nodegroups:
  - {{name: ng, instance_type: {itype}, count: 1, subnet: a, max_pods: 200}}
daemonsets:
  - {{name: aws-node, host_network: true}}
  - {{name: kube-proxy, host_network: true}}
workloads:
  - {workload}
"
    )
}

const HOMED: &str = "name: homed
    at: 60s
    replicas: 10
    annotations:
      k8s.amazonaws.com/nicConfig: multi-nic-attachment";

const PLAIN: &str = "name: homed
    at: 60s
    replicas: 10";

/// `(ENIs, IPs held, IPs assigned)` summed over every card of node 0 at the end.
fn pool(w: &World<MemoryRecorder>) -> (u32, u32, u32) {
    let n = w.node(0);
    let now = SimTime(w.scenario().duration.micros());
    let s = n.ipamd.stats(now);
    (n.ipamd.eni_count(), s.total, s.assigned)
}

fn running(w: &World<MemoryRecorder>, workload: &str) -> usize {
    w.recorder()
        .pods
        .iter()
        .filter(|p| p.workload == workload && p.state == PodState::Running)
        .count()
}

/// The case. One c6in.32xlarge (2 cards of 8 ENIs, 50 IPv4 per ENI),
/// `ENABLE_MULTI_NIC`, host-network DaemonSets only, 10 multi-homed pods: each pod takes
/// one address from card 0 and one from card 1 (`rpc_handler.go:197-250`:
/// `ipsRequired = len(DataStores)` = 2), so 10 × 2 = 20 addresses are assigned and the 10
/// pods run. The same pods without the annotation take one address each, all from card 0
/// (it has free addresses, so the walk stops there): 10.
#[test]
fn ten_multi_homed_pods_hold_twenty_addresses_and_plain_ones_ten() {
    let multi = "  ENABLE_MULTI_NIC: true";
    let (w, _) = run_yaml(&one_node("c6in.32xlarge", multi, HOMED, "5m"));
    assert_eq!(running(&w, "homed"), 10);
    assert_eq!(pool(&w).2, 20);
    // every multi-homed pod holds one address beyond its lease, on card 1
    let homed = w.node(0).ipamd.homed();
    assert_eq!(homed.len(), 10);
    assert!(homed.iter().all(|(_, h)| h.card == 1));
    // the summary's counts: 10 pods × 2 cards
    let (pods, addrs) = w.node(0).ipamd.homed_at_end();
    assert_eq!((pods, addrs), (10, 20));

    let (w, _) = run_yaml(&one_node("c6in.32xlarge", multi, PLAIN, "5m"));
    assert_eq!(running(&w, "homed"), 10);
    assert_eq!(pool(&w).2, 10);
    assert!(w.node(0).ipamd.homed().is_empty());
    // every address assigned is card 0's
    assert_eq!(
        w.node(0)
            .ipamd
            .datastore(0)
            .stats(SimTime(300_000_000))
            .assigned,
        10
    );
}

/// Per-card warm targets at idle. Card 0 keeps the settings (WARM_ENI_TARGET 1): the
/// primary ENI is filled with 49 IPs at `nodeInit` and, with 49 available ≥ 1 × 49, no
/// second ENI is added. Card 1 uses WARM_IP_TARGET = MINIMUM_IP_TARGET = 1
/// (`ipamd.go:2181-2185`): pre-scaling creates one ENI on card 1 asking for
/// `min(short, 49)` = 1 IP (`GetENIResourcesToAllocate`, `ipamd.go:2551-2567`). So 2 ENIs
/// and 49 + 1 = 50 IPs held, the ENI of card 1 tagged with its card in events.csv.
#[test]
fn card_one_keeps_one_warm_ip_and_card_zero_a_warm_eni() {
    let cni = "  ENABLE_MULTI_NIC: true";
    let (w, _) = run_yaml(&one_node(
        "c6in.32xlarge",
        cni,
        "name: none\n    replicas: 0",
        "3m",
    ));
    assert_eq!(pool(&w), (2, 50, 0));
    let created = events_of(&w, "create_eni");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].card, Some(1));
    assert_eq!(created[0].fact.count(), Some(1));
    // the primary ENI's fill is card 0's
    let assigned = events_of(&w, "assign_ips");
    assert_eq!(assigned[0].card, Some(0));
    assert_eq!(assigned[0].fact.count(), Some(49));
}

/// Without ENABLE_MULTI_NIC, card 1 is not managed (`markUnmanagedNetworkCards`,
/// `ipamd.go:296-303`): the node is a one-card node, no event carries a card, and the 10
/// plain pods take 10 of card 0's 49 addresses.
#[test]
fn without_multi_nic_only_card_zero_is_managed() {
    let (w, _) = run_yaml(&one_node(
        "c6in.32xlarge",
        "  WARM_ENI_TARGET: 1",
        PLAIN,
        "3m",
    ));
    assert_eq!(w.node(0).ipamd.card_count(), 1);
    assert!(w.recorder().events.iter().all(|e| e.card.is_none()));
    assert_eq!(pool(&w).2, 10);
}

/// Upstream refuses a multi-homed pod's ADD when ENABLE_MULTI_NIC is off ("enable multi-nic
/// feature on CNI for creating multi-nic-attachment pods", `rpc_handler.go:197-201`): the
/// pods would never get an address, so validation refuses the scenario (exit 2), naming
/// the annotation's line.
#[test]
fn an_annotated_workload_without_multi_nic_is_refused() {
    let dir = common::fresh_dir("multinic", "refused");
    let path = dir.join("s.yaml");
    let text = one_node("c6in.32xlarge", "  ENABLE_MULTI_NIC: false", HOMED, "3m");
    std::fs::write(&path, &text).unwrap();
    let out = ipamsim(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // the annotation's key is on line 17 of the file, at column 7
    assert!(
        err.contains("s.yaml:17:7: workloads[0].annotations.k8s.amazonaws.com/nicConfig:"),
        "{err}"
    );
    assert!(err.contains("enable multi-nic feature on CNI"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A card at its ENI limit. hpc6id.32xlarge has 2 cards of 1 ENI each (50 IPv4 per ENI):
/// card 0 holds only the primary ENI (49 IPs), card 1 one ENI of up to 49 IPs. A
/// multi-homed pod needs an address on both, so at most min(49, 49) = 49 of 60 run (max
/// pods raised to 200 so the ENIs bind, not kubelet), holding 49 × 2 = 98 addresses. The
/// 11 others wait; card 0, first in ADD order, has no address and holds every ENI it may,
/// all full: their last interval is `max_enis`, and their failed ADDs name card 0.
#[test]
fn a_card_at_its_eni_limit_caps_multi_homed_pods() {
    let workload = "name: homed
    at: 30s
    replicas: 60
    annotations:
      k8s.amazonaws.com/nicConfig: multi-nic-attachment";
    let cni = "  ENABLE_MULTI_NIC: true";
    let (w, _) = run_yaml(&one_node("hpc6id.32xlarge", cni, workload, "10m"));
    assert_eq!(running(&w, "homed"), 49);
    let (enis, total, assigned) = pool(&w);
    assert_eq!((enis, total, assigned), (2, 98, 98));
    for k in 0..2 {
        assert_eq!(w.node(0).ipamd.datastore(k).enis().len(), 1, "card {k}");
    }
    let waiting: Vec<_> = w
        .recorder()
        .pods
        .iter()
        .filter(|p| p.workload == "homed" && p.state != PodState::Running)
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(waiting.len(), 11);
    for pod in &waiting {
        let last = w
            .recorder()
            .waits
            .iter()
            .filter(|x| &x.pod == pod)
            .max_by_key(|x| x.end)
            .expect("a waiting pod has intervals");
        assert_eq!(last.cause, WaitCause::MaxEnis, "{pod}");
    }
    // card 1 grows one IP per tick (WARM_IP_TARGET 1); once it has its 49, the pods that
    // still fail find card 0, first in ADD order, without an address
    let grown = events_of(&w, "assign_ips")
        .into_iter()
        .filter(|e| e.card == Some(1))
        .map(|e| e.time)
        .max()
        .expect("card 1 grew");
    let last_no_ip: Vec<_> = events_of(&w, "no_ip")
        .into_iter()
        .filter(|e| e.time > grown)
        .collect();
    assert!(!last_no_ip.is_empty());
    assert!(last_no_ip.iter().all(|e| e.card == Some(0)));
}

/// Prefix delegation on a card > 0. `datastoreTargetState` counts card 1's shortfall and
/// surplus in IPs, not prefixes (the prefix arithmetic is for card 0 only,
/// `ipamd.go:2212`), with WARM_IP_TARGET = MINIMUM_IP_TARGET = 1. An idle card 1 holding
/// one /28 has 16 available: over = min(16 − 1, 16 − 1) = 15 > 0, so the pool is "too
/// high" and `tryUnassignCidrsFromAll` frees min(15, 1 free prefix) = 1 prefix; the pool
/// is then empty, "too low", and the next tick assigns a prefix again. Each decrease is
/// at least 30 s after the last (`decreaseIPPoolInterval`), so in 5 minutes the card
/// releases its prefix about every 30 s: at least 300 / 35 ≈ 8 and at most 300 / 30 = 10
/// times, and card 0 (warm prefix target 1, its prefix kept) never.
#[test]
fn prefix_delegation_on_card_one_cycles_its_only_prefix() {
    let cni = "  ENABLE_MULTI_NIC: true\n  ENABLE_PREFIX_DELEGATION: true";
    let (w, _) = run_yaml(&one_node(
        "c6in.32xlarge",
        cni,
        "name: none\n    replicas: 0",
        "5m",
    ));
    let released = events_of(&w, "unassign_prefixes");
    assert!(released.iter().all(|e| e.card == Some(1)));
    assert!(
        (8..=10).contains(&released.len()),
        "{} releases",
        released.len()
    );
    let gaps: Vec<f64> = released
        .windows(2)
        .map(|p| p[1].secs() - p[0].secs())
        .collect();
    assert!(gaps.iter().all(|&g| g >= 30.0), "{gaps:?}");
}

/// The summary counts multi-homed pods and their addresses (run through the binary).
#[test]
fn the_summary_counts_multi_homed_pods() {
    let dir = common::fresh_dir("multinic", "summary");
    let path = dir.join("s.yaml");
    let text = one_node("c6in.32xlarge", "  ENABLE_MULTI_NIC: true", HOMED, "5m");
    std::fs::write(&path, &text).unwrap();
    let out_dir = dir.join("out");
    let out = ipamsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    let m = &summary["multi_nic"];
    assert_eq!(m["multi_card_nodes"], 1);
    assert_eq!(m["multi_homed_pods"], 10);
    assert_eq!(m["multi_homed_addresses"], 20);
    assert_eq!(m["multi_homed_addresses_at_end"], 20);
    // nodes.csv keeps per-node totals: 20 assigned at the end
    let nodes = std::fs::read_to_string(out_dir.join("nodes.csv")).unwrap();
    let mut r = csv::Reader::from_reader(nodes.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = h.iter().position(|c| c == "ips_assigned").unwrap();
    let last = r.records().last().unwrap().unwrap();
    assert_eq!(&last[col], "20");
    // a pod whose first ADD failed: card 1 keeps one spare address, so of the 10 pods
    // created at once all but one fail there first; events.csv names the card and explain
    // says it
    let events = std::fs::read_to_string(out_dir.join("events.csv")).unwrap();
    let mut r = csv::Reader::from_reader(events.as_bytes());
    let h = r.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (kind, pod, card) = (at("kind"), at("pod"), at("network_card"));
    let no_ip: Vec<csv::StringRecord> = r
        .records()
        .map(Result::unwrap)
        .filter(|x| &x[kind] == "no_ip")
        .collect();
    assert!(no_ip.len() >= 9, "{} no_ip rows", no_ip.len());
    let first = no_ip
        .iter()
        .find(|x| &x[card] == "1")
        .expect("a failure on card 1");
    let story = ipamsim(&["explain", out_dir.to_str().unwrap(), "--pod", &first[pod]]);
    let text = String::from_utf8_lossy(&story.stdout);
    assert!(text.contains(") on network card 1: "), "{text}");
    // a run written before the column still explains, without the card
    let old: String = events
        .lines()
        .map(|l| {
            let mut rec = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            let row = rec.records().next().unwrap().unwrap();
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(row.iter().take(row.len() - 1)).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        })
        .collect();
    std::fs::write(out_dir.join("events.csv"), old).unwrap();
    let story = ipamsim(&["explain", out_dir.to_str().unwrap(), "--pod", &first[pod]]);
    assert!(
        story.status.success(),
        "{}",
        String::from_utf8_lossy(&story.stderr)
    );
    let text = String::from_utf8_lossy(&story.stdout);
    assert!(
        text.contains("CNI ADD failed (") && !text.contains("network card"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Security groups for pods with multi-NIC. The trunk ENI takes one of card 0's slots only
/// (`hasRoomForEni` counts it on the default card, `ipamd.go:2592-2597`): on a
/// c6in.32xlarge (trunking-compatible, 2 cards of 8 ENIs, 49 pod IPs per ENI) card 0 holds
/// 7 ENIs = 343 IPs and card 1 all 8 = 392. 700 plain pods (max pods raised to 800) fill
/// card 0 and then take card 1's addresses, as the ADD walks the cards: 700 − 343 = 357
/// on card 1, which needs ⌈357 / 49⌉ = 8 ENIs. Were the trunk's slot kept on card 1 too,
/// only 343 + 343 = 686 would run. Card 1 grows one IP per pool tick (WARM_IP_TARGET 1),
/// so its 357 take about 30 minutes: the run lasts an hour.
#[test]
fn the_trunk_takes_a_slot_of_card_zero_only() {
    let cni = "  ENABLE_MULTI_NIC: true\n  ENABLE_POD_ENI: true";
    let text = one_node(
        "c6in.32xlarge",
        cni,
        "name: web\n    at: 30s\n    replicas: 700",
        "60m",
    )
    .replace("max_pods: 200", "max_pods: 800");
    let (w, _) = run_yaml(&text);
    assert_eq!(running(&w, "web"), 700);
    let ip = &w.node(0).ipamd;
    assert_eq!(ip.datastore(0).enis().len(), 7);
    assert_eq!(ip.datastore(1).enis().len(), 8);
    let now = SimTime(w.scenario().duration.micros());
    assert_eq!(ip.datastore(0).stats(now).assigned, 343);
    assert_eq!(ip.datastore(1).stats(now).assigned, 357);
    assert_eq!(events_of(&w, "trunk_attached").len(), 1);
}

/// Custom networking with multi-NIC: `tryAllocateENI` takes the ENIConfig's subnet for a
/// new ENI on any card (`ipamd.go:1050-1071`), and only card 0 has a primary ENI to leave
/// without pod addresses. One c6in.32xlarge in a /24 node subnet (251 usable), pods from
/// a /16: `nodeInit` creates card 0's first pod ENI (49 IPs) and card 1's (1 IP, its
/// target), both in the pod subnet; the node subnet loses only the instance's address
/// (250 free). 5 multi-homed pods then hold one address on each card: 10.
#[test]
fn custom_networking_puts_every_card_s_enis_in_the_eniconfig_subnet() {
    let text = "duration: 5m
cni:
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true
  ENABLE_MULTI_NIC: true
ipamd: {placement: canonical}
subnets:
  - {name: nodes-a, cidr: 10.0.0.0/24, az: a}
  - {name: pods-a, cidr: 100.64.0.0/16, az: a}
eniconfigs:
  - {az: a, subnet: pods-a}
nodegroups:
  - {name: ng, instance_type: c6in.32xlarge, count: 1, subnet: nodes-a}
workloads:
  - name: homed
    at: 30s
    replicas: 5
    annotations: {k8s.amazonaws.com/nicConfig: multi-nic-attachment}
";
    let (w, _) = run_yaml(text);
    assert_eq!(running(&w, "homed"), 5);
    assert_eq!(pool(&w).2, 10);
    let ip = &w.node(0).ipamd;
    let now = SimTime(w.scenario().duration.micros());
    for (card, ds) in ip.datastores() {
        for e in ds.enis() {
            let subnet = &w.subnets()[e.subnet.index()].name;
            if e.is_primary {
                assert_eq!((card, subnet.as_str(), e.total()), (0, "nodes-a", 0));
            } else {
                assert_eq!(subnet, "pods-a", "card {card} eni-{}", e.id.0);
            }
        }
        assert_eq!(ds.stats(now).assigned, 5, "card {card}");
    }
    assert_eq!(ip.datastore(1).enis().len(), 1);
    assert_eq!(w.subnets()[0].free(), 250);
}
