//! Synthetic Chameleon-like trace: an instance-event trace and a machine-event trace that follow the published
//! statistics of the 2015–2018 KVM@TACC trace (`../shared/reference/traces-and-oversubscription.md` §1.6), for
//! users who do not have the real files. `docs/synthetic-trace.md` lists what is followed, the measured
//! statistics, and every deliberate difference.
//!
//! The trace is built in memory as the readers would return it ([`SynthTrace::instances`] and
//! [`SynthTrace::machines`], with the same interning order, sorting and line numbers), so it can be analysed
//! or simulated without touching the disk; [`write_files`] then writes it in the published 2018 layouts.
//! Everything is drawn from one `Pcg64` seeded with [`SynthOptions::seed`], in a fixed order, so the same seed
//! and scale give byte-identical files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use statrs::distribution::Exp;

use super::{
    Action, Flavor, HostCapacity, InstanceInfo, InstanceLayout, InstanceRecord, InstanceTrace, MachineEventKind,
    MachineLayout, MachineRecord, MachineTrace, KVM_TACC_FLAVORS,
};
use crate::output::atomic::write_atomically;
use crate::time::{format_unix_ms, MS_PER_HOUR, MS_PER_SECOND};

/// 2015-09-06 00:00:00 UTC: the first day of the published trace, and when every host is created.
pub const TRACE_START_MS: i64 = 1_441_497_600_000;
/// 2018-11-06 00:00:00 UTC: the last day of the published trace; no event finishes later.
pub const TRACE_END_MS: i64 = 1_541_462_400_000;
/// 2017-07-14 00:00:00 UTC: the day the notebook's capacity drops from 6000 to 3848 vCPUs.
pub const RACK_SHRINK_MS: i64 = 1_499_990_400_000;
/// 2015-09-17 00:00:00 UTC: StarCompactor's default epoch for `START_SEC`, `FINISH_SEC` and `EVENT_TIME_SEC`.
pub const STARCOMPACTOR_EPOCH_MS: i64 = 1_442_448_000_000;

/// Header of the published 2018 instance-event layout.
pub const INSTANCE_HEADER: [&str; 15] = [
    "INSTANCE_UUID",
    "EVENT",
    "START_TIME",
    "START_SEC",
    "FINISH_TIME",
    "FINISH_SEC",
    "EVENT_DURATION",
    "RESULT",
    "MEMORY_MB",
    "DISK_GB",
    "VCPUS",
    "INSTANCE_NAME",
    "USER_ID",
    "PROJECT_ID",
    "HOST_NAME (PHYSICAL)",
];

/// Header of the published 2018 KVM machine-event layout.
pub const MACHINE_HEADER: [&str; 8] = [
    "EVENT_TIME",
    "EVENT_TIME_SEC",
    "HOST_NAME (PHYSICAL)",
    "RACK",
    "EVENT",
    "VCPU_CAPACITY",
    "MEMORY_CAPACITY_MB",
    "DISK_CAPACITY_GB",
];

const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Published per-instance flavor counts (115,624 instances), in [`KVM_TACC_FLAVORS`] order; used as weights.
const FLAVOR_WEIGHTS: [u32; 8] = [460, 17_548, 14_268, 261, 45_817, 36_748, 411, 111];

/// Published lifetime histogram: bin `k` is `(2^(k-1), 2^k]` floored hours (`(0,1]` for k = 0). 29,858 in all.
pub const PUBLISHED_LIFETIME_BINS: [u32; 16] =
    [10_407, 1_880, 2_075, 2_831, 2_287, 2_672, 2_030, 1_471, 1_523, 902, 664, 554, 291, 195, 69, 7];

/// Published instance count.
pub const PUBLISHED_INSTANCES: u32 = 115_624;

/// How the 115,624 published instances are split at scale 1 (see `docs/synthetic-trace.md` for the arithmetic):
/// built and terminated after less than an hour, …
const SHORT_LIVED: u32 = 78_298;
/// … built and still running at the end of the trace (no terminate row), …
const ALIVE_AT_END: u32 = 300;
/// … whose build failed (one `Error` build row, nothing else), …
const FAILED_BUILDS: u32 = 3_985;
/// … and with a terminate but no build row (built before the trace or by an admin, whose rows are excluded).
const WITHOUT_BUILD: u32 = 3_183;

/// Published counts of the other events (rows at scale 1).
const FAILED_TERMINATES: u32 = 1_125;
const STOPS: u32 = 3_621;
const STARTS: u32 = 1_811;
const REBOOTS: u32 = 2_172;
const REBUILDS: u32 = 1_277;
const RESIZES: u32 = 456;
const PREP_RESIZES: u32 = 417;
const RESIZE_SUCCESS_RATE: f64 = 0.164;
const COLD_MIGRATIONS: u32 = 428;

/// Arrival weight per hour of day (UTC, the trace's clock): a night low, two equal peaks at 08:00 and 16:00
/// (the notebook's hourly plot), a lunch dip between them.
pub const HOUR_OF_DAY_WEIGHTS: [f64; 24] = [
    2.0, 1.5, 1.2, 1.0, 1.0, 1.2, 2.0, 4.0, 6.0, 5.0, 4.0, 4.0, 3.5, 4.0, 4.5, 5.0, 6.0, 4.5, 3.5, 3.0, 3.0, 2.5, 2.5,
    2.0,
];

/// Nova event names, indexed by [`Event`].
const EVENT_NAMES: [&str; 12] = [
    "compute__do_build_and_run_instance",
    "compute_terminate_instance",
    "compute_stop_instance",
    "compute_start_instance",
    "compute_reboot_instance",
    "rebuild_server",
    "compute_rebuild_instance",
    "compute_prep_resize",
    "compute_resize_instance",
    "compute_finish_resize",
    "compute_confirm_resize",
    "cold_migrate",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Build = 0,
    Terminate = 1,
    Stop = 2,
    Start = 3,
    Reboot = 4,
    RebuildServer = 5,
    Rebuild = 6,
    PrepResize = 7,
    Resize = 8,
    FinishResize = 9,
    ConfirmResize = 10,
    ColdMigrate = 11,
}

