//! The world's side of the VPC resource controller (security groups for pods,
//! `model/podeni.rs`): its events and kube's requests reach it here, with the world's
//! shared parts for one call.

use super::World;
use crate::engine::EventQueue;
use crate::model::event::Event;
use crate::model::ids::{JobId, NodeId, Owner, PodId};
use crate::model::kube::Kube;
use crate::model::lease::Lease;
use crate::model::podeni::{Controller, Ctx, PodEniPods};
use crate::model::record::{PodState, Recorder};
use crate::time::SimTime;

impl PodEniPods for Kube {
    fn annotate_branch(&mut self, pod: PodId, life: u32, branch: Lease, now: SimTime) -> bool {
        Kube::annotate_branch(self, pod, life, branch, now)
    }

    fn waits_on(&self, pod: PodId, life: u32, node: NodeId) -> bool {
        let p = self.pod(pod);
        p.life == life && p.state == PodState::WaitingIp && p.node == Some(node)
    }

    fn owner(&self, pod: PodId) -> Owner {
        self.pod(pod).owner
    }
}

impl<R: Recorder> World<R> {
    /// Runs `f` on the controller with the world's shared parts and kube.
    fn with_controller<T>(
        &mut self,
        now: SimTime,
        queue: &mut EventQueue<Event>,
        f: impl FnOnce(&mut Controller, &mut Ctx<'_>, &mut Kube) -> T,
    ) -> T {
        let mut ctx = Ctx {
            now,
            ec2: &mut self.ec2,
            subnets: &mut self.subnets,
            nodes: &self.nodes,
            queue,
            events: &mut self.events,
        };
        f(&mut self.controller, &mut ctx, &mut self.kube)
    }

    /// ipamd started on a node: the controller creates its trunk if it gets one.
    pub(super) fn start_trunk(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        self.with_controller(now, queue, |c, ctx, _| c.start_trunk(ctx, node));
    }

    /// The trunk's next step; once it is attached, kube places the pods waiting for a pod
    /// ENI on the node.
    pub(super) fn on_trunk_step(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let offered = self.with_controller(now, queue, |c, ctx, k| c.on_trunk_step(ctx, k, node));
        if let Some(branches) = offered {
            self.with_kube(now, queue, |k, env| {
                k.set_pod_eni_capacity(env, node, branches)
            });
        }
    }

    /// Serves what kube asked of the controller in this event (binding may ask again).
    pub(super) fn serve_branch_requests(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let mut requests = self.controller.take_requests();
        loop {
            self.kube.take_branch_requests(&mut requests);
            if requests.is_empty() {
                break;
            }
            self.with_controller(now, queue, |c, ctx, _| {
                requests.iter().for_each(|&r| c.serve(ctx, r))
            });
        }
        self.controller.put_requests(requests);
    }

    /// A branch job's next step.
    pub(super) fn on_branch_step(
        &mut self,
        now: SimTime,
        job: JobId,
        queue: &mut EventQueue<Event>,
    ) {
        self.with_controller(now, queue, |c, ctx, k| c.on_branch_step(ctx, k, job));
    }

    /// The node's oldest cooling branch is due.
    pub(super) fn on_branch_cooled(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        self.with_controller(now, queue, |c, ctx, k| c.on_branch_cooled(ctx, k, node));
    }

    /// The node's instance is terminated: its trunk's and cooling branches' addresses go
    /// back to the subnet.
    pub(super) fn terminate_pod_enis(&mut self, node: NodeId) {
        self.controller.terminate(&mut self.subnets, node);
    }
}
