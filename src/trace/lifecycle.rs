//! Lifecycle rules: from raw Nova action records to the VM events the simulation applies.
//!
//! The rules (documented in `docs/trace-semantics.md`, tested below):
//! - only successful events change state; failed ones are counted (`events_failed`);
//! - a record repeating the instance's previous accepted record (same event name, same finish time) is a
//!   duplicate: dropped and counted;
//! - an instance whose first successful event is a delete never ran within the trace (StarCompactor drops a
//!   build whose finish time is NULL): the delete is dropped and counted;
//! - an instance whose first successful event is neither a create nor a delete was alive before the trace
//!   began: with
//!   [`Preexisting::Materialize`] (default) it arrives at the workload origin, in the state its first event
//!   implies (a `start` means it was stopped, an `unshelve` that it was shelved); with [`Preexisting::Ignore`]
//!   all its events are dropped and counted as orphaned;
//! - events after an instance's delete, and a second create of a live instance, are inconsistent: dropped and
//!   counted;
//! - events whose action does not fit the current state (start of a running VM) are counted and have no effect;
//! - instances without a known flavor (bare metal, `None` sizes) cannot be placed: their events are dropped and
//!   the instances counted.

use crate::time::SimTime;
use crate::trace::{Action, InstanceTrace};

/// What happens to instances whose first event in the trace is not a create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preexisting {
    /// The instance arrives at the workload origin (it was alive before the trace began).
    #[default]
    Materialize,
    /// The instance and all its events are left out (and counted).
    Ignore,
}

/// One change the simulation applies to a VM. `vm` indexes [`InstanceTrace::instances`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmEvent {
    pub time: SimTime,
    pub vm: u32,
    pub kind: VmEventKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VmEventKind {
    /// The VM asks for a host (Nova build). `initially` is the power state it arrives in.
    Arrive { initially: PowerState },
    /// The VM is deleted and frees its host.
    Depart,
    /// Stop, suspend or pause: the VM keeps its host booking but has no CPU demand.
    PowerOff,
    /// Start, resume or unpause.
    PowerOn,
    /// Shelve (offload): the VM frees its host and keeps existing.
    Shelve,
    /// Unshelve: the VM needs a host again, chosen by the placement policy.
    Unshelve,
    /// Cold (or live) migration: the VM moves to another host chosen by the placement policy.
    Migrate,
    /// A successful event that changes nothing fleetsim models (reboot, rebuild, resize, rescue, unknown).
    NoEffect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PowerState {
    Running,
    Off,
    Shelved,
}

/// Counts of records that the rules dropped or treated specially; all end up in `runs.arrow`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifecycleCounts {
    pub events_failed: u64,
    pub events_duplicate: u64,
    /// Events of instances alive before the trace began, when those are ignored.
    pub events_orphaned: u64,
    /// Events after a delete, creates of a live instance.
    pub events_inconsistent: u64,
    /// Successful events whose action did not fit the instance's state (start of a running VM, ...).
    pub events_out_of_state: u64,
    pub instances_preexisting: u64,
    /// Instances whose first successful event is a delete: dropped (see [`derive_vm_events`]).
    pub deletes_without_create: u64,
    pub instances_without_flavor: u64,
    /// Resize events applied as no change of size: the trace holds only the final flavor.
    pub resize_events: u64,
}

/// The instance's state as the rules track it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TrackedState {
    NotSeen,
    Alive(PowerState),
    Deleted,
    /// Preexisting and ignored, or without a flavor: every event is dropped.
    Excluded,
}

