//! The kubelet's sandbox retries (spec §d.1): each waiting pod retries its CNI ADD
//! `backOffPeriod` × (1 + U(0, jitter)) after the last attempt.
//!
//! Every retry's jitter has its own place in a counter-based stream: attempt `a` of the pod
//! created `seq`-th draws the two words at position `2 · (seq · 2²⁴ + a)` of the run's
//! kubelet stream (attempts wrap after 2²⁴, five years of 10 s retries). So a retry that is
//! not simulated as an event (a dormant pod's, `dormant.rs`) shifts no other draw, and any
//! retry's time can be computed from the pod and its attempt number alone.
//!
//! A retry is an event ranked by its pod ([`retry_rank`]): among events at the same instant
//! scheduled at the same instant, retries go by pod slot, before ordinary events, whatever
//! else was scheduled then — so a retry scheduled late "as of" its last attempt runs
//! exactly where it would have.

use super::{Cni, Env, Kube};
use crate::model::event::Event;
use crate::model::ids::{NodeId, PodId};
use crate::model::record::{PodState, Recorder};
use crate::model::rng::{jittered, rng_stream, streams};
use crate::time::SimDuration;
use rand_chacha::ChaCha8Rng;

/// Ranks below this are nodes' timers (node ids); a pod's retries rank from here on.
const POD_RANKS: u64 = 1 << 24;

/// Attempt numbers per pod in the stream before they wrap.
const ATTEMPT_BITS: u32 = 24;

/// The rank of `pod`'s kubelet retries.
pub(super) fn retry_rank(pod: PodId) -> u64 {
    POD_RANKS + pod.index() as u64
}

/// The kubelet's retry delays: a template of the run's kubelet stream, and where it stands.
#[derive(Clone, Debug)]
pub struct RetryDelays {
    rng: ChaCha8Rng,
    /// The `(seq, attempt)` whose draw the stream is positioned at, if known (consecutive
    /// attempts of one pod draw consecutive words: no re-positioning).
    at: Option<(u64, u32)>,
    interval: SimDuration,
    jitter: f64,
}

impl RetryDelays {
    /// The delays for a run with master seed `seed`.
    pub fn new(seed: u64, interval: SimDuration, jitter: f64) -> RetryDelays {
        RetryDelays {
            rng: rng_stream(seed, streams::KUBELET),
            at: None,
            interval,
            jitter,
        }
    }

    /// The delay before attempt `attempt + 1` of the pod created `seq`-th (its
    /// `attempt`-th retry draw, from 0).
    pub fn delay(&mut self, seq: u64, attempt: u32) -> SimDuration {
        if self.jitter <= 0.0 {
            return self.interval;
        }
        let attempt = attempt & ((1 << ATTEMPT_BITS) - 1);
        if self.at != Some((seq, attempt)) {
            let word = (u128::from(seq) << ATTEMPT_BITS | u128::from(attempt)) * 2;
            self.rng.set_word_pos(word);
        }
        let d = jittered(self.interval, self.jitter, &mut self.rng);
        self.at = (attempt + 1 < 1 << ATTEMPT_BITS).then_some((seq, attempt + 1));
        d
    }
}

impl Kube {
    /// The kubelet's next attempt for `pod` after `backOffPeriod` × (1 + U(0, jitter)).
    pub(super) fn schedule_retry<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        _node: NodeId,
    ) {
        let p = &mut self.pods[pod.index()];
        let delay = self.delays.delay(p.seq, p.attempts);
        p.attempts += 1;
        p.retry_gen += 1;
        let gen = p.retry_gen;
        env.queue.schedule_ranked(
            env.now + delay,
            retry_rank(pod),
            Event::KubeletRetry { pod, gen },
        );
    }

    /// The kubelet retries a pod's sandbox (ignored if stale or the pod no longer waits).
    pub fn on_kubelet_retry<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        gen: u32,
    ) {
        let p = &self.pods[pod.index()];
        if p.retry_gen == gen && p.state == PodState::WaitingIp {
            let k = env.queue.current();
            self.wake_for_retry(env.events, env.nodes, pod, k);
            self.sandbox_attempt(env, pod);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A draw depends only on its pod and attempt: drawing others first, or the same
    /// ones in another order, gives the same delays.
    #[test]
    fn a_retry_delay_depends_only_on_its_pod_and_attempt() {
        let interval = SimDuration::from_secs(10);
        let mut a = RetryDelays::new(7, interval, 0.5);
        let mut b = RetryDelays::new(7, interval, 0.5);
        let in_order: Vec<_> = (0..5).map(|k| a.delay(3, k)).collect();
        let _ = b.delay(9, 0);
        let _ = b.delay(4, 17);
        let backwards: Vec<_> = (0..5).rev().map(|k| b.delay(3, k)).collect();
        assert!(in_order.iter().eq(backwards.iter().rev()));
        // each within [10 s, 15 s] (× (1 + U(0, 0.5))), and not all equal
        assert!(in_order
            .iter()
            .all(|d| (10_000_000..=15_000_000).contains(&d.micros())));
        assert!(in_order.windows(2).any(|w| w[0] != w[1]));
        // another pod's draws differ
        assert_ne!(in_order[0], a.delay(4, 0));
    }

    /// No jitter: every delay is the interval, and nothing is drawn.
    #[test]
    fn without_jitter_every_delay_is_the_interval() {
        let mut d = RetryDelays::new(1, SimDuration::from_secs(10), 0.0);
        assert_eq!(d.delay(5, 3), SimDuration::from_secs(10));
    }

    /// Node ranks (ids below 2²⁴) come before every pod's retry rank.
    #[test]
    fn pods_rank_after_nodes() {
        assert_eq!(retry_rank(PodId::from_index(0)), 1 << 24);
        assert!(retry_rank(PodId::from_index(5)) > retry_rank(PodId::from_index(4)));
    }
}
