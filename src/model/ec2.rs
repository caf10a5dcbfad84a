//! EC2 and instance-metadata as a latency model, with per-action call counters.

use crate::scenario::{Ec2Action, Ec2Config, Latency};
use crate::time::SimDuration;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Draws a duration from a latency model.
pub fn draw(latency: Latency, rng: &mut ChaCha8Rng) -> SimDuration {
    match latency {
        Latency::Fixed(d) => d,
        Latency::Uniform { min, max } => {
            if max.micros() <= min.micros() {
                min
            } else {
                SimDuration(rng.gen_range(min.micros()..=max.micros()))
            }
        }
        Latency::Exponential { mean } => {
            // Inverse transform: -mean * ln(1 - u), u in [0, 1).
            let u: f64 = rng.gen();
            SimDuration::from_secs_f64(-mean.as_secs_f64() * (1.0 - u).ln())
        }
    }
}

/// The simulated EC2 endpoint: call latencies and counts.
pub struct Ec2 {
    config: Ec2Config,
    calls: [u64; 10],
}

impl Ec2 {
    /// An endpoint with the scenario's latencies.
    pub fn new(config: Ec2Config) -> Ec2 {
        Ec2 {
            config,
            calls: [0; 10],
        }
    }

    /// Counts one call of `action` and returns how long it takes, drawn from the caller's
    /// stream.
    pub fn call(&mut self, action: Ec2Action, rng: &mut ChaCha8Rng) -> SimDuration {
        self.calls[action as usize] += 1;
        draw(self.config.latency[action as usize], rng)
    }

    /// Calls made so far, per action (indexed by `Ec2Action as usize`).
    pub fn calls(&self) -> &[u64; 10] {
        &self.calls
    }

    /// All calls made so far.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().sum()
    }

    /// IMDS visibility delay for a newly attached ENI.
    pub fn imds_delay(&self) -> Latency {
        self.config.imds_delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uniform_and_exponential_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let u = Latency::Uniform {
            min: SimDuration::from_millis(100),
            max: SimDuration::from_millis(300),
        };
        let mut sum = 0.0;
        for _ in 0..2000 {
            let d = draw(u, &mut rng);
            assert!((100_000..=300_000).contains(&d.micros()));
            let e = draw(
                Latency::Exponential {
                    mean: SimDuration::from_millis(200),
                },
                &mut rng,
            );
            sum += e.as_secs_f64();
        }
        // mean 0.2 s; 2000 draws: standard error 0.2/sqrt(2000) = 0.0045 s
        let mean = sum / 2000.0;
        assert!((mean - 0.2).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn calls_are_counted_per_action() {
        let mut ec2 = Ec2::new(Ec2Config::default());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        ec2.call(Ec2Action::CreateNetworkInterface, &mut rng);
        ec2.call(Ec2Action::CreateNetworkInterface, &mut rng);
        let d = ec2.call(Ec2Action::AttachNetworkInterface, &mut rng);
        assert_eq!(d, SimDuration::from_millis(1500)); // default fixed 1.5 s
        assert_eq!(ec2.calls()[Ec2Action::CreateNetworkInterface as usize], 2);
        assert_eq!(ec2.total_calls(), 3);
    }
}
