//! `subnets` (CIDRs, used addresses, reservations, overlaps), `eniconfigs`, and subnet
//! references from nodegroups.

use super::*;

impl Checker<'_> {
    /// `subnets`: each entry's name (for references, even if its CIDR is bad) and spec.
    pub(super) fn subnets(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> Vec<SubnetEntry> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        let mut seen = SeenNames::default();
        for (i, item) in self.list(section.value, path, "subnets").iter().enumerate() {
            let at = path.index(i);
            let raw: RawSubnet = self.mapping(item, &at).unwrap_or_default();
            let name = self
                .required(&raw.name, &at, "name", "a subnet name such as private-a")
                .and_then(|v| self.name(&at.key("name"), v, false));
            if let Some(name) = &name {
                self.unique(&mut seen, name, &at.key("name"), "subnet");
            }
            let cidr = self
                .required(
                    &raw.cidr,
                    &at,
                    "cidr",
                    "an IPv4 CIDR such as 192.168.1.0/24",
                )
                .and_then(|v| self.cidr(&at.key("cidr"), v));
            let az = match &raw.az {
                Some(v) => self.name(&at.key("az"), v, false),
                None => Some("default".to_string()),
            };
            let role_cni = match &raw.role_cni {
                Some(v) => self.boolean(&at.key("role_cni"), v).map(Some),
                None => Some(None),
            };
            let (tags, tags_ok) = match &raw.tags {
                Some(t) => self.subnet_tags(t.value, &at.key("tags")),
                None => (DiscoveryTags::default(), true),
            };
            let role_cni = role_cni.and_then(|key| self.merge_role_cni(key, &tags, &at));
            let cluster_tags = tags_ok.then_some(tags.clusters);
            let reservations = match (&raw.reservations, cidr) {
                (Some(r), Some(c)) => self.reservations(r.value, &at.key("reservations"), c),
                (Some(r), None) => {
                    let _ = self.list(r.value, &at.key("reservations"), "CIDRs");
                    None
                }
                (None, _) => Some(Vec::new()),
            };
            let used = match (&raw.used, cidr, &reservations) {
                (Some(u), Some(c), Some(res)) => self.used(u.value, &at.key("used"), c, res),
                (Some(_), _, _) => None,
                (None, _, _) => Some(UsedSpec::None),
            };
            let ipv6_cidr = match &raw.ipv6_cidr {
                Some(v) => {
                    let p = at.key("ipv6_cidr");
                    self.string(&p, v)
                        .and_then(|t| match parse_ipv6_subnet(&t) {
                            Ok(base) => Some(Some(base)),
                            Err(m) => {
                                self.error(&p, m);
                                None
                            }
                        })
                }
                None => Some(None),
            };
            let spec = match (
                &name,
                cidr,
                az,
                (role_cni, cluster_tags),
                used,
                reservations,
                ipv6_cidr,
            ) {
                (
                    Some(name),
                    Some(cidr),
                    Some(az),
                    (Some(role_cni), Some(cluster_tags)),
                    Some(used),
                    Some(reservations),
                    Some(ipv6_cidr),
                ) => Some(SubnetSpec {
                    name: name.clone(),
                    cidr,
                    az,
                    role_cni,
                    cluster_tags,
                    used,
                    reservations,
                    ipv6_cidr,
                }),
                _ => None,
            };
            entries.push(SubnetEntry { name, cidr, spec });
        }
        self.check_overlaps(&entries, path);
        entries
    }

    /// `reservations`: prefix-type CIDR reservations, inside the subnet, /28 or larger,
    /// not overlapping each other.
    pub(super) fn reservations(
        &mut self,
        value: &Node,
        path: &FieldPath,
        subnet: Ipv4Cidr,
    ) -> Option<Vec<Ipv4Cidr>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in self.list(value, path, "CIDRs").iter().enumerate() {
            let at = path.index(i);
            let Some(text) = self.string(&at, &Scalar::from_value(item)) else {
                ok = false;
                continue;
            };
            let c = match parse_cidr_any(&text) {
                Ok(c) => c,
                Err(m) => {
                    self.error(&at, m);
                    ok = false;
                    continue;
                }
            };
            if c.prefix_len > 28 {
                self.error(&at, format!("reservation {c} is smaller than a /28 prefix; a prefix reservation must be /28 or larger"));
                ok = false;
            } else if !contains(subnet, c) {
                self.error(
                    &at,
                    format!(
                        "reservation {c} lies outside the subnet {subnet}; it must be inside it"
                    ),
                );
                ok = false;
            } else if let Some(prev) = out.iter().find(|p: &&Ipv4Cidr| overlaps(**p, c)) {
                self.error(&at, format!("reservation {c} overlaps reservation {prev}; reservations must not overlap"));
                ok = false;
            } else {
                out.push(c);
            }
        }
        ok.then_some(out)
    }

    /// `used`: a count of addresses scattered over the subnet, or a list of ranges
    /// (`10.0.0.16-10.0.0.40`, a CIDR, or one address).
    pub(super) fn used(
        &mut self,
        value: &Node,
        path: &FieldPath,
        subnet: Ipv4Cidr,
        reservations: &[Ipv4Cidr],
    ) -> Option<UsedSpec> {
        let reserved: u64 = reservations.iter().map(|r| r.size()).sum();
        let usable = subnet.size().saturating_sub(5 + reserved);
        match &value.kind {
            Kind::Int(_) | Kind::Float(..) => {
                let n = self.u32_at_least(
                    path,
                    &Scalar::from_value(value),
                    0,
                    "a count of used addresses",
                )?;
                if u64::from(n) > usable {
                    self.error(path, format!("{n} used addresses do not fit: subnet {subnet} has {usable} usable addresses outside AWS-reserved ones and reservations"));
                    return None;
                }
                Some(UsedSpec::Count(n))
            }
            Kind::Seq(items) => {
                let mut ranges = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let at = path.index(i);
                    let Some(text) = self.string(&at, &Scalar::from_value(item)) else {
                        ok = false;
                        continue;
                    };
                    match parse_range(&text) {
                        Ok((a, b)) if contains_range(subnet, a, b) => ranges.push((a, b)),
                        Ok(_) => {
                            self.error(
                                &at,
                                format!("range {text} lies outside the subnet {subnet}"),
                            );
                            ok = false;
                        }
                        Err(m) => {
                            self.error(&at, m);
                            ok = false;
                        }
                    }
                }
                ok.then_some(UsedSpec::Ranges(ranges))
            }
            _ => {
                self.error(path, format!("expected a count of used addresses or a list of ranges such as [10.0.0.16-10.0.0.40, 10.0.1.0/26]; found {}", raw::kind_of(value)));
                None
            }
        }
    }

    pub(super) fn cidr(&mut self, path: &FieldPath, value: &Scalar) -> Option<Ipv4Cidr> {
        let text = self.string(path, value)?;
        match parse_subnet_cidr(&text) {
            Ok(cidr) => Some(cidr),
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }

    /// Reports each subnet whose CIDR overlaps an earlier one.
    pub(super) fn check_overlaps(&mut self, entries: &[SubnetEntry], path: &FieldPath) {
        for (j, later) in entries.iter().enumerate() {
            let Some(b) = later.cidr else { continue };
            let clash = entries[..j]
                .iter()
                .enumerate()
                .find(|(_, e)| e.cidr.is_some_and(|a| overlaps(a, b)));
            if let Some((i, earlier)) = clash {
                let a = earlier.cidr.map(|c| c.to_string()).unwrap_or_default();
                let named = earlier.name.as_deref().unwrap_or("?");
                self.error(
                    &path.index(j).key("cidr"),
                    format!(
                        "{b} overlaps {a} of subnet \"{named}\" (subnets[{i}]); \
                         subnets must not overlap"
                    ),
                );
            }
        }
    }

    /// The index of the subnet named by `value`. With no readable subnets at all, that is
    /// reported once elsewhere instead of at every reference.
    pub(super) fn subnet_ref(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        subnets: &[SubnetEntry],
    ) -> Option<usize> {
        let name = self.string(path, value)?;
        if subnets.is_empty() {
            return None;
        }
        let found = subnets
            .iter()
            .position(|s| s.name.as_deref() == Some(&name));
        if found.is_none() {
            let mut known: Vec<&str> = Vec::new();
            for s in subnets.iter().filter_map(|s| s.name.as_deref()) {
                if !known.contains(&s) {
                    known.push(s);
                }
            }
            let known = if known.is_empty() {
                "none has a valid name".to_string()
            } else {
                known.join(", ")
            };
            self.error(
                path,
                format!("unknown subnet \"{name}\"; known subnets: {known}"),
            );
        }
        found
    }

    /// `eniconfigs`: one per AZ, each naming a subnet in that AZ.
    pub(super) fn eniconfigs(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
        subnets: &[SubnetEntry],
    ) -> Vec<EniConfigSpec> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut out: Vec<EniConfigSpec> = Vec::new();
        for (i, item) in self
            .list(section.value, path, "eniconfigs")
            .iter()
            .enumerate()
        {
            let at = path.index(i);
            let raw: RawEniConfig = self.mapping(item, &at).unwrap_or_default();
            let az = self
                .required(
                    &raw.az,
                    &at,
                    "az",
                    "an availability zone name such as us-east-1a",
                )
                .and_then(|v| self.name(&at.key("az"), v, false));
            let subnet = self
                .required(&raw.subnet, &at, "subnet", "the name of the pod subnet")
                .and_then(|v| self.subnet_ref(&at.key("subnet"), v, subnets));
            let (Some(az), Some(subnet)) = (az, subnet) else {
                continue;
            };
            if out.iter().any(|e| e.az == az) {
                self.error(
                    &at.key("az"),
                    format!("a second ENIConfig for AZ \"{az}\"; one per AZ"),
                );
                continue;
            }
            if let Some(spec) = &subnets[subnet].spec {
                if spec.az != az {
                    self.error(&at.key("subnet"), format!("subnet \"{}\" is in AZ \"{}\", not \"{az}\"; an ENIConfig's subnet must be in its AZ", spec.name, spec.az));
                    continue;
                }
            }
            out.push(EniConfigSpec { az, subnet });
        }
        out
    }

    /// With custom networking, every AZ a nodegroup launches into needs an ENIConfig.
    pub(super) fn check_eniconfig_coverage(
        &mut self,
        nodegroups: &[Option<NodeGroupSpec>],
        subnets: &[SubnetEntry],
        eniconfigs: &[EniConfigSpec],
        top: &FieldPath,
    ) {
        for (i, ng) in nodegroups.iter().enumerate() {
            let Some(ng) = ng else { continue };
            for &sn in &ng.subnets {
                let Some(spec) = &subnets[sn].spec else {
                    continue;
                };
                if !eniconfigs.iter().any(|e| e.az == spec.az) {
                    let known: Vec<&str> = eniconfigs.iter().map(|e| e.az.as_str()).collect();
                    self.error(
                        &top.key("nodegroups").index(i),
                        format!(
                            "custom networking is on but subnet \"{}\" is in AZ \"{}\", which no ENIConfig lists (eniconfigs cover: {}); add eniconfigs: [{{az: {}, subnet: <pod subnet>}}]",
                            spec.name,
                            spec.az,
                            if known.is_empty() { "none".to_string() } else { known.join(", ") },
                            spec.az
                        ),
                    );
                }
            }
        }
    }
}

