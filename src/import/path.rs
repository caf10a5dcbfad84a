//! A path into a JSON document (`items[2].metadata.labels`), as problems name where they
//! are.

use std::fmt;

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// A path into a JSON document, shown as `items[2].metadata.labels` (keys that are not
/// plain words are quoted: `labels["node.kubernetes.io/instance-type"]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(pub(super) Vec<Step>);

impl JsonPath {
    /// The root of a document.
    pub fn root() -> JsonPath {
        JsonPath::default()
    }

    /// This path, then the key `key`.
    pub fn key(&self, key: &str) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_string()));
        JsonPath(steps)
    }

    /// This path, then the list index `i` (0-based).
    pub fn index(&self, i: usize) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(Step::Index(i));
        JsonPath(steps)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word =
            |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if word(k) && i == 0 => f.write_str(k)?,
                Step::Key(k) if word(k) => write!(f, ".{k}")?,
                Step::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_str()))?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_jq() {
        let p = JsonPath::root()
            .key("items")
            .index(2)
            .key("metadata")
            .key("labels")
            .key("node.kubernetes.io/instance-type");
        assert_eq!(
            p.to_string(),
            r#"items[2].metadata.labels["node.kubernetes.io/instance-type"]"#
        );
    }
}
