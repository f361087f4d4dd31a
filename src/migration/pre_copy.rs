//! Pre-copy live migration as QEMU/KVM runs it (Clark et al., "Live Migration of Virtual Machines", NSDI 2005;
//! QEMU's `migration/ram.c`).
//!
//! Round 1 sends all of the guest's memory M while the guest runs. Each later round sends the pages the guest
//! dirtied during the previous round: with a dirtying rate D (MB/s) and a link of B MB/s, round k + 1 sends
//! `min(D × t_k, W)`, where t_k is round k's duration and W the writable working set (the pages the guest keeps
//! rewriting: dirtying more often does not make more of them dirty). Once the memory left fits within the
//! maximum downtime (`left ≤ B × max_downtime`), the guest is paused and the rest copied: the downtime. When it
//! never fits (D ≥ B, or W too large for the downtime), the migration runs until `max_rounds` rounds or the
//! timeout, and then, as `on_non_convergence` says:
//! - `force`: the guest is paused and what is left copied (Nova's `force_complete` without post-copy): a long
//!   downtime;
//! - `abort`: the migration is cancelled; the VM stays on its source (Nova's default
//!   `live_migration_timeout_action`);
//! - `auto_converge`: QEMU's auto-converge capability is on from the start (as Nova's
//!   `live_migration_permit_auto_converge` sets it). After each round, a round that dirtied more than
//!   `throttle_trigger_threshold` of what it sent counts as high; every second high round starts the guest's CPU
//!   throttle at `cpu_throttle_initial` or raises it by `cpu_throttle_increment`, up to `max_cpu_throttle`
//!   (QEMU's `migration_trigger_throttle`: 50 %, 20 %, 10 %, 99 %). A throttled guest dirties `D × (1 −
//!   throttle)`. If it still has not converged at the limit, it is forced.
//!
//! D follows the VM's CPU demand u (a fraction of its capacity), taken when the migration starts and held for
//! its whole duration (a snapshot, which keeps every round in closed form): `D = dirty_pages_per_s × vCPUs × u
//! × page size`, with the scenario's per-VM-type rate in place of `dirty_pages_per_s` where it gives one. The
//! cost is O(rounds) per migration and none of it per page; once every round is the same (the working set
//! resent at a fixed throttle) the rest up to the limit is added in one step.
//!
//! Limits are checked at the end of each round (QEMU synchronises its dirty bitmap once per round): a round
//! under way when the timeout passes completes first.
//!
//! CPU lost (counted in PDM): `cpu_penalty` of the VM's demand while rounds run unthrottled; `1 − (1 −
//! throttle)(1 − cpu_penalty)` while throttled; all of it during the downtime. The plan reports the loss beyond
//! `cpu_penalty` averaged over the migration ([`MigrationPlan::extra_loss_fraction`]).

use serde::{Deserialize, Serialize};

use crate::migration::{
    default_bandwidth_mbit_s, default_cpu_penalty, default_share, validate_link, LinkPolicy, MigratingVm,
    MigrationModel, MigrationOutcome, MigrationPlan,
};

/// What happens when the rounds do not converge within `max_rounds` or the timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonConvergence {
    /// Pause the VM and copy what is left: a long downtime.
    Force,
    /// Cancel: the VM stays on its source (Nova's default `live_migration_timeout_action = abort`).
    #[default]
    Abort,
    /// Throttle the guest's CPU from the start as QEMU's auto-converge does; force at the limit.
    AutoConverge,
}

