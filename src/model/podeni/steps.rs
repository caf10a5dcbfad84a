//! The controller's steps: the trunk ENI of a node whose ipamd started, a branch ENI per
//! bound pod that asks for one, and the deletion of a deleted pod's branch after its
//! cooldown. Its EC2 calls go through its own client limit (a token bucket) and then the
//! account's EC2 model, like ipamd's.

use super::{
    retry_backoff, Controller, Cooling, Ctx, Job, JobStep, PodEniPods, Trunk,
    REQUEUE_AFTER_SUBNET_FULL,
};
use crate::model::ec2::Response;
use crate::model::event::Event;
use crate::model::ids::{EniId, JobId, NodeId, PodId, PodLife};
use crate::model::kube::podeni::BranchRequest;
use crate::model::lease::{Ipv4, Lease, Leased};
use crate::model::record::{Draft, Ec2Error, Fact};
use crate::model::subnet::Subnet;
use crate::scenario::Ec2Action;

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

impl Controller {
    /// Sends one request of `action` (attempt `attempt`) if the client's limit allows, and
    /// schedules `next` (the step's event) for when it is due again: at the bucket's next
    /// refill, after the retry back-off, or — when `await_answer` — at EC2's answer.
    fn send(
        &mut self,
        ctx: &mut Ctx<'_>,
        action: Ec2Action,
        attempt: u32,
        (next, await_answer): (Event, bool),
    ) -> Sent {
        let now = ctx.now;
        let (at, sent) = if !self.bucket.take(now) {
            (Controller::next_refill(now), Sent::Wait)
        } else {
            match ctx.ec2.request(action, now, &mut self.rng) {
                Response::Ok(d) => (now + d, Sent::Ok),
                Response::Throttled(d) | Response::ServerError(d) => {
                    (now + d + retry_backoff(attempt), Sent::Retry)
                }
            }
        };
        if sent != Sent::Ok || await_answer {
            ctx.queue.schedule(at, next);
        }
        sent
    }

    /// Records a controller fact about `node` (and `pod`).
    fn emit(
        ctx: &mut Ctx<'_>,
        pods: &impl PodEniPods,
        node: NodeId,
        pod: Option<PodId>,
        fact: Fact,
    ) {
        ctx.events.push(Draft {
            card: None,
            time: ctx.now,
            node: Some(node),
            group: ctx.nodes.get(node).group,
            pod: pod.map(|p| pods.owner(p)),
            fact,
        });
    }

    /// ipamd started on a node that gets a trunk: the controller begins creating it.
    pub fn start_trunk(&mut self, ctx: &mut Ctx<'_>, node: NodeId) {
        let n = self.node_mut(node);
        if n.limit == 0 || n.trunk != Trunk::None || n.removed {
            return;
        }
        n.trunk = Trunk::Creating { attempt: 1 };
        ctx.queue.schedule(ctx.now, Event::TrunkStep(node));
    }

    /// The trunk's next step. Returns the pod ENIs the node now offers, once its trunk is
    /// attached (kube then places the pods waiting for one).
    pub fn on_trunk_step(
        &mut self,
        ctx: &mut Ctx<'_>,
        pods: &impl PodEniPods,
        node: NodeId,
    ) -> Option<u32> {
        let now = ctx.now;
        let n = self.node(node);
        if n.removed {
            return None;
        }
        let subnet = n.subnet;
        let step = Event::TrunkStep(node);
        match n.trunk {
            Trunk::None | Trunk::Attached { .. } => {}
            Trunk::Creating { attempt } => {
                let action = Ec2Action::CreateNetworkInterface;
                let next = match self.send(ctx, action, attempt, (step, true)) {
                    Sent::Wait => return None,
                    Sent::Ok => Trunk::CreateSent,
                    Sent::Retry => Trunk::Creating {
                        attempt: attempt + 1,
                    },
                };
                self.node_mut(node).trunk = next;
            }
            Trunk::CreateSent => match ctx.subnets[subnet.index()].allocate_ip() {
                Some(addr) => {
                    self.node_mut(node).trunk = Trunk::Attaching { addr, attempt: 1 };
                    ctx.queue.schedule(now, Event::TrunkStep(node));
                }
                None => {
                    self.node_mut(node).trunk = Trunk::Creating { attempt: 1 };
                    let retry_in = REQUEUE_AFTER_SUBNET_FULL;
                    let fact = Fact::PodEniFailed {
                        trunk: true,
                        error: Ec2Error::InsufficientFreeAddressesInSubnet,
                        subnet,
                        retry_in,
                    };
                    Self::emit(ctx, pods, node, None, fact);
                    ctx.queue.schedule(now + retry_in, Event::TrunkStep(node));
                }
            },
            Trunk::Attaching { addr, attempt } => {
                let action = Ec2Action::AttachNetworkInterface;
                let next = match self.send(ctx, action, attempt, (step, true)) {
                    Sent::Wait => return None,
                    Sent::Ok => Trunk::AttachSent { addr },
                    Sent::Retry => Trunk::Attaching {
                        addr,
                        attempt: attempt + 1,
                    },
                };
                self.node_mut(node).trunk = next;
            }
            Trunk::AttachSent { addr } => {
                let n = self.node_mut(node);
                n.trunk = Trunk::Attached { addr };
                let branches = n.limit;
                let fact = Fact::TrunkAttached {
                    subnet,
                    addr,
                    branches,
                };
                Self::emit(ctx, pods, node, None, fact);
                return Some(branches);
            }
        }
        None
    }