/// One `subnets` entry as far as it could be read.
pub(super) struct SubnetEntry {
    /// Its name, if valid (nodegroups may refer to it even when its CIDR is bad).
    pub(super) name: Option<String>,
    /// Its CIDR, if valid (for the overlap check).
    pub(super) cidr: Option<Ipv4Cidr>,
    /// The whole entry, if valid.
    pub(super) spec: Option<SubnetSpec>,
}

/// Parses `a.b.c.d/n` as a VPC subnet: prefix /16 to /28, host bits zero.
pub(super) fn parse_subnet_cidr(text: &str) -> Result<Ipv4Cidr, String> {
    let not_cidr = || {
        format!("\"{text}\" is not an IPv4 CIDR; expected an address and prefix length such as 192.168.1.0/24")
    };
    let (addr, len) = text.split_once('/').ok_or_else(not_cidr)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| not_cidr())?;
    if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_cidr());
    }
    let prefix_len: u8 = len.parse().map_err(|_| not_cidr())?;
    if prefix_len > 32 {
        return Err(not_cidr());
    }
    if !(16..=28).contains(&prefix_len) {
        return Err(format!(
            "prefix length /{prefix_len} is not allowed for a VPC subnet; AWS allows /16 to /28"
        ));
    }
    let mask = u32::MAX << (32 - u32::from(prefix_len));
    let base = u32::from(addr);
    if base & !mask != 0 {
        let network = Ipv4Cidr {
            base: base & mask,
            prefix_len,
        };
        return Err(format!(
            "{text} has host bits set; the network address must end in zero bits: did you mean {network}?"
        ));
    }
    Ok(Ipv4Cidr { base, prefix_len })
}

