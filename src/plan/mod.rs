//! `ipamsim plan`: the largest (or smallest) value of one numeric axis for which every
//! objective holds, found by running the model (docs/decide.md#plan).
//!
//! This module is the search alone, over an oracle that says whether a value meets every
//! objective: it knows nothing of scenarios or runs. The values are put in the order in
//! which they get harder (ascending for `--find max`, descending for `--find min`), so the
//! answer is the last value of that order that meets, and the model is expected to meet up
//! to some point and miss beyond (a monotone response). A range of at most
//! [`EXHAUSTIVE_MAX`] values is tried whole (and a response that is not monotone is
//! reported); a longer one is bisected: its first and last values, then halves, about
//! log₂(n) + 2 values. Either way the answer and the next step are both tried, so the
//! caller can say which objective the next step misses.

/// Ranges of at most this many values are tried whole.
pub const EXHAUSTIVE_MAX: u64 = 64;

/// Which end of the axis is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Find {
    /// The largest value that meets every objective.
    Max,
    /// The smallest value that meets every objective.
    Min,
}

impl Find {
    /// `max` or `min`.
    pub fn word(self) -> &'static str {
        match self {
            Find::Max => "max",
            Find::Min => "min",
        }
    }
}

/// How the values were searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every value of the range.
    Exhaustive,
    /// Bisection (the response assumed monotone).
    Bisection,
}

impl Method {
    /// `exhaustive` or `bisection`.
    pub fn word(self) -> &'static str {
        match self {
            Method::Exhaustive => "exhaustive",
            Method::Bisection => "bisection",
        }
    }
}

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The last value (in search order) that meets every objective; `None` when none does.
    pub answer: Option<i64>,
    /// The value after the answer in search order (the first value when there is no
    /// answer); `None` when the answer is the range's end.
    pub next: Option<i64>,
    /// Exhaustive or bisection.
    pub method: Method,
    /// Values tried, in the order tried, with whether each met.
    pub tried: Vec<(i64, bool)>,
    /// Exhaustive search only: a value before the answer (in search order) missed, so the
    /// response is not monotone (`None` for bisection, which cannot tell).
    pub monotone: Option<bool>,
}

/// The values of `lo..=hi` in search order: ascending for [`Find::Max`], descending for
/// [`Find::Min`].
fn order(find: Find, lo: i64, hi: i64) -> impl Fn(u64) -> i64 {
    move |i| match find {
        Find::Max => lo + i as i64,
        Find::Min => hi - i as i64,
    }
}

/// Searches `lo..=hi` (`lo <= hi`). `meets` evaluates a batch of values at once (the caller
/// runs them in parallel) and returns whether each meets every objective, in order; its
/// error stops the search.
pub fn search<E>(
    find: Find,
    lo: i64,
    hi: i64,
    mut meets: impl FnMut(&[i64]) -> Result<Vec<bool>, E>,
) -> Result<Found, E> {
    let n = (hi - lo) as u64 + 1;
    let at = order(find, lo, hi);
    let mut tried: Vec<(i64, bool)> = Vec::new();
    let mut batch = |values: Vec<i64>, tried: &mut Vec<(i64, bool)>| -> Result<Vec<bool>, E> {
        let ok = meets(&values)?;
        tried.extend(values.iter().copied().zip(ok.iter().copied()));
        Ok(ok)
    };
    if n <= EXHAUSTIVE_MAX {
        let values: Vec<i64> = (0..n).map(&at).collect();
        let ok = batch(values, &mut tried)?;
        let last = ok.iter().rposition(|&m| m);
        let monotone = last.is_none_or(|k| ok[..k].iter().all(|&m| m));
        let found = Found {
            answer: last.map(|k| at(k as u64)),
            next: match last {
                None => Some(at(0)),
                Some(k) if (k as u64) + 1 < n => Some(at(k as u64 + 1)),
                Some(_) => None,
            },
            method: Method::Exhaustive,
            tried,
            monotone: Some(monotone),
        };
        return Ok(found);
    }
    // bisection: the first and last values, then halves between the last known to meet
    // and the first known to miss
    let ends = batch(vec![at(0), at(n - 1)], &mut tried)?;
    let bisection = |answer: Option<u64>, next: Option<u64>, tried| Found {
        answer: answer.map(&at),
        next: next.map(&at),
        method: Method::Bisection,
        tried,
        monotone: None,
    };
    match (ends[0], ends[1]) {
        (false, _) => return Ok(bisection(None, Some(0), tried)),
        (true, true) => return Ok(bisection(Some(n - 1), None, tried)),
        (true, false) => {}
    }
    let (mut good, mut bad) = (0u64, n - 1);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if batch(vec![at(mid)], &mut tried)?[0] {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(bisection(Some(good), Some(bad), tried))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// A monotone oracle: values up to `limit` meet.
    fn up_to(limit: i64) -> impl FnMut(&[i64]) -> Result<Vec<bool>, Infallible> {
        move |vs| Ok(vs.iter().map(|&v| v <= limit).collect())
    }

    #[test]
    fn a_short_range_is_tried_whole() {
        let f = search(Find::Max, 1, 10, up_to(7)).unwrap();
        assert_eq!((f.answer, f.next), (Some(7), Some(8)));
        assert_eq!(f.method, Method::Exhaustive);
        assert_eq!(f.tried.len(), 10);
        assert_eq!(f.monotone, Some(true));
    }

    #[test]
    fn a_long_range_is_bisected_and_the_answer_and_next_step_are_tried() {
        let f = search(Find::Max, 0, 1000, up_to(637)).unwrap();
        assert_eq!((f.answer, f.next), (Some(637), Some(638)));
        assert_eq!(f.method, Method::Bisection);
        // the two ends, then ⌈log₂ 1000⌉ = 10 halvings
        assert_eq!(f.tried.len(), 12, "{:?}", f.tried);
        assert!(f.tried.contains(&(637, true)) && f.tried.contains(&(638, false)));
    }

    #[test]
    fn min_searches_downwards() {
        // values from 20 up meet: the smallest is 20, the next step down 19
        let mut oracle = |vs: &[i64]| Ok::<_, Infallible>(vs.iter().map(|&v| v >= 20).collect());
        let f = search(Find::Min, 0, 50, &mut oracle).unwrap();
        assert_eq!((f.answer, f.next), (Some(20), Some(19)));
        let f = search(Find::Min, 0, 5000, &mut oracle).unwrap();
        assert_eq!((f.answer, f.next), (Some(20), Some(19)));
    }

    #[test]
    fn no_value_or_every_value() {
        let f = search(Find::Max, 5, 9, up_to(2)).unwrap();
        assert_eq!((f.answer, f.next), (None, Some(5)));
        let f = search(Find::Max, 5, 900, up_to(2)).unwrap();
        assert_eq!((f.answer, f.next), (None, Some(5)));
        let f = search(Find::Max, 5, 9, up_to(100)).unwrap();
        assert_eq!((f.answer, f.next), (Some(9), None));
        let f = search(Find::Max, 5, 900, up_to(1000)).unwrap();
        assert_eq!((f.answer, f.next), (Some(900), None));
        assert_eq!(f.tried.len(), 2);
    }

    #[test]
    fn a_response_that_is_not_monotone_is_reported() {
        let mut oracle = |vs: &[i64]| Ok::<_, Infallible>(vs.iter().map(|&v| v != 3).collect());
        let f = search(Find::Max, 1, 6, &mut oracle).unwrap();
        assert_eq!(f.answer, Some(6));
        assert_eq!(f.monotone, Some(false));
    }
}
