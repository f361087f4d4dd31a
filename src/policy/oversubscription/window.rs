//! ScroogeVM's observation windows.
//!
//! Time is cut into *scopes* of `scope_s` seconds, each split into `slices` equal slices; an *occurrence* is one
//! slice's worth of samples (one per monitoring tick). Slice position k keeps its last
//! `historical_occurrences + 1` occurrences: the k-th slice of each of the last scopes (with one slice per
//! scope, as in ScroogeVM's paper, that is simply the last occurrences). Strategies read the samples of a whole window, concatenated.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::policy::oversubscription::summary::{PairSums, SampleSummary};
use crate::policy::oversubscription::{PerResource, Resource};

/// `window = { scope_s = 1800, slices = 1, historical_occurrences = 3 }` (ScroogeVM's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    #[serde(default = "default_scope_s")]
    pub scope_s: u64,
    #[serde(default = "default_slices")]
    pub slices: u32,
    #[serde(default = "default_historical_occurrences")]
    pub historical_occurrences: u32,
}

fn default_scope_s() -> u64 {
    1800
}
fn default_slices() -> u32 {
    1
}
fn default_historical_occurrences() -> u32 {
    3
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            scope_s: default_scope_s(),
            slices: default_slices(),
            historical_occurrences: default_historical_occurrences(),
        }
    }
}

impl WindowConfig {
    /// Checks that every occurrence holds at least one monitoring tick's sample.
    pub fn validate(&self, interval_s: u64) -> Result<(), String> {
        if self.slices == 0 {
            return Err("oversubscription.window.slices must be at least 1".to_string());
        }
        if self.scope_s == 0 || !self.scope_s.is_multiple_of(u64::from(self.slices)) {
            return Err(format!(
                "oversubscription.window.scope_s ({} s) must be a positive multiple of window.slices ({})",
                self.scope_s, self.slices
            ));
        }
        let slice_s = self.scope_s / u64::from(self.slices);
        if slice_s < interval_s {
            return Err(format!(
                "oversubscription.window: a slice lasts {slice_s} s (scope_s / slices), shorter than the monitoring \
                 interval ({interval_s} s), so its windows would hold no samples; raise window.scope_s, lower \
                 window.slices or lower simulation.interval_s"
            ));
        }
        Ok(())
    }

    /// Length of one occurrence (one slice), in seconds.
    pub fn occurrence_s(&self) -> u64 {
        self.scope_s / u64::from(self.slices.max(1))
    }

    /// Occurrences a window keeps: the newest and `historical_occurrences` before it.
    pub fn length(&self) -> usize {
        self.historical_occurrences as usize + 1
    }
}

/// One slice's samples: CPU in cores (a VM's: fraction of its vCPUs) and memory in MB, one per tick, and what
/// was booked when it ended. Its summaries are computed when it joins a window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Occurrence {
    pub cpu: Vec<f64>,
    pub memory: Vec<f64>,
    pub booked: PerResource,
    summaries: [SampleSummary; 2],
}

impl Occurrence {
    pub fn new(cpu: Vec<f64>, memory: Vec<f64>, booked: PerResource) -> Occurrence {
        Occurrence { cpu, memory, booked, summaries: Default::default() }
    }

    fn seal(&mut self) {
        self.summaries = [SampleSummary::of(&self.cpu), SampleSummary::of(&self.memory)];
    }

    /// The summary of a sealed occurrence (one in a window).
    pub fn summary(&self, resource: Resource) -> &SampleSummary {
        &self.summaries[resource as usize]
    }

    pub fn samples(&self, resource: Resource) -> &[f64] {
        match resource {
            Resource::Cpu => &self.cpu,
            Resource::Memory => &self.memory,
        }
    }

    pub fn push(&mut self, sample: PerResource) {
        self.cpu.push(sample.cpu);
        self.memory.push(sample.memory);
    }

    pub fn is_empty(&self) -> bool {
        self.cpu.is_empty()
    }

    pub fn clear(&mut self) {
        self.cpu.clear();
        self.memory.clear();
        self.booked = PerResource::default();
    }