/// `migration = { kind = "pre_copy", ... }`. Defaults are KVM's, QEMU's or Nova's where they have one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreCopy {
    /// Link bandwidth (CloudSim: 1 Gbit/s).
    #[serde(default = "default_bandwidth_mbit_s")]
    pub bandwidth_mbit_s: f64,
    /// Share of the link for migrations (CloudSim: half).
    #[serde(default = "default_share")]
    pub share: f64,
    /// Fraction of the VM's CPU lost while its memory is copied (CloudSim's 10 %).
    #[serde(default = "default_cpu_penalty")]
    pub cpu_penalty: f64,
    /// Dirty-page tracking granularity: KVM tracks 4 KiB pages (x86).
    #[serde(default = "default_page_size_kib")]
    pub page_size_kib: f64,
    /// Pages a vCPU dirties per second at full load (an assumption, see docs/migration.md: 25,600 pages of
    /// 4 KiB, 100 MB/s per busy vCPU).
    #[serde(default = "default_dirty_pages_per_s")]
    pub dirty_pages_per_s: f64,
    /// The writable working set as a fraction of the VM's RAM (an assumption: a quarter).
    #[serde(default = "default_writable_working_set_fraction")]
    pub writable_working_set_fraction: f64,
    /// The writable working set in MB, for every VM; takes precedence over the fraction when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writable_working_set_mb: Option<f64>,
    /// Longest pause for the stop-and-copy (QEMU's `downtime-limit`, 300 ms).
    #[serde(default = "default_max_downtime_ms")]
    pub max_downtime_ms: f64,
    /// Rounds before the migration counts as not converging (KVM has no limit; Xen's `xc_domain_save` stops at
    /// 30).
    #[serde(default = "default_max_rounds")]
    pub max_rounds: u32,
    /// Seconds per GiB of RAM before it counts as not converging, at least 2 GiB's worth (Nova's
    /// `live_migration_completion_timeout`, 800); 0: no timeout.
    #[serde(default = "default_timeout_s_per_gib")]
    pub timeout_s_per_gib: f64,
    #[serde(default)]
    pub on_non_convergence: NonConvergence,
    /// Migrations into and out of a host at once; more wait (Nova's `max_concurrent_live_migrations`, 1);
    /// 0: no limit.
    #[serde(default = "default_max_concurrent_per_host")]
    pub max_concurrent_per_host: u32,
    /// QEMU's auto-converge: `cpu-throttle-initial` (20 %), `cpu-throttle-increment` (10 %),
    /// `max-cpu-throttle` (99 %) and `throttle-trigger-threshold` (50 %), as fractions.
    #[serde(default = "default_cpu_throttle_initial")]
    pub cpu_throttle_initial: f64,
    #[serde(default = "default_cpu_throttle_increment")]
    pub cpu_throttle_increment: f64,
    #[serde(default = "default_max_cpu_throttle")]
    pub max_cpu_throttle: f64,
    #[serde(default = "default_throttle_trigger_threshold")]
    pub throttle_trigger_threshold: f64,
}

fn default_page_size_kib() -> f64 {
    4.0
}
fn default_dirty_pages_per_s() -> f64 {
    25_600.0
}
fn default_writable_working_set_fraction() -> f64 {
    0.25
}
fn default_max_downtime_ms() -> f64 {
    300.0
}
fn default_max_rounds() -> u32 {
    30
}
fn default_timeout_s_per_gib() -> f64 {
    800.0
}
fn default_max_concurrent_per_host() -> u32 {
    1
}
fn default_cpu_throttle_initial() -> f64 {
    0.2
}
fn default_cpu_throttle_increment() -> f64 {
    0.1
}
fn default_max_cpu_throttle() -> f64 {
    0.99
}
fn default_throttle_trigger_threshold() -> f64 {
    0.5
}

/// Nova's timeout counts at least this much memory (`live_migration_completion_timeout`'s lower bound).
const TIMEOUT_MIN_GIB: f64 = 2.0;
/// More rounds than this are refused: each costs a few operations per migration and per estimate.
const MAX_ROUNDS_LIMIT: u32 = 10_000;
/// QEMU's largest `downtime-limit` (2000 s).
const MAX_DOWNTIME_LIMIT_MS: f64 = 2_000_000.0;

impl Default for PreCopy {
    fn default() -> Self {
        PreCopy {
            bandwidth_mbit_s: default_bandwidth_mbit_s(),
            share: default_share(),
            cpu_penalty: default_cpu_penalty(),
            page_size_kib: default_page_size_kib(),
            dirty_pages_per_s: default_dirty_pages_per_s(),
            writable_working_set_fraction: default_writable_working_set_fraction(),
            writable_working_set_mb: None,
            max_downtime_ms: default_max_downtime_ms(),
            max_rounds: default_max_rounds(),
            timeout_s_per_gib: default_timeout_s_per_gib(),
            on_non_convergence: NonConvergence::default(),
            max_concurrent_per_host: default_max_concurrent_per_host(),
            cpu_throttle_initial: default_cpu_throttle_initial(),
            cpu_throttle_increment: default_cpu_throttle_increment(),
            max_cpu_throttle: default_max_cpu_throttle(),
            throttle_trigger_threshold: default_throttle_trigger_threshold(),
        }
    }
}

