//! When an alerting rule fires, from its expression's results at each evaluation time:
//! Prometheus's `for` rule, applied to one series' evaluations (pure; unit-tested).

/// One stretch of an alert on one series: pending from `pending_ms`, firing from
/// `firing_ms` once its expression held for the rule's `for`, until `resolved_ms` (the
/// first evaluation without it; `None`: still active at the end of the run). Unix ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    /// The first evaluation that returned the series.
    pub pending_ms: i64,
    /// The first evaluation at which it had been returned for `for` (`None`: it never was).
    pub firing_ms: Option<i64>,
    /// The first evaluation that no longer returned it.
    pub resolved_ms: Option<i64>,
}

/// The stretches of one series: `evals` are the evaluation times (ascending), `present`
/// the times among them at which the expression returned the series (ascending), `for_ms`
/// the rule's `for`. As Prometheus does, the alert is pending from the first evaluation
/// that returns the series, firing at the first evaluation at least `for_ms` later with
/// the series returned at every evaluation in between, and resolved at the first that
/// does not return it.
pub fn stretches(evals: &[i64], present: &[i64], for_ms: i64) -> Vec<Stretch> {
    let mut out: Vec<Stretch> = Vec::new();
    let mut open: Option<Stretch> = None;
    let mut p = present.iter().peekable();
    for &t in evals {
        while p.next_if(|&&x| x < t).is_some() {}
        let here = p.next_if(|&&x| x == t).is_some();
        match (&mut open, here) {
            (None, true) => {
                open = Some(Stretch {
                    pending_ms: t,
                    firing_ms: (for_ms <= 0).then_some(t),
                    resolved_ms: None,
                });
            }
            (Some(s), true) => {
                if s.firing_ms.is_none() && t - s.pending_ms >= for_ms {
                    s.firing_ms = Some(t);
                }
            }
            (Some(s), false) => {
                s.resolved_ms = Some(t);
                out.extend(open.take());
            }
            (None, false) => {}
        }
    }
    out.extend(open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluations every 10 s from 0 to 100 s.
    fn evals() -> Vec<i64> {
        (0..=10).map(|k| k * 10_000).collect()
    }

    #[test]
    fn for_counts_from_the_first_evaluation_that_returned_the_series() {
        // returned at 20..=60 s, for 30 s: pending at 20, firing at 50 (50 − 20 ≥ 30),
        // resolved at 70 (the first evaluation without it)
        let present = [20_000, 30_000, 40_000, 50_000, 60_000];
        assert_eq!(
            stretches(&evals(), &present, 30_000),
            [Stretch {
                pending_ms: 20_000,
                firing_ms: Some(50_000),
                resolved_ms: Some(70_000),
            }]
        );
    }

    #[test]
    fn a_gap_starts_the_wait_again_and_the_end_leaves_it_open() {
        // 10..=20 s (too short for 20 s), then 40..=100 s: firing at 60, open at the end
        let present = [
            10_000, 20_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000,
        ];
        let s = stretches(&evals(), &present, 20_000);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].firing_ms, None);
        assert_eq!(s[0].resolved_ms, Some(30_000));
        assert_eq!(s[1].pending_ms, 40_000);
        assert_eq!(s[1].firing_ms, Some(60_000));
        assert_eq!(s[1].resolved_ms, None);
    }

    #[test]
    fn no_for_fires_at_once() {
        let s = stretches(&evals(), &[100_000], 0);
        assert_eq!(s[0].firing_ms, Some(100_000));
        assert_eq!(stretches(&evals(), &[], 0), []);
    }
}
