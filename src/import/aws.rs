//! `aws ec2 describe-subnets --output json`: the fields the import reads of each subnet.

use super::json::{Found, JsonPath};
use crate::scenario::Ipv4Cidr;
use serde::Deserialize;
use std::net::Ipv4Addr;

/// The document `describe-subnets` prints.
#[derive(Debug, Deserialize)]
#[serde(
    expecting = "the output of `aws ec2 describe-subnets --output json`: an object with \
                     `Subnets`"
)]
pub struct DescribeSubnets {
    /// `Subnets`.
    #[serde(rename = "Subnets")]
    pub subnets: Option<Vec<Subnet>>,
}

/// One entry of `Subnets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    /// `subnet-0a1b…`.
    pub subnet_id: Option<String>,
    /// The IPv4 CIDR, `10.0.0.0/19`.
    pub cidr_block: Option<String>,
    /// Addresses free for new interfaces (addresses): the subnet's size less the 5 AWS
    /// reserves and every address in use.
    pub available_ip_address_count: Option<u64>,
    /// `us-west-2a`.
    pub availability_zone: Option<String>,
    /// `vpc-0123…`.
    pub vpc_id: Option<String>,
    /// `Tags` (absent when the subnet is untagged).
    pub tags: Option<Vec<Tag>>,
}

/// One tag.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The tag's key.
    pub key: Option<String>,
    /// Its value.
    pub value: Option<String>,
}

/// Addresses AWS reserves in every subnet: the network address, the next three (router,
/// DNS, future use) and the last (addresses).
pub const AWS_RESERVED: u64 = 5;

/// What the import keeps of one subnet.
#[derive(Clone, Debug)]
pub struct SubnetInfo {
    /// `SubnetId`.
    pub id: String,
    /// Its path in the file (`Subnets[i]`), for messages.
    pub at: JsonPath,
    /// `CidrBlock`.
    pub cidr: Ipv4Cidr,
    /// `AvailableIpAddressCount` (addresses).
    pub available: u64,
    /// `AvailabilityZone`.
    pub az: String,
    /// `VpcId` (empty when absent).
    pub vpc: String,
    /// The `Name` tag, if any.
    pub name_tag: Option<String>,
    /// The `kubernetes.io/role/cni` tag: `"0"` → false, any other non-empty value → true,
    /// absent or empty → untagged (as ipamd reads it).
    pub role_cni: Option<bool>,
    /// Its `cni.networking.k8s.aws/cluster/<name>` tags (key, value), by key.
    pub cluster_tags: Vec<(String, String)>,
}

impl SubnetInfo {
    /// Whether `ip` lies in this subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        contains(self.cidr, ip)
    }

    /// Addresses in use by something (addresses): size − 5 reserved − available.
    pub fn in_use(&self) -> u64 {
        (self.cidr.size() - AWS_RESERVED).saturating_sub(self.available)
    }
}

/// Whether `ip` lies in `cidr`.
pub fn contains(cidr: Ipv4Cidr, ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    let mask = if cidr.prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(cidr.prefix_len))
    };
    ip & mask == cidr.base
}

/// Parses an AWS subnet CIDR: an IPv4 network address and a prefix of /16 to /28 (the sizes
/// AWS allows), host bits zero.
pub fn parse_cidr(text: &str) -> Result<Ipv4Cidr, String> {
    let shown = serde_json::Value::from(text);
    let (addr, len) = text
        .split_once('/')
        .ok_or_else(|| format!("{shown} is not an IPv4 CIDR such as 10.0.0.0/19"))?;
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("{shown} is not an IPv4 CIDR such as 10.0.0.0/19"))?;
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| (16..=28).contains(l))
        .ok_or_else(|| format!("{shown}: a subnet's prefix length is /16 to /28"))?;
    let base = u32::from(addr);
    if base & !(u32::MAX << (32 - u32::from(len))) != 0 {
        return Err(format!(
            "{shown} has host bits set; expected its network address"
        ));
    }
    Ok(Ipv4Cidr {
        base,
        prefix_len: len,
    })
}

