//! Churn and trace workloads at run time.
//!
//! A churn workload has one pending [`Event::WorkloadArrival`] at a time: each arrival
//! creates one pod (Poisson) or `count` pods (batches), draws each pod's lifetime and
//! schedules its [`Event::PodExpire`], then schedules the next arrival if it falls before
//! `until`. Every draw comes from the workload's own stream
//! ([`streams::WORKLOADS`]`<< 32 | workload`), in arrival order: first inter-arrival time,
//! then per arrival the lifetimes of its pods and the next inter-arrival time. The draws
//! therefore never depend on the CNI settings or on anything else in the run (common random
//! numbers across `compare` settings), and two runs with one seed create the same pods at the
//! same times.
//!
//! A trace workload has one pending [`Event::TraceRow`] at a time and replays its rows in
//! file order. Deletes of both kinds use the scale-in delete path: the slot frees and the
//! IP starts cooling.

use super::pods::Owner;
use super::{Cni, Env, Kube};
use crate::engine::EventQueue;
use crate::model::event::Event;
use crate::model::ids::{PodId, WorkloadId};
use crate::model::record::Recorder;
use crate::model::rng::{rng_stream, streams};
use crate::scenario::churn::{lognormal_params, Arrivals, ChurnSpec, Lifetime};
use crate::scenario::trace::TraceAction;
use crate::scenario::{Scenario, WorkloadSource};
use crate::time::{SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp1, StandardNormal};

/// Run state of churn and trace workloads, indexed by workload (unused slots stay empty).
#[derive(Default)]
pub(crate) struct SourceState {
    /// A churn workload's random stream.
    rngs: Vec<Option<ChaCha8Rng>>,
    /// A trace workload's pod for each entry of its pod table (`None` before its create).
    trace_pods: Vec<Vec<Option<(PodId, u32)>>>,
}

/// Draws a pod lifetime, rounded to the microsecond.
pub fn draw_lifetime(lifetime: Lifetime, rng: &mut ChaCha8Rng) -> SimDuration {
    match lifetime {
        Lifetime::Fixed(d) => d,
        Lifetime::Exponential { mean } => {
            let e: f64 = rng.sample(Exp1);
            SimDuration::from_secs_f64(e * mean.as_secs_f64())
        }
        Lifetime::Uniform { min, max } => {
            if max <= min {
                min
            } else {
                SimDuration(rng.gen_range(min.micros()..=max.micros()))
            }
        }
        Lifetime::LogNormal { mean, sd } => {
            let (mu, sigma) = lognormal_params(mean.as_secs_f64(), sd.as_secs_f64());
            let z: f64 = rng.sample(StandardNormal);
            SimDuration::from_secs_f64((mu + sigma * z).exp())
        }
    }
}

/// Draws a Poisson process's inter-arrival time for `rate_per_s` arrivals per second:
/// exponential with mean `1 / rate_per_s` s, at least 1 µs so that time always advances.
pub fn draw_interarrival(rate_per_s: f64, rng: &mut ChaCha8Rng) -> SimDuration {
    let e: f64 = rng.sample(Exp1);
    let d = SimDuration::from_secs_f64(e / rate_per_s);
    d.max(SimDuration(1))
}

/// When a churn workload's arrivals stop (exclusive): `until`, or the run's end.
fn arrivals_end(sc: &Scenario, churn: &ChurnSpec) -> SimTime {
    churn.until.unwrap_or(SimTime::ZERO + sc.duration)
}