/// Turns the sorted records of `trace` into VM events, sorted by time (preexisting arrivals first, at
/// `origin`). `origin_ms` is the Unix time that [`SimTime::ZERO`] stands for.
pub fn derive_vm_events(
    trace: &InstanceTrace,
    origin_ms: i64,
    preexisting: Preexisting,
) -> (Vec<VmEvent>, LifecycleCounts) {
    let mut counts = LifecycleCounts::default();
    let mut states = vec![TrackedState::NotSeen; trace.instances.len()];
    for (state, info) in states.iter_mut().zip(&trace.instances) {
        if info.flavor.is_none() {
            *state = TrackedState::Excluded;
            counts.instances_without_flavor += 1;
        }
    }
    // The previous accepted record per instance, to recognise duplicates: (event name, finish time).
    let mut previous: Vec<Option<(u16, i64)>> = vec![None; trace.instances.len()];
    let mut preexisting_arrivals = Vec::new();
    let mut events = Vec::with_capacity(trace.records.len());

    for record in &trace.records {
        let vm = record.instance as usize;
        if !record.success {
            counts.events_failed += 1;
            continue;
        }
        if previous[vm] == Some((record.event, record.finish_ms)) {
            counts.events_duplicate += 1;
            continue;
        }
        previous[vm] = Some((record.event, record.finish_ms));
        let time = SimTime(record.finish_ms - origin_ms);
        let action = record.action;

        if states[vm] == TrackedState::NotSeen && action == Action::Delete {
            // A delete with no create before it: StarCompactor drops rows whose finish time is NULL, so a build
            // that never finished leaves a lone delete. Materializing it would invent load from the trace start.
            counts.deletes_without_create += 1;
            states[vm] = TrackedState::Deleted;
            continue;
        }
        if states[vm] == TrackedState::NotSeen && action != Action::Create {
            match preexisting {
                Preexisting::Ignore => {
                    states[vm] = TrackedState::Excluded;
                }
                Preexisting::Materialize => {
                    let initially = match action {
                        Action::Start | Action::Resume | Action::Unpause => PowerState::Off,
                        Action::Unshelve => PowerState::Shelved,
                        _ => PowerState::Running,
                    };
                    counts.instances_preexisting += 1;
                    states[vm] = TrackedState::Alive(initially);
                    preexisting_arrivals.push(VmEvent {
                        time: SimTime::ZERO,
                        vm: record.instance,
                        kind: VmEventKind::Arrive { initially },
                    });
                }
            }
        }

        let kind = match states[vm] {
            TrackedState::Excluded => {
                counts.events_orphaned += u64::from(trace.instances[vm].flavor.is_some());
                continue;
            }
            TrackedState::Deleted => {
                counts.events_inconsistent += 1;
                continue;
            }
            TrackedState::NotSeen => {
                // Only a create reaches here (anything else was materialized or excluded above).
                states[vm] = TrackedState::Alive(PowerState::Running);
                VmEventKind::Arrive { initially: PowerState::Running }
            }
            TrackedState::Alive(power) => match next_state(action, power) {
                Transition::To(new_state, kind) => {
                    states[vm] = new_state;
                    kind
                }
                Transition::Inconsistent => {
                    counts.events_inconsistent += 1;
                    continue;
                }
                Transition::OutOfState => {
                    counts.events_out_of_state += 1;
                    VmEventKind::NoEffect
                }
                Transition::Unchanged => {
                    counts.resize_events += u64::from(action == Action::Resize);
                    VmEventKind::NoEffect
                }
            },
        };
        events.push(VmEvent { time, vm: record.instance, kind });
    }

    // Preexisting arrivals all happen at the origin, before every traced event.
    preexisting_arrivals.extend(events);
    (preexisting_arrivals, counts)
}

enum Transition {
    To(TrackedState, VmEventKind),
    /// A second create of a live instance.
    Inconsistent,
    /// Valid Nova action that does not fit the tracked power state.
    OutOfState,
    /// An action that changes nothing fleetsim models.
    Unchanged,
}

