//! The VPC resource controller's steps (security groups for pods, `model/podeni.rs`): the
//! trunk ENI of a node whose ipamd started, a branch ENI per bound pod that asks for one,
//! and the deletion of a deleted pod's branch after its cooldown. Its EC2 calls go through
//! its own client limit (a token bucket) and then the account's EC2 model, like ipamd's.

use super::World;
use crate::engine::EventQueue;
use crate::model::ec2::Response;
use crate::model::event::Event;
use crate::model::ids::{EniId, NodeId, PodId};
use crate::model::kube::podeni::BranchRequest;
use crate::model::lease::{Ipv4, Lease, Leased};
use crate::model::podeni::{
    retry_backoff, Controller, Cooling, Job, JobStep, Trunk, REQUEUE_AFTER_SUBNET_FULL,
};
use crate::model::record::{Draft, Ec2Error, Fact, PodState, Recorder};
use crate::scenario::Ec2Action;
use crate::time::SimTime;

/// What sending one controller request gave; the step's next event is already scheduled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// No token in the client's bucket: the same step runs again at the next refill.
    Wait,
    /// Sent: the step's event comes when EC2 answers (if it waits for the answer).
    Ok,
    /// Throttled or failed: the step runs again after the answer's latency plus back-off,
    /// as the next attempt.
    Retry,
}

impl<R: Recorder> World<R> {
    /// Sends one request of `action` (attempt `attempt`) if the client's limit allows, and
    /// schedules `next` (the step's event) for when it is due again: at the bucket's next
    /// refill, after the retry back-off, or — when `await_answer` — at EC2's answer.
    fn controller_send(
        &mut self,
        now: SimTime,
        action: Ec2Action,
        attempt: u32,
        (next, await_answer): (Event, bool),
        queue: &mut EventQueue<Event>,
    ) -> Sent {
        let (at, sent) = if !self.controller.bucket.take(now) {
            (Controller::next_refill(now), Sent::Wait)
        } else {
            match self.ec2.request(action, now, &mut self.controller_rng) {
                Response::Ok(d) => (now + d, Sent::Ok),
                Response::Throttled(d) | Response::ServerError(d) => {
                    (now + d + retry_backoff(attempt), Sent::Retry)
                }
            }
        };
        if sent != Sent::Ok || await_answer {
            queue.schedule(at, next);
        }
        sent
    }

    /// Records a controller fact about `node` (and `pod`).
    fn emit_pod_eni(&mut self, now: SimTime, node: NodeId, pod: Option<PodId>, fact: Fact) {
        self.events.push(Draft {
            time: now,
            node: Some(node),
            group: self.nodes.get(node).group,
            pod: pod.map(|p| self.kube.pod(p).owner),
            fact,
        });
    }

    /// ipamd started on a node that gets a trunk: the controller begins creating it.
    pub(super) fn start_trunk(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let n = self.controller.node_mut(node);
        if n.limit == 0 || n.trunk != Trunk::None || n.removed {
            return;
        }
        n.trunk = Trunk::Creating { attempt: 1 };
        queue.schedule(now, Event::TrunkStep(node));
    }

    /// The trunk's next step.
    pub(super) fn on_trunk_step(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let n = self.controller.node(node);
        if n.removed {
            return;
        }
        let subnet = n.subnet;
        let step = Event::TrunkStep(node);
        match n.trunk {
            Trunk::None | Trunk::Attached { .. } => {}
            Trunk::Creating { attempt } => {
                let action = Ec2Action::CreateNetworkInterface;
                let next = match self.controller_send(now, action, attempt, (step, true), queue) {
                    Sent::Wait => return,
                    Sent::Ok => Trunk::CreateSent,
                    Sent::Retry => Trunk::Creating {
                        attempt: attempt + 1,
                    },
                };
                self.controller.node_mut(node).trunk = next;
            }
            Trunk::CreateSent => match self.subnets[subnet.index()].allocate_ip() {
                Some(addr) => {
                    self.controller.node_mut(node).trunk = Trunk::Attaching { addr, attempt: 1 };
                    queue.schedule(now, Event::TrunkStep(node));
                }
                None => {
                    self.controller.node_mut(node).trunk = Trunk::Creating { attempt: 1 };
                    let retry_in = REQUEUE_AFTER_SUBNET_FULL;
                    let fact = Fact::PodEniFailed {
                        trunk: true,
                        error: Ec2Error::InsufficientFreeAddressesInSubnet,
                        subnet,
                        retry_in,
                    };
                    self.emit_pod_eni(now, node, None, fact);
                    queue.schedule(now + retry_in, Event::TrunkStep(node));
                }
            },
            Trunk::Attaching { addr, attempt } => {
                let action = Ec2Action::AttachNetworkInterface;
                let next = match self.controller_send(now, action, attempt, (step, true), queue) {
                    Sent::Wait => return,
                    Sent::Ok => Trunk::AttachSent { addr },
                    Sent::Retry => Trunk::Attaching {
                        addr,
                        attempt: attempt + 1,
                    },
                };
                self.controller.node_mut(node).trunk = next;
            }
            Trunk::AttachSent { addr } => {
                let n = self.controller.node_mut(node);
                n.trunk = Trunk::Attached { addr };
                let branches = n.limit;
                let fact = Fact::TrunkAttached {
                    subnet,
                    addr,
                    branches,
                };
                self.emit_pod_eni(now, node, None, fact);
                self.with_kube(now, queue, |k, env| {
                    k.set_pod_eni_capacity(env, node, branches)
                });
            }
        }
    }

