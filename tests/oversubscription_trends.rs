//! ScroogeVM's qualitative result on growing and shrinking load, reproduced on a single simulated host.
//!
//! ScroogeVM's analysis (its `scroogevm_analysis` notebook, 256-core node) replays an "increasing" and a
//! "decreasing" workload: VMs deployed one after another, or removed one after another. Only DOA over-estimates
//! free capacity on the increasing trace (22.4 violations in units of the host's cores; borg, scroogevm,
//! nsigma and rclike: 0); on the decreasing trace violations are 0 or nearly (rclike 0.1). Here a 64-core host
//! gains (or loses) one 4-vCPU VM per 30-minute occurrence; each VM uses about half its vCPUs and memory with a
//! deterministic wobble; six samples per occurrence (5-minute ticks). Each strategy estimates from the same
//! windows, and the ledger scores it exactly as `runs.arrow` does.

use fleetsim::metrics::oversubscription::{
    percentile_unsorted, HostAccuracy, OccurrenceOutcome, OversubscriptionLedger,
};
use fleetsim::policy::oversubscription::window::{Occurrence, Window, WindowConfig};
use fleetsim::policy::oversubscription::{
    free_capacity, HostObservation, OversubscriptionConfig, PerResource, VmObservation,
};

const CORES: f64 = 64.0;
const MEMORY_MB: f64 = 65536.0;
const VM_VCPUS: f64 = 4.0;
const VM_MEMORY_MB: f64 = 4096.0;
const SAMPLES: usize = 6;

/// A VM's use at sample `t` as a fraction of its flavor: 0.5 with a wobble of ±0.1 of its own phase.
fn vm_use(vm: usize, t: usize) -> f64 {
    0.5 + 0.1 * (t as f64 * 0.7 + vm as f64 * 1.9).sin()
}

/// Which VMs run during each occurrence.
fn increasing() -> Vec<Vec<usize>> {
    (0..14).map(|occurrence| (0..occurrence + 2).collect()).collect()
}

fn decreasing() -> Vec<Vec<usize>> {
    increasing().into_iter().rev().collect()
}

/// Replays the occurrences through `kind`'s strategy and returns the ledger.
fn score(kind: &str, occurrences: &[Vec<usize>]) -> OversubscriptionLedger {
    let config: OversubscriptionConfig = toml::from_str(&format!("kind = \"{kind}\"")).unwrap();
    config.validate(300).unwrap();
    let mut strategy = config.build();
    let length = WindowConfig::default().length();
    let mut host_window = Window::new(length);
    let mut vm_windows: Vec<Window> = (0..32).map(|_| Window::new(length)).collect();
    let (mut ledger, mut accuracy) = (OversubscriptionLedger::default(), HostAccuracy::default());
    let host_config = PerResource { cpu: CORES, memory: MEMORY_MB };
    for (index, running) in occurrences.iter().enumerate() {
        let mut host = Occurrence::default();
        for sample in 0..SAMPLES {
            let t = index * SAMPLES + sample;
            let cpu: f64 = running.iter().map(|&vm| vm_use(vm, t) * VM_VCPUS).sum();
            let memory: f64 = running.iter().map(|&vm| vm_use(vm, t) * VM_MEMORY_MB).sum();
            host.push(PerResource { cpu, memory });
        }
        for &vm in running {
            let mut own = Occurrence::default();
            for sample in 0..SAMPLES {
                let fraction = vm_use(vm, index * SAMPLES + sample);
                own.push(PerResource { cpu: fraction, memory: fraction * VM_MEMORY_MB });
            }
            vm_windows[vm].push(&mut own);
        }
        let booked = PerResource { cpu: running.len() as f64 * VM_VCPUS, memory: running.len() as f64 * VM_MEMORY_MB };
        host.booked = booked;
        let p99_cpu = percentile_unsorted(&mut host.cpu.clone(), 99.0);
        host_window.push(&mut host);
        let vms: Vec<VmObservation> = running
            .iter()
            .map(|&vm| VmObservation { vcpus: VM_VCPUS, memory_mb: VM_MEMORY_MB, window: Some(&vm_windows[vm]) })
            .collect();
        let observation = HostObservation { host: 0, slice: 0, config: host_config, window: &host_window, vms: &vms };
        let free = free_capacity(host_config, strategy.thresholds(&observation));
        ledger.record(&mut accuracy, &OccurrenceOutcome { config: host_config, booked, free, p99_cpu });
    }
    ledger
}

const STRATEGIES: [&str; 8] = ["percentile", "doa", "greedy", "scroogevm", "nsigma", "borg", "rclike", "maxpeak"];

#[test]
fn only_doa_over_estimates_free_capacity_while_vms_keep_arriving() {
    for kind in STRATEGIES {
        let ledger = score(kind, &increasing());
        eprintln!(
            "increasing {kind:>10}: mispredictions {:6.2}  violations {:6.2}  decreases {:5.2}",
            ledger.mispredictions, ledger.violations, ledger.decreases
        );
        if kind == "doa" {
            assert!(ledger.violations > 1.0, "doa hands out free capacity the growing load then uses");
        } else {
            assert_eq!(ledger.violations, 0.0, "{kind} must not over-estimate on increasing load");
        }
    }
}

/// ScroogeVM's headline: its estimator mispredicts least of the paper's set on the increasing trace (3.7
/// against nsigma 5.7, rclike 13.3, borg 15.7). On the decreasing trace the paper has it lowest too (4.2);
/// here rclike edges it (1.71 against 1.75), so only the increasing case is asserted.
#[test]
fn scroogevm_mispredicts_least_on_increasing_load() {
    let scroogevm = score("scroogevm", &increasing()).mispredictions;
    for kind in ["nsigma", "borg", "rclike"] {
        let other = score(kind, &increasing()).mispredictions;
        assert!(scroogevm < other, "scroogevm {scroogevm} vs {kind} {other}");
    }
}

#[test]
fn shrinking_load_is_not_over_estimated() {
    for kind in STRATEGIES {
        let ledger = score(kind, &decreasing());
        eprintln!(
            "decreasing {kind:>10}: mispredictions {:6.2}  violations {:6.2}  decreases {:5.2}",
            ledger.mispredictions, ledger.violations, ledger.decreases
        );
        if kind != "doa" {
            assert!(ledger.violations < 0.1, "{kind}: violations {}", ledger.violations);
        }
    }
}
