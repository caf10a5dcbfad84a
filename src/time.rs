//! Simulated time: integer microseconds, never floating point.
//!
//! [`SimTime`] is an instant measured from the scenario start; [`SimDuration`] is a span.
//! Seconds as decimals appear only when output is written ([`SimTime::secs_str`]).

pub mod calendar;

use std::fmt;

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// An instant of simulated time, in microseconds since the scenario start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// Zero length.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1000)
    }

    /// A duration of `s` whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * MICROS_PER_SEC)
    }

    /// A duration from fractional seconds, rounded to the nearest microsecond (negative
    /// values and NaN clamp to zero; +inf and values past `u64::MAX` µs saturate).
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_nan() || s <= 0.0 {
            SimDuration(0)
        } else {
            // `as` saturates: +inf and anything past u64::MAX µs become "never"
            SimDuration((s * MICROS_PER_SEC as f64).round() as u64)
        }
    }

    /// Length in microseconds.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Length in seconds, as a float (for statistics only, never for scheduling).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }
}

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);

    /// Time since the scenario start, in microseconds.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Time since the scenario start, in seconds as a float (statistics only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// `self - earlier`, saturating at zero.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Seconds with millisecond precision, as written to CSV (`12.345`).
    /// Sub-millisecond parts are rounded half up.
    pub fn secs_str(self) -> String {
        SecsBuf::new(self).as_str().to_string()
    }

    /// Milliseconds, rounded half up as [`SimTime::secs_str`] writes them: statistics that
    /// must agree with the output files are computed from these.
    pub const fn millis_rounded(self) -> u64 {
        self.0 / 1000 + (self.0 % 1000 >= 500) as u64
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl std::ops::Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

/// Seconds with millisecond precision (`12.345`), formatted without allocating.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SecsBuf::new(*self).as_str())
    }
}

/// Seconds with millisecond precision and a unit (`2.500s`), formatted without allocating.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SecsBuf::new(SimTime(self.0)).as_str())?;
        f.write_str("s")
    }
}

/// A time formatted as seconds with millisecond precision (`12.345`) in a stack buffer,
/// rounded half up: the one place output times are formatted.
#[derive(Clone, Copy)]
pub struct SecsBuf {
    buf: [u8; 24],
    start: usize,
}

impl SecsBuf {
    /// Formats `t`.
    pub fn new(t: SimTime) -> SecsBuf {
        let ms = t.0 / 1000 + u64::from(t.0 % 1000 >= 500);
        let mut buf = [0u8; 24];
        let mut i = buf.len();
        let mut frac = ms % 1000;
        for _ in 0..3 {
            i -= 1;
            buf[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        i -= 1;
        buf[i] = b'.';
        let mut whole = ms / 1000;
        loop {
            i -= 1;
            buf[i] = b'0' + (whole % 10) as u8;
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        SecsBuf { buf, start: i }
    }

    /// The text, as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and '.' were written.
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("")
    }
}

/// Serializes a time as seconds with millisecond precision (`12.345`): the form of every
/// `*_s` CSV column (written as the field's bytes, which the csv crate takes as they are).
pub fn serialize_secs<S: serde::Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(SecsBuf::new(*t).as_bytes())
}

/// [`serialize_secs`] for an optional time; `None` is an empty field.
pub fn serialize_opt_secs<S: serde::Serializer>(
    t: &Option<SimTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_bytes(SecsBuf::new(*t).as_bytes()),
        None => s.serialize_str(""),
    }
}

/// The longest duration string accepted: 100 years of 365 days (876,000 h), in µs. Far
/// beyond any run (the work budget suggests at most 31 days), and small enough that sums of
/// thousands of such durations still fit a `u64` of microseconds.
pub const MAX_DURATION: SimDuration = SimDuration(876_000 * 3_600 * MICROS_PER_SEC);

