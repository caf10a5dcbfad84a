//! A small typed writer of OpenMetrics text (OpenMetrics 1.0, "Text format"): metric
//! families with their `# TYPE` and `# HELP` lines, samples with labels and a timestamp,
//! and the closing `# EOF`.
//!
//! It owns the format's rules so that no caller formats a line: label values and help
//! texts are escaped here (`\\`, `\"`, `\n`), a counter's samples get their `_total`
//! suffix here, values are written as integers, and timestamps as Unix seconds with at
//! most millisecond precision (`1767225600`, `1767225600.25`). Names are checked against
//! the format's grammar in debug builds (they are constants of the program).

use std::io::{self, Write};

/// A metric family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down; samples are named as the family.
    Gauge,
    /// A monotonic count; samples are named `<family>_total`.
    Counter,
    /// A family of unknown type; samples are named as the family. Used for aws-node's
    /// counters whose names do not end in `_total`, so that the series keep the names a
    /// scrape of aws-node gives them.
    Unknown,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Unknown => "unknown",
        }
    }
}

/// A metric family: its name, type and help text.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// The family's name (`[a-zA-Z_:][a-zA-Z0-9_:]*`; a counter's without `_total`).
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Its help text (escaped when written).
    pub help: &'static str,
}

/// A point in time: milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixMillis(pub i64);

/// Writes OpenMetrics text to `W`: [`OmWriter::family`], then its samples, for each family
/// in turn, then [`OmWriter::finish`] writes `# EOF`.
pub struct OmWriter<W: Write> {
    w: io::BufWriter<W>,
    /// The family whose samples are being written.
    current: Option<Family>,
}

impl<W: Write> OmWriter<W> {
    /// A writer into `inner` (buffered here).
    pub fn new(inner: W) -> Self {
        OmWriter {
            w: io::BufWriter::with_capacity(1 << 16, inner),
            current: None,
        }
    }

    /// Starts a family: its `# TYPE` and `# HELP` lines. Each family must be started once
    /// (OpenMetrics forbids a family in two places).
    pub fn family(&mut self, f: Family) -> io::Result<()> {
        debug_assert!(valid_name(f.name), "metric name {:?}", f.name);
        debug_assert!(
            f.kind != Kind::Counter || !f.name.ends_with("_total"),
            "a counter family is named without _total"
        );
        self.current = Some(f);
        writeln!(self.w, "# TYPE {} {}", f.name, f.kind.word())?;
        write!(self.w, "# HELP {} ", f.name)?;
        escape_into(&mut self.w, f.help, false)?;
        self.w.write_all(b"\n")
    }

    /// One sample of the current family: its labels (name, value), value and time.
    pub fn sample(
        &mut self,
        labels: &[(&str, &str)],
        value: u64,
        at: UnixMillis,
    ) -> io::Result<()> {
        let Some(f) = self.current else {
            return Err(io::Error::other("a sample before its family"));
        };
        self.w.write_all(f.name.as_bytes())?;
        if f.kind == Kind::Counter {
            self.w.write_all(b"_total")?;
        }
        if !labels.is_empty() {
            self.w.write_all(b"{")?;
            for (i, (name, value)) in labels.iter().enumerate() {
                debug_assert!(valid_label(name), "label name {name:?}");
                if i > 0 {
                    self.w.write_all(b",")?;
                }
                self.w.write_all(name.as_bytes())?;
                self.w.write_all(b"=\"")?;
                escape_into(&mut self.w, value, true)?;
                self.w.write_all(b"\"")?;
            }
            self.w.write_all(b"}")?;
        }
        write!(self.w, " {value} ")?;
        write_timestamp(&mut self.w, at)?;
        self.w.write_all(b"\n")
    }

    /// Writes `# EOF`, flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(b"# EOF\n")?;
        self.w.into_inner().map_err(io::IntoInnerError::into_error)
    }
}

/// Writes `s` escaped: `\` as `\\`, a newline as `\n`, and in a label value `"` as `\"`.
fn escape_into(w: &mut impl Write, s: &str, quote: bool) -> io::Result<()> {
    let mut rest = s.as_bytes();
    while let Some(i) = rest
        .iter()
        .position(|&b| b == b'\\' || b == b'\n' || (quote && b == b'"'))
    {
        w.write_all(&rest[..i])?;
        w.write_all(match rest[i] {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            _ => b"\\\"",
        })?;
        rest = &rest[i + 1..];
    }
    w.write_all(rest)
}

