//! EC2 and instance-metadata as a latency model, with per-action call counters.

use crate::scenario::{Ec2Action, Ec2Config, Latency};
use crate::time::{SimDuration, SimTime};
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

/// An account-wide EC2 token bucket (request rate limiting, EC2 API Reference "Request
/// throttling"): `capacity` tokens, `refill` tokens added back at every whole second of
/// simulated time (net of other tenants' background rate), one token per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    capacity: u32,
    refill: u32,
    tokens: u32,
    last_second: u64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: u32, refill_per_s: u32) -> TokenBucket {
        TokenBucket {
            capacity,
            refill: refill_per_s,
            tokens: capacity,
            last_second: 0,
        }
    }

    /// Takes a token at `now` if there is one (refilling first for the whole seconds passed).
    pub fn take(&mut self, now: SimTime) -> bool {
        let second = now.micros() / 1_000_000;
        if second > self.last_second {
            let added = u64::from(self.refill) * (second - self.last_second);
            self.tokens = (u64::from(self.tokens) + added).min(u64::from(self.capacity)) as u32;
            self.last_second = second;
        }
        if self.tokens > 0 {
            self.tokens -= 1;
            true
        } else {
            false
        }
    }
}

/// What EC2 answered one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Done after this long.
    Ok(SimDuration),
    /// `RequestLimitExceeded` after this long.
    Throttled(SimDuration),
    /// A server error (injected fault) after this long; retryable.
    ServerError(SimDuration),
}

impl Response {
    /// The error code of a failed request (`None` when it succeeded).
    pub fn error(&self) -> Option<crate::model::record::Ec2Error> {
        match self {
            Response::Ok(_) => None,
            Response::Throttled(_) => Some(crate::model::record::Ec2Error::RequestLimitExceeded),
            Response::ServerError(_) => Some(crate::model::record::Ec2Error::InternalError),
        }
    }
}

/// The simulated EC2 endpoint of the account: latencies, throttling, injected errors and
/// counters.
pub struct Ec2 {
    config: Ec2Config,
    buckets: Vec<TokenBucket>,
    calls: [u64; crate::scenario::EC2_ACTIONS],
    throttled: [u64; crate::scenario::EC2_ACTIONS],
    errors: [u64; crate::scenario::EC2_ACTIONS],
}

impl Ec2 {
    /// The endpoint with the scenario's latencies, buckets (full at t = 0) and error rates.
    pub fn new(config: Ec2Config) -> Ec2 {
        let t = &config.throttling;
        let buckets = Ec2Action::ALL
            .iter()
            .map(|&a| {
                let b = t.buckets[a as usize];
                let net = b
                    .refill_per_s
                    .saturating_sub(t.background_per_s[a as usize]);
                TokenBucket::new(b.capacity, net)
            })
            .collect();
        Ec2 {
            config,
            buckets,
            calls: [0; crate::scenario::EC2_ACTIONS],
            throttled: [0; crate::scenario::EC2_ACTIONS],
            errors: [0; crate::scenario::EC2_ACTIONS],
        }
    }

    /// One request of `action` at `now`: counted, checked against the action's bucket, then
    /// possibly failed by an injected server error. Draws from `rng` only for the latency of
    /// a successful request and, when the action has an error rate, for the error.
    pub fn request(&mut self, action: Ec2Action, now: SimTime, rng: &mut ChaCha8Rng) -> Response {
        let i = action as usize;
        self.calls[i] += 1;
        if self.config.throttling.enabled && !self.buckets[i].take(now) {
            self.throttled[i] += 1;
            return Response::Throttled(self.config.error_latency);
        }
        let rate = self.config.fault_rate[i];
        if rate > 0.0 && rng.gen::<f64>() < rate {
            self.errors[i] += 1;
            return Response::ServerError(self.config.error_latency);
        }
        Response::Ok(draw(self.config.latency[i], rng))
    }

    /// Counts a request of `action` that the account's bucket refused, made without
    /// asking ([`Ec2::request`] would have refused it: the bucket is empty until its next
    /// refill and the request draws nothing).
    pub fn count_refused(&mut self, action: Ec2Action) {
        let i = action as usize;
        self.calls[i] += 1;
        self.throttled[i] += 1;
    }

