//! Replication statistics: the mean of a figure over replications with its 95 % confidence
//! interval (Student t), and the same for a paired difference.
//!
//! The 0.975 quantile of Student's t is a table of published values for 1 to 30 degrees of
//! freedom and the Cornish–Fisher expansion in 1/ν above (four terms; its error is below
//! 1e-7 from ν = 30 on), so no statistics library is needed for one quantile.

/// t₀.₉₇₅ for 1 to 30 degrees of freedom (published tables, 9 decimals).
const T975: [f64; 30] = [
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
];

/// The 0.975 quantile of the standard normal distribution.
const Z975: f64 = 1.959_963_984_540_054;

/// The 0.975 quantile of Student's t with `df` degrees of freedom (`df` ≥ 1): the factor
/// of a two-sided 95 % confidence interval. `df` = 0 gives infinity (no interval).
pub fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T975[df - 1],
        _ => {
            // Cornish–Fisher expansion of t in powers of 1/ν around the normal quantile.
            let z = Z975;
            let v = df as f64;
            let (z2, z3) = (z * z, z * z * z);
            let (z5, z7, z9) = (z3 * z2, z3 * z2 * z2, z3 * z3 * z3);
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
                + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z)
                    / (92160.0 * v * v * v * v)
        }
    }
}

/// A mean with its two-sided 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Values the interval is over.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); 0 with one value.
    pub sd: f64,
    /// Lower bound: mean − t₀.₉₇₅,ₙ₋₁ · sd / √n (the mean with one value).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// The interval of `xs`, in their order (so the result is the same bytes every time);
    /// `None` when `xs` is empty. With one value the bounds equal it.
    pub fn of(xs: &[f64]) -> Option<Interval> {
        let n = xs.len();
        if n == 0 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Interval {
                n,
                mean,
                sd: 0.0,
                low: mean,
                high: mean,
            });
        }
        let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        let sd = (ss / (n - 1) as f64).sqrt();
        let half = t975(n - 1) * sd / (n as f64).sqrt();
        Some(Interval {
            n,
            mean,
            sd,
            low: mean - half,
            high: mean + half,
        })
    }

    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether 0 lies inside the interval (a difference that is not significant at 95 %).
    pub fn contains_zero(&self) -> bool {
        self.low <= 0.0 && 0.0 <= self.high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_values() {
        // published t(0.975, df): the table, and the expansion above 30
        for (df, want) in [
            (1, 12.706205),
            (4, 2.776445),
            (19, 2.093024),
            (30, 2.042272),
            (31, 2.039513),
            (40, 2.021075),
            (60, 2.000298),
            (120, 1.979930),
            (1000, 1.962339),
        ] {
            assert!((t975(df) - want).abs() < 1e-6, "df {df}: {}", t975(df));
        }
        // the expansion continues the table smoothly: at 30 it agrees to 1e-7
        let at30 = {
            let z = Z975;
            let v = 30.0;
            let (z2, z3) = (z * z, z * z * z);
            let (z5, z7, z9) = (z3 * z2, z3 * z2 * z2, z3 * z3 * z3);
            z + (z3 + z) / (4.0 * v)
                + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
                + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
                + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z)
                    / (92160.0 * v * v * v * v)
        };
        assert!((at30 - t975(30)).abs() < 1e-7);
        // decreasing towards the normal quantile
        assert!((1..200).all(|d| t975(d) > t975(d + 1)));
        assert!(t975(1_000_000) - Z975 < 1e-5);
    }

    #[test]
    fn interval_of_known_samples() {
        // 2, 4, 6: mean 4, sd 2, half-width t(2) · 2 / √3 = 4.302653 · 1.154701 = 4.968275
        let i = Interval::of(&[2.0, 4.0, 6.0]).unwrap();
        assert_eq!((i.n, i.mean, i.sd), (3, 4.0, 2.0));
        assert!((i.half_width() - 4.968275).abs() < 1e-6, "{i:?}");
        assert!(i.contains_zero());
        // one value: the bounds are the mean
        let one = Interval::of(&[7.5]).unwrap();
        assert_eq!((one.low, one.mean, one.high), (7.5, 7.5, 7.5));
        assert!(Interval::of(&[]).is_none());
        // all equal: a zero-width interval
        let flat = Interval::of(&[3.0; 5]).unwrap();
        assert_eq!((flat.low, flat.high), (3.0, 3.0));
        assert!(!flat.contains_zero());
    }

    #[test]
    fn ci_narrows_as_t_over_root_n() {
        // the acceptance figure: t(19)/√20 ÷ t(4)/√5 ≈ 0.377
        let r = (t975(19) / 20f64.sqrt()) / (t975(4) / 5f64.sqrt());
        assert!((r - 0.3769).abs() < 1e-3, "{r}");
    }
}