    /// Serves one request of kube: a pod asking for a pod ENI was bound, or such a pod was
    /// deleted.
    pub fn serve(&mut self, ctx: &mut Ctx<'_>, request: BranchRequest) {
        match request {
            BranchRequest::Bound { pod, life, node } => {
                self.start_branch(ctx, node, PodLife { pod, life })
            }
            BranchRequest::Released { node, branch } => self.release_branch(ctx, node, branch),
        }
    }

    /// A pod asking for a pod ENI is bound to `node`: its branch is created if the node's
    /// branch count allows, else it queues behind the cooling branches.
    fn start_branch(&mut self, ctx: &mut Ctx<'_>, node: NodeId, pod: PodLife) {
        let n = self.node_mut(node);
        if n.removed {
            return;
        }
        if !n.has_room() {
            n.queued.push_back(pod);
            return;
        }
        n.in_use += 1;
        let job = self.add_job(Job {
            node,
            pod,
            addr: None,
            step: JobStep::Send {
                action: Ec2Action::CreateNetworkInterface,
                attempt: 1,
            },
        });
        ctx.queue.schedule(ctx.now, Event::BranchStep(job));
    }

    /// A deleted pod's branch (if it had one) starts cooling.
    fn release_branch(&mut self, ctx: &mut Ctx<'_>, node: NodeId, branch: Option<Lease>) {
        // still queued or in creation: the job gives it back when it ends
        let Some(Lease {
            eni: Some(EniId(branch)),
            addr: Leased::V4(Ipv4(addr)),
        }) = branch
        else {
            return;
        };
        let n = self.node_mut(node);
        n.in_use = n.in_use.saturating_sub(1);
        self.cool(ctx, node, branch, addr);
    }

    /// Puts a branch in the node's cooldown queue (or back in the subnet if the node is gone).
    fn cool(&mut self, ctx: &mut Ctx<'_>, node: NodeId, branch: u32, addr: u32) {
        let until = ctx.now + self.cooldown;
        let n = self.node_mut(node);
        if n.removed {
            let subnet = n.subnet;
            self.branches = self.branches.saturating_sub(1);
            ctx.subnets[subnet.index()].release_ip(addr);
            return;
        }
        n.cooling.push_back(Cooling {
            until,
            branch,
            addr,
        });
        if n.cooling.len() == 1 {
            ctx.queue.schedule(until, Event::BranchCooled(node));
        }
    }

