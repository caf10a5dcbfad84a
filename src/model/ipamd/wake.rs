//! What a wake continues: the step the loop was sleeping on, and how a call that finally
//! failed is handled at that step (each as ipamd does).

use super::{Ctx, NodeIpamd, Step, StepAfter, DETACH_TO_DELETE};
use crate::model::record::Fact;
use crate::scenario::Ec2Action;

impl NodeIpamd {
    /// The loop resumes: an EC2 call returned, a sleep ended or an IMDS poll is due. A wake
    /// whose generation is not the loop's is stale and ignored.
    pub fn on_wake(&mut self, ctx: &mut Ctx<'_>, gen: u32) {
        if gen != self.gen {
            return;
        }
        let step = self.step;
        let error = self.call_error.take();
        match (step, error) {
            (Step::Off | Step::Serving, _) => {}
            (Step::Ipv6Assigned, e) => self.ipv6_assigned(ctx, e),
            (Step::Retry, _) => self.attempt(ctx),
            (Step::Recall(action, after), _) => self.ec2_call(ctx, action, after.step()),
            (Step::InitDescribed, e) => self.init_described(ctx, e),
            (Step::PoolUpdate, _) => self.pool_update(ctx),
            (Step::Reconcile, _) => self.reconcile(ctx),
            (Step::Assigned { eni, n, retry }, None) => self.assign_returned(ctx, eni, n, retry),
            (Step::Assigned { eni, n, retry }, Some(e)) => {
                if !retry {
                    // §c.7: one retry with 1 IP or prefix
                    return self.assign_one(ctx, eni);
                }
                // §c.6: any other error is logged and the increase returns
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::AssignPrivateIpAddresses,
                    eni: Some(eni),
                    count: Some(n),
                    error: e,
                    prefixes: self.pd(),
                };
                self.increase_failed(ctx, fact)
            }
            (Step::SubnetsDescribed, None) => self.create_next_subnet(ctx),
            (Step::SubnetsDescribed, Some(e)) => {
                self.new_eni = None;
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::DescribeSubnets,
                    eni: None,
                    count: None,
                    error: e,
                    prefixes: self.pd(),
                };
                self.increase_failed(ctx, fact)
            }
            (Step::Created, None) => self.create_returned(ctx),
            (Step::Created, Some(e)) => {
                // the next qualifying subnet is tried; the last error decides the back-off
                self.create_failed_ec2 = true;
                self.emit_step_failure(
                    ctx,
                    Fact::IncreaseFailed {
                        action: Ec2Action::CreateNetworkInterface,
                        eni: None,
                        count: None,
                        error: e,
                        prefixes: self.pd(),
                    },
                );
                self.next_subnet += 1;
                self.create_next_subnet(ctx)
            }
            (Step::InstancesDescribed, None) => self.instances_described(ctx),
            (Step::InstancesDescribed, Some(e)) | (Step::Attached, Some(e)) => {
                self.attach_failed(ctx, e)
            }
            (Step::Attached, None) => self.attached(ctx),
            (Step::AttachFailedDeleted, None) => {
                self.release_freeing(ctx);
                self.increase_done(ctx)
            }
            (Step::AttachFailedDeleted, Some(_)) => {
                self.leak_freeing(ctx);
                self.increase_done(ctx)
            }
            (Step::Modified, None) => self.imds_poll(ctx, 1),
            (Step::Modified, Some(e)) => self.modify_failed(ctx, e),
            (Step::ImdsPoll { attempt }, _) => self.imds_poll(ctx, attempt),
            // a failed subnet-exclusion check is ignored: the ENI is set up
            (Step::SetupDescribed, _) => self.setup_eni(ctx),
            (Step::Unassigned, None) => {
                self.return_releasing(ctx);
                self.decrease_next_eni(ctx);
            }
            (Step::Unassigned, Some(e)) => {
                self.keep_unreleased(ctx.now);
                ctx.emit(Fact::ReleaseFailed {
                    eni: self.releasing_eni,
                    error: e,
                });
                self.decrease_next_eni(ctx);
            }
            (Step::FreeDescribed, None) => {
                self.ec2_call(ctx, Ec2Action::DetachNetworkInterface, Step::Detached)
            }
            (Step::FreeDescribed, Some(e)) => {
                // no attachment ID: FreeENI returns early; the ENI stays attached (§c.10)
                self.orphan_freeing(ctx, Ec2Action::DescribeNetworkInterfaces, e);
                self.free_done(ctx)
            }
            (Step::Detached, None) => {
                self.ipamd_tries = 0;
                self.sleep(ctx, DETACH_TO_DELETE, Step::DetachSlept)
            }
            (Step::Detached, Some(e)) => {
                if !self.ipamd_retry(ctx, StepAfter::Detached) {
                    self.orphan_freeing(ctx, Ec2Action::DetachNetworkInterface, e);
                    self.free_done(ctx)
                }
            }
            (Step::DetachSlept, _) => {
                self.ec2_call(ctx, Ec2Action::DeleteNetworkInterface, Step::Deleted)
            }
            (Step::Deleted, None) => {
                self.ipamd_tries = 0;
                self.release_freeing(ctx);
                self.free_done(ctx)
            }
            (Step::Deleted, Some(_)) => {
                if !self.ipamd_retry(ctx, StepAfter::Deleted) {
                    self.leak_freeing(ctx);
                    self.free_done(ctx)
                }
            }
            (Step::Dormant, _) => self.dormant_wake(ctx),
            (Step::AdoptDescribed, None) => self.setup_eni(ctx),
            (Step::AdoptDescribed, Some(_)) => {
                if let Some(e) = self.new_eni.take() {
                    self.orphans.push(e);
                }
                self.reconcile_done(ctx)
            }
        }
    }
}