impl PreCopy {
    pub fn validate(&self) -> Result<(), String> {
        validate_link(self.bandwidth_mbit_s, self.share, self.cpu_penalty)?;
        let non_negative = |value: f64| value.is_finite() && value >= 0.0;
        let fraction = |value: f64| value > 0.0 && value < 1.0;
        if !(self.page_size_kib.is_finite() && self.page_size_kib > 0.0) {
            return Err(format!(
                "migration.page_size_kib must be a positive number of KiB (4 for x86 pages), got {}",
                self.page_size_kib
            ));
        }
        if !non_negative(self.dirty_pages_per_s) {
            return Err(format!(
                "migration.dirty_pages_per_s must be a number of pages per second of 0 or more, got {}",
                self.dirty_pages_per_s
            ));
        }
        if !(0.0..=1.0).contains(&self.writable_working_set_fraction) {
            return Err(format!(
                "migration.writable_working_set_fraction must be between 0 and 1 (a fraction of the VM's RAM), got {}",
                self.writable_working_set_fraction
            ));
        }
        if let Some(megabytes) = self.writable_working_set_mb.filter(|megabytes| !non_negative(*megabytes)) {
            return Err(format!("migration.writable_working_set_mb must be 0 or more MB, got {megabytes}"));
        }
        if !(non_negative(self.max_downtime_ms) && self.max_downtime_ms <= MAX_DOWNTIME_LIMIT_MS) {
            return Err(format!(
                "migration.max_downtime_ms must be between 0 and {MAX_DOWNTIME_LIMIT_MS} ms (QEMU's default is 300), \
                 got {}",
                self.max_downtime_ms
            ));
        }
        if !(1..=MAX_ROUNDS_LIMIT).contains(&self.max_rounds) {
            return Err(format!(
                "migration.max_rounds must be between 1 and {MAX_ROUNDS_LIMIT} (30 is Xen's limit; use \
                 timeout_s_per_gib to stop by time instead), got {}",
                self.max_rounds
            ));
        }
        if !non_negative(self.timeout_s_per_gib) {
            return Err(format!(
                "migration.timeout_s_per_gib must be 0 (no timeout) or a positive number of seconds per GiB (Nova's \
                 default is 800), got {}",
                self.timeout_s_per_gib
            ));
        }
        for (name, value) in [
            ("cpu_throttle_initial", self.cpu_throttle_initial),
            ("cpu_throttle_increment", self.cpu_throttle_increment),
            ("max_cpu_throttle", self.max_cpu_throttle),
        ] {
            if !fraction(value) {
                return Err(format!(
                    "migration.{name} must be a fraction in (0, 1), not a percentage (QEMU's 20 % is 0.2), got {value}"
                ));
            }
        }
        if self.max_cpu_throttle < self.cpu_throttle_initial {
            return Err(format!(
                "migration.max_cpu_throttle ({}) must be at least cpu_throttle_initial ({})",
                self.max_cpu_throttle, self.cpu_throttle_initial
            ));
        }
        if !(self.throttle_trigger_threshold > 0.0 && self.throttle_trigger_threshold <= 1.0) {
            return Err(format!(
                "migration.throttle_trigger_threshold must be a fraction in (0, 1] (QEMU's 50 % is 0.5), got {}",
                self.throttle_trigger_threshold
            ));
        }
        Ok(())
    }

    /// The whole migration share of the link, in MB/s.
    fn link_mb_per_s(&self) -> f64 {
        self.bandwidth_mbit_s * self.share / 8.0
    }

    /// How fast `vm` dirties memory, unthrottled, in MB/s.
    fn dirty_mb_per_s(&self, vm: &MigratingVm) -> f64 {
        let pages = vm.dirty_pages_per_s.unwrap_or(self.dirty_pages_per_s);
        pages * f64::from(vm.vcpus) * vm.cpu_demand * self.page_size_kib / 1024.0
    }

    fn writable_working_set(&self, memory_mb: f64) -> f64 {
        self.writable_working_set_mb.unwrap_or(self.writable_working_set_fraction * memory_mb).min(memory_mb)
    }

    fn timeout_s(&self, memory_mb: f64) -> f64 {
        if self.timeout_s_per_gib > 0.0 {
            self.timeout_s_per_gib * (memory_mb / 1024.0).max(TIMEOUT_MIN_GIB)
        } else {
            f64::INFINITY
        }
    }
}

