//! What a wake continues: the step the loop was sleeping on, and how a call that finally
//! failed is handled at that step (each as ipamd does).

use super::{Ctx, NodeIpamd, Recall, Step, DETACH_TO_DELETE};
use crate::model::record::Fact;
use crate::scenario::Ec2Action;

impl NodeIpamd {
    /// The loop resumes: an EC2 call returned, a sleep ended or an IMDS poll is due. A wake
    /// whose generation is not the loop's is stale and ignored.
    pub fn on_wake(&mut self, ctx: &mut Ctx<'_>, gen: u32) {
        if gen != self.gen {
            return;
        }
        self.settle_ahead(ctx);
        let step = std::mem::take(&mut self.step);
        let error = self.call_error.take();
        match (step, error) {
            (step @ (Step::Off | Step::Serving), _) => self.step = step,
            (Step::Ipv6Assigned, e) => self.ipv6_assigned(ctx, e),
            (Step::Retry, _) => self.attempt(ctx),
            (Step::InitRecall, _) => {
                let action = Recall::InitDescribe.action();
                self.ec2_call(ctx, action, Step::InitDescribed)
            }
            (Step::DetachRecall(f), _) => {
                self.ec2_call(ctx, Recall::Detach.action(), Step::Detached(f))
            }
            (Step::DeleteRecall(f), _) => {
                self.ec2_call(ctx, Recall::Delete.action(), Step::Deleted(f))
            }
            (Step::InitDescribed, e) => self.init_described(ctx, e),
            (Step::PoolUpdate, _) => self.pool_update(ctx),
            (Step::Reconcile, _) => self.reconcile(ctx),
            (
                Step::Assigned {
                    eni,
                    n,
                    retry,
                    fill,
                },
                None,
            ) => self.assign_returned(ctx, eni, n, retry, fill),
            (
                Step::Assigned {
                    eni,
                    n,
                    retry,
                    fill,
                },
                Some(e),
            ) => {
                if !retry {
                    // §c.7: one retry with 1 IP or prefix
                    return self.assign_one(ctx, eni, fill);
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
            (Step::SubnetsDescribed(c), None) => self.create_next_subnet(ctx, c),
            (Step::SubnetsDescribed(_), Some(e)) => {
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::DescribeSubnets,
                    eni: None,
                    count: None,
                    error: e,
                    prefixes: self.pd(),
                };
                self.increase_failed(ctx, fact)
            }
            (Step::Created(c), None) => self.create_returned(ctx, c),
            (Step::Created(mut c), Some(e)) => {
                // the next qualifying subnet is tried; the last error decides the back-off
                c.failed_ec2 = true;
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
                c.next_subnet += 1;
                self.create_next_subnet(ctx, c)
            }
            (Step::InstancesDescribed(eni), None) => self.instances_described(ctx, eni),
            (Step::InstancesDescribed(eni) | Step::Attached(eni), Some(e)) => {
                self.attach_failed(ctx, eni, e)
            }
            (Step::Attached(eni), None) => self.attached(ctx, eni),
            (Step::AttachFailedDeleted(eni), None) => {
                self.release_freeing(ctx, eni);
                self.increase_done(ctx)
            }
            (Step::AttachFailedDeleted(eni), Some(_)) => {
                self.leak_freeing(ctx, eni);
                self.increase_done(ctx)
            }
            (Step::Modified(eni), None) => self.imds_poll(ctx, 1, eni),
            (Step::Modified(eni), Some(e)) => self.modify_failed(ctx, eni, e),
            (Step::ImdsPoll { attempt, eni }, _) => self.imds_poll(ctx, attempt, eni),
            // a failed subnet-exclusion check is ignored: the ENI is set up
            (Step::SetupDescribed(eni), _) => self.setup_eni(ctx, eni, false),
            (Step::Unassigned(d), None) => {
                self.return_releasing(ctx);
                self.decrease_next_eni(ctx, d);
            }
            (Step::Unassigned(d), Some(e)) => {
                self.keep_unreleased(ctx.now, d.eni);
                ctx.emit(Fact::ReleaseFailed {
                    eni: d.eni,
                    error: e,
                });
                self.decrease_next_eni(ctx, d);
            }
            (Step::FreeDescribed(f), None) => {
                self.ec2_call(ctx, Ec2Action::DetachNetworkInterface, Step::Detached(f))
            }
            (Step::FreeDescribed(f), Some(e)) => {
                // no attachment ID: FreeENI returns early; the ENI stays attached (§c.10)
                self.orphan_freeing(ctx, f.eni, Ec2Action::DescribeNetworkInterfaces, e);
                self.free_done(ctx, f.then)
            }
            (Step::Detached(f), None) => {
                self.ipamd_tries = 0;
                self.sleep(ctx, DETACH_TO_DELETE, Step::DetachSlept(f))
            }
            (Step::Detached(f), Some(e)) => match self.ipamd_backoff(Recall::Detach) {
                Some(d) => self.sleep(ctx, d, Step::DetachRecall(f)),
                None => {
                    self.orphan_freeing(ctx, f.eni, Ec2Action::DetachNetworkInterface, e);
                    self.free_done(ctx, f.then)
                }
            },
            (Step::DetachSlept(f), _) => {
                self.ec2_call(ctx, Ec2Action::DeleteNetworkInterface, Step::Deleted(f))
            }
            (Step::Deleted(f), None) => {
                self.ipamd_tries = 0;
                self.release_freeing(ctx, f.eni);
                self.free_done(ctx, f.then)
            }
            (Step::Deleted(f), Some(_)) => match self.ipamd_backoff(Recall::Delete) {
                Some(d) => self.sleep(ctx, d, Step::DeleteRecall(f)),
                None => {
                    self.leak_freeing(ctx, f.eni);
                    self.free_done(ctx, f.then)
                }
            },
            (Step::Dormant, _) => self.dormant_wake(ctx),
            (Step::AdoptDescribed(eni), None) => self.setup_eni(ctx, eni, true),
            (Step::AdoptDescribed(eni), Some(_)) => {
                self.orphans.push(eni);
                self.reconcile_done(ctx)
            }
        }
    }
}
