//! What the world shows outside the model: read-only views of its components, for the
//! summary, the capacity report, `plan` and tests. Its fields stay `pub(crate)`; nothing
//! outside `model` changes them.

use super::World;
use crate::model::autoscaler::Autoscaler;
use crate::model::calico::Calico;
use crate::model::ec2::Ec2;
use crate::model::ipamd::Ipamds;
use crate::model::kube::Kube;
use crate::model::nodes::Nodes;
use crate::model::podeni::Controller;
use crate::model::record::Recorder;
use crate::model::subnet::Subnet;
use crate::model::totals::RunTotals;
use crate::scenario::Scenario;

impl<R: Recorder> World<R> {
    /// The validated scenario the world was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// The instances.
    pub fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    /// Pods, workloads, the scheduler and the kubelets, with their counters.
    pub fn kube(&self) -> &Kube {
        &self.kube
    }

    /// Every node's ipamd.
    pub fn ipamd(&self) -> &Ipamds {
        &self.ipamd
    }

    /// Calico IPAM, when it is the kubelets' CNI.
    pub fn calico(&self) -> Option<&Calico> {
        self.calico.as_ref()
    }

    /// The subnets, in scenario order.
    pub fn subnets(&self) -> &[Subnet] {
        &self.subnets
    }

    /// The subnets as the run left them (the world is done with).
    pub fn into_subnets(self) -> Vec<Subnet> {
        self.subnets
    }

    /// The EC2 account: its calls and throttles.
    pub fn ec2(&self) -> &Ec2 {
        &self.ec2
    }

    /// The autoscaler and its counters.
    pub fn autoscaler(&self) -> &Autoscaler {
        &self.autoscaler
    }

    /// The VPC resource controller (security groups for pods).
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The summary counters.
    pub fn totals(&self) -> &RunTotals {
        &self.totals
    }

    /// Where the outputs went.
    pub fn recorder(&self) -> &R {
        &self.recorder
    }

    /// Where the outputs go, to take something out of it (a test's writers).
    pub fn recorder_mut(&mut self) -> &mut R {
        &mut self.recorder
    }

    /// The recorder, once the run is over.
    pub fn into_recorder(self) -> R {
        self.recorder
    }
}