/// A migration's progress, round by round.
struct Progress {
    /// Memory sent so far, and by the last round.
    sent: f64,
    last_sent: f64,
    /// Seconds since the start, and of the last round.
    elapsed: f64,
    last_time: f64,
    rounds: u32,
    throttle: f64,
    /// High rounds since the throttle last moved (QEMU's `dirty_rate_high_cnt`, which a low round does not
    /// reset).
    high_rounds: u32,
    /// CPU-seconds lost per unit of demand.
    lost: f64,
}

impl Progress {
    /// Ends with a stop-and-copy of `left`.
    fn stop_and_copy(mut self, left: f64, bandwidth: f64, outcome: MigrationOutcome, penalty: f64) -> MigrationPlan {
        let downtime = left / bandwidth;
        self.sent += left;
        self.elapsed += downtime;
        self.lost += downtime;
        self.plan(downtime, outcome, penalty)
    }

    fn plan(self, downtime_s: f64, outcome: MigrationOutcome, penalty: f64) -> MigrationPlan {
        let extra = if self.elapsed > 0.0 { (self.lost / self.elapsed - penalty).max(0.0) } else { 0.0 };
        MigrationPlan {
            duration_s: self.elapsed,
            rounds: self.rounds,
            sent_mb: self.sent,
            downtime_s,
            outcome,
            extra_loss_fraction: extra,
        }
    }
}