impl Event {
    /// Mean duration in seconds: build, resize and terminate are the notebook's means; the others are guesses
    /// in the "a few seconds to a minute" range.
    fn mean_duration_s(self) -> f64 {
        match self {
            Event::Build => 445.6,
            Event::Terminate => 9.96,
            Event::Resize => 3231.0,
            Event::Stop => 12.0,
            Event::Start => 8.0,
            Event::Reboot => 40.0,
            Event::RebuildServer => 45.0,
            Event::Rebuild => 50.0,
            Event::PrepResize => 3.0,
            Event::FinishResize => 15.0,
            Event::ConfirmResize => 5.0,
            Event::ColdMigrate => 60.0,
        }
    }

    fn name(self) -> &'static str {
        EVENT_NAMES[self as usize]
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthOptions {
    pub seed: u64,
    /// Multiplies instance, event and host counts; 1.0 is the published trace's size.
    pub scale: f64,
}

impl SynthOptions {
    /// Checks the options; the message names the accepted range.
    pub fn validate(&self) -> Result<(), String> {
        if !self.scale.is_finite() || self.scale <= 0.0 || self.scale > 10.0 {
            return Err(format!(
                "scale must be a finite number greater than 0 and at most 10 (1.0 is the published trace's size), \
                 got {}",
                self.scale
            ));
        }
        Ok(())
    }
}

/// A generated trace: what the readers would return for the files [`write_files`] writes, plus the columns
/// the readers drop.
#[derive(Clone, Debug)]
pub struct SynthTrace {
    /// Instances interned in first-seen order of the file, records sorted by finish time, stably after the
    /// file order (which is by start time), `line` = 1-based file line with the header on line 1.
    pub instances: InstanceTrace,
    pub machines: MachineTrace,
    /// `USER_ID` of each instance, indexed like `instances.instances`.
    pub users: Vec<String>,
    /// `INSTANCE_NAME` of each instance, indexed like `instances.instances`.
    pub names: Vec<String>,
}

/// One generated row before interning.
#[derive(Clone, Copy, Debug)]
struct Row {
    instance: u32,
    event: Event,
    start_ms: i64,
    finish_ms: i64,
    success: bool,
}

/// A host of the synthetic fleet.
#[derive(Clone, Debug)]
struct Host {
    name: String,
    rack: &'static str,
    capacity: Flavor,
    removed_on_shrink: bool,
}

/// The two host models of the notebook (cell 4): vCPU, RAM MB, disk GB.
const BIG_HOST: Flavor = Flavor { vcpus: 48, memory_mb: 128_536, disk_gb: 156_336 };
const SMALL_HOST: Flavor = Flavor { vcpus: 40, memory_mb: 64_156, disk_gb: 29_689 };

/// Per rack at scale 1: (rack, kept big, kept small, removed big, removed small). Capacities before → after
/// 2017-07-14: c07 2072 → 96 (published 2076 → 96; 48a + 40b is a multiple of 8, 2076 is not),
/// c08 2080 → 2032, c09 1768 → 1720 (both exact). Total 5920 → 3848 (the notebook says 6000 → 3848, but its
/// racks add up to 5924).
const RACKS: [(&str, u32, u32, u32, u32); 3] = [("c07", 2, 0, 37, 5), ("c08", 39, 4, 1, 0), ("c09", 30, 7, 1, 0)];

fn scaled(count: u32, scale: f64) -> u32 {
    (f64::from(count) * scale).round() as u32
}

fn build_hosts(scale: f64) -> Vec<Host> {
    let mut hosts = Vec::new();
    for (rack, kept_big, kept_small, removed_big, removed_small) in RACKS {
        let mut kept_big = scaled(kept_big, scale);
        let kept_small = scaled(kept_small, scale);
        if kept_big + kept_small == 0 {
            kept_big = 1;
        }
        let groups = [
            (kept_big, BIG_HOST, false),
            (scaled(removed_big, scale), BIG_HOST, true),
            (kept_small, SMALL_HOST, false),
            (scaled(removed_small, scale), SMALL_HOST, true),
        ];
        let mut number = 0;
        for (count, capacity, removed_on_shrink) in groups {
            for _ in 0..count {
                number += 1;
                hosts.push(Host {
                    name: format!("{rack}-{number:02}.chameleon.tacc.utexas.edu"),
                    rack,
                    capacity,
                    removed_on_shrink,
                });
            }
        }
    }
    hosts
}

/// What happens to one instance, decided before its rows are written.
#[derive(Clone, Copy, Debug)]
enum Fate {
    /// Built, then terminated `lifetime_ms` later (terminate finish − build finish).
    Terminated {
        build_finish: i64,
        lifetime_ms: i64,
    },
    /// Built, never terminated within the trace.
    AliveAtEnd {
        build_finish: i64,
    },
    FailedBuild {
        build_finish: i64,
    },
    /// Terminated at `terminate_finish`, no build row.
    WithoutBuild {
        terminate_finish: i64,
    },
}

impl Fate {
    fn terminate_finish(self) -> Option<i64> {
        match self {
            Fate::Terminated { build_finish, lifetime_ms } => Some(build_finish + lifetime_ms),
            Fate::WithoutBuild { terminate_finish } => Some(terminate_finish),
            _ => None,
        }
    }

    fn build_finish(self) -> Option<i64> {
        match self {
            Fate::Terminated { build_finish, .. }
            | Fate::AliveAtEnd { build_finish }
            | Fate::FailedBuild { build_finish } => Some(build_finish),
            Fate::WithoutBuild { .. } => None,
        }
    }

