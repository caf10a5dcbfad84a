//! Churn workloads: pods that arrive by a random or batch process and live for a drawn
//! lifetime (`arrivals` + `lifetime`, with optional `from` and `until`).
//!
//! This module holds the validated types and the pure conversions (rate syntax, log-normal
//! parameters); the checks with field paths live in `validate`, the draws in
//! [`crate::model::workload`].

use crate::time::{SimDuration, SimTime};

/// How a churn workload's pods arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// A Poisson process: exponential inter-arrival times with mean `1 / rate_per_s`
    /// seconds; the first arrival is one inter-arrival time after `from`.
    Poisson {
        /// Mean arrivals per second (> 0).
        rate_per_s: f64,
    },
    /// `count` pods at once every `every`, the first batch at `from`.
    Batches {
        /// Time between batches (> 0).
        every: SimDuration,
        /// Pods per batch (≥ 1).
        count: u32,
    },
}

/// How long a churn pod lives, from its creation to its deletion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lifetime {
    /// Always this long (`90s`).
    Fixed(SimDuration),
    /// Exponential with this mean (`{exponential: 5m}`).
    Exponential {
        /// Mean lifetime.
        mean: SimDuration,
    },
    /// Uniform between `min` and `max`, inclusive, to the microsecond (`{uniform: [1m, 3m]}`).
    Uniform {
        /// Shortest lifetime.
        min: SimDuration,
        /// Longest lifetime.
        max: SimDuration,
    },
    /// Log-normal given by the mean and standard deviation of the lifetime itself
    /// (`{lognormal: {mean: 2m, sd: 30s}}`); see [`lognormal_params`].
    LogNormal {
        /// Mean lifetime (> 0).
        mean: SimDuration,
        /// Standard deviation of the lifetime (≥ 0).
        sd: SimDuration,
    },
}

/// A churn workload: arrivals in `[from, until)` and a lifetime per pod.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChurnSpec {
    /// The arrival process.
    pub arrivals: Arrivals,
    /// Each pod's lifetime.
    pub lifetime: Lifetime,
    /// Start of arrivals (`from`, default 0).
    pub from: SimTime,
    /// End of arrivals, exclusive (`until`; `None` = the run's end). An arrival at exactly
    /// `until` does not happen.
    pub until: Option<SimTime>,
}

/// The `(μ, σ)` of the normal distribution whose exponential has mean `mean` and standard
/// deviation `sd` (same unit as `mean`; the result's μ is in log of that unit).
///
/// For X = e^Y with Y ~ N(μ, σ²): E[X] = e^(μ + σ²/2) and Var[X] = (e^(σ²) − 1) e^(2μ + σ²)
/// = (e^(σ²) − 1) E[X]². So s²/m² = e^(σ²) − 1, hence σ² = ln(1 + s²/m²), and from the mean
/// μ = ln m − σ²/2. Needs `mean > 0` and `sd ≥ 0`.
pub fn lognormal_params(mean: f64, sd: f64) -> (f64, f64) {
    let sigma2 = (1.0 + (sd * sd) / (mean * mean)).ln();
    (mean.ln() - sigma2 / 2.0, sigma2.sqrt())
}

/// What a rate looks like, for messages.
pub const RATE_HINT: &str = "a rate like 2/s, 30/m or 100/h (pods per second, minute or hour)";

/// Smallest rate accepted (pods per second): its mean time between arrivals, 1/rate, must
/// fit the longest duration accepted ([`crate::time::MAX_DURATION`], 100 years).
pub const MIN_RATE_PER_S: f64 = 1.0 / 3_153_600_000.0;

/// Largest rate accepted (pods per second): a mean time between arrivals of at least one
/// microsecond, the simulator's time step.
pub const MAX_RATE_PER_S: f64 = 1_000_000.0;

