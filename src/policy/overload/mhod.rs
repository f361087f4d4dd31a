//! Markov host overload detection (MHOD), OpenStack Neat's default overload detector (Neat's
//! `locals/overload/mhod/`; `../shared/reference/consolidation-algorithms.md` §1.3).
//!
//! Each decision:
//! 1. maps every utilisation of the history to a state: the index of the first `state_config` threshold above it,
//!    or N = `state_config.len()` (the overload state) when there is none;
//! 2. bumps the host's two persistent counters: `time_in_states` always, `time_in_state_n` when the current state
//!    (that of the history's last value) is N. They are never reset;
//! 3. decides only when the history holds at least `learning_steps` values, the current state is N and the
//!    estimated P_NN is above 0; in every other case the host is not overloaded;
//! 4. estimates the transition matrix P from the history alone ([`estimation`]);
//! 5. declares the host overloaded iff no migration policy on the brute-force grid keeps the expected overload time
//!    fraction within `otf` ([`solver`]), with the migration time `T_m = migration_time_s / interval_s` in steps.
//!
//! [`OverloadDetector::check`] evaluates the host as [`OverloadDetector::observe`] would, counters bumped included,
//! but keeps nothing.
//!
//! Where this differs from Neat:
//! - **States with three or more thresholds.** Neat returns the first k with `u ≥ k − 1` (the previous *index*,
//!   starting at −1) and `u < t_k`, so from k = 2 on a state needs `u ≥ 1`, `u ≥ 2`, …: with `[t0, t1, t2]` a
//!   utilisation in `[t1, min(t2, 1))` skips state 2 and lands in N. Neat's optimisation is also two-state only
//!   (its L functions and solver take exactly two states), so it has no working MHOD beyond two states to be faithful
//!   to; this module uses the intended rule and the general `πᵀ(I − Q)⁻¹`. Two states (one threshold, the default)
//!   behave exactly as in Neat.
//! - **Grid values** are `index · step` (capped at 1), where Neat adds the step repeatedly: with step 0.1 its last
//!   point is 0.9999999999999999, here 1. Steps of 0.5 (the default) or 0.25 give identical grids.
//! - **Window sizes of 1** are refused by [`validate`]: Neat's variance divides by `w − 1` and raises.
//! - **Migration time** comes with each observation; Neat's local manager builds the detector once, so it keeps the
//!   migration time of its first call.
//! - **Work skipped**: the estimation has no lasting effect, so it runs only when a decision is due.

mod estimation;
mod solver;

use std::cell::RefCell;

use crate::policy::overload::{HostObservation, OverloadDetector};

pub fn default_state_config() -> Vec<f64> {
    vec![0.8]
}
pub fn default_otf() -> f64 {
    0.1
}
pub fn default_window_sizes() -> Vec<usize> {
    (30..=100).step_by(10).collect()
}
pub fn default_bruteforce_step() -> f64 {
    0.5
}
pub fn default_learning_steps() -> usize {
    10
}

/// The most brute-force points one decision may try (grid points per state to the power of the state count).
pub const MAX_BRUTEFORCE_POINTS: usize = 1_000_000;

/// One host's persistent counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    time_in_states: u64,
    time_in_state_n: u64,
}

/// Scratch space reused across decisions (no state: contents are rebuilt on every call).
#[derive(Clone, Debug, Default)]
struct Buffers {
    states: Vec<usize>,
    p: Vec<f64>,
    estimation: estimation::Buffers,
    solver: solver::Buffers,
}

#[derive(Clone, Debug)]
pub struct Mhod {
    state_config: Vec<f64>,
    otf: f64,
    window_sizes: Vec<usize>,
    bruteforce_step: f64,
    learning_steps: usize,
    /// Indexed by host id, grown on demand.
    counters: Vec<Counters>,
    /// Behind a `RefCell` so that [`OverloadDetector::check`] (`&self`) reuses them too.
    buffers: RefCell<Buffers>,
}

impl Mhod {
    /// Expects parameters accepted by [`validate`].
    pub fn new(
        state_config: Vec<f64>,
        otf: f64,
        window_sizes: Vec<usize>,
        bruteforce_step: f64,
        learning_steps: usize,
    ) -> Mhod {
        Mhod {
            state_config,
            otf,
            window_sizes,
            bruteforce_step,
            learning_steps,
            counters: Vec::new(),
            buffers: RefCell::new(Buffers::default()),
        }
    }

