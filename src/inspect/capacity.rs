//! The fleet's vCPU capacity per UTC day, from a machine-event trace: what the Chameleon notebook draws as
//! "capacity" (6000 vCPUs before 2017-07-14, 3848 after), computed from the events instead of assumed.
//!
//! Host presence follows the rules the replay applies (`simulation/events.rs`): a CREATE adds a host with its
//! stated capacity (0 vCPU when not stated), a CREATE or UPDATE of a known host makes it present and replaces the
//! capacity it states, a DELETE removes it, ENABLE and DISABLE change nothing (a disabled host keeps its VMs and
//! its capacity), and events for a host never created are ignored.

use super::{DayRange, MS_PER_DAY};
use crate::trace::{MachineEventKind, MachineTrace};

#[derive(Clone, Copy, Default)]
struct HostState {
    created: bool,
    present: bool,
    vcpus: u32,
}

/// For each day of `days`, the vCPUs of the hosts present at its end (after every event before the next
/// midnight, UTC). Events before the first day count; events after the last day do not.
pub(super) fn daily_capacity(machines: &MachineTrace, days: DayRange) -> Vec<u64> {
    let mut hosts = vec![HostState::default(); machines.hosts.len()];
    let mut records = machines.records.iter().peekable();
    let mut capacity = Vec::with_capacity(days.count);
    for day in 0..days.count {
        let end_ms = (days.first_day + day as i64 + 1) * MS_PER_DAY;
        while let Some(record) = records.next_if(|record| record.time_ms < end_ms) {
            let Some(host) = hosts.get_mut(record.host as usize) else { continue };
            match (record.kind, host.created) {
                (MachineEventKind::Create, false) => {
                    *host = HostState { created: true, present: true, vcpus: record.capacity.vcpus.unwrap_or(0) };
                }
                (MachineEventKind::Create | MachineEventKind::Update, true) => {
                    host.present = true;
                    host.vcpus = record.capacity.vcpus.unwrap_or(host.vcpus);
                }
                (MachineEventKind::Delete, true) => host.present = false,
                _ => {}
            }
        }
        capacity.push(hosts.iter().filter(|host| host.present).map(|host| u64::from(host.vcpus)).sum());
    }
    capacity
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MS_PER_HOUR;
    use crate::trace::{HostCapacity, MachineRecord};

    /// 2015-09-17 00:00:00 UTC, a midnight.
    const DAY0: i64 = 1_442_448_000_000;

    fn record(host: u32, time_ms: i64, kind: MachineEventKind, vcpus: Option<u32>) -> MachineRecord {
        MachineRecord {
            host,
            time_ms,
            kind,
            capacity: HostCapacity { vcpus, memory_mb: None, disk_gb: None },
            rack: None,
            line: 0,
        }
    }

    #[test]
    fn capacity_at_the_end_of_each_day() {
        use MachineEventKind::*;
        // Host 0 (48 vCPU) and host 1 (40 vCPU) exist before the first day. Day 1 at 00:00 exactly: host 1 is
        // deleted (so day 0 ends with 88, day 1 with 48). Day 1 at 12:00: host 0 is disabled (no change) and an
        // update of host 2, never created, is ignored. Day 2: host 0 grows to 64 vCPU, an update that states no
        // capacity keeps it, and host 1 comes back with a CREATE stating none (it keeps its 40). Day 3 is
        // quiet; an event after the last day does not count.
        let machines = MachineTrace {
            hosts: vec!["a".into(), "b".into(), "c".into()],
            records: vec![
                record(0, DAY0 - 1000, Create, Some(48)),
                record(1, DAY0 - 1000, Create, Some(40)),
                record(1, DAY0 + MS_PER_DAY, Delete, None),
                record(0, DAY0 + MS_PER_DAY + 12 * MS_PER_HOUR, Disable, None),
                record(2, DAY0 + MS_PER_DAY + 12 * MS_PER_HOUR, Update, Some(100)),
                record(0, DAY0 + 2 * MS_PER_DAY + 1, Update, Some(64)),
                record(0, DAY0 + 2 * MS_PER_DAY + 2, Update, None),
                record(1, DAY0 + 2 * MS_PER_DAY + 3, Create, None),
                record(0, DAY0 + 4 * MS_PER_DAY, Delete, None),
            ],
            ..Default::default()
        };
        let days = DayRange { first_day: DAY0 / MS_PER_DAY, count: 4 };
        assert_eq!(daily_capacity(&machines, days), vec![88, 48, 104, 104]);
    }
}