/// Parses a subnet's IPv6 CIDR: an IPv6 network address and `/64` (the only size AWS gives
/// a subnet), host bits zero; returns the network address.
pub(super) fn parse_ipv6_subnet(text: &str) -> Result<u128, String> {
    let not_cidr = || {
        format!("\"{text}\" is not an IPv6 CIDR; expected a /64 such as 2600:1f14:abc:de00::/64")
    };
    let (addr, len) = text.split_once('/').ok_or_else(not_cidr)?;
    let addr: std::net::Ipv6Addr = addr.parse().map_err(|_| not_cidr())?;
    if len != "64" {
        return Err(format!(
            "prefix length /{len} is not allowed for a subnet's IPv6 CIDR; AWS gives every \
             subnet a /64"
        ));
    }
    let base = u128::from(addr);
    if base & u128::from(u64::MAX) != 0 {
        let network = std::net::Ipv6Addr::from(base & !u128::from(u64::MAX));
        return Err(format!(
            "{text} has host bits set; the network address must end in zero bits: did you \
             mean {network}/64?"
        ));
    }
    Ok(base)
}

/// Parses any IPv4 CIDR `a.b.c.d/n` (n ≤ 32, host bits zero).
pub(super) fn parse_cidr_any(text: &str) -> Result<Ipv4Cidr, String> {
    let bad = || format!("\"{text}\" is not an IPv4 CIDR such as 10.0.8.0/22");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.trim().parse().map_err(|_| bad())?;
    let prefix_len: u8 = len.trim().parse().map_err(|_| bad())?;
    if prefix_len > 32 {
        return Err(bad());
    }
    let mask = if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix_len))
    };
    let base = u32::from(addr);
    if base & !mask != 0 {
        let net = Ipv4Cidr {
            base: base & mask,
            prefix_len,
        };
        return Err(format!("{text} has host bits set; did you mean {net}?"));
    }
    Ok(Ipv4Cidr { base, prefix_len })
}

