//! The recommendation: of the settings meeting every objective, the one holding the fewest
//! idle IPs on average; ties go to fewer EC2 calls, then to the earlier setting in grid
//! order. With no objective there is nothing to recommend (the leanest setting alone may
//! leave every pod waiting).

/// What the recommendation needs of one setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// Meets every objective.
    pub meets_all: bool,
    /// Mean idle IPs (as written in `comparison.csv`).
    pub idle_ips_mean: f64,
    /// Mean EC2 calls (as written).
    pub ec2_calls: f64,
}

/// The index of the recommended candidate (candidates in grid order), or `None` when none
/// meets every objective.
pub fn recommend(candidates: &[Candidate]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.meets_all)
        .min_by(|(i, a), (j, b)| {
            a.idle_ips_mean
                .total_cmp(&b.idle_ips_mean)
                .then(a.ec2_calls.total_cmp(&b.ec2_calls))
                .then(i.cmp(j))
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(meets_all: bool, idle_ips_mean: f64, ec2_calls: f64) -> Candidate {
        Candidate {
            meets_all,
            idle_ips_mean,
            ec2_calls,
        }
    }

    #[test]
    fn fewest_idle_ips_then_fewer_calls_then_grid_order() {
        // the leanest (5 IPs) misses; of the rest 10 IPs twice: fewer calls wins
        let v = [
            c(true, 12.0, 1.0),
            c(false, 5.0, 1.0),
            c(true, 10.0, 9.0),
            c(true, 10.0, 8.0),
        ];
        assert_eq!(recommend(&v), Some(3));
        // a full tie goes to grid order
        assert_eq!(recommend(&[c(true, 1.0, 2.0), c(true, 1.0, 2.0)]), Some(0));
        assert_eq!(recommend(&[c(false, 1.0, 2.0)]), None);
        assert_eq!(recommend(&[]), None);
    }
}