    /// The overload state N (the last state).
    fn state_n(&self) -> usize {
        self.state_config.len()
    }

    /// The index of the first threshold above `utilization`, or N.
    fn state_of(&self, utilization: f64) -> usize {
        self.state_config.iter().position(|&threshold| utilization < threshold).unwrap_or(self.state_n())
    }

    /// The state of the history's last value (of `utilization` while the history is empty).
    fn current_state(&self, observation: &HostObservation) -> usize {
        self.state_of(observation.history.last().copied().unwrap_or(observation.utilization))
    }

    /// `counters` after this call's update.
    fn bumped(&self, counters: Counters, current: usize) -> Counters {
        Counters {
            time_in_states: counters.time_in_states + 1,
            time_in_state_n: counters.time_in_state_n + u64::from(current == self.state_n()),
        }
    }

    /// The decision, given the current state and the counters already bumped for this call.
    fn decide(&self, observation: &HostObservation, current: usize, counters: Counters) -> bool {
        let state_n = self.state_n();
        if observation.history.len() < self.learning_steps || current != state_n {
            return false;
        }
        let mut buffers = self.buffers.borrow_mut();
        let Buffers { states, p, estimation, solver } = &mut *buffers;
        let count = state_n + 1;
        states.clear();
        states.extend(observation.history.iter().map(|&utilization| self.state_of(utilization)));
        p.clear();
        p.resize(count * count, 0.0);
        // Row N first: the other rows are only needed when P_NN > 0.
        let window_sizes = &self.window_sizes;
        estimation::estimate_row(states, state_n, window_sizes, estimation, &mut p[state_n * count..]);
        if p[state_n * count + state_n] <= 0.0 {
            return false;
        }
        for (from, row) in p.chunks_exact_mut(count).enumerate().take(state_n) {
            estimation::estimate_row(states, from, window_sizes, estimation, row);
        }
        let problem = solver::Problem {
            p,
            states: count,
            current,
            otf: self.otf,
            migration_steps: observation.migration_time_s / observation.interval_s,
            time_in_states: counters.time_in_states as f64,
            time_in_state_n: counters.time_in_state_n as f64,
        };
        !solver::feasible_policy_exists(&problem, self.bruteforce_step, solver)
    }
}

impl OverloadDetector for Mhod {
    fn observe(&mut self, observation: &HostObservation) -> bool {
        let current = self.current_state(observation);
        let host = observation.host as usize;
        if self.counters.len() <= host {
            self.counters.resize(host + 1, Counters::default());
        }
        let counters = self.bumped(self.counters[host], current);
        self.counters[host] = counters;
        self.decide(observation, current, counters)
    }

    /// As [`observe`](OverloadDetector::observe) would decide, counters bumped for this call included, without
    /// keeping the bump.
    fn check(&self, observation: &HostObservation) -> bool {
        let current = self.current_state(observation);
        let counters = self.counters.get(observation.host as usize).copied().unwrap_or_default();
        self.decide(observation, current, self.bumped(counters, current))
    }
}

