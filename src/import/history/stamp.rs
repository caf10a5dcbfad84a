//! Kubernetes timestamps: RFC 3339 as the API server prints them (`2024-05-01T10:00:00Z`,
//! `metav1.Time`, whole seconds) and `metav1.MicroTime` (`2024-05-01T10:00:00.123456Z`),
//! with `Z` or a numeric offset. Read into microseconds since the Unix epoch, with no
//! calendar library: days from the civil date by the proleptic Gregorian rule
//! ([`crate::time::calendar`]).

use crate::time::calendar::{civil_from_days, days_from_civil, days_in_month};

/// A point in time, µs since 1970-01-01T00:00:00Z (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(pub i64);

impl Stamp {
    /// `self − earlier` in µs (negative when `earlier` is later).
    pub fn since(self, earlier: Stamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::fmt::Display for Stamp {
    /// RFC 3339 in UTC, whole seconds (`2024-05-01T10:00:07Z`) or with the microseconds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            t / 3600,
            t / 60 % 60,
            t % 60
        )?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        f.write_str("Z")
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (a lower-case `t`/`z` or a space
/// for `T` also accepted, as RFC 3339 allows); a fraction finer than 1 µs is cut. The
/// error says what was expected.
pub fn parse_stamp(text: &str) -> Result<Stamp, String> {
    let bad = || {
        format!(
            "{} is not a timestamp such as \"2024-05-01T10:00:00Z\" (RFC 3339, as kubectl \
             prints them)",
            serde_json::Value::from(text)
        )
    };
    let b = text.as_bytes();
    if b.len() < 20 {
        return Err(bad());
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return Err(bad());
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return Err(bad());
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(bad());
    }
    // 60: a leap second, read as the next second's start
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let mut at = 19;
    let mut micros = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                micros = micros * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err(bad());
        }
        for _ in (at - start)..6 {
            micros *= 10;
        }
    }
    let offset_s = match &b[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (Some(oh), Some(om)) = (num(at + 1, 2), num(at + 4, 2)) else {
                return Err(bad());
            };
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(bad()),
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset_s;
    Ok(Stamp(secs * 1_000_000 + micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_microseconds_since_the_epoch() {
        // 2024-05-01 is day 19,844 since 1970-01-01 (54 years: 13 leap days in
        // 1972…2020, 54 × 365 + 13 = 19,723 to 2024-01-01; + 31 + 29 + 31 + 30 = 121).
        let day = 19_844i64 * 86_400 * 1_000_000;
        assert_eq!(parse_stamp("2024-05-01T00:00:00Z"), Ok(Stamp(day)));
        assert_eq!(
            parse_stamp("2024-05-01T10:00:07.25Z"),
            Ok(Stamp(day + 36_007_250_000))
        );
        // 12:00 at +02:00 is 10:00 UTC
        assert_eq!(
            parse_stamp("2024-05-01T12:00:00+02:00"),
            parse_stamp("2024-05-01T10:00:00Z")
        );
        assert_eq!(parse_stamp("1970-01-01T00:00:00.000001Z"), Ok(Stamp(1)));
        for text in [
            "2024-05-01T10:00:07Z",
            "2000-02-29T23:59:59.250000Z",
            "1969-12-31T00:00:00Z",
        ] {
            assert_eq!(parse_stamp(text).unwrap().to_string(), text);
        }
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+2:00",
            "２０２４-05-01T10:00:00Z",
        ] {
            assert!(parse_stamp(bad).is_err(), "{bad}");
        }
    }
}