impl Kube {
    /// Sets up churn streams and trace tables and schedules each source's first event.
    pub fn start_sources(&mut self, sc: &Scenario, queue: &mut EventQueue<Event>) {
        let n = sc.workloads.len();
        self.sources.rngs = (0..n).map(|_| None).collect();
        self.sources.trace_pods = vec![Vec::new(); n];
        for w in 0..n {
            let workload = WorkloadId::from_index(w);
            match &sc.workloads[w].source {
                WorkloadSource::Replicas => {}
                WorkloadSource::Churn(churn) => {
                    let churn = *churn;
                    let mut rng = rng_stream(sc.seed, streams::WORKLOADS << 32 | w as u64);
                    let first = match churn.arrivals {
                        Arrivals::Poisson { rate_per_s } => {
                            churn.from + draw_interarrival(rate_per_s, &mut rng)
                        }
                        Arrivals::Batches { .. } => churn.from,
                    };
                    if first < arrivals_end(sc, &churn) {
                        queue.schedule(first, Event::WorkloadArrival { workload });
                    }
                    self.sources.rngs[w] = Some(rng);
                }
                WorkloadSource::Trace(trace) => {
                    self.sources.trace_pods[w] = vec![None; trace.pods.len()];
                    // rows at or after `duration` never happen (the run handles `duration`)
                    let end = SimTime::ZERO + sc.duration;
                    if let Some(first) = trace.rows.first().filter(|r| r.at < end) {
                        queue.schedule(first.at, Event::TraceRow { workload, row: 0 });
                    }
                }
            }
        }
    }