    /// The largest sample (0 for none).
    pub fn max(&self, resource: Resource) -> f64 {
        self.summary(resource).max
    }

    /// The mean sample (0 for none).
    pub fn mean(&self, resource: Resource) -> f64 {
        self.summary(resource).mean()
    }
}

/// The last occurrences of one slice position, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    occurrences: VecDeque<Occurrence>,
    length: usize,
}

impl Window {
    pub fn new(length: usize) -> Window {
        Window { occurrences: VecDeque::with_capacity(length), length: length.max(1) }
    }

    /// A window of the given occurrences (oldest first), as long as there are of them.
    pub fn of(mut occurrences: Vec<Occurrence>) -> Window {
        occurrences.iter_mut().for_each(Occurrence::seal);
        let length = occurrences.len().max(1);
        Window { occurrences: occurrences.into(), length }
    }

    /// Appends `occurrence` (swapping its buffers with the one it evicts, so steady state allocates nothing);
    /// `occurrence` is left cleared.
    pub fn push(&mut self, occurrence: &mut Occurrence) {
        let mut slot = if self.occurrences.len() == self.length {
            self.occurrences.pop_front().unwrap_or_default()
        } else {
            Occurrence::default()
        };
        std::mem::swap(&mut slot, occurrence);
        occurrence.clear();
        slot.seal();
        self.occurrences.push_back(slot);
    }

    pub fn occurrences(&self) -> impl DoubleEndedIterator<Item = &Occurrence> + ExactSizeIterator {
        self.occurrences.iter()
    }

    /// The occurrence that just ended.
    pub fn newest(&self) -> Option<&Occurrence> {
        self.occurrences.back()
    }

    /// The occurrence before the newest.
    pub fn previous(&self) -> Option<&Occurrence> {
        self.occurrences.len().checked_sub(2).and_then(|index| self.occurrences.get(index))
    }

    /// Holds `historical_occurrences + 1` occurrences.
    pub fn is_full(&self) -> bool {
        self.occurrences.len() == self.length
    }

    pub fn len(&self) -> usize {
        self.occurrences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.occurrences.is_empty()
    }

    /// Every sample of the window, oldest first.
    pub fn samples(&self, resource: Resource) -> impl Iterator<Item = f64> + '_ {
        self.occurrences.iter().flat_map(move |occurrence| occurrence.samples(resource).iter().copied())
    }

    /// Mean and population standard deviation (NumPy's `np.std`) of the window's samples; `None` for none.
    pub fn mean_std(&self, resource: Resource) -> Option<(f64, f64)> {
        let (mut count, mut sum, mut sum_squares) = (0.0, 0.0, 0.0);
        for occurrence in &self.occurrences {
            let summary = occurrence.summary(resource);
            count += summary.count;
            sum += summary.sum;
            sum_squares += summary.sum_squares;
        }
        if count == 0.0 {
            return None;
        }
        let mean = sum / count;
        // From the sums: E[x²] − mean², clamped at 0 against rounding.
        let variance = (sum_squares / count - mean * mean).max(0.0);
        Some((mean, variance.sqrt()))
    }

    /// Consecutive-sample pairs across the window's occurrences except the newest (including the pairs that
    /// straddle two occurrences): an AR(1) fit's training data.
    pub fn training_pairs(&self, resource: Resource) -> PairSums {
        let mut pairs = PairSums::default();
        let mut last: Option<f64> = None;
        for occurrence in self.occurrences.iter().take(self.occurrences.len().saturating_sub(1)) {
            let summary = occurrence.summary(resource);
            if summary.count == 0.0 {
                continue;
            }
            if let Some(previous) = last {
                pairs.add(previous, summary.first);
            }
            pairs.merge(&summary.pairs);
            last = Some(summary.last);
        }
        pairs
    }

    /// The p-th percentile (NumPy's linear interpolation) of the window's samples; `None` for none.
    pub fn percentile(&self, resource: Resource, p: f64) -> Option<f64> {
        self.percentile_in(resource, p, &mut Vec::new())
    }

    /// [`Window::percentile`] with a caller's scratch buffer (strategies that take many percentiles per
    /// estimate keep one); the 100th is the largest sample, read from the summaries.
    pub fn percentile_in(&self, resource: Resource, p: f64, scratch: &mut Vec<f64>) -> Option<f64> {
        if self.occurrences.iter().all(|occurrence| occurrence.samples(resource).is_empty()) {
            return None;
        }
        if p >= 100.0 {
            return Some(self.occurrences.iter().map(|occurrence| occurrence.max(resource)).fold(f64::MIN, f64::max));
        }
        scratch.clear();
        scratch.extend(self.samples(resource));
        Some(crate::metrics::oversubscription::percentile_unsorted(scratch, p))
    }
}