    /// Serves what kube asked of the controller in this event (binding may ask again).
    pub(super) fn serve_branch_requests(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let mut requests = std::mem::take(&mut self.branch_requests);
        loop {
            self.kube.take_branch_requests(&mut requests);
            if requests.is_empty() {
                break;
            }
            for &r in &requests {
                match r {
                    BranchRequest::Bound { pod, life, node } => {
                        self.start_branch(now, node, pod, life, queue)
                    }
                    BranchRequest::Released { node, branch } => {
                        self.release_branch(now, node, branch, queue)
                    }
                }
            }
        }
        self.branch_requests = requests;
    }

    /// A pod asking for a pod ENI is bound to `node`: its branch is created if the node's
    /// branch count allows, else it queues behind the cooling branches.
    fn start_branch(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        life: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let n = self.controller.node_mut(node);
        if n.removed {
            return;
        }
        if !n.has_room() {
            n.queued.push_back((pod, life));
            return;
        }
        n.in_use += 1;
        let job = self.controller.add_job(Job {
            node,
            pod: (pod, life),
            addr: None,
            step: JobStep::Send {
                action: Ec2Action::CreateNetworkInterface,
                attempt: 1,
            },
        });
        queue.schedule(now, Event::BranchStep(job));
    }

    /// A deleted pod's branch (if it had one) starts cooling.
    fn release_branch(
        &mut self,
        now: SimTime,
        node: NodeId,
        branch: Option<Lease>,
        queue: &mut EventQueue<Event>,
    ) {
        // still queued or in creation: the job gives it back when it ends
        let Some(Lease {
            eni: Some(EniId(branch)),
            addr: Leased::V4(Ipv4(addr)),
        }) = branch
        else {
            return;
        };
        let n = self.controller.node_mut(node);
        n.in_use = n.in_use.saturating_sub(1);
        self.cool(now, node, branch, addr, queue);
    }

    /// Puts a branch in the node's cooldown queue (or back in the subnet if the node is gone).
    fn cool(
        &mut self,
        now: SimTime,
        node: NodeId,
        branch: u32,
        addr: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let until = now + self.controller.cooldown;
        let n = self.controller.node_mut(node);
        if n.removed {
            let subnet = n.subnet;
            self.controller.branches = self.controller.branches.saturating_sub(1);
            self.subnets[subnet.index()].release_ip(addr);
            return;
        }
        n.cooling.push_back(Cooling {
            until,
            branch,
            addr,
        });
        if n.cooling.len() == 1 {
            queue.schedule(until, Event::BranchCooled(node));
        }
    }