/// Parses a duration string such as `250ms`, `30s`, `2.5s`, `10m`, `1h`, `1h30m` or `500us`.
///
/// A string is one or more `<number><unit>` parts; numbers may have a decimal fraction;
/// units are `h`, `m`, `s`, `ms`, `us`, each used at most once and in that order (`1h30m`,
/// not `30m1h` or `10m10m`). A bare `0` is accepted. The result is exact to the microsecond
/// (finer fractions round half up) and at most [`MAX_DURATION`]; the arithmetic is checked,
/// so nothing overflows silently. The error says what is allowed.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    const ALLOWED: &str = "expected a duration like 250ms, 30s, 2.5s, 10m, 1h or 1h30m";
    // Units from largest to smallest, with their length in µs.
    const UNITS: [(&str, u128); 5] = [
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
        ("us", 1),
    ];
    let s = text.trim();
    let shown: String = s.chars().take(40).collect();
    let shown = if shown.len() < s.len() {
        format!("\"{shown}…\"")
    } else {
        format!("{s:?}")
    };
    let too_long =
        || format!("{shown} is longer than 100 years (876000h), the longest duration accepted");
    if s.is_empty() {
        return Err(format!("empty duration; {ALLOWED}"));
    }
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    // Total in millionths of a microsecond: exact for up to 6 fraction digits of an hour.
    let mut total: u128 = 0;
    let mut last_unit: Option<usize> = None;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[start..i];
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if number.is_empty() || (whole.is_empty() && fraction.is_empty()) || fraction.contains('.')
        {
            return Err(format!("{shown} is not a duration; {ALLOWED}"));
        }
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[unit_start..i];
        let Some(u) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                format!("{shown} has a number without a unit; {ALLOWED}")
            } else {
                format!("{shown} has unknown unit {unit:?}; {ALLOWED}")
            });
        };
        if let Some(previous) = last_unit {
            if u <= previous {
                let rule = if u == previous {
                    format!("uses \"{unit}\" twice")
                } else {
                    format!("has \"{unit}\" after \"{}\"", UNITS[previous].0)
                };
                return Err(format!(
                    "{shown} {rule}; give each unit at most once, largest first (h, m, s, ms, \
                     us), as in 1h30m"
                ));
            }
        }
        last_unit = Some(u);
        // whole × unit + fraction × unit, in units of 10⁻⁶ µs, with checked arithmetic.
        let scale = UNITS[u].1 * 1_000_000;
        let whole = whole.trim_start_matches('0');
        let whole: u128 = if whole.is_empty() {
            0
        } else if whole.len() > 20 {
            return Err(too_long());
        } else {
            whole.parse().map_err(|_| too_long())?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(too_long)?;
        let mut place = scale;
        for d in fraction.bytes().take(20) {
            place /= 10;
            part = part
                .checked_add(u128::from(d - b'0') * place)
                .ok_or_else(too_long)?;
        }
        total = total.checked_add(part).ok_or_else(too_long)?;
    }
    // Round half up to the microsecond.
    let micros = (total + 500_000) / 1_000_000;
    if micros > u128::from(MAX_DURATION.0) {
        return Err(too_long());
    }
    u64::try_from(micros)
        .map(SimDuration)
        .map_err(|_| too_long())
}