    /// When the instance last exists: its terminate, or the trace end.
    fn end_ms(self) -> i64 {
        match self {
            Fate::FailedBuild { build_finish } => build_finish,
            _ => self.terminate_finish().unwrap_or(TRACE_END_MS),
        }
    }
}

/// Episodes of events inside an instance's life, other than build and terminate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Episode {
    StopStart,
    /// Stopped and never started again: always the instance's last episode.
    StopOnly,
    Reboot,
    Rebuild,
    Resize {
        with_prep: bool,
        success: bool,
    },
    ColdMigrate,
}

impl Episode {
    /// Time an episode usually needs: about four mean resizes, or the longest stop-start pause; the instance
    /// must live at least twice this long, and the episode starts at least this long before its end.
    fn room_ms(self) -> i64 {
        match self {
            Episode::Resize { .. } => 4 * MS_PER_HOUR,
            Episode::StopStart => 13 * MS_PER_HOUR,
            _ => 10 * 60 * MS_PER_SECOND,
        }
    }
}

/// Draws from the generator in a fixed order; all times are whole seconds, in Unix ms.
struct Sampler {
    rng: Pcg64,
    hours: WeightedIndex<f64>,
}

impl Sampler {
    /// Whole seconds from an exponential distribution with mean `mean_s`, in ms.
    fn duration_ms(&mut self, event: Event) -> i64 {
        let mean_s = event.mean_duration_s();
        let seconds = match Exp::new(1.0 / mean_s) {
            Ok(exponential) => exponential.sample(&mut self.rng),
            Err(_) => mean_s,
        };
        seconds.round() as i64 * MS_PER_SECOND
    }

    /// Uniform whole second in `[low, high)` ms; `low` if the range is empty.
    fn uniform_ms(&mut self, low: i64, high: i64) -> i64 {
        let (low_s, high_s) = (low.div_euclid(MS_PER_SECOND), high.div_euclid(MS_PER_SECOND));
        if high_s <= low_s {
            return low_s * MS_PER_SECOND;
        }
        self.rng.random_range(low_s..high_s) * MS_PER_SECOND
    }

    /// A time in `[low, high)` following the hour-of-day profile: a uniform day, a weighted hour, a uniform
    /// second; redrawn until it falls inside (a window shorter than a day falls back to uniform after 64 tries).
    fn arrival_ms(&mut self, low: i64, high: i64) -> i64 {
        let mut fallback = low;
        for _ in 0..64 {
            let uniform = self.uniform_ms(low, high);
            fallback = uniform;
            let day = uniform.div_euclid(MS_PER_DAY) * MS_PER_DAY;
            let hour = self.hours.sample(&mut self.rng) as i64;
            let time = day + hour * MS_PER_HOUR + self.rng.random_range(0..3600) * MS_PER_SECOND;
            if time >= low && time < high {
                return time;
            }
        }
        fallback
    }

    /// A lifetime whose floored hours fall in bin `index`: uniform in `[(low+1) h, (high+1) h)`, capped so it
    /// fits in the trace with two days to spare.
    fn lifetime_in_bin_ms(&mut self, index: usize) -> i64 {
        let low_hours = if index == 0 { 0 } else { 1i64 << (index - 1) };
        let high_hours = 1i64 << index;
        let cap = TRACE_END_MS - TRACE_START_MS - 2 * MS_PER_DAY;
        let low = ((low_hours + 1) * MS_PER_HOUR).min(cap - MS_PER_HOUR);
        let high = ((high_hours + 1) * MS_PER_HOUR).min(cap);
        self.uniform_ms(low, high)
    }

    fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.rng.random::<u64>(), self.rng.random::<u64>())
    }

    /// `count` distinct items of `candidates` (all of them if there are fewer), by a partial Fisher–Yates shuffle.
    fn choose_distinct(&mut self, candidates: &[u32], count: usize) -> Vec<u32> {
        let mut pool = candidates.to_vec();
        let count = count.min(pool.len());
        for index in 0..count {
            let other = self.rng.random_range(index..pool.len());
            pool.swap(index, other);
        }
        pool.truncate(count);
        pool
    }
}