    /// A branch job's next step.
    pub(super) fn on_branch_step(
        &mut self,
        now: SimTime,
        index: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(job) = self.controller.jobs[index as usize] else {
            return;
        };
        let node = job.node;
        let n = self.controller.node(node);
        let subnet = n.subnet;
        if n.removed {
            if let Some(addr) = job.addr {
                self.subnets[subnet.index()].release_ip(addr);
            }
            self.controller.end_job(index);
            return;
        }
        let set = |c: &mut Controller, step: JobStep, addr: Option<u32>| {
            if let Some(j) = &mut c.jobs[index as usize] {
                j.step = step;
                j.addr = addr;
            }
        };
        match job.step {
            JobStep::Send { action, attempt } => {
                let next = Event::BranchStep(index);
                let step = match self.controller_send(now, action, attempt, (next, true), queue) {
                    Sent::Wait => return,
                    Sent::Ok => JobStep::Done { action },
                    Sent::Retry => JobStep::Send {
                        action,
                        attempt: attempt + 1,
                    },
                };
                set(&mut self.controller, step, job.addr);
            }
            JobStep::Done {
                action: Ec2Action::CreateNetworkInterface,
            } => {
                let next = match self.subnets[subnet.index()].allocate_ip() {
                    Some(addr) => (Ec2Action::AssociateTrunkInterface, Some(addr), now),
                    None => {
                        let retry_in = REQUEUE_AFTER_SUBNET_FULL;
                        let fact = Fact::PodEniFailed {
                            trunk: false,
                            error: Ec2Error::InsufficientFreeAddressesInSubnet,
                            subnet,
                            retry_in,
                        };
                        self.emit_pod_eni(now, node, Some(job.pod.0), fact);
                        (Ec2Action::CreateNetworkInterface, None, now + retry_in)
                    }
                };
                let step = JobStep::Send {
                    action: next.0,
                    attempt: 1,
                };
                set(&mut self.controller, step, next.1);
                queue.schedule(next.2, Event::BranchStep(index));
            }
            JobStep::Done { .. } => {
                // associated: the pod is annotated with its branch
                self.controller.end_job(index);
                let Some(addr) = job.addr else {
                    return;
                };
                self.controller.branch_added();
                let n = self.controller.node_mut(node);
                n.last_branch += 1;
                let branch = n.last_branch;
                let (pod, life) = job.pod;
                if self.kube.annotate_branch(
                    pod,
                    life,
                    Lease::v4(Some(EniId(branch)), Ipv4(addr)),
                    now,
                ) {
                    let in_use = self.controller.node(node).in_use;
                    let fact = Fact::BranchEni {
                        pod,
                        branch,
                        addr,
                        in_use,
                        subnet,
                    };
                    self.emit_pod_eni(now, node, Some(pod), fact);
                } else {
                    let n = self.controller.node_mut(node);
                    n.in_use = n.in_use.saturating_sub(1);
                    self.cool(now, node, branch, addr, queue);
                }
            }
        }
    }

    /// The node's oldest cooling branch is due: `DeleteNetworkInterface`, its address back
    /// in the subnet, and queued pods get branches while the count allows.
    pub(super) fn on_branch_cooled(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let n = self.controller.node(node);
        let Some(&front) = n.cooling.front() else {
            return;
        };
        if n.removed || front.until > now {
            return;
        }
        let subnet = n.subnet;
        // the address is free once the delete is sent: its answer is not awaited
        let action = Ec2Action::DeleteNetworkInterface;
        let step = (Event::BranchCooled(node), false);
        let sent = self.controller_send(now, action, 1, step, queue);
        if sent != Sent::Ok {
            return;
        }
        let n = self.controller.node_mut(node);
        n.cooling.pop_front();
        if let Some(next) = n.cooling.front() {
            queue.schedule(next.until.max(now), Event::BranchCooled(node));
        }
        self.controller.branches = self.controller.branches.saturating_sub(1);
        self.subnets[subnet.index()].release_ip(front.addr);
        let fact = Fact::BranchEniDeleted {
            branch: front.branch,
            addr: front.addr,
            subnet,
        };
        self.emit_pod_eni(now, node, None, fact);
        while self.controller.node(node).has_room() {
            let Some((pod, life)) = self.controller.node_mut(node).queued.pop_front() else {
                break;
            };
            let p = self.kube.pod(pod);
            if p.life == life && p.state == PodState::WaitingIp && p.node == Some(node) {
                self.start_branch(now, node, pod, life, queue);
            }
        }
    }

    /// The node's instance is terminated: its trunk's and cooling branches' addresses go
    /// back to the subnet at once (branches of pods still in creation when their job ends).
    pub(super) fn terminate_pod_enis(&mut self, node: NodeId) {
        let n = self.controller.node_mut(node);
        n.removed = true;
        let subnet = n.subnet;
        let trunk = std::mem::replace(&mut n.trunk, Trunk::None);
        let cooling = std::mem::take(&mut n.cooling);
        n.queued.clear();
        let s = &mut self.subnets[subnet.index()];
        if let Trunk::Attaching { addr, .. }
        | Trunk::AttachSent { addr }
        | Trunk::Attached { addr } = trunk
        {
            s.release_ip(addr);
        }
        for c in &cooling {
            s.release_ip(c.addr);
        }
        let c = &mut self.controller;
        c.branches = c.branches.saturating_sub(cooling.len() as u32);
    }
}