    /// A branch job's next step.
    pub fn on_branch_step(&mut self, ctx: &mut Ctx<'_>, pods: &mut impl PodEniPods, id: JobId) {
        let now = ctx.now;
        let Some(job) = self.jobs[id.index()] else {
            return;
        };
        let node = job.node;
        let n = self.node(node);
        let subnet = n.subnet;
        if n.removed {
            if let Some(addr) = job.addr {
                ctx.subnets[subnet.index()].release_ip(addr);
            }
            self.end_job(id);
            return;
        }
        let set = |c: &mut Controller, step: JobStep, addr: Option<u32>| {
            if let Some(j) = &mut c.jobs[id.index()] {
                j.step = step;
                j.addr = addr;
            }
        };
        match job.step {
            JobStep::Send { action, attempt } => {
                let next = Event::BranchStep(id);
                let step = match self.send(ctx, action, attempt, (next, true)) {
                    Sent::Wait => return,
                    Sent::Ok => JobStep::Done { action },
                    Sent::Retry => JobStep::Send {
                        action,
                        attempt: attempt + 1,
                    },
                };
                set(self, step, job.addr);
            }
            JobStep::Done {
                action: Ec2Action::CreateNetworkInterface,
            } => {
                let (action, addr, at) = match ctx.subnets[subnet.index()].allocate_ip() {
                    Some(addr) => (Ec2Action::AssociateTrunkInterface, Some(addr), now),
                    None => {
                        let retry_in = REQUEUE_AFTER_SUBNET_FULL;
                        let fact = Fact::PodEniFailed {
                            trunk: false,
                            error: Ec2Error::InsufficientFreeAddressesInSubnet,
                            subnet,
                            retry_in,
                        };
                        Self::emit(ctx, pods, node, Some(job.pod.pod), fact);
                        (Ec2Action::CreateNetworkInterface, None, now + retry_in)
                    }
                };
                set(self, JobStep::Send { action, attempt: 1 }, addr);
                ctx.queue.schedule(at, Event::BranchStep(id));
            }
            JobStep::Done { .. } => {
                // associated: the pod is annotated with its branch
                self.end_job(id);
                let Some(addr) = job.addr else {
                    return;
                };
                self.branch_added();
                let n = self.node_mut(node);
                n.last_branch += 1;
                let branch = n.last_branch;
                let PodLife { pod, life } = job.pod;
                let lease = Lease::v4(Some(EniId(branch)), Ipv4(addr));
                if pods.annotate_branch(pod, life, lease, now) {
                    let in_use = self.node(node).in_use;
                    let fact = Fact::BranchEni {
                        pod,
                        branch,
                        addr,
                        in_use,
                        subnet,
                    };
                    Self::emit(ctx, pods, node, Some(pod), fact);
                } else {
                    let n = self.node_mut(node);
                    n.in_use = n.in_use.saturating_sub(1);
                    self.cool(ctx, node, branch, addr);
                }
            }
        }
    }

    /// The node's oldest cooling branch is due: `DeleteNetworkInterface`, its address back
    /// in the subnet, and queued pods get branches while the count allows.
    pub fn on_branch_cooled(&mut self, ctx: &mut Ctx<'_>, pods: &impl PodEniPods, node: NodeId) {
        let now = ctx.now;
        let n = self.node(node);
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
        if self.send(ctx, action, 1, step) != Sent::Ok {
            return;
        }
        let n = self.node_mut(node);
        n.cooling.pop_front();
        if let Some(next) = n.cooling.front() {
            ctx.queue
                .schedule(next.until.max(now), Event::BranchCooled(node));
        }
        self.branches = self.branches.saturating_sub(1);
        ctx.subnets[subnet.index()].release_ip(front.addr);
        let fact = Fact::BranchEniDeleted {
            branch: front.branch,
            addr: front.addr,
            subnet,
        };
        Self::emit(ctx, pods, node, None, fact);
        while self.node(node).has_room() {
            let Some(p) = self.node_mut(node).queued.pop_front() else {
                break;
            };
            if pods.waits_on(p.pod, p.life, node) {
                self.start_branch(ctx, node, p);
            }
        }
    }

    /// The node's instance is terminated: its trunk's and cooling branches' addresses go
    /// back to the subnet at once (branches of pods still in creation when their job ends).
    pub fn terminate(&mut self, subnets: &mut [Subnet], node: NodeId) {
        let n = self.node_mut(node);
        n.removed = true;
        let subnet = n.subnet;
        let trunk = std::mem::replace(&mut n.trunk, Trunk::None);
        let cooling = std::mem::take(&mut n.cooling);
        n.queued.clear();
        let s = &mut subnets[subnet.index()];
        if let Trunk::Attaching { addr, .. }
        | Trunk::AttachSent { addr }
        | Trunk::Attached { addr } = trunk
        {
            s.release_ip(addr);
        }
        for c in &cooling {
            s.release_ip(c.addr);
        }
        self.branches = self.branches.saturating_sub(cooling.len() as u32);
    }
}
