//! The trade-off scatter's point labels: each setting's swept values as written, compactly.
//!
//! - One swept key: the whole label (`WARM_IP_TARGET=5`); when some label is longer than
//!   [`MAX_LABEL_CHARS`], every point shows its value alone (`5`) and the legend names the
//!   key (`labels: WARM_IP_TARGET`).
//! - Several keys: the values in axis order joined by ` / ` (`5 / 20`), the legend naming the
//!   keys in the same order (`labels: WARM_IP_TARGET / MINIMUM_IP_TARGET`).
//! - A label still longer than [`MAX_LABEL_CHARS`], or a setting whose label is not
//!   `KEY=VALUE` per key, shows its row number in the table (`#3`) instead.
//!
//! The keys are `comparison.json`'s `keys` when it has them, else those of the labels'
//! `KEY=VALUE` words when every label has the same keys; otherwise each point shows its
//! whole label (or `#N`).

/// Longest label drawn (characters); longer ones fall back as described above.
pub const MAX_LABEL_CHARS: usize = 24;

/// The values of `label` (`K1=v1 K2=v2`) for `keys` in order, `None` when it is not of that
/// form. A value may hold spaces: it ends where ` NEXTKEY=` starts.
pub fn split_values(label: &str, keys: &[String]) -> Option<Vec<String>> {
    if keys.is_empty() {
        return None;
    }
    let mut rest = label;
    let mut out = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        rest = rest.strip_prefix(k.as_str())?.strip_prefix('=')?;
        match keys.get(i + 1) {
            Some(next) => {
                let at = rest.find(&format!(" {next}="))?;
                out.push(rest[..at].to_string());
                rest = &rest[at + 1..];
            }
            None => out.push(rest.to_string()),
        }
    }
    Some(out)
}

/// The keys of a label made of `KEY=VALUE` words (`None` if a word has no `=`).
pub fn keys_of(label: &str) -> Option<Vec<String>> {
    let keys: Option<Vec<String>> = label
        .split_whitespace()
        .map(|w| w.split_once('=').map(|(k, _)| k.to_string()))
        .collect();
    keys.filter(|k| !k.is_empty() && k.iter().all(|k| !k.is_empty()))
}

/// Labels for `settings` (each with its table row number), and the legend line naming what
/// they are (`None` when the labels name their keys themselves).
pub fn point_labels(
    settings: &[(&str, usize)],
    keys: Option<&[String]>,
) -> (Vec<String>, Option<String>) {
    let derived;
    let keys: &[String] = match keys {
        Some(k) if !k.is_empty() => k,
        _ => {
            // The first label's keys, if every label has the same.
            let first = settings.first().and_then(|(s, _)| keys_of(s));
            derived = first
                .filter(|k| settings.iter().all(|(s, _)| keys_of(s).as_ref() == Some(k)))
                .unwrap_or_default();
            &derived
        }
    };
    let fits = |s: &str| s.chars().count() <= MAX_LABEL_CHARS;
    let values: Vec<Option<Vec<String>>> = settings
        .iter()
        .map(|(s, _)| split_values(s, keys))
        .collect();
    let whole = keys.len() == 1 && settings.iter().all(|(s, _)| fits(s));
    let labels: Vec<String> = settings
        .iter()
        .zip(&values)
        .map(|(&(setting, row), v)| {
            let text = match v {
                _ if whole => setting.to_string(),
                Some(v) => v.join(" / "),
                None => setting.to_string(),
            };
            if fits(&text) && !text.is_empty() {
                text
            } else {
                format!("#{row}")
            }
        })
        .collect();
    let any_values = !whole && values.iter().any(|v| v.is_some());
    let key = any_values.then(|| format!("labels: {}", keys.join(" / ")));
    (labels, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_in_axis_order() {
        let k = keys(&["WARM_IP_TARGET", "MINIMUM_IP_TARGET"]);
        assert_eq!(
            split_values("WARM_IP_TARGET=5 MINIMUM_IP_TARGET=20", &k).unwrap(),
            ["5", "20"]
        );
        assert_eq!(
            split_values("A=x y B=z", &keys(&["A", "B"])).unwrap(),
            ["x y", "z"]
        );
        assert!(split_values("WARM_IP_TARGET=5", &k).is_none());
        assert_eq!(keys_of("A=1 B=2").unwrap(), ["A", "B"]);
        assert!(keys_of("A=1 oops").is_none());
    }

    #[test]
    fn compact_labels_and_fallbacks() {
        let s = [
            ("WARM_IP_TARGET=5 MINIMUM_IP_TARGET=20", 1),
            ("WARM_IP_TARGET=10 MINIMUM_IP_TARGET=0", 2),
        ];
        let (l, key) = point_labels(&s, None);
        assert_eq!(l, ["5 / 20", "10 / 0"]);
        assert_eq!(key.unwrap(), "labels: WARM_IP_TARGET / MINIMUM_IP_TARGET");
        // One key: the whole label while every one fits, else the values.
        let (l, key) = point_labels(&[("WARM_IP_TARGET=5", 1)], None);
        assert_eq!((l[0].as_str(), key), ("WARM_IP_TARGET=5", None));
        let long = [("nodegroups.ng1.instance_type=m5.large", 1)];
        let (l, key) = point_labels(&long, None);
        assert_eq!(l, ["m5.large"]);
        assert_eq!(key.unwrap(), "labels: nodegroups.ng1.instance_type");
        // Too long even so: the row number.
        let huge = format!("K={}", "x".repeat(30));
        let (l, _) = point_labels(&[(huge.as_str(), 4)], None);
        assert_eq!(l, ["#4"]);
        // Different keys per label: whole labels, no legend line.
        let (l, key) = point_labels(&[("A=1", 1), ("B=2 C=3", 2)], None);
        assert_eq!(
            (l, key),
            (vec!["A=1".to_string(), "B=2 C=3".to_string()], None)
        );
    }
}