/// Generates a synthetic trace (see the module documentation). Fails only on invalid options.
pub fn generate(options: &SynthOptions) -> Result<SynthTrace, String> {
    options.validate()?;
    let scale = options.scale;
    let hours = WeightedIndex::new(HOUR_OF_DAY_WEIGHTS).map_err(|error| format!("hour profile: {error}"))?;
    let flavors = WeightedIndex::new(FLAVOR_WEIGHTS).map_err(|error| format!("flavor weights: {error}"))?;
    let mut sampler = Sampler { rng: Pcg64::seed_from_u64(options.seed), hours };

    let hosts = build_hosts(scale);
    let all_hosts: Vec<u32> = (0..hosts.len() as u32).collect();
    let surviving_hosts: Vec<u32> =
        all_hosts.iter().copied().filter(|&host| !hosts[host as usize].removed_on_shrink).collect();

    // Projects with Zipf-like weights (a few projects own most instances, as FG-54 did), 1–4 users each.
    let project_count = scaled(600, scale).max(1) as usize;
    let project_weights: Vec<f64> = (0..project_count).map(|rank| 1.0 / (rank as f64 + 1.0)).collect();
    let project_index = WeightedIndex::new(&project_weights).map_err(|error| format!("project weights: {error}"))?;
    let mut projects = Vec::with_capacity(project_count);
    let mut project_users = Vec::with_capacity(project_count);
    for _ in 0..project_count {
        projects.push(sampler.hex32());
        let users = sampler.rng.random_range(1..=4);
        project_users.push((0..users).map(|_| sampler.hex32()).collect::<Vec<_>>());
    }

    // 1. Every instance's fate, in a fixed order of kinds.
    let mut fates: Vec<Fate> = Vec::new();
    let span = (TRACE_START_MS + MS_PER_HOUR, TRACE_END_MS - MS_PER_HOUR);
    for (index, &count) in PUBLISHED_LIFETIME_BINS.iter().enumerate() {
        for _ in 0..scaled(count, scale) {
            let lifetime_ms = sampler.lifetime_in_bin_ms(index);
            let build_finish = sampler.arrival_ms(span.0, TRACE_END_MS - lifetime_ms);
            fates.push(Fate::Terminated { build_finish, lifetime_ms });
        }
    }
    for _ in 0..scaled(SHORT_LIVED, scale) {
        let lifetime_ms = sampler.uniform_ms(60 * MS_PER_SECOND, MS_PER_HOUR);
        let build_finish = sampler.arrival_ms(span.0, TRACE_END_MS - lifetime_ms);
        fates.push(Fate::Terminated { build_finish, lifetime_ms });
    }
    // Still running at the end: a lifetime from the histogram's tail (bins from (256,512] on), placed so that
    // it would end after the trace does.
    let tail = WeightedIndex::new(&PUBLISHED_LIFETIME_BINS[9..]).map_err(|error| format!("tail: {error}"))?;
    for _ in 0..scaled(ALIVE_AT_END, scale) {
        let bin = 9 + tail.sample(&mut sampler.rng);
        let lifetime_ms = sampler.lifetime_in_bin_ms(bin);
        let low = (TRACE_END_MS - lifetime_ms).max(span.0);
        let build_finish = sampler.arrival_ms(low, span.1);
        fates.push(Fate::AliveAtEnd { build_finish });
    }
    for _ in 0..scaled(FAILED_BUILDS, scale) {
        fates.push(Fate::FailedBuild { build_finish: sampler.arrival_ms(span.0, span.1) });
    }
    for _ in 0..scaled(WITHOUT_BUILD, scale) {
        fates.push(Fate::WithoutBuild { terminate_finish: sampler.arrival_ms(span.0, span.1) });
    }

    // 2. Identity, flavor, project, user and host of every instance.
    let mut uuids = Vec::with_capacity(fates.len());
    let mut instance_flavors = Vec::with_capacity(fates.len());
    let mut instance_projects = Vec::with_capacity(fates.len());
    let mut users = Vec::with_capacity(fates.len());
    let mut instance_hosts = Vec::with_capacity(fates.len());
    for fate in &fates {
        uuids.push(sampler.hex32());
        instance_flavors.push(KVM_TACC_FLAVORS[flavors.sample(&mut sampler.rng)].1);
        let project = project_index.sample(&mut sampler.rng);
        instance_projects.push(project);
        let project_user_list = &project_users[project];
        users.push(project_user_list[sampler.rng.random_range(0..project_user_list.len())].clone());
        // Any host alive throughout the instance's life; hosts removed on 2017-07-14 only for those gone by then.
        let candidates = if fate.end_ms() > RACK_SHRINK_MS { &surviving_hosts } else { &all_hosts };
        instance_hosts.push(candidates[sampler.rng.random_range(0..candidates.len())]);
    }

    // 3. Failed terminate attempts, before the successful one, on instances with at least 10 minutes to spare.
    let roomy_terminated: Vec<u32> = (0..fates.len() as u32)
        .filter(|&index| {
            let fate = fates[index as usize];
            match (fate.build_finish(), fate.terminate_finish()) {
                (Some(build), Some(terminate)) => terminate - build >= 10 * 60 * MS_PER_SECOND,
                (None, Some(_)) => true,
                _ => false,
            }
        })
        .collect();
    let mut failed_terminate = vec![false; fates.len()];
    for index in sampler.choose_distinct(&roomy_terminated, scaled(FAILED_TERMINATES, scale) as usize) {
        failed_terminate[index as usize] = true;
    }

    // 4. Episodes, on built instances that live at least an hour (all binned ones and those alive at the end).
    let eligible: Vec<u32> = (0..fates.len() as u32)
        .filter(|&index| match fates[index as usize] {
            Fate::Terminated { lifetime_ms, .. } => lifetime_ms >= MS_PER_HOUR,
            Fate::AliveAtEnd { .. } => true,
            _ => false,
        })
        .collect();
    let mut episodes: Vec<(u32, bool, i64, Episode)> = Vec::new();
    if !eligible.is_empty() {
        let stop_starts = scaled(STARTS, scale);
        let stop_onlys = scaled(STOPS, scale).saturating_sub(stop_starts) as usize;
        for index in sampler.choose_distinct(&eligible, stop_onlys) {
            episodes.push((index, true, 0, Episode::StopOnly));
        }
        let resizes = scaled(RESIZES, scale);
        let preps = scaled(PREP_RESIZES, scale).min(resizes);
        let resize_successes = (f64::from(resizes) * RESIZE_SUCCESS_RATE).round() as u32;
        let mut others: Vec<Episode> = Vec::new();
        others.extend((0..stop_starts).map(|_| Episode::StopStart));
        others.extend((0..scaled(REBOOTS, scale)).map(|_| Episode::Reboot));
        others.extend((0..scaled(REBUILDS, scale)).map(|_| Episode::Rebuild));
        others.extend(
            (0..resizes).map(|index| Episode::Resize { with_prep: index < preps, success: index < resize_successes }),
        );
        others.extend((0..scaled(COLD_MIGRATIONS, scale)).map(|_| Episode::ColdMigrate));
        for episode in others {
            // Redraw (a bounded number of times) until the instance has room for the episode, so that long
            // resizes and stop-start pauses are rarely cut short by the terminate.
            let mut index = eligible[sampler.rng.random_range(0..eligible.len())];
            for _ in 0..64 {
                let (low, high) = life_window(fates[index as usize]);
                if high - low >= 2 * episode.room_ms() {
                    break;
                }
                index = eligible[sampler.rng.random_range(0..eligible.len())];
            }
            episodes.push((index, false, 0, episode));
        }
        for (index, _, anchor, episode) in &mut episodes {
            let (low, high) = life_window(fates[*index as usize]);
            *anchor = sampler.uniform_ms(low, (high - episode.room_ms()).max(low + MS_PER_SECOND));
        }
        // By instance, stop-only last, then by anchor time.
        episodes.sort_by_key(|&(index, last, anchor, _)| (index, last, anchor));
    }

    // 5. Rows, instance by instance.
    let mut rows: Vec<Row> = Vec::with_capacity(fates.len() * 2 + episodes.len() * 2);
    let mut next_episode = 0;
    for (index, fate) in fates.iter().enumerate() {
        let instance = index as u32;
        if let Some(build_finish) = fate.build_finish() {
            let duration = sampler.duration_ms(Event::Build);
            let success = !matches!(fate, Fate::FailedBuild { .. });
            rows.push(Row {
                instance,
                event: Event::Build,
                start_ms: build_finish - duration,
                finish_ms: build_finish,
                success,
            });
        }
        let (low, high) = life_window(*fate);
        let mut cursor = low;
        while next_episode < episodes.len() && episodes[next_episode].0 == instance {
            let (_, _, anchor, episode) = episodes[next_episode];
            cursor = emit_episode(&mut sampler, &mut rows, instance, episode, anchor.max(cursor), high);
            next_episode += 1;
        }
        if let Some(terminate_finish) = fate.terminate_finish() {
            let duration = sampler.duration_ms(Event::Terminate);
            let terminate_start = (terminate_finish - duration).max(low.min(terminate_finish));
            if failed_terminate[index] {
                let gap = sampler.uniform_ms(MS_PER_SECOND, 300 * MS_PER_SECOND);
                let failed_finish = (terminate_start - gap).max(low);
                let failed_start = (failed_finish - sampler.duration_ms(Event::Terminate)).max(low);
                rows.push(Row {
                    instance,
                    event: Event::Terminate,
                    start_ms: failed_start,
                    finish_ms: failed_finish,
                    success: false,
                });
            }
            rows.push(Row {
                instance,
                event: Event::Terminate,
                start_ms: terminate_start,
                finish_ms: terminate_finish,
                success: true,
            });
        }
    }

    // 6. File order (by start time, stably) and the reader's view of it.
    rows.sort_by_key(|row| row.start_ms);
    let mut new_index = vec![u32::MAX; fates.len()];
    let mut event_index = [u16::MAX; EVENT_NAMES.len()];
    let mut trace =
        InstanceTrace { source: PathBuf::new(), layout: Some(InstanceLayout::Csv2018), ..InstanceTrace::default() };
    let mut trace_users = Vec::new();
    let mut names = Vec::new();
    trace.records.reserve(rows.len());
    for (position, row) in rows.iter().enumerate() {
        let old = row.instance as usize;
        if new_index[old] == u32::MAX {
            new_index[old] = trace.instances.len() as u32;
            trace.instances.push(InstanceInfo {
                uuid: uuids[old].clone(),
                flavor: Some(instance_flavors[old]),
                project: projects[instance_projects[old]].clone(),
                host: Some(hosts[instance_hosts[old] as usize].name.clone()),
            });
            trace_users.push(users[old].clone());
            names.push(format!("synth-{old:06}"));
        }
        let slot = &mut event_index[row.event as usize];
        if *slot == u16::MAX {
            *slot = trace.event_names.len() as u16;
            trace.event_names.push(row.event.name().to_string());
        }
        trace.records.push(InstanceRecord {
            instance: new_index[old],
            event: *slot,
            action: Action::from_nova_event(row.event.name()),
            start_ms: Some(row.start_ms),
            finish_ms: row.finish_ms,
            success: row.success,
            line: position as u64 + 2,
        });
    }
    trace.records.sort_by_key(|record| record.finish_ms);

    Ok(SynthTrace { instances: trace, machines: machine_trace(&hosts), users: trace_users, names })
}