impl MigrationModel for PreCopy {
    fn label(&self) -> &'static str {
        "pre-copy"
    }

    fn cpu_penalty(&self) -> f64 {
        self.cpu_penalty
    }

    /// The plan of a migration started now, alone on its link: a VM that dirties fast looks slow to move.
    fn estimated_duration_s(&self, vm: &MigratingVm) -> f64 {
        self.plan(vm, 1.0).duration_s
    }

    fn plan(&self, vm: &MigratingVm, link_fraction: f64) -> MigrationPlan {
        let bandwidth = self.link_mb_per_s() * link_fraction;
        let memory = vm.memory_mb as f64;
        let dirty_rate = self.dirty_mb_per_s(vm);
        let working_set = self.writable_working_set(memory);
        let downtime_budget = bandwidth * self.max_downtime_ms / 1000.0;
        let timeout = self.timeout_s(memory);
        let auto_converge = self.on_non_convergence == NonConvergence::AutoConverge;
        let penalty = self.cpu_penalty;
        // Round 1: all of the memory.
        let first = memory / bandwidth;
        let mut progress = Progress {
            sent: memory,
            last_sent: memory,
            elapsed: first,
            last_time: first,
            rounds: 1,
            throttle: 0.0,
            high_rounds: 0,
            lost: penalty * first,
        };
        loop {
            // Dirtied during the last round, at the throttle it ran under: what the next one must send.
            let left = (dirty_rate * (1.0 - progress.throttle) * progress.last_time).min(working_set);
            if left <= downtime_budget {
                let outcome =
                    if progress.throttle > 0.0 { MigrationOutcome::AutoConverged } else { MigrationOutcome::Converged };
                return progress.stop_and_copy(left, bandwidth, outcome, penalty);
            }
            if auto_converge && left > self.throttle_trigger_threshold * progress.last_sent {
                progress.high_rounds += 1;
                if progress.high_rounds >= 2 {
                    progress.high_rounds = 0;
                    progress.throttle = if progress.throttle == 0.0 {
                        self.cpu_throttle_initial
                    } else {
                        (progress.throttle + self.cpu_throttle_increment).min(self.max_cpu_throttle)
                    };
                }
            }
            if progress.rounds >= self.max_rounds || progress.elapsed >= timeout {
                return match self.on_non_convergence {
                    NonConvergence::Abort => progress.plan(0.0, MigrationOutcome::Aborted, penalty),
                    NonConvergence::Force | NonConvergence::AutoConverge => {
                        progress.stop_and_copy(left, bandwidth, MigrationOutcome::Forced, penalty)
                    }
                };
            }
            let time = left / bandwidth;
            let round_loss = time * (1.0 - (1.0 - progress.throttle) * (1.0 - penalty));
            let throttle_settled = !auto_converge || progress.throttle >= self.max_cpu_throttle;
            // Every later round the same (the same memory resent at a throttle that no longer moves): go to the
            // limit in one step.
            let rounds = if left == progress.last_sent && throttle_settled {
                let by_rounds = f64::from(self.max_rounds - progress.rounds);
                let by_time = ((timeout - progress.elapsed) / time).ceil().max(1.0);
                by_rounds.min(by_time) as u32
            } else {
                1
            };
            let repeated = f64::from(rounds);
            progress.sent += repeated * left;
            progress.elapsed += repeated * time;
            progress.lost += repeated * round_loss;
            progress.rounds += rounds;
            progress.last_sent = left;
            progress.last_time = time;
        }
    }

    fn links(&self) -> LinkPolicy {
        LinkPolicy::Shared { max_concurrent_per_host: self.max_concurrent_per_host }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64 MB/s link (512 Mbit/s, all of it for migrations), no timeout, a working set as large as the RAM,
    /// 100 rounds at most, and a guest dirtying `mb_per_s` at full load (1 vCPU of 4 KiB pages: 256 pages a MB).
    /// The downtime budget is 64 MB/s × 0.3 s = 19.2 MB.
    fn model(mb_per_s: f64) -> PreCopy {
        PreCopy {
            bandwidth_mbit_s: 512.0,
            share: 1.0,
            cpu_penalty: 0.1,
            dirty_pages_per_s: mb_per_s * 256.0,
            writable_working_set_fraction: 1.0,
            max_rounds: 100,
            timeout_s_per_gib: 0.0,
            ..PreCopy::default()
        }
    }

    /// A 1024 MB VM with 1 vCPU at full load.
    fn busy_vm() -> MigratingVm {
        MigratingVm { memory_mb: 1024, vcpus: 1, cpu_demand: 1.0, dirty_pages_per_s: None }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn a_vm_that_dirties_nothing_converges_in_one_round() {
        // Round 1 sends 1024 MB in 16 s; nothing was dirtied, so the stop-and-copy sends 0 MB: downtime 0.
        let plan = model(0.0).plan(&busy_vm(), 1.0);
        assert_eq!((plan.rounds, plan.outcome), (1, MigrationOutcome::Converged));
        assert_eq!((plan.duration_s, plan.sent_mb, plan.downtime_s), (16.0, 1024.0, 0.0));
        assert_eq!(plan.extra_loss_fraction, 0.0, "only cpu_penalty while the memory is copied");
        // An idle guest dirties nothing either, whatever its rate at full load.
        let idle = MigratingVm { cpu_demand: 0.0, ..busy_vm() };
        assert_eq!(model(1000.0).plan(&idle, 1.0).rounds, 1);
    }

    #[test]
    fn a_geometric_case_follows_the_closed_form() {
        // Dirty rate / bandwidth = r = 32 / 64 = 0.5 < 1, no working-set bound. Round k + 1 sends what round k
        // left dirty: 1024 r^k MB. The copy stops after n rounds, the first n with 1024 r^n ≤ 19.2 MB:
        // n = ⌈ln(19.2 / 1024) / ln r⌉ = ⌈5.74⌉ = 6 (1024, 512, 256, 128, 64, 32 MB sent; 16 MB left).
        // Total sent = M (1 − r^(n+1)) / (1 − r) = 1024 (1 − 2^-7) / 0.5 = 2032 MB, the rounds' geometric series
        // plus the stop-and-copy; duration = 2032 / 64 = 31.75 s; downtime = 16 / 64 = 0.25 s.
        let plan = model(32.0).plan(&busy_vm(), 1.0);
        assert_eq!((plan.rounds, plan.outcome), (6, MigrationOutcome::Converged));
        assert!(close(plan.sent_mb, 2032.0) && close(plan.duration_s, 31.75), "{plan:?}");
        assert!(close(plan.downtime_s, 0.25), "{plan:?}");
        assert_eq!(plan.bytes(), 2032 * 1_048_576);
        // CPU lost: 10 % during the 31.5 s of rounds, all of it during the 0.25 s pause: 3.4 s of 31.75.
        assert!(close(plan.extra_loss_fraction, 3.4 / 31.75 - 0.1), "{}", plan.extra_loss_fraction);

        // The same closed form for other ratios (and half the VM's CPU: D scales with demand).
        for (mb_per_s, demand) in [(19.2, 1.0), (60.0, 0.5), (3.0, 1.0)] {
            let vm = MigratingVm { cpu_demand: demand, ..busy_vm() };
            let r: f64 = mb_per_s * demand / 64.0;
            let n = ((19.2f64 / 1024.0).ln() / r.ln()).ceil().max(1.0);
            let plan = model(mb_per_s).plan(&vm, 1.0);
            let sent = 1024.0 * (1.0 - r.powf(n + 1.0)) / (1.0 - r);
            assert_eq!(f64::from(plan.rounds), n, "r = {r}");
            assert!(close(plan.sent_mb, sent) && close(plan.duration_s, sent / 64.0), "r = {r}: {plan:?}");
            assert!(close(plan.downtime_s, 1024.0 * r.powf(n) / 64.0), "r = {r}: {plan:?}");
        }
    }

    /// Dirtying at 128 MB/s, twice the link's 64 MB/s (r = 2), with a 256 MB working set and 5 rounds at most.
    /// Round 1 sends 1024 MB in 16 s and leaves 256 MB (the working set) dirty; rounds 2 to 5 each resend those
    /// 256 MB in 4 s and leave them dirty again: never within 19.2 MB. After round 5: 32 s, 2048 MB sent.
    fn never_converging(on_non_convergence: NonConvergence) -> MigrationPlan {
        let model = PreCopy {
            writable_working_set_mb: Some(256.0),
            max_rounds: 5,
            on_non_convergence,
            cpu_throttle_initial: 0.9,
            ..model(128.0)
        };
        model.plan(&busy_vm(), 1.0)
    }

    #[test]
    fn a_vm_dirtying_faster_than_the_link_never_converges_and_ends_as_the_scenario_says() {
        // abort: cancelled after round 5; no downtime; the VM stays where it was.
        let plan = never_converging(NonConvergence::Abort);
        assert_eq!((plan.rounds, plan.outcome, plan.downtime_s), (5, MigrationOutcome::Aborted, 0.0));
        assert!(close(plan.duration_s, 32.0) && close(plan.sent_mb, 2048.0), "{plan:?}");
        assert!(!plan.outcome.moves_the_vm());
        // force: the 256 MB left are copied with the VM paused: 4 s of downtime.
        let plan = never_converging(NonConvergence::Force);
        assert_eq!((plan.rounds, plan.outcome), (5, MigrationOutcome::Forced));
        assert!(close(plan.downtime_s, 4.0) && close(plan.duration_s, 36.0) && close(plan.sent_mb, 2304.0));
        // Lost: 10 % of 32 s, then all of 4 s: 7.2 s of 36.
        assert!(close(plan.extra_loss_fraction, 7.2 / 36.0 - 0.1), "{}", plan.extra_loss_fraction);
    }

    #[test]
    fn auto_converge_throttles_the_guest_until_the_copy_converges() {
        // The case above with auto-converge (throttle trigger 50 %, initial throttle 90 % to keep it short).
        // Round 1 sent 1024 and left 256 (not above 512: not high). Round 2 sent 256, left 256: high (1).
        // Round 3 the same: high (2): the throttle starts at 0.9. Round 4 (throttled) sends 256 MB in 4 s while
        // the guest dirties 128 × 0.1 × 4 = 51.2 MB (below 128: not high). Round 5 sends them in 0.8 s, leaving
        // 12.8 × 0.8 = 10.24 MB ≤ 19.2: stop-and-copy of 10.24 MB, 0.16 s.
        let plan = never_converging(NonConvergence::AutoConverge);
        assert_eq!((plan.rounds, plan.outcome), (5, MigrationOutcome::AutoConverged));
        assert!(close(plan.sent_mb, 1024.0 + 3.0 * 256.0 + 51.2 + 10.24), "{plan:?}");
        assert!(close(plan.downtime_s, 0.16) && close(plan.duration_s, 28.96), "{plan:?}");
        // Lost: 10 % of rounds 1-3 (24 s), 1 − 0.1 × 0.9 = 91 % of rounds 4-5 (4.8 s), all of the 0.16 s pause.
        let lost = 2.4 + 4.8 * 0.91 + 0.16;
        assert!(close(plan.extra_loss_fraction, lost / 28.96 - 0.1), "{}", plan.extra_loss_fraction);
        // With QEMU's defaults (20 %, +10 %) the throttle climbs longer but the copy still converges.
        let model = PreCopy {
            writable_working_set_mb: Some(256.0),
            on_non_convergence: NonConvergence::AutoConverge,
            ..model(128.0)
        };
        let plan = model.plan(&busy_vm(), 1.0);
        assert_eq!(plan.outcome, MigrationOutcome::AutoConverged);
        assert!(plan.downtime_s <= 0.3, "{plan:?}");
    }

    #[test]
    fn the_timeout_ends_a_migration_at_the_first_round_past_it() {
        // 10 s per GiB with Nova's 2 GiB lower bound: 20 s. Round 1 ends at 16 s, round 2 at 20 s: aborted there.
        let model = PreCopy { timeout_s_per_gib: 10.0, writable_working_set_mb: Some(256.0), ..model(128.0) };
        let plan = model.plan(&busy_vm(), 1.0);
        assert_eq!((plan.rounds, plan.outcome), (2, MigrationOutcome::Aborted));
        assert!(close(plan.duration_s, 20.0) && close(plan.sent_mb, 1280.0), "{plan:?}");
        // KVM's defaults otherwise: a 300 ms budget, 30 rounds; 800 s per GiB.
        assert_eq!(PreCopy::default().timeout_s(1740.0), 1600.0);
        assert_eq!(PreCopy::default().timeout_s(4096.0), 3200.0);
    }

    #[test]
    fn half_a_link_doubles_the_copy_and_the_dirtying_ratio() {
        // Alone: 64 MB/s and r = 16 / 64 = 0.25: 1024, 256, 64, 16 → 3 rounds, 16 MB left ≤ 19.2 MB;
        // sent 1024 × (1 + 1/4 + 1/16 + 1/64) = 1360 MB in 21.25 s.
        let alone = model(16.0).plan(&busy_vm(), 1.0);
        assert_eq!(alone.rounds, 3);
        assert!(close(alone.duration_s, 21.25), "{alone:?}");
        // Sharing the link with one other migration: 32 MB/s, r = 0.5, budget 9.6 MB: 1024 × 2^-k ≤ 9.6 at
        // k = 7; sent 1024 × (2 − 2^-7) = 2040 MB in 63.75 s: three times as long, not twice.
        let shared = model(16.0).plan(&busy_vm(), 0.5);
        assert_eq!(shared.rounds, 7);
        assert!(close(shared.duration_s, 63.75) && close(shared.downtime_s, 0.25), "{shared:?}");
        // With nothing dirtied it is exactly twice.
        assert_eq!(model(0.0).plan(&busy_vm(), 0.5).duration_s, 2.0 * model(0.0).plan(&busy_vm(), 1.0).duration_s);
    }

    #[test]
    fn a_per_vm_rate_replaces_the_scenario_wide_one() {
        let vm = MigratingVm { dirty_pages_per_s: Some(0.0), ..busy_vm() };
        assert_eq!(model(1000.0).plan(&vm, 1.0).rounds, 1);
        // Two vCPUs at full load dirty twice as fast: 2 × 16 = 32 MB/s is the geometric case above.
        let vm = MigratingVm { vcpus: 2, ..busy_vm() };
        assert_eq!(model(16.0).plan(&vm, 1.0).rounds, 6);
    }

    #[test]
    fn bad_parameters_name_the_field_and_the_fix() {
        let error = |model: PreCopy| model.validate().unwrap_err();
        assert!(error(PreCopy { bandwidth_mbit_s: -10.0, ..PreCopy::default() }).contains("migration.bandwidth_mbit_s"));
        assert!(error(PreCopy { max_rounds: 0, ..PreCopy::default() }).contains("migration.max_rounds"));
        assert!(error(PreCopy { max_downtime_ms: -1.0, ..PreCopy::default() }).contains("migration.max_downtime_ms"));
        assert!(error(PreCopy { cpu_throttle_initial: 20.0, ..PreCopy::default() }).contains("not a percentage"));
        assert!(error(PreCopy { writable_working_set_fraction: 1.5, ..PreCopy::default() })
            .contains("migration.writable_working_set_fraction"));
        assert!(error(PreCopy { dirty_pages_per_s: f64::NAN, ..PreCopy::default() })
            .contains("migration.dirty_pages_per_s"));
        assert!(
            error(PreCopy { timeout_s_per_gib: -800.0, ..PreCopy::default() }).contains("migration.timeout_s_per_gib")
        );
        assert!(PreCopy::default().validate().is_ok());
    }
}