/// Per-(host, slice position) state of a stateful strategy, grown on demand.
#[derive(Clone, Debug)]
pub struct SliceStates<T> {
    states: Vec<Vec<Option<T>>>,
}

impl<T> Default for SliceStates<T> {
    fn default() -> Self {
        SliceStates { states: Vec::new() }
    }
}

impl<T> SliceStates<T> {
    pub fn get_mut(&mut self, host: crate::fleet::HostId, slice: usize) -> &mut Option<T> {
        let host = host as usize;
        if self.states.len() <= host {
            self.states.resize_with(host + 1, Vec::new);
        }
        let slices = &mut self.states[host];
        if slices.len() <= slice {
            slices.resize_with(slice + 1, || None);
        }
        &mut slices[slice]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occurrence(cpu: &[f64]) -> Occurrence {
        Occurrence::new(cpu.to_vec(), cpu.iter().map(|value| value * 100.0).collect(), PerResource::default())
    }

    #[test]
    fn keeps_the_last_occurrences_oldest_first() {
        let mut window = Window::new(2);
        for values in [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] {
            window.push(&mut occurrence(&values));
        }
        assert!(window.is_full());
        assert_eq!(window.samples(Resource::Cpu).collect::<Vec<_>>(), vec![3.0, 4.0, 5.0, 6.0]);
        assert_eq!(window.previous().unwrap().cpu, vec![3.0, 4.0]);
        assert_eq!(window.newest().unwrap().memory, vec![500.0, 600.0]);
    }

    #[test]
    fn statistics_match_numpy() {
        let window = Window::of(vec![occurrence(&[1.0, 2.0]), occurrence(&[3.0, 4.0])]);
        // np.mean([1,2,3,4]) = 2.5, np.std = sqrt(1.25), np.percentile(.., 90) = 3.7
        let (mean, std) = window.mean_std(Resource::Cpu).unwrap();
        assert_eq!(mean, 2.5);
        assert!((std - 1.25f64.sqrt()).abs() < 1e-12);
        assert!((window.percentile(Resource::Cpu, 90.0).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(Window::new(3).mean_std(Resource::Cpu), None);
    }

    #[test]
    fn training_pairs_straddle_occurrences_and_leave_out_the_newest() {
        let window = Window::of(vec![occurrence(&[1.0, 2.0]), occurrence(&[3.0]), occurrence(&[9.0, 9.0])]);
        // Pairs (1, 2), (2, 3); the newest occurrence is left out.
        let mut want = PairSums::default();
        want.add(1.0, 2.0);
        want.add(2.0, 3.0);
        assert_eq!(window.training_pairs(Resource::Cpu), want);
    }

    #[test]
    fn a_slice_shorter_than_a_tick_is_refused() {
        let config = WindowConfig { scope_s: 1800, slices: 12, historical_occurrences: 3 };
        let message = config.validate(300).unwrap_err();
        assert!(message.contains("150 s") && message.contains("no samples"), "{message}");
        assert!(WindowConfig { slices: 0, ..config }.validate(300).unwrap_err().contains("slices"));
        assert!(WindowConfig { scope_s: 1000, slices: 3, ..config }.validate(300).unwrap_err().contains("multiple"));
        assert!(WindowConfig::default().validate(300).is_ok());
    }
}