    /// Requests answered `RequestLimitExceeded` so far, per action.
    pub fn throttled(&self) -> &[u64; crate::scenario::EC2_ACTIONS] {
        &self.throttled
    }

    /// Requests made so far, per action (indexed by `Ec2Action as usize`), throttled ones
    /// included.
    pub fn calls(&self) -> &[u64; crate::scenario::EC2_ACTIONS] {
        &self.calls
    }

    /// All requests made so far.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().sum()
    }

    /// Requests answered `RequestLimitExceeded` so far.
    pub fn total_throttled(&self) -> u64 {
        self.throttled.iter().sum()
    }

    /// Requests failed by injected server errors so far.
    pub fn total_errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// The scenario's EC2 settings.
    pub fn config(&self) -> &Ec2Config {
        &self.config
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
        let t = SimTime::ZERO;
        ec2.request(Ec2Action::CreateNetworkInterface, t, &mut rng);
        ec2.request(Ec2Action::CreateNetworkInterface, t, &mut rng);
        let d = ec2.request(Ec2Action::AttachNetworkInterface, t, &mut rng);
        assert_eq!(d, Response::Ok(SimDuration::from_millis(1500))); // default fixed 1.5 s
        assert_eq!(ec2.calls()[Ec2Action::CreateNetworkInterface as usize], 2);
        assert_eq!(ec2.total_calls(), 3);
    }

    /// A burst of 60 mutating requests at t = 0 against the default bucket (50, refill
    /// 5/s): 50 pass, 10 are throttled; at t = 1 s 5 tokens are back (5 pass, then
    /// throttled), at t = 2 s 5 more. A bucket never holds more than 50.
    #[test]
    fn token_bucket_burst_arithmetic() {
        let mut b = TokenBucket::new(50, 5);
        let passed = (0..60).filter(|_| b.take(SimTime::ZERO)).count();
        assert_eq!(passed, 50);
        let at = |s: u64| SimTime(s * 1_000_000);
        assert_eq!((0..10).filter(|_| b.take(at(1))).count(), 5);
        assert_eq!((0..10).filter(|_| b.take(SimTime(1_999_999))).count(), 0);
        assert_eq!((0..10).filter(|_| b.take(at(2))).count(), 5);
        // after 100 idle seconds the bucket is full again, not 500
        assert_eq!((0..60).filter(|_| b.take(at(102))).count(), 50);
    }

    /// Account-wide: all requests of an action share one bucket; other actions have their
    /// own; `Describe*` defaults to 100 / 20 s⁻¹; background requests reduce the refill.
    #[test]
    fn buckets_are_per_action_and_background_reduces_refill() {
        let mut cfg = Ec2Config::default();
        cfg.throttling.background_per_s[Ec2Action::AssignPrivateIpAddresses as usize] = 3;
        let mut ec2 = Ec2::new(cfg);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t0 = SimTime::ZERO;
        let ok = |r: Response| matches!(r, Response::Ok(_));
        let n = (0..120)
            .filter(|_| ok(ec2.request(Ec2Action::DescribeSubnets, t0, &mut rng)))
            .count();
        assert_eq!(n, 100);
        let n = (0..60)
            .filter(|_| ok(ec2.request(Ec2Action::AssignPrivateIpAddresses, t0, &mut rng)))
            .count();
        assert_eq!(n, 50);
        // refill 5 − background 3 = 2 per second
        let n = (0..10)
            .filter(|_| {
                ok(ec2.request(
                    Ec2Action::AssignPrivateIpAddresses,
                    SimTime(1_000_000),
                    &mut rng,
                ))
            })
            .count();
        assert_eq!(n, 2);
        assert_eq!(ec2.total_throttled(), 20 + 10 + 8);
        // throttling off: unlimited
        let mut cfg = Ec2Config::default();
        cfg.throttling.enabled = false;
        let mut ec2 = Ec2::new(cfg);
        assert!((0..1000).all(|_| ok(ec2.request(
            Ec2Action::CreateNetworkInterface,
            t0,
            &mut rng
        ))));
    }
}