fn next_state(action: Action, power: PowerState) -> Transition {
    use PowerState::{Off, Running, Shelved};
    let alive = |state: PowerState, kind| Transition::To(TrackedState::Alive(state), kind);
    match (action, power) {
        (Action::Create, _) => Transition::Inconsistent,
        (Action::Delete, _) => Transition::To(TrackedState::Deleted, VmEventKind::Depart),
        (Action::Stop | Action::Suspend | Action::Pause, Running) => alive(Off, VmEventKind::PowerOff),
        (Action::Start | Action::Resume | Action::Unpause, Off) => alive(Running, VmEventKind::PowerOn),
        (Action::Shelve, Running | Off) => alive(Shelved, VmEventKind::Shelve),
        (Action::Unshelve, Shelved) => alive(Running, VmEventKind::Unshelve),
        (Action::ColdMigrate | Action::LiveMigrate, Running | Off) => alive(power, VmEventKind::Migrate),
        (
            Action::Stop
            | Action::Suspend
            | Action::Pause
            | Action::Start
            | Action::Resume
            | Action::Unpause
            | Action::Shelve
            | Action::Unshelve
            | Action::ColdMigrate
            | Action::LiveMigrate,
            _,
        ) => Transition::OutOfState,
        (Action::Reboot | Action::Rebuild | Action::Resize | Action::Rescue | Action::Unrescue | Action::Other, _) => {
            Transition::Unchanged
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{trace_from_rows as trace, Flavor};

    const SMALL: Flavor = Flavor { vcpus: 1, memory_mb: 2048, disk_gb: 20 };

    const BUILD: &str = "compute__do_build_and_run_instance";
    const DELETE: &str = "compute_terminate_instance";

    fn kinds(events: &[VmEvent]) -> Vec<(i64, u32, VmEventKind)> {
        events.iter().map(|event| (event.time.as_ms() / 1000, event.vm, event.kind)).collect()
    }

    #[test]
    fn create_stop_start_delete_in_order() {
        let trace = trace(
            &[Some(SMALL)],
            &[
                (0, BUILD, 10, true),
                (0, "compute_stop_instance", 20, true),
                (0, "compute_start_instance", 30, true),
                (0, DELETE, 40, true),
            ],
        );
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        let running = VmEventKind::Arrive { initially: PowerState::Running };
        assert_eq!(
            kinds(&events),
            vec![
                (10, 0, running),
                (20, 0, VmEventKind::PowerOff),
                (30, 0, VmEventKind::PowerOn),
                (40, 0, VmEventKind::Depart)
            ]
        );
        assert_eq!(counts, LifecycleCounts::default());
    }

    #[test]
    fn failed_events_change_nothing_and_are_counted() {
        let trace = trace(&[Some(SMALL)], &[(0, BUILD, 10, true), (0, DELETE, 20, false), (0, DELETE, 30, true)]);
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].time, SimTime::from_secs(30));
        assert_eq!(counts.events_failed, 1);
    }

    #[test]
    fn duplicates_are_dropped_once() {
        let trace = trace(&[Some(SMALL)], &[(0, BUILD, 10, true), (0, BUILD, 10, true), (0, DELETE, 20, true)]);
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(events.len(), 2);
        assert_eq!(counts.events_duplicate, 1);
        assert_eq!(counts.events_inconsistent, 0);
    }

    #[test]
    fn preexisting_instances_arrive_at_origin_in_the_state_their_first_event_implies() {
        // vm0 is rebooted then deleted (so it was running), vm1 is started (so it was off), vm2 is created.
        let trace = trace(
            &[Some(SMALL), Some(SMALL), Some(SMALL)],
            &[
                (2, BUILD, 5, true),
                (0, "compute_reboot_instance", 40, true),
                (0, DELETE, 50, true),
                (1, "compute_start_instance", 60, true),
            ],
        );
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(
            kinds(&events),
            vec![
                (0, 0, VmEventKind::Arrive { initially: PowerState::Running }),
                (0, 1, VmEventKind::Arrive { initially: PowerState::Off }),
                (5, 2, VmEventKind::Arrive { initially: PowerState::Running }),
                (40, 0, VmEventKind::NoEffect),
                (50, 0, VmEventKind::Depart),
                (60, 1, VmEventKind::PowerOn),
            ]
        );
        assert_eq!(counts.instances_preexisting, 2);

        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Ignore);
        assert_eq!(events.len(), 1, "only vm2's create remains");
        assert_eq!(counts.events_orphaned, 3);
        assert_eq!(counts.instances_preexisting, 0);
    }

    #[test]
    fn a_delete_without_create_is_dropped_and_counted() {
        let trace = trace(&[Some(SMALL)], &[(0, DELETE, 50, true), (0, "compute_reboot_instance", 60, true)]);
        for rule in [Preexisting::Materialize, Preexisting::Ignore] {
            let (events, counts) = derive_vm_events(&trace, 0, rule);
            assert!(events.is_empty());
            assert_eq!(counts.deletes_without_create, 1);
            assert_eq!(counts.events_inconsistent, 1, "events after the delete");
        }
    }

    #[test]
    fn events_after_delete_and_second_creates_are_inconsistent() {
        let trace = trace(
            &[Some(SMALL)],
            &[
                (0, BUILD, 10, true),
                (0, BUILD, 15, true),
                (0, DELETE, 20, true),
                (0, "compute_reboot_instance", 30, true),
            ],
        );
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(events.len(), 2);
        assert_eq!(counts.events_inconsistent, 2);
    }

    #[test]
    fn out_of_state_and_resize_events_have_no_effect() {
        let trace = trace(
            &[Some(SMALL)],
            &[(0, BUILD, 10, true), (0, "compute_start_instance", 15, true), (0, "compute_resize_instance", 20, true)],
        );
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(events[1].kind, VmEventKind::NoEffect);
        assert_eq!(events[2].kind, VmEventKind::NoEffect);
        assert_eq!(counts.events_out_of_state, 1);
        assert_eq!(counts.resize_events, 1);
    }

    #[test]
    fn instances_without_flavor_are_left_out() {
        let trace = trace(&[None, Some(SMALL)], &[(0, BUILD, 10, true), (1, BUILD, 11, true)]);
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].vm, 1);
        assert_eq!(counts.instances_without_flavor, 1);
        assert_eq!(counts.events_orphaned, 0);
    }

    #[test]
    fn shelve_and_unshelve_and_migrate() {
        let trace = trace(
            &[Some(SMALL)],
            &[
                (0, BUILD, 1, true),
                (0, "compute_shelve_instance", 2, true),
                (0, "cold_migrate", 3, true),
                (0, "compute_unshelve_instance", 4, true),
                (0, "cold_migrate", 5, true),
            ],
        );
        let (events, counts) = derive_vm_events(&trace, 0, Preexisting::Materialize);
        let kinds: Vec<_> = events.iter().map(|event| event.kind).collect();
        assert_eq!(
            kinds[1..],
            [VmEventKind::Shelve, VmEventKind::NoEffect, VmEventKind::Unshelve, VmEventKind::Migrate]
        );
        assert_eq!(counts.events_out_of_state, 1, "a shelved VM cannot be cold-migrated");
    }
}