/// Reads every subnet of the document (file index `file` in `found`).
pub fn subnets(doc: DescribeSubnets, file: usize, found: &mut Found) -> Vec<SubnetInfo> {
    let root = JsonPath::root();
    let Some(items) = doc.subnets else {
        found.error(
            file,
            root,
            "missing `Subnets`, the list that `aws ec2 describe-subnets --output json` prints"
                .to_string(),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, s) in items.into_iter().enumerate() {
        let at = root.key("Subnets").index(i);
        let mut missing = |key: &str| {
            found.error(file, at.key(key), format!("missing `{key}`"));
        };
        let (Some(id), Some(cidr_text), Some(available), Some(az)) = (
            s.subnet_id.clone(),
            s.cidr_block.clone(),
            s.available_ip_address_count,
            s.availability_zone.clone(),
        ) else {
            for (key, absent) in [
                ("SubnetId", s.subnet_id.is_none()),
                ("CidrBlock", s.cidr_block.is_none()),
                (
                    "AvailableIpAddressCount",
                    s.available_ip_address_count.is_none(),
                ),
                ("AvailabilityZone", s.availability_zone.is_none()),
            ] {
                if absent {
                    missing(key);
                }
            }
            continue;
        };
        let cidr = match parse_cidr(&cidr_text) {
            Ok(c) => c,
            Err(m) => {
                found.error(file, at.key("CidrBlock"), m);
                continue;
            }
        };
        let usable = cidr.size() - AWS_RESERVED;
        if available > usable {
            found.error(
                file,
                at.key("AvailableIpAddressCount"),
                format!(
                    "{available} available addresses do not fit in {cidr}, which has {usable} \
                     (its {} addresses less the {AWS_RESERVED} AWS reserves)",
                    cidr.size()
                ),
            );
            continue;
        }
        let tag = |key: &str| {
            s.tags
                .iter()
                .flatten()
                .find(|t| t.key.as_deref() == Some(key))
                .and_then(|t| t.value.clone())
        };
        // as ipamd reads it: "0" excludes, any other non-empty value opts in, an empty
        // value is no tag (pkg/awsutils/awsutils.go:1262-1271)
        let role_cni = match tag("kubernetes.io/role/cni").as_deref() {
            None | Some("") => None,
            Some("0") => Some(false),
            Some(_) => Some(true),
        };
        out.push(SubnetInfo {
            id,
            at,
            cidr,
            available,
            az,
            vpc: s.vpc_id.clone().unwrap_or_default(),
            name_tag: tag("Name").filter(|n| !n.trim().is_empty()),
            role_cni,
            cluster_tags: cluster_tags(s.tags.iter().flatten()),
        });
    }
    out
}

/// The `cni.networking.k8s.aws/cluster/<name>` tags of a subnet (subnet discovery's cluster
/// tags, `pkg/awsutils/awsutils.go:71`), by key; a tag without a value has value "".
fn cluster_tags<'a>(tags: impl Iterator<Item = &'a Tag>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tags
        .filter_map(|t| {
            let key = t.key.as_deref()?;
            key.starts_with("cni.networking.k8s.aws/cluster/")
                .then(|| (key.to_string(), t.value.clone().unwrap_or_default()))
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_as_aws_allows_them() {
        let c = parse_cidr("10.0.0.0/19").unwrap();
        // A /19 holds 2^(32-19) = 8192 addresses.
        assert_eq!(c.size(), 8192);
        assert!(contains(c, "10.0.31.255".parse().unwrap()));
        assert!(!contains(c, "10.0.32.0".parse().unwrap()));
        assert!(parse_cidr("10.0.0.0/15").is_err());
        assert!(parse_cidr("10.0.0.1/24").is_err());
        assert!(parse_cidr("10.0.0.0").is_err());
    }
}