/// Parses a rate `<number>/<unit>` (`2/s`, `0.5/s`, `30/m`, `100/h`) into pods per second.
/// The number must be positive and finite, and the rate between [`MIN_RATE_PER_S`] and
/// [`MAX_RATE_PER_S`].
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let Some((number, unit)) = s.split_once('/') else {
        return Err(format!("\"{text}\" is not a rate; expected {RATE_HINT}"));
    };
    let per_second = match unit.trim() {
        "s" => 1.0,
        "m" => 1.0 / 60.0,
        "h" => 1.0 / 3600.0,
        other => {
            return Err(format!(
                "\"{text}\" has unknown unit \"/{other}\"; expected {RATE_HINT}"
            ))
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a rate; expected {RATE_HINT}"))?;
    if !value.is_finite() {
        return Err(format!(
            "\"{text}\" is not a finite rate; expected {RATE_HINT}"
        ));
    }
    if value <= 0.0 {
        return Err(format!(
            "rate {text} is not positive; a rate must be more than 0"
        ));
    }
    let rate = value * per_second;
    if rate < MIN_RATE_PER_S {
        return Err(format!(
            "rate {text} is too small: the mean time between arrivals, 1/rate, would be longer \
             than 100 years (876000h), the longest duration accepted; the smallest rate allowed \
             is {MIN_RATE_PER_S:.3e}/s (about 1 per 100 years)"
        ));
    }
    if rate > MAX_RATE_PER_S {
        return Err(format!(
            "rate {text} is too large: the mean time between arrivals would be under one \
             microsecond, the simulator's time step; the largest rate allowed is 1000000/s"
        ));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_each_unit() {
        assert_eq!(parse_rate("2/s").unwrap(), 2.0);
        assert_eq!(parse_rate("0.5/s").unwrap(), 0.5);
        // 30 per minute = 0.5 per second; 7200 per hour = 2 per second
        assert!((parse_rate("30/m").unwrap() - 0.5).abs() < 1e-12);
        assert!((parse_rate("7200/h").unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn bad_rates_say_what_is_wrong() {
        assert!(parse_rate("2").unwrap_err().contains("not a rate"));
        assert!(parse_rate("2/d").unwrap_err().contains("unknown unit"));
        assert!(parse_rate("x/s").unwrap_err().contains("not a rate"));
        assert!(parse_rate("0/s").unwrap_err().contains("not positive"));
        assert!(parse_rate("-1/m").unwrap_err().contains("not positive"));
        assert!(parse_rate("inf/s").is_err());
    }

    #[test]
    fn absurd_rates_state_the_bounds() {
        // 5e-324/s (the smallest f64) and 1e-310/s: 1/rate is infinite or beyond 100 years.
        for tiny in ["5e-324/s", "1e-310/s", "1e-9/h"] {
            let e = parse_rate(tiny).unwrap_err();
            assert!(
                e.contains("too small") && e.contains("3.171e-10/s"),
                "{tiny}: {e}"
            );
        }
        // One per 100 years is the smallest: 1/3,153,600,000 s.
        assert!(parse_rate("0.00000000032/s").is_ok());
        let e = parse_rate("2000000/s").unwrap_err();
        assert!(e.contains("largest rate allowed is 1000000/s"), "{e}");
        assert_eq!(parse_rate("1000000/s").unwrap(), 1e6);
    }

    #[test]
    fn lognormal_parameters_from_mean_and_sd() {
        // m = 120, s = 30: s²/m² = 900/14400 = 0.0625, σ² = ln(1.0625) ≈ 0.060625,
        // μ = ln 120 − σ²/2 ≈ 4.787492 − 0.030312 = 4.757179.
        let (mu, sigma) = lognormal_params(120.0, 30.0);
        let sigma2 = (1.0f64 + 0.0625).ln();
        assert!((sigma * sigma - sigma2).abs() < 1e-12);
        assert!((mu - (120f64.ln() - sigma2 / 2.0)).abs() < 1e-12);
        assert!((mu - 4.757179).abs() < 1e-5, "{mu}");
        // Round trip: e^(μ + σ²/2) is the mean, sqrt((e^σ² − 1)) × mean the sd.
        assert!(((mu + sigma2 / 2.0).exp() - 120.0).abs() < 1e-9);
        assert!((((sigma2.exp() - 1.0).sqrt() * 120.0) - 30.0).abs() < 1e-9);
        // sd 0 is a point mass at the mean.
        let (mu0, sigma0) = lognormal_params(90.0, 0.0);
        assert_eq!(sigma0, 0.0);
        assert!((mu0.exp() - 90.0).abs() < 1e-9);
    }
}