pub fn validate(
    state_config: &[f64],
    otf: f64,
    window_sizes: &[usize],
    bruteforce_step: f64,
    learning_steps: usize,
) -> Result<(), String> {
    if state_config.is_empty() {
        return Err(
            "overload.state_config must list at least one utilisation threshold (Neat's default is [0.8])".to_string()
        );
    }
    for &threshold in state_config {
        if !(threshold > 0.0 && threshold.is_finite()) {
            return Err(format!(
                "overload.state_config thresholds must be finite utilisation fractions above 0 (e.g. [0.8]), got {threshold}"
            ));
        }
    }
    if state_config.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(format!(
            "overload.state_config must be strictly increasing, each threshold above the one before, got {state_config:?}"
        ));
    }
    if !(otf > 0.0 && otf <= 1.0) {
        return Err(format!("overload.otf must be a fraction of time in (0, 1] (Neat's default is 0.1), got {otf}"));
    }
    if window_sizes.is_empty() {
        return Err("overload.window_sizes must list at least one window size (Neat's default is [30, 40, ..., 100])"
            .to_string());
    }
    if let Some(&size) = window_sizes.iter().find(|&&size| size < 2) {
        return Err(format!(
            "overload.window_sizes must be at least 2 (the estimates' variance divides by size − 1), got {size}"
        ));
    }
    if window_sizes.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(format!("overload.window_sizes must be strictly increasing, got {window_sizes:?}"));
    }
    if !(bruteforce_step > 0.0 && bruteforce_step <= 1.0) {
        return Err(format!(
            "overload.bruteforce_step must be in (0, 1] (Neat's default is 0.5), got {bruteforce_step}"
        ));
    }
    if learning_steps < 1 {
        return Err("overload.learning_steps must be at least 1 (Neat's default is 10)".to_string());
    }
    let states = state_config.len() + 1;
    let points = u32::try_from(states).ok().and_then(|states| solver::grid_points(bruteforce_step).checked_pow(states));
    if points.is_none_or(|points| points > MAX_BRUTEFORCE_POINTS) {
        return Err(format!(
            "overload.bruteforce_step {bruteforce_step} with {states} states (overload.state_config has {} thresholds) \
             gives more than {MAX_BRUTEFORCE_POINTS} brute-force points per decision; use a larger step or fewer thresholds",
            state_config.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: f64 = 0.5;
    const HIGH: f64 = 0.9;

    fn observation(host: u32, history: &[f64]) -> HostObservation<'_> {
        HostObservation {
            host,
            utilization: history.last().copied().unwrap_or(0.0),
            history,
            migration_time_s: 300.0,
            interval_s: 300.0,
        }
    }

    /// One threshold (0.8), window sizes [2] only, step 0.5.
    fn small(otf: f64, learning_steps: usize) -> Mhod {
        Mhod::new(vec![0.8], otf, vec![2], 0.5, learning_steps)
    }

    /// States [0, 1, 1, 0, 0, 1]: transitions from the assumed start 0 are 0→0, 0→1, 1→1, 1→0, 0→0, 0→1, so
    /// row 0's requests are [0, 1, 0, 1] and row 1's [1, 0]. With window 2 only, each row's estimate is its last two
    /// requests over 2: P = [[.5, .5], [.5, .5]]. The current state is 1 (= N) and P11 = .5 > 0.
    const HALF_HISTORY: [f64; 6] = [LOW, HIGH, HIGH, LOW, LOW, HIGH];

    /// 19 calls on host 0 with the one-value history [LOW] (state 0, under learning_steps: not overloaded), so
    /// that the next call sees time_in_states 20 and time_in_state_n 1.
    fn warmed(mut mhod: Mhod) -> Mhod {
        for _ in 0..19 {
            assert!(!mhod.observe(&observation(0, &[LOW])));
        }
        assert_eq!(mhod.counters[0], Counters { time_in_states: 19, time_in_state_n: 0 });
        mhod
    }

    /// The brute force worked out in `solver::tests::brute_force_by_hand`, reached from a history: P = .5
    /// everywhere, T_m = 300 s / 300 s = 1, counters (20, 1) after this call's bump. The smallest constraint value
    /// on the 0.5 grid is 3/22 ≈ 0.13636, so otf 0.137 has a feasible policy (not overloaded) and 0.136 does not.
    #[test]
    fn history_through_the_brute_force() {
        let mut feasible = warmed(small(0.137, 6));
        assert!(!feasible.check(&observation(0, &HALF_HISTORY)));
        assert!(!feasible.observe(&observation(0, &HALF_HISTORY)));
        let mut infeasible = warmed(small(0.136, 6));
        assert!(infeasible.check(&observation(0, &HALF_HISTORY)));
        assert!(infeasible.observe(&observation(0, &HALF_HISTORY)));
        assert_eq!(infeasible.counters[0], Counters { time_in_states: 20, time_in_state_n: 1 });
        // A longer migration moves the ratio up: T_m = 2 gives at best (2 + 1 + 1)/(2 + 20 + 1) = 4/23 ≈ 0.174.
        let mut slow = warmed(small(0.137, 6));
        assert!(slow.observe(&HostObservation { migration_time_s: 600.0, ..observation(0, &HALF_HISTORY) }));
    }

    /// `check` counts the call as `observe` would: with counters (19, 0) left unbumped the point m = (0, 1) would
    /// give (1 + 0 + 1)/(1 + 19 + 1) = 2/21 ≈ 0.095 ≤ 0.1 (not overloaded); bumped to (20, 1) the best is
    /// 3/22 ≈ 0.136 > 0.1 (overloaded). And `check` keeps nothing.
    #[test]
    fn check_counts_this_call_but_keeps_nothing() {
        let mhod = warmed(small(0.1, 6));
        assert!(mhod.check(&observation(0, &HALF_HISTORY)));
        assert!(mhod.check(&observation(0, &HALF_HISTORY)));
        assert_eq!(mhod.counters[0], Counters { time_in_states: 19, time_in_state_n: 0 });
        // An unseen host is checked from zero counters, and not added.
        assert!(!mhod.check(&observation(7, &[HIGH])));
        assert_eq!(mhod.counters.len(), 1);
    }

    #[test]
    fn counters_persist_per_host_across_observe() {
        let mut mhod = small(0.1, 100);
        mhod.observe(&observation(3, &[LOW]));
        mhod.observe(&observation(3, &[LOW, HIGH]));
        mhod.observe(&observation(3, &[HIGH]));
        mhod.observe(&observation(1, &[HIGH, LOW]));
        // Host 3: three calls, two ending in state N; host 1: one call ending in state 0; hosts 0 and 2 untouched.
        assert_eq!(mhod.counters.len(), 4);
        assert_eq!(mhod.counters[3], Counters { time_in_states: 3, time_in_state_n: 2 });
        assert_eq!(mhod.counters[1], Counters { time_in_states: 1, time_in_state_n: 0 });
        assert_eq!(mhod.counters[0], Counters::default());
        assert_eq!(mhod.counters[2], Counters::default());
        // A shorter history does not reset anything.
        mhod.observe(&observation(3, &[]));
        assert_eq!(mhod.counters[3].time_in_states, 4);
    }

    /// The infeasible case above (otf 0.136 is overloaded with 6 values), with one condition broken at a time.
    #[test]
    fn decides_only_with_enough_history_in_state_n_and_p_nn_above_zero() {
        // Too little history: learning_steps 7 > 6 values.
        assert!(!warmed(small(0.136, 7)).observe(&observation(0, &HALF_HISTORY)));
        // Not in state N: one more low value (P is irrelevant then).
        let mut ends_low = HALF_HISTORY.to_vec();
        ends_low.push(LOW);
        assert!(!warmed(small(0.136, 6)).observe(&observation(0, &ends_low)));
        // P_NN = 0: in [LOW, HIGH, LOW, LOW, LOW, HIGH] state 1's only request is 0 (1→0), so P11 = 0/2.
        let never_stays = [LOW, HIGH, LOW, LOW, LOW, HIGH];
        assert!(!warmed(small(0.136, 6)).observe(&observation(0, &never_stays)));
        // The same host with state 1 followed by 1 once, [LOW, HIGH, HIGH, LOW, LOW, HIGH], is overloaded.
        assert!(warmed(small(0.136, 6)).observe(&observation(0, &HALF_HISTORY)));
    }

    /// Neat's defaults on a saturated host: all values 1.0 are state 1, so row 1 has only 1→1 requests, P10 = 0,
    /// and L0 = 0 for every policy; with both counters equal (always in N) the constraint
    /// (T_m + t + L1)/(T_m + t + L1) is 1 > 0.1, never feasible. Not overloaded while fewer than 10 values.
    #[test]
    fn defaults_call_a_saturated_host_overloaded_after_learning() {
        let mut mhod = Mhod::new(
            default_state_config(),
            default_otf(),
            default_window_sizes(),
            default_bruteforce_step(),
            default_learning_steps(),
        );
        let history = [1.0; 12];
        for length in 1..=12 {
            assert_eq!(mhod.observe(&observation(0, &history[..length])), length >= 10, "length {length}");
        }
        // A host that has mostly been low: 95 low values then 5 saturated ones. Row 1 has 4 requests (all 1), so
        // P11 = 4/30 and P10 = 0: again L0 = 0 and, with counters (1, 1) after one call, the ratio is 1.
        let mut mostly_low = vec![LOW; 95];
        mostly_low.extend([1.0; 5]);
        assert!(mhod.check(&observation(5, &mostly_low)));
    }

    #[test]
    fn states_follow_the_thresholds() {
        let mhod = Mhod::new(vec![0.3, 0.6, 0.9], 0.1, vec![2], 0.5, 1);
        // Neat would put 0.7 in state 3 (its state 2 needs u ≥ 1); the intended rule gives 2.
        let states: Vec<usize> = [0.0, 0.29, 0.3, 0.59, 0.7, 0.9, 1.5].iter().map(|&u| mhod.state_of(u)).collect();
        assert_eq!(states, [0, 0, 1, 1, 2, 3, 3]);
    }

    /// Three states (thresholds 0.5 and 0.8) use the general solve. States of [.9, .9, .9, .9] are all 2, so
    /// row 2's requests are [2, 2, 2] (the first transition is 0→2): with window 2, P22 = 1 and P20 = P21 = 0.
    /// Then L = (0, 0, 1/m2) and, always in N so far, the ratio is 1: overloaded. A current state below N is not.
    #[test]
    fn three_states_through_the_general_solve() {
        let mut mhod = Mhod::new(vec![0.5, 0.8], 0.5, vec![2], 0.5, 1);
        assert!(mhod.observe(&observation(0, &[0.9; 4])));
        assert!(!mhod.observe(&observation(1, &[0.9, 0.9, 0.6])));
        // Host 2: 30 calls in state 0, then [.9, .6, .9, .9] (states 2, 1, 2, 2): row 2's requests are [1, 2]
        // (P21 = P22 = 1/2), row 1's [2], row 0's [2]. Counters (31, 1); m = (1, 1, 1) migrates at once, L = (0, 0, 1),
        // ratio (1 + 1 + 1)/(1 + 31 + 1) = 1/11 ≤ 0.5: feasible, not overloaded.
        for _ in 0..30 {
            mhod.observe(&observation(2, &[0.1]));
        }
        assert!(!mhod.observe(&observation(2, &[0.9, 0.6, 0.9, 0.9])));
    }

    #[test]
    fn validation_names_the_field_and_the_fix() {
        let ok = |config: &[f64], otf: f64, windows: &[usize], step: f64, learning: usize| {
            validate(config, otf, windows, step, learning)
        };
        let windows = default_window_sizes();
        assert_eq!(ok(&[0.8], 0.1, &windows, 0.5, 10), Ok(()));
        assert_eq!(ok(&[0.3, 0.6, 0.9], 1.0, &[2], 1.0, 1), Ok(()));
        let cases: [(Result<(), String>, &str); 14] = [
            (ok(&[], 0.1, &windows, 0.5, 10), "overload.state_config must list at least one"),
            (ok(&[0.0], 0.1, &windows, 0.5, 10), "overload.state_config thresholds must be finite"),
            (ok(&[f64::INFINITY], 0.1, &windows, 0.5, 10), "above 0 (e.g. [0.8]), got inf"),
            (ok(&[f64::NAN], 0.1, &windows, 0.5, 10), "got NaN"),
            (ok(&[0.8, 0.8], 0.1, &windows, 0.5, 10), "overload.state_config must be strictly increasing"),
            (ok(&[0.8], 0.0, &windows, 0.5, 10), "overload.otf must be a fraction of time in (0, 1]"),
            (ok(&[0.8], 1.5, &windows, 0.5, 10), "got 1.5"),
            (ok(&[0.8], 0.1, &[], 0.5, 10), "overload.window_sizes must list at least one"),
            (ok(&[0.8], 0.1, &[1, 30], 0.5, 10), "overload.window_sizes must be at least 2"),
            (ok(&[0.8], 0.1, &[40, 30], 0.5, 10), "overload.window_sizes must be strictly increasing, got [40, 30]"),
            (ok(&[0.8], 0.1, &windows, 0.0, 10), "overload.bruteforce_step must be in (0, 1]"),
            (ok(&[0.8], 0.1, &windows, 1.5, 10), "got 1.5"),
            (ok(&[0.8], 0.1, &windows, 0.5, 0), "overload.learning_steps must be at least 1"),
            // 101 points per state, 3 states: 1030301 points.
            (ok(&[0.3, 0.6], 0.1, &windows, 0.01, 10), "use a larger step or fewer thresholds"),
        ];
        for (result, expected) in cases {
            let message = result.expect_err(expected);
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        // Two states at step 0.01 (101² points) are fine.
        assert_eq!(ok(&[0.8], 0.1, &windows, 0.01, 10), Ok(()));
    }
}