/// The part of an instance's life in which other events happen: from a second after its build finishes to
/// a minute before its terminate (or the trace end).
fn life_window(fate: Fate) -> (i64, i64) {
    let low = fate.build_finish().unwrap_or(TRACE_START_MS) + MS_PER_SECOND;
    let high = fate.end_ms() - 60 * MS_PER_SECOND;
    (low, high.max(low))
}

/// Writes the rows of one episode from `start` on, clamped to end by `limit`; returns the time after it.
fn emit_episode(
    sampler: &mut Sampler,
    rows: &mut Vec<Row>,
    instance: u32,
    episode: Episode,
    start: i64,
    limit: i64,
) -> i64 {
    let mut events: Vec<(Event, bool)> = Vec::with_capacity(4);
    match episode {
        Episode::StopStart => events.extend([(Event::Stop, true), (Event::Start, true)]),
        Episode::StopOnly => events.push((Event::Stop, true)),
        Episode::Reboot => events.push((Event::Reboot, true)),
        Episode::Rebuild => events.extend([(Event::RebuildServer, true), (Event::Rebuild, true)]),
        Episode::Resize { with_prep, success } => {
            if with_prep {
                events.push((Event::PrepResize, true));
            }
            events.push((Event::Resize, success));
            if success {
                events.extend([(Event::FinishResize, true), (Event::ConfirmResize, true)]);
            }
        }
        Episode::ColdMigrate => events.push((Event::ColdMigrate, true)),
    }
    let mut time = start.min(limit);
    for (position, (event, success)) in events.into_iter().enumerate() {
        let start_ms = time;
        let finish_ms = (start_ms + sampler.duration_ms(event)).min(limit).max(start_ms);
        rows.push(Row { instance, event, start_ms, finish_ms, success });
        // A stopped instance stays stopped for a minute to half a day before it starts again.
        let pause = if event == Event::Stop && position == 0 && episode == Episode::StopStart {
            sampler.uniform_ms(60 * MS_PER_SECOND, 12 * MS_PER_HOUR)
        } else {
            sampler.uniform_ms(MS_PER_SECOND, 10 * MS_PER_SECOND)
        };
        time = (finish_ms + pause).min(limit).max(finish_ms);
    }
    time
}