/// Parses an RFC 3339 date and time, `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, into Unix
/// milliseconds (at most three digits of fraction; years 1970 to 9999, not before the
/// Unix epoch once the offset is applied). The error says what is allowed.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    const FORM: &str = "give an RFC 3339 UTC time such as 2026-01-01T00:00:00Z \
                        (YYYY-MM-DDTHH:MM:SS, optional .fff milliseconds, then Z or ±HH:MM; \
                        years 1970 to 9999)";
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
    };
    let sep = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let bad = || format!("not an RFC 3339 time; {FORM}");
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return Err(bad());
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return Err(bad());
    };
    let mut i = 19;
    let mut ms = 0;
    if sep(i, b".") {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return Err(format!(
                "{} digits of fraction; at most 3 (milliseconds) are allowed; {FORM}",
                digits
            ));
        }
        let f = num(i + 1..i + 1 + digits).ok_or_else(bad)?;
        ms = f * 10i64.pow(3 - digits as u32);
        i += 1 + digits;
    }
    let offset_min = match b.get(i..) {
        Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), ..]) if b.len() == i + 6 && sep(i + 3, b":") => {
            let (Some(oh), Some(om)) = (num(i + 1..i + 3), num(i + 4..i + 6)) else {
                return Err(bad());
            };
            if oh > 23 || om > 59 {
                return Err(format!("offset out of range; {FORM}"));
            }
            let m = oh * 60 + om;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) {
        return Err(format!("year {y} out of range; {FORM}"));
    }
    if !(1..=12).contains(&mo) || d < 1 || d > crate::time::calendar::days_in_month(y, mo) {
        return Err(format!("no such date {y:04}-{mo:02}-{d:02}; {FORM}"));
    }
    if h > 23 || mi > 59 || sec > 59 {
        return Err(format!(
            "no such time of day {h:02}:{mi:02}:{sec:02}; {FORM}"
        ));
    }
    let days = crate::time::calendar::days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    if secs < 0 {
        return Err(format!(
            "before the Unix epoch (1970-01-01T00:00:00Z); {FORM}"
        ));
    }
    Ok(secs * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_duration("250ms").unwrap(), SimDuration(250_000));
        assert_eq!(parse_duration("30s").unwrap(), SimDuration::from_secs(30));
        assert_eq!(parse_duration("2.5s").unwrap(), SimDuration(2_500_000));
        assert_eq!(parse_duration("10m").unwrap(), SimDuration::from_secs(600));
        assert_eq!(parse_duration("1h").unwrap(), SimDuration::from_secs(3600));
        // 1h30m = 3600 + 1800 = 5400 s
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            SimDuration::from_secs(5400)
        );
        assert_eq!(parse_duration("0").unwrap(), SimDuration::ZERO);
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "", "10", "ten s", "5x", "s", "-3s", "1.2.3s", ".s", "1h 30m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn fractions_are_exact_to_the_microsecond() {
        // 1.5 h = 5,400 s; 0.001 ms = 1 µs; 2.5 µs rounds half up to 3 µs.
        assert_eq!(
            parse_duration("1.5h").unwrap(),
            SimDuration::from_secs(5400)
        );
        assert_eq!(parse_duration("0.001ms").unwrap(), SimDuration(1));
        assert_eq!(parse_duration("2.5us").unwrap(), SimDuration(3));
        assert_eq!(parse_duration(".5s").unwrap(), SimDuration(500_000));
        // 1h2m3s4ms5us = 3,723,004,005 µs
        assert_eq!(
            parse_duration("1h2m3s4ms5us").unwrap(),
            SimDuration(3_723_004_005)
        );
        // 0.1 s is exactly 100,000 µs (no binary floating point on the way).
        assert_eq!(parse_duration("0.1s").unwrap(), SimDuration(100_000));
    }

    #[test]
    fn units_once_each_largest_first() {
        let e = parse_duration("10m10m").unwrap_err();
        assert!(e.contains("uses \"m\" twice"), "{e}");
        let e = parse_duration("10s1m").unwrap_err();
        assert!(e.contains("has \"m\" after \"s\""), "{e}");
        assert!(e.contains("largest first"), "{e}");
    }

    #[test]
    fn long_durations_state_the_limit_and_never_overflow() {
        // 876,000 h is the limit itself; one microsecond more is refused.
        assert_eq!(parse_duration("876000h").unwrap(), MAX_DURATION);
        let e = parse_duration("876000h1us").unwrap_err();
        assert!(e.contains("longer than 100 years (876000h)"), "{e}");
        for huge in [
            "99999999999999h",
            "340282366920938463463374607431768211456h",
            "18446744073709551616us",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.contains("876000h"), "{huge}: {e}");
        }
        let long = "9".repeat(100_000) + "h";
        let e = parse_duration(&long).unwrap_err();
        assert!(e.len() < 200, "the message shows only the start: {e}");
    }

    #[test]
    fn formats_seconds_with_millisecond_precision() {
        assert_eq!(SimTime(12_345_000).secs_str(), "12.345");
        assert_eq!(SimTime(0).secs_str(), "0.000");
        // 1.2345 s rounds half up to 1.235 (1_234_500 us + 500 = 1_235_000 -> 1235 ms)
        assert_eq!(SimTime(1_234_500).secs_str(), "1.235");
        // 1_234_499 us rounds down to 1234 ms
        assert_eq!(SimTime(1_234_499).secs_str(), "1.234");
        assert_eq!(SimTime(u64::MAX).secs_str(), "18446744073709.552");
        assert_eq!(SimDuration(2_500_000).to_string(), "2.500s");
    }

    /// Unix times worked out by hand: 2026-01-01 is 20,454 days after 1970-01-01
    /// (56 years, 14 of them leap: 56 × 365 + 14), × 86,400 s = 1,767,225,600 s.
    #[test]
    fn rfc3339_times() {
        assert_eq!(
            parse_rfc3339_ms("2026-01-01T00:00:00Z"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Ok(0));
        // one day, one hour, one minute, one second and 5 ms later
        assert_eq!(parse_rfc3339_ms("1970-01-02T01:01:01.005z"), Ok(90_061_005));
        // +02:00 is two hours earlier in UTC; a tenth of a second is 100 ms
        assert_eq!(
            parse_rfc3339_ms("2026-01-01t02:00:00.1+02:00"),
            Ok(1_767_225_600_100)
        );
        // 2024 is a leap year: Feb 29 exists, and Mar 1 is one day after it
        let feb29 = parse_rfc3339_ms("2024-02-29T00:00:00Z").unwrap();
        assert_eq!(
            parse_rfc3339_ms("2024-03-01T00:00:00Z"),
            Ok(feb29 + 86_400_000)
        );
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00.1234Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+01:00",
            "2026-01-01T00:00:00+1:00",
            "+2026-01-01T00:00:00Z",
        ] {
            let e = parse_rfc3339_ms(bad).unwrap_err();
            assert!(e.contains("2026-01-01T00:00:00Z"), "{bad}: {e}");
        }
    }
}