/// Parses `a-b` (inclusive addresses), a CIDR, or one address into an inclusive range.
pub(super) fn parse_range(text: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!("\"{text}\" is not an address range; expected 10.0.0.16-10.0.0.40, a CIDR such as 10.0.1.0/26, or one address")
    };
    if text.contains('/') {
        let c = parse_cidr_any(text)?;
        return Ok((c.base, (u64::from(c.base) + c.size() - 1) as u32));
    }
    if let Some((a, b)) = text.split_once('-') {
        let a: Ipv4Addr = a.trim().parse().map_err(|_| bad())?;
        let b: Ipv4Addr = b.trim().parse().map_err(|_| bad())?;
        let (a, b) = (u32::from(a), u32::from(b));
        if a > b {
            return Err(format!("range {text} ends before it starts"));
        }
        return Ok((a, b));
    }
    let a: Ipv4Addr = text.trim().parse().map_err(|_| bad())?;
    Ok((u32::from(a), u32::from(a)))
}

/// Whether `inner` lies entirely inside `outer`.
pub(super) fn contains(outer: Ipv4Cidr, inner: Ipv4Cidr) -> bool {
    contains_range(
        outer,
        inner.base,
        (u64::from(inner.base) + inner.size() - 1) as u32,
    )
}

/// Whether the inclusive range `a..=b` lies inside `outer`.
pub(super) fn contains_range(outer: Ipv4Cidr, a: u32, b: u32) -> bool {
    let end = u64::from(outer.base) + outer.size() - 1;
    u64::from(a) >= u64::from(outer.base) && u64::from(b) <= end
}

/// Whether two CIDR blocks share an address.
pub(super) fn overlaps(a: Ipv4Cidr, b: Ipv4Cidr) -> bool {
    let end = |c: Ipv4Cidr| u64::from(c.base) + c.size() - 1;
    u64::from(a.base) <= end(b) && u64::from(b.base) <= end(a)
}
