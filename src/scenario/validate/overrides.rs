//! `--set KEY=VALUE` overrides applied to the parsed tree before it is checked.
//!
//! The new key and value nodes carry the override's own origin, so a problem with them is
//! reported as "(from --set KEY=VALUE)" rather than at a line of the file.

use super::*;
use crate::scenario::yaml::resolve_plain;

/// One step of an override key.
#[derive(Debug, PartialEq, Eq)]
enum Step<'k> {
    Key(&'k str),
    Index(usize),
}

/// Longest override key accepted (bytes).
const MAX_KEY_LEN: usize = 253;

/// Splits `a.b[2].c` into steps; a bare name without `.` or `[` means `cni.NAME`, unless
/// it is a top-level scenario key (`duration`, `seed`, `cni_from`, …).
fn steps(key: &str) -> Result<Vec<Step<'_>>, String> {
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "the key is {} bytes long; at most {MAX_KEY_LEN} are allowed",
            key.len()
        ));
    }
    if key.is_empty() {
        return Err("the key is empty; give e.g. WARM_IP_TARGET or kubelet.retry_interval".into());
    }
    if !key.contains(['.', '[']) && !RawScenario::KEYS.contains(&key) {
        return Ok(vec![Step::Key("cni"), Step::Key(key)]);
    }
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return Err(format!(
                "{key:?} has an empty key; write keys such as kubelet.retry_interval or \
                 nodegroups[0].count"
            ));
        }
        out.push(Step::Key(name));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("{key:?} has an unclosed `[`"))?;
            let index: usize = rest[1..close]
                .parse()
                .map_err(|_| format!("{key:?}: {:?} is not a list index", &rest[1..close]))?;
            out.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("{key:?}: expected `.` or `[` after `]`"));
            }
        }
    }
    Ok(out)
}

/// Removes the top-level key `key`, if present.
pub(super) fn remove_key(root: &mut Node, key: &str) {
    if let Kind::Map(entries) = &mut root.kind {
        entries.retain(|(k, _)| k.as_str() != Some(key));
    }
}

/// Sets the value at `key` to `value` in `root`; new nodes carry `origin`.
pub(super) fn apply(root: &mut Node, key: &str, value: &str, origin: u32) -> Result<(), String> {
    let steps = steps(key)?;
    let mark = Mark {
        origin,
        line: 0,
        col: 0,
    };
    let is_cni = matches!(steps.first(), Some(Step::Key("cni")));
    let leaf = if is_cni {
        Kind::Str(value.to_string())
    } else {
        resolve_plain(value)
    };
    let mut node = root;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let shown = || {
            steps[..i]
                .iter()
                .map(|s| match s {
                    Step::Key(k) => format!(".{k}"),
                    Step::Index(n) => format!("[{n}]"),
                })
                .collect::<String>()
                .trim_start_matches('.')
                .to_string()
        };
        match step {
            Step::Key(name) if matches!(node.kind, Kind::Seq(_)) => {
                // a list item by its `name` (nodegroups.workers.count)
                let Kind::Seq(items) = &mut node.kind else {
                    unreachable!("matched a list")
                };
                let named = |n: &Node| {
                    matches!(&n.kind, Kind::Map(e) if e.iter().any(|(k, v)| {
                        k.as_str() == Some("name") && v.as_str() == Some(name)
                    }))
                };
                let Some(at) = items.iter().position(named) else {
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|n| match &n.kind {
                            Kind::Map(e) => e
                                .iter()
                                .find(|(k, _)| k.as_str() == Some("name"))
                                .and_then(|(_, v)| v.as_str())
                                .map(str::to_string),
                            _ => None,
                        })
                        .collect();
                    return Err(format!(
                        "cannot set {key}: {} has no entry named {name:?} (its names: {})",
                        shown(),
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                };
                node = &mut items[at];
                if last {
                    return Err(format!(
                        "cannot set {key}: name a key of {name:?}, e.g. {key}.count"
                    ));
                }
            }
            Step::Key("prefix") if last && matches!(steps.first(), Some(Step::Key("subnets"))) => {
                // a subnet's prefix length, keeping its base address
                return set_prefix(node, key, value, mark);
            }
            Step::Key(name) => {
                if matches!(node.kind, Kind::Null) {
                    node.kind = Kind::Map(Vec::new());
                }
                let found = node.kind_name();
                let Kind::Map(entries) = &mut node.kind else {
                    return Err(format!(
                        "cannot set {key}: {} is {}, not a mapping",
                        if i == 0 {
                            "the file".to_string()
                        } else {
                            shown()
                        },
                        found
                    ));
                };
                let at = match entries.iter().position(|(k, _)| k.as_str() == Some(name)) {
                    Some(at) => {
                        if last {
                            // The key now stands for the override, not for the file's text.
                            entries[at].0.mark = mark;
                        }
                        at
                    }
                    None => {
                        let child = if last {
                            Kind::Null
                        } else {
                            Kind::Map(Vec::new())
                        };
                        entries.push((
                            Node::new(Kind::Str((*name).to_string()), mark),
                            Node::new(child, mark),
                        ));
                        entries.len() - 1
                    }
                };
                node = &mut entries[at].1;
            }
            Step::Index(n) => {
                let found = node.kind_name();
                let Kind::Seq(items) = &mut node.kind else {
                    return Err(format!(
                        "cannot set {key}: {} is {found}, not a list",
                        shown()
                    ));
                };
                let len = items.len();
                let Some(item) = items.get_mut(*n) else {
                    return Err(format!(
                        "cannot set {key}: {} has {}, so [{n}] does not exist",
                        shown(),
                        crate::text::Count(len as u64, "entry", "entries")
                    ));
                };
                if last {
                    item.dash = Some(mark);
                }
                node = item;
            }
        }
    }
    *node = Node::new(leaf, mark);
    Ok(())
}

/// `subnets.NAME.prefix=N`: the subnet's `cidr` with prefix length `N`, same base address
/// (validation then checks that the base is the network address of the new block).
fn set_prefix(subnet: &mut Node, key: &str, value: &str, mark: Mark) -> Result<(), String> {
    let bits: u8 = value
        .trim_start_matches('/')
        .parse()
        .ok()
        .filter(|b| *b <= 32)
        .ok_or_else(|| format!("cannot set {key}: {value:?} is not a prefix length (0 to 32)"))?;
    let Kind::Map(entries) = &mut subnet.kind else {
        return Err(format!("cannot set {key}: the subnet is not a mapping"));
    };
    let Some((_, cidr)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some("cidr")) else {
        return Err(format!(
            "cannot set {key}: the subnet has no cidr to change"
        ));
    };
    let base = cidr
        .as_str()
        .and_then(|c| c.split_once('/'))
        .map(|(b, _)| b.to_string())
        .ok_or_else(|| format!("cannot set {key}: the subnet's cidr is not a.b.c.d/n"))?;
    *cidr = Node::new(Kind::Str(format!("{base}/{bits}")), mark);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_steps() {
        assert_eq!(
            steps("WARM_IP_TARGET"),
            Ok(vec![Step::Key("cni"), Step::Key("WARM_IP_TARGET")])
        );
        assert_eq!(
            steps("nodegroups[1].count"),
            Ok(vec![
                Step::Key("nodegroups"),
                Step::Index(1),
                Step::Key("count")
            ])
        );
        assert_eq!(steps("duration"), Ok(vec![Step::Key("duration")]));
        assert!(steps("a..b").is_err());
        assert!(steps("a[x]").is_err());
        assert!(steps("a[1").is_err());
        assert!(steps("").is_err());
        assert!(steps(&"k".repeat(300)).is_err());
    }
}