/// CREATE for every host at the trace start, DELETE on 2017-07-14 for the hosts the notebook's capacity drop
/// removes. Lines as the reader would number them.
fn machine_trace(hosts: &[Host]) -> MachineTrace {
    let mut records = Vec::with_capacity(hosts.len() * 2);
    let capacity_of = |host: &Host| HostCapacity {
        vcpus: Some(host.capacity.vcpus),
        memory_mb: Some(host.capacity.memory_mb),
        disk_gb: Some(host.capacity.disk_gb),
    };
    for (index, host) in hosts.iter().enumerate() {
        records.push(MachineRecord {
            host: index as u32,
            time_ms: TRACE_START_MS,
            kind: MachineEventKind::Create,
            capacity: capacity_of(host),
            rack: Some(host.rack.to_string()),
            line: 0,
        });
    }
    for (index, host) in hosts.iter().enumerate().filter(|(_, host)| host.removed_on_shrink) {
        records.push(MachineRecord {
            host: index as u32,
            time_ms: RACK_SHRINK_MS,
            kind: MachineEventKind::Delete,
            capacity: capacity_of(host),
            rack: Some(host.rack.to_string()),
            line: 0,
        });
    }
    for (position, record) in records.iter_mut().enumerate() {
        record.line = position as u64 + 2;
    }
    MachineTrace {
        source: PathBuf::new(),
        layout: Some(MachineLayout::Csv2018),
        hosts: hosts.iter().map(|host| host.name.clone()).collect(),
        records,
        skipped: Vec::new(),
    }
}

/// Seconds since the StarCompactor epoch, written as Python writes a whole float (`66296.0`).
fn epoch_seconds(unix_ms: i64) -> String {
    format!("{}.0", (unix_ms - STARCOMPACTOR_EPOCH_MS).div_euclid(MS_PER_SECOND))
}