/// Unix seconds: whole seconds alone, else with the milliseconds' significant digits.
fn write_timestamp(w: &mut impl Write, at: UnixMillis) -> io::Result<()> {
    let (s, ms) = (at.0.div_euclid(1000), at.0.rem_euclid(1000));
    if ms == 0 {
        return write!(w, "{s}");
    }
    match (ms % 100, ms % 10) {
        (0, _) => write!(w, "{s}.{}", ms / 100),
        (_, 0) => write!(w, "{s}.{:02}", ms / 10),
        _ => write!(w, "{s}.{ms:03}"),
    }
}

fn valid_name(n: &str) -> bool {
    let mut b = n.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn valid_label(n: &str) -> bool {
    valid_name(n) && !n.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Family = Family {
        name: "awscni_total_ip_addresses",
        kind: Kind::Gauge,
        help: "The total number of IP addresses",
    };

    fn text(f: impl FnOnce(&mut OmWriter<Vec<u8>>) -> io::Result<()>) -> String {
        let mut w = OmWriter::new(Vec::new());
        f(&mut w).unwrap();
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn a_gauge_family_with_two_samples() {
        let t = text(|w| {
            w.family(G)?;
            w.sample(
                &[("instance", "n-1"), ("node", "n-1")],
                3,
                UnixMillis(1_767_225_600_000),
            )?;
            w.sample(
                &[("instance", "n-1"), ("node", "n-1")],
                4,
                UnixMillis(1_767_225_601_500),
            )
        });
        assert_eq!(
            t,
            "# TYPE awscni_total_ip_addresses gauge\n\
             # HELP awscni_total_ip_addresses The total number of IP addresses\n\
             awscni_total_ip_addresses{instance=\"n-1\",node=\"n-1\"} 3 1767225600\n\
             awscni_total_ip_addresses{instance=\"n-1\",node=\"n-1\"} 4 1767225601.5\n\
             # EOF\n"
        );
    }

    #[test]
    fn counters_get_their_suffix_and_unknown_families_keep_the_name() {
        let t = text(|w| {
            w.family(Family {
                name: "ipamsim_ec2_requests",
                kind: Kind::Counter,
                help: "h",
            })?;
            w.sample(&[], 7, UnixMillis(0))?;
            w.family(Family {
                name: "awscni_add_ip_req_count",
                kind: Kind::Unknown,
                help: "h",
            })?;
            w.sample(&[], 8, UnixMillis(1))
        });
        assert!(t.contains("\nipamsim_ec2_requests_total 7 0\n"), "{t}");
        // 1 ms: the fraction's zeros on the right are dropped, not those on its left
        assert!(t.contains("\nawscni_add_ip_req_count 8 0.001\n"), "{t}");
        assert!(
            t.contains("# TYPE awscni_add_ip_req_count unknown\n"),
            "{t}"
        );
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let t = text(|w| {
            w.family(Family {
                name: "x",
                kind: Kind::Gauge,
                help: "a \\ b\nc \"q\"",
            })?;
            w.sample(&[("l", "a\\b\"c\nd")], 0, UnixMillis(12_340))
        });
        // help: backslash and newline escaped, quotes kept; label value: all three
        assert!(t.contains("# HELP x a \\\\ b\\nc \"q\"\n"), "{t}");
        assert!(t.contains("x{l=\"a\\\\b\\\"c\\nd\"} 0 12.34\n"), "{t}");
    }

    #[test]
    fn a_sample_before_any_family_is_an_error() {
        let mut w = OmWriter::new(Vec::new());
        assert!(w.sample(&[], 1, UnixMillis(0)).is_err());
    }

    #[test]
    fn names_follow_the_grammar() {
        assert!(valid_name("awscni_eni_max") && valid_name("a:b") && valid_name("_x1"));
        assert!(!valid_name("") && !valid_name("1x") && !valid_name("a-b"));
        assert!(valid_label("cause") && !valid_label("a:b"));
    }
}