    /// A churn arrival: create its pods with their expiries, then schedule the next one.
    pub fn on_arrival<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, w: WorkloadId) {
        let spec = &env.sc.workloads[w.index()];
        let WorkloadSource::Churn(churn) = spec.source else {
            return;
        };
        let host_network = spec.host_network;
        let now = env.now;
        let pods = match churn.arrivals {
            Arrivals::Poisson { .. } => 1,
            Arrivals::Batches { count, .. } => count,
        };
        for _ in 0..pods {
            let Some(rng) = self.sources.rngs[w.index()].as_mut() else {
                return;
            };
            let lifetime = draw_lifetime(churn.lifetime, rng);
            let ordinal = self.workload_next[w.index()];
            self.workload_next[w.index()] += 1;
            let pod = self.new_pod(now, Owner::Workload(w, ordinal), host_network);
            let life = self.pods[pod.index()].life;
            env.queue
                .schedule(now + lifetime, Event::PodExpire { pod, life });
            self.schedule_or_queue(env, pod);
        }
        let Some(rng) = self.sources.rngs[w.index()].as_mut() else {
            return;
        };
        let next = match churn.arrivals {
            Arrivals::Poisson { rate_per_s } => now + draw_interarrival(rate_per_s, rng),
            Arrivals::Batches { every, .. } => now + every,
        };
        if next < arrivals_end(env.sc, &churn) {
            env.queue
                .schedule(next, Event::WorkloadArrival { workload: w });
        }
    }

    /// A churn pod's lifetime ended: delete it unless it already was.
    pub fn on_pod_expire<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        life: u32,
    ) {
        if self.alive(pod, life) {
            self.delete_pod(env, pod);
            self.drain_pending(env);
        }
    }

    /// Replays row `row` of trace workload `w`, then schedules the next row.
    pub fn on_trace_row<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        w: WorkloadId,
        row: u32,
    ) {
        let spec = &env.sc.workloads[w.index()];
        let WorkloadSource::Trace(trace) = &spec.source else {
            return;
        };
        let Some(this) = trace.rows.get(row as usize).copied() else {
            return;
        };
        let end = SimTime::ZERO + env.sc.duration;
        let next_at = trace
            .rows
            .get(row as usize + 1)
            .map(|r| r.at)
            .filter(|&at| at < end);
        let host_network = spec.host_network;
        let slot = this.pod as usize;
        match this.action {
            TraceAction::Create => {
                let pod = self.new_pod(env.now, Owner::Trace(w, this.pod), host_network);
                let life = self.pods[pod.index()].life;
                if let Some(entry) = self.sources.trace_pods[w.index()].get_mut(slot) {
                    *entry = Some((pod, life));
                }
                self.schedule_or_queue(env, pod);
            }
            TraceAction::Delete => {
                let pod = self.sources.trace_pods[w.index()]
                    .get(slot)
                    .copied()
                    .flatten();
                if let Some((pod, life)) = pod {
                    if self.alive(pod, life) {
                        self.delete_pod(env, pod);
                        self.drain_pending(env);
                    }
                }
            }
        }
        if let Some(at) = next_at {
            env.queue.schedule(
                at,
                Event::TraceRow {
                    workload: w,
                    row: row + 1,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> ChaCha8Rng {
        rng_stream(42, streams::WORKLOADS << 32)
    }

    fn mean_secs(lifetime: Lifetime, n: usize) -> f64 {
        let mut r = rng();
        (0..n)
            .map(|_| draw_lifetime(lifetime, &mut r).as_secs_f64())
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn fixed_lifetime_is_exact() {
        let mut r = rng();
        let d = SimDuration::from_millis(90_500);
        for _ in 0..10 {
            assert_eq!(draw_lifetime(Lifetime::Fixed(d), &mut r), d);
        }
    }

    #[test]
    fn exponential_lifetime_mean() {
        // Mean 5 s, sd 5 s; 2000 draws: standard error 5/√2000 ≈ 0.112 s; 5 SE ≈ 0.56 s.
        let m = mean_secs(
            Lifetime::Exponential {
                mean: SimDuration::from_secs(5),
            },
            2000,
        );
        assert!((m - 5.0).abs() < 0.56, "{m}");
    }

    #[test]
    fn uniform_lifetime_stays_in_bounds_with_the_middle_as_mean() {
        let (min, max) = (SimDuration::from_secs(60), SimDuration::from_secs(180));
        let mut r = rng();
        for _ in 0..1000 {
            let d = draw_lifetime(Lifetime::Uniform { min, max }, &mut r);
            assert!(min <= d && d <= max);
        }
        // Mean 120 s, sd 120/√12 ≈ 34.6 s; 2000 draws: SE ≈ 0.77 s; 5 SE ≈ 3.9 s.
        let m = mean_secs(Lifetime::Uniform { min, max }, 2000);
        assert!((m - 120.0).abs() < 3.9, "{m}");
    }

    #[test]
    fn lognormal_lifetime_mean_and_sd() {
        // Mean 120 s, sd 30 s; 4000 draws: SE of the mean 30/√4000 ≈ 0.47 s, 5 SE ≈ 2.4 s.
        let lifetime = Lifetime::LogNormal {
            mean: SimDuration::from_secs(120),
            sd: SimDuration::from_secs(30),
        };
        let mut r = rng();
        let xs: Vec<f64> = (0..4000)
            .map(|_| draw_lifetime(lifetime, &mut r).as_secs_f64())
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        assert!((mean - 120.0).abs() < 2.4, "{mean}");
        // The sample sd of 4000 draws is within ~10 % of 30 s (its SE is about 0.4 s).
        assert!((var.sqrt() - 30.0).abs() < 3.0, "{}", var.sqrt());
        assert!(xs.iter().all(|&x| x > 0.0));
    }

    #[test]
    fn a_vanishing_rate_means_no_arrival_not_one_per_microsecond() {
        // D4: 1 / 5e-324 is +inf seconds; it must saturate ("never"), not become 0 and
        // then the 1 µs floor
        let mut r = rng();
        assert_eq!(draw_interarrival(5e-324, &mut r), SimDuration(u64::MAX));
        assert!(draw_interarrival(1e-310, &mut r) > SimDuration::from_secs(1 << 40));
    }

    #[test]
    fn interarrival_mean_is_one_over_the_rate() {
        // Rate 2/s: mean 0.5 s, sd 0.5 s; 4000 draws: SE ≈ 0.0079 s; 5 SE ≈ 0.04 s.
        let mut r = rng();
        let m = (0..4000)
            .map(|_| draw_interarrival(2.0, &mut r).as_secs_f64())
            .sum::<f64>()
            / 4000.0;
        assert!((m - 0.5).abs() < 0.04, "{m}");
        // A rate so high that draws round to 0 µs still advances time.
        assert!(draw_interarrival(1e12, &mut r) >= SimDuration(1));
    }
}