/// Writes the instance trace (2018 15-column layout, rows by start time) and the machine trace (2018 KVM
/// layout), each atomically.
pub fn write_files(trace: &SynthTrace, instances_path: &Path, machines_path: &Path) -> anyhow::Result<()> {
    let instance_trace = &trace.instances;
    // Records are sorted by finish time; the file is in line order.
    let mut file_order: Vec<&InstanceRecord> = instance_trace.records.iter().collect();
    file_order.sort_by_key(|record| record.line);
    write_atomically(instances_path, |writer| {
        let mut csv = csv::Writer::from_writer(writer);
        csv.write_record(INSTANCE_HEADER)?;
        for record in file_order {
            let instance = instance_trace
                .instances
                .get(record.instance as usize)
                .with_context(|| format!("record on line {} names no instance", record.line))?;
            let start_ms = record.start_ms.unwrap_or(record.finish_ms);
            let flavor = instance.flavor.unwrap_or(Flavor { vcpus: 0, memory_mb: 0, disk_gb: 0 });
            let index = record.instance as usize;
            csv.write_record([
                instance.uuid.as_str(),
                instance_trace.event_name(record),
                &format_unix_ms(start_ms),
                &epoch_seconds(start_ms),
                &format_unix_ms(record.finish_ms),
                &epoch_seconds(record.finish_ms),
                &format!("{}.0", (record.finish_ms - start_ms) / MS_PER_SECOND),
                if record.success { "Success" } else { "Error" },
                &flavor.memory_mb.to_string(),
                &flavor.disk_gb.to_string(),
                &flavor.vcpus.to_string(),
                trace.names.get(index).map_or("", String::as_str),
                trace.users.get(index).map_or("", String::as_str),
                instance.project.as_str(),
                instance.host.as_deref().unwrap_or(""),
            ])?;
        }
        csv.flush()?;
        Ok(())
    })
    .with_context(|| format!("cannot write the synthetic instance trace {}", instances_path.display()))?;

    let machines = &trace.machines;
    write_atomically(machines_path, |writer| {
        let mut csv = csv::Writer::from_writer(writer);
        csv.write_record(MACHINE_HEADER)?;
        let mut file_order: Vec<&MachineRecord> = machines.records.iter().collect();
        file_order.sort_by_key(|record| record.line);
        for record in file_order {
            let host = machines
                .hosts
                .get(record.host as usize)
                .with_context(|| format!("machine record on line {} names no host", record.line))?;
            // StarCompactor writes -1 for machine events before its epoch.
            let seconds =
                if record.time_ms < STARCOMPACTOR_EPOCH_MS { "-1".to_string() } else { epoch_seconds(record.time_ms) };
            let kind = match record.kind {
                MachineEventKind::Create => "CREATE",
                MachineEventKind::Delete => "DELETE",
                MachineEventKind::Update => "UPDATE",
                MachineEventKind::Enable => "ENABLE",
                MachineEventKind::Disable => "DISABLE",
            };
            let number = |value: Option<u64>| value.map_or_else(String::new, |value| value.to_string());
            csv.write_record([
                format_unix_ms(record.time_ms).as_str(),
                &seconds,
                host,
                record.rack.as_deref().unwrap_or(""),
                kind,
                &number(record.capacity.vcpus.map(u64::from)),
                &number(record.capacity.memory_mb),
                &number(record.capacity.disk_gb),
            ])?;
        }
        csv.flush()?;
        Ok(())
    })
    .with_context(|| format!("cannot write the synthetic machine trace {}", machines_path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::analyse;
    use crate::time::parse_naive_utc_ms;

    #[test]
    fn constants_are_the_dates_they_name() {
        assert_eq!(parse_naive_utc_ms("2015-09-06 00:00:00"), Some(TRACE_START_MS));
        assert_eq!(parse_naive_utc_ms("2018-11-06 00:00:00"), Some(TRACE_END_MS));
        assert_eq!(parse_naive_utc_ms("2017-07-14 00:00:00"), Some(RACK_SHRINK_MS));
        assert_eq!(parse_naive_utc_ms("2015-09-17 00:00:00"), Some(STARCOMPACTOR_EPOCH_MS));
        assert_eq!(PUBLISHED_LIFETIME_BINS.iter().sum::<u32>(), 29_858);
        assert_eq!(FLAVOR_WEIGHTS.iter().sum::<u32>(), PUBLISHED_INSTANCES);
        let bins: u32 = PUBLISHED_LIFETIME_BINS.iter().sum();
        assert_eq!(bins + SHORT_LIVED + ALIVE_AT_END + FAILED_BUILDS + WITHOUT_BUILD, PUBLISHED_INSTANCES);
        // Build rows: everything but WITHOUT_BUILD = 112,441; successful terminates + failed = 112,464.
        assert_eq!(PUBLISHED_INSTANCES - WITHOUT_BUILD, 112_441);
        assert_eq!(bins + SHORT_LIVED + WITHOUT_BUILD + FAILED_TERMINATES, 112_464);
    }

    #[test]
    fn rejects_bad_scales() {
        for scale in [0.0, -1.0, 10.5, f64::NAN, f64::INFINITY] {
            let error = generate(&SynthOptions { seed: 1, scale }).err().unwrap_or_default();
            assert!(error.contains("scale must be"), "scale {scale}: {error}");
        }
        assert!(SynthOptions { seed: 1, scale: 10.0 }.validate().is_ok());
    }

    #[test]
    fn small_scale_trace_is_consistent() -> Result<(), String> {
        let trace = generate(&SynthOptions { seed: 7, scale: 0.02 })?;
        let instances = &trace.instances;
        assert!(instances.records.windows(2).all(|pair| pair[0].finish_ms <= pair[1].finish_ms));
        // Lines are a permutation of 2..=n+1, and equal finish times keep file order.
        let mut lines: Vec<u64> = instances.records.iter().map(|record| record.line).collect();
        assert!(instances
            .records
            .windows(2)
            .all(|pair| pair[0].finish_ms < pair[1].finish_ms || pair[0].line < pair[1].line));
        lines.sort_unstable();
        assert!(lines.iter().enumerate().all(|(index, &line)| line == index as u64 + 2));
        // Instances are interned in first-seen file order.
        let mut by_line: Vec<&InstanceRecord> = instances.records.iter().collect();
        by_line.sort_by_key(|record| record.line);
        let mut next = 0;
        for record in by_line {
            assert!(record.instance <= next);
            if record.instance == next {
                next += 1;
            }
        }
        assert_eq!(next as usize, instances.instances.len());
        let (first, last) = instances.span_ms().ok_or("empty trace")?;
        assert!(first >= TRACE_START_MS && last <= TRACE_END_MS);
        // Per instance: no event before its successful build, none after its successful terminate.
        let mut bounds = vec![(i64::MIN, i64::MAX); instances.instances.len()];
        for record in &instances.records {
            if record.success && record.action == Action::Create {
                bounds[record.instance as usize].0 = record.finish_ms;
            }
            if record.success && record.action == Action::Delete {
                bounds[record.instance as usize].1 = record.finish_ms;
            }
        }
        for record in &instances.records {
            let (build, terminate) = bounds[record.instance as usize];
            assert!(record.finish_ms <= terminate, "{record:?} after terminate");
            if record.action != Action::Create {
                assert!(record.finish_ms >= build, "{record:?} before build");
            }
        }
        assert_eq!(trace.users.len(), instances.instances.len());
        assert!(instances.instances.iter().all(|info| info.uuid.len() == 32 && info.project.len() == 32));
        Ok(())
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() -> anyhow::Result<()> {
        let directory = tempfile::tempdir()?;
        let mut contents = Vec::new();
        for (run, seed) in [(0, 3u64), (1, 3), (2, 4)] {
            let trace = generate(&SynthOptions { seed, scale: 0.05 }).map_err(anyhow::Error::msg)?;
            let instances = directory.path().join(format!("instances-{run}.csv"));
            let machines = directory.path().join(format!("machines-{run}.csv"));
            write_files(&trace, &instances, &machines)?;
            contents.push((std::fs::read(instances)?, std::fs::read(machines)?));
        }
        assert_eq!(contents[0], contents[1]);
        assert_ne!(contents[0].0, contents[2].0);
        let text = String::from_utf8(contents[0].0.clone())?;
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(INSTANCE_HEADER.join(",").as_str()));
        assert_eq!(lines.next().map(|line| line.split(',').count()), Some(15));
        let machines = String::from_utf8(contents[0].1.clone())?;
        assert_eq!(machines.lines().next(), Some(MACHINE_HEADER.join(",").as_str()));
        assert!(machines.lines().nth(1).is_some_and(|line| line.starts_with("2015-09-06 00:00:00,-1,c07-01.")));
        Ok(())
    }

    #[test]
    fn rows_are_written_as_starcompactor_does() -> anyhow::Result<()> {
        let trace = generate(&SynthOptions { seed: 11, scale: 0.01 }).map_err(anyhow::Error::msg)?;
        let directory = tempfile::tempdir()?;
        let (instances, machines) = (directory.path().join("i.csv"), directory.path().join("m.csv"));
        write_files(&trace, &instances, &machines)?;
        let text = std::fs::read_to_string(&instances)?;
        let mut previous_start = i64::MIN;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 15, "{line}");
            let start = parse_naive_utc_ms(fields[2]).context("START_TIME")?;
            let finish = parse_naive_utc_ms(fields[4]).context("FINISH_TIME")?;
            assert!(finish >= start);
            assert!(start >= previous_start, "rows must be sorted by START_TIME");
            previous_start = start;
            let start_sec: f64 = fields[3].parse()?;
            let finish_sec: f64 = fields[5].parse()?;
            let duration: f64 = fields[6].parse()?;
            assert_eq!(start_sec * 1000.0, (start - STARCOMPACTOR_EPOCH_MS) as f64);
            assert_eq!(finish_sec - start_sec, duration);
            assert!(fields[7] == "Success" || fields[7] == "Error");
        }
        Ok(())
    }

    /// Machine capacity per rack before and after 2017-07-14, at scale 1: c07 2072 → 96, c08 2080 → 2032,
    /// c09 1768 → 1720 (see `RACKS`), and at least one host per rack at a tiny scale.
    #[test]
    fn rack_capacities_before_and_after_the_shrink() -> Result<(), String> {
        let capacities = |scale: f64| -> Result<Vec<(String, i64, i64)>, String> {
            let machines = generate(&SynthOptions { seed: 1, scale })?.machines;
            let mut racks: Vec<(String, i64, i64)> = Vec::new();
            for record in &machines.records {
                let rack = record.rack.clone().unwrap_or_default();
                let vcpus = i64::from(record.capacity.vcpus.unwrap_or(0));
                let position = match racks.iter().position(|(name, _, _)| *name == rack) {
                    Some(position) => position,
                    None => {
                        racks.push((rack, 0, 0));
                        racks.len() - 1
                    }
                };
                match record.kind {
                    MachineEventKind::Create => {
                        assert!(record.time_ms < RACK_SHRINK_MS);
                        racks[position].1 += vcpus;
                        racks[position].2 += vcpus;
                    }
                    MachineEventKind::Delete => {
                        assert_eq!(record.time_ms, RACK_SHRINK_MS);
                        racks[position].2 -= vcpus;
                    }
                    _ => return Err(format!("unexpected machine event {record:?}")),
                }
            }
            Ok(racks)
        };
        let full = capacities(1.0)?;
        let expected = [("c07", 2072, 96), ("c08", 2080, 2032), ("c09", 1768, 1720)];
        let expected: Vec<(String, i64, i64)> =
            expected.iter().map(|&(rack, before, after)| (rack.to_string(), before, after)).collect();
        assert_eq!(full, expected);
        assert_eq!(full.iter().map(|rack| rack.2).sum::<i64>(), 3848);
        let tiny = capacities(0.001)?;
        assert_eq!(tiny.len(), 3);
        assert!(tiny.iter().all(|(_, _, after)| *after > 0));
        Ok(())
    }

    /// The published statistics at scale 1 (seed 1). Tolerances: instance count ±2 % of 115,624; rows ±3 % of
    /// 236,364 (the published bar totals; we add finish/confirm rows for successful resizes); the four big
    /// flavor shares ±1.5 percentage points (random draws by weight); each lifetime bin ±10 % or ±30 instances,
    /// whichever is larger (so the small tail bins may differ by a few instances); the hour-of-day maximum at
    /// 07–09 or 15–17; terminate success 99 % ± 0.5 points; resize success 16.4 % ± 4 points.
    #[test]
    fn synth_statistics_match_published() -> Result<(), String> {
        let trace = generate(&SynthOptions { seed: 1, scale: 1.0 })?;
        let report = analyse(&trace.instances);

        let within = |value: f64, target: f64, tolerance: f64| (value - target).abs() <= tolerance;
        assert!(within(report.instances as f64, 115_624.0, 0.02 * 115_624.0), "instances {}", report.instances);
        assert!(within(report.rows as f64, 236_364.0, 0.03 * 236_364.0), "rows {}", report.rows);

        for (name, count) in
            [("m1.large", 45_817.0), ("m1.xlarge", 36_748.0), ("m1.small", 17_548.0), ("m1.medium", 14_268.0)]
        {
            let flavor = report.flavors.iter().find(|flavor| flavor.flavor == name).ok_or(name)?;
            let published = count / f64::from(PUBLISHED_INSTANCES);
            assert!(within(flavor.share, published, 0.015), "{name} share {} vs {published}", flavor.share);
        }
        for (bin, &published) in report.lifetime_bins.iter().zip(&PUBLISHED_LIFETIME_BINS) {
            let tolerance = (0.10 * f64::from(published)).max(30.0);
            assert!(
                within(bin.instances as f64, f64::from(published), tolerance),
                "bin {}: {} vs {published}",
                bin.label(),
                bin.instances
            );
        }
        let busiest = (0..24).max_by_key(|&hour| report.arrivals_by_hour[hour]).ok_or("no hours")?;
        assert!((7..=9).contains(&busiest) || (15..=17).contains(&busiest), "busiest hour {busiest}");

        let rate = |event: &str| -> Result<f64, String> {
            let count = report.events.iter().find(|count| count.event == event).ok_or(event)?;
            Ok(count.success as f64 / (count.success + count.failed) as f64)
        };
        let terminate = rate("compute_terminate_instance")?;
        assert!(within(terminate, 0.99, 0.005), "terminate success {terminate}");
        let resize = rate("compute_resize_instance")?;
        assert!(within(resize, 0.164, 0.04), "resize success {resize}");
        Ok(())
    }
}
