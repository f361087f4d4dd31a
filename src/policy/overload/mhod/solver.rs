//! MHOD's optimisation (Neat's `mhod/nlp.py`, `mhod/bruteforce.py`, `mhod/l_2_states.py`).
//!
//! A policy m gives, for each state i, the probability m_i of migrating a VM at a step spent in i. Under m the
//! chain moves by `Q[i][j] = (1 − m_i)·P[i][j]`, and the expected number of steps spent in each state before the
//! migration, starting from the one-hot current state π, is `L = πᵀ(I − Q)⁻¹`. The problem maximises `ΣL` subject
//! to `(T_m + time_in_state_n + L_N) / (T_m + time_in_states + ΣL) ≤ otf`, by brute force over
//! m ∈ {0, step, 2·step, …, 1}^states. Only objectives above 0 count, and a policy whose L needs a division by zero
//! (a singular `I − Q`) is skipped. Neat keeps the best policy, but the detector only asks whether one exists
//! (overloaded iff none does), so the search stops at the first feasible policy.

/// What the brute force needs besides the policy.
#[derive(Clone, Copy, Debug)]
pub(super) struct Problem<'a> {
    /// The estimated transition matrix, `states × states`, row-major.
    pub p: &'a [f64],
    pub states: usize,
    /// The current state (π is one-hot on it); the constraint's L_N is always the last state's.
    pub current: usize,
    pub otf: f64,
    /// The migration time in monitoring steps, T_m.
    pub migration_steps: f64,
    pub time_in_states: f64,
    pub time_in_state_n: f64,
}

/// Buffers reused across calls.
#[derive(Clone, Debug, Default)]
pub(super) struct Buffers {
    /// `(I − Q)ᵀ` augmented with π, `states × (states + 1)`, row-major.
    system: Vec<f64>,
    l: Vec<f64>,
    grid_index: Vec<usize>,
    m: Vec<f64>,
}

/// How many values each m_i takes: 0, step, …, up to 1 inclusive. The tiny tolerance lets 1.0 itself count when
/// `1/step` misses a whole number by a rounding error, as with step 0.1; Neat's `frange` is inclusive too.
pub(super) fn grid_points(step: f64) -> usize {
    (1.0 / step + 1e-9).floor() as usize + 1
}

/// The `index`-th grid value, built from the index (never by adding steps), capped at 1.
fn grid_value(index: usize, step: f64) -> f64 {
    (index as f64 * step).min(1.0)
}

/// Whether some policy on the grid has an objective above 0 and meets the OTF constraint.
pub(super) fn feasible_policy_exists(problem: &Problem, step: f64, buffers: &mut Buffers) -> bool {
    let states = problem.states;
    let points = grid_points(step);
    buffers.grid_index.clear();
    buffers.grid_index.resize(states, 0);
    buffers.m.clear();
    buffers.m.resize(states, 0.0);
    loop {
        for (m, &index) in buffers.m.iter_mut().zip(&buffers.grid_index) {
            *m = grid_value(index, step);
        }
        if is_feasible(problem, buffers) {
            return true;
        }
        // Next grid point, odometer-style; false once every point has been tried.
        let mut axis = 0;
        loop {
            let Some(index) = buffers.grid_index.get_mut(axis) else { return false };
            *index += 1;
            if *index < points {
                break;
            }
            *index = 0;
            axis += 1;
        }
    }
}

/// The objective and constraint at the policy in `buffers.m`, in Neat's order of operations.
fn is_feasible(problem: &Problem, buffers: &mut Buffers) -> bool {
    let Some((objective, l_n)) = expected_steps(problem, buffers) else { return false };
    // Only objectives above 0 count (a NaN fails too); the constraint's denominator is then positive.
    objective > 0.0
        && (problem.migration_steps + problem.time_in_state_n + l_n)
            / (problem.migration_steps + problem.time_in_states + objective)
            <= problem.otf
}

/// `(ΣL, L_N)` at the policy in `buffers.m`, or `None` when `I − Q` is singular. Two states use the closed form,
/// which reproduces Neat's arithmetic to the bit (including which policies divide by exactly zero: with m = 0 and
/// rows of P that sum to 1, `I − Q` is singular and rounding decides in the general solve); more states use
/// Gaussian elimination.
fn expected_steps(problem: &Problem, buffers: &mut Buffers) -> Option<(f64, f64)> {
    if let ([p00, p01, p10, p11], [m0, m1]) = (problem.p, buffers.m.as_slice()) {
        let initial = if problem.current == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
        let [l0, l1] = l_two_states(&[[*p00, *p01], [*p10, *p11]], initial, [*m0, *m1])?;
        return Some((l0 + l1, l1));
    }
    let Buffers { system, l, m, .. } = buffers;
    if !l_general(problem.p, problem.states, problem.current, m, system, l) {
        return None;
    }
    let objective = l.iter().sum();
    Some((objective, *l.last()?))
}

/// Closed form of `L = initialᵀ(I − Q)⁻¹` for two states (Neat's `l_2_states.py`), with its terms in the same
/// order so that the floating-point result is the same. `None` where its denominator is exactly zero.
pub(super) fn l_two_states(p: &[[f64; 2]; 2], initial: [f64; 2], m: [f64; 2]) -> Option<[f64; 2]> {
    let [[p00, p01], [p10, p11]] = *p;
    let [p0, p1] = initial;
    let [m0, m1] = m;
    let denominator = p00 * (m1 * (p11 - m0 * p11) - p11 + m0 * (p11 - 1.0) + 1.0) - m1 * p11
        + p11
        + (m1 * (m0 * p01 - p01) - m0 * p01 + p01) * p10
        - 1.0;
    if denominator == 0.0 {
        return None;
    }
    let l0 = (p0 * (-m1 * p11 + p11 - 1.0) + (m1 * p1 - p1) * p10) / denominator;
    let l1 = -(p00 * (m0 * p1 - p1) + p1 + p0 * (p01 - m0 * p01)) / denominator;
    Some([l0, l1])
}

/// Solves `(I − Q)ᵀ L = π` (π one-hot on `current`) by Gaussian elimination with partial pivoting, leaving L in
/// `l`. False when a pivot is exactly zero (singular `I − Q`) or L is not finite.
fn l_general(p: &[f64], states: usize, current: usize, m: &[f64], system: &mut Vec<f64>, l: &mut Vec<f64>) -> bool {
    let width = states + 1;
    system.clear();
    for row in 0..states {
        for column in 0..states {
            // Entry (row, column) of (I − Q)ᵀ is entry (column, row) of I − Q.
            let identity = if row == column { 1.0 } else { 0.0 };
            system.push(identity - (1.0 - m[column]) * p[column * states + row]);
        }
        system.push(if row == current { 1.0 } else { 0.0 });
    }
    for pivot in 0..states {
        let mut best = pivot;
        for row in pivot + 1..states {
            if system[row * width + pivot].abs() > system[best * width + pivot].abs() {
                best = row;
            }
        }
        if system[best * width + pivot] == 0.0 {
            return false;
        }
        if best != pivot {
            for column in 0..width {
                system.swap(pivot * width + column, best * width + column);
            }
        }
        for row in pivot + 1..states {
            let factor = system[row * width + pivot] / system[pivot * width + pivot];
            if factor != 0.0 {
                for column in pivot..width {
                    system[row * width + column] -= factor * system[pivot * width + column];
                }
            }
        }
    }
    l.clear();
    l.resize(states, 0.0);
    for row in (0..states).rev() {
        let mut value = system[row * width + states];
        for column in row + 1..states {
            value -= system[row * width + column] * l[column];
        }
        l[row] = value / system[row * width + row];
    }
    l.iter().all(|value| value.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF: [[f64; 2]; 2] = [[0.5, 0.5], [0.5, 0.5]];

    fn general(p: &[f64], states: usize, current: usize, m: &[f64]) -> Option<Vec<f64>> {
        let (mut system, mut l) = (Vec::new(), Vec::new());
        l_general(p, states, current, m, &mut system, &mut l).then_some(l)
    }

    /// P = [[.5, .5], [.5, .5]], π = (0, 1), m = (0, .5): Q = [[.5, .5], [.25, .25]], I − Q = [[.5, −.5], [−.25, .75]],
    /// determinant .375 − .125 = .25, inverse [[3, 2], [1, 2]], so L = row 1 = (1, 2).
    /// Through the closed form: denominator = .5·(.5·.5 − .5 + 0 + 1) − .25 + .5 + (.5·(−.5) − 0 + .5)·.5 − 1
    /// = .375 − .25 + .5 + .125 − 1 = −.25; L0 = (0 + (.5 − 1)·.5)/−.25 = 1; L1 = −(.5·(0 − 1) + 1 + 0)/−.25 = 2.
    /// Every intermediate is a multiple of 1/8, so the results are exact.
    #[test]
    fn closed_form_by_hand() {
        assert_eq!(l_two_states(&HALF, [0.0, 1.0], [0.0, 0.5]), Some([1.0, 2.0]));
        // m = (0, 0) with stochastic rows: I − Q = I − P is singular, the denominator is exactly 0.
        assert_eq!(l_two_states(&HALF, [0.0, 1.0], [0.0, 0.0]), None);
        assert_eq!(general(&[0.5, 0.5, 0.5, 0.5], 2, 1, &[0.0, 0.0]), None);
    }

    #[test]
    fn closed_form_equals_general_solve() {
        let matrices = [HALF, [[0.9, 0.1], [0.3, 0.7]], [[2.0 / 3.0, 1.0 / 3.0], [0.5, 0.0]], [[0.2, 0.3], [0.1, 0.4]]];
        let values = [0.0, 0.1, 0.5, 0.7, 1.0];
        let mut compared = 0;
        for p in &matrices {
            let flat = [p[0][0], p[0][1], p[1][0], p[1][1]];
            for current in 0..2 {
                let initial = if current == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
                for &m0 in &values {
                    for &m1 in &values {
                        let closed = l_two_states(p, initial, [m0, m1]);
                        let solved = general(&flat, 2, current, &[m0, m1]);
                        match (closed, solved) {
                            (Some(closed), Some(solved)) => {
                                for (a, b) in closed.iter().zip(&solved) {
                                    assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{p:?} {m0} {m1}: {a} {b}");
                                }
                                compared += 1;
                            }
                            // Only the singular m = (0, 0) on a stochastic P may be refused, by both.
                            (None, None) => assert_eq!((m0, m1, p[0][0] + p[0][1]), (0.0, 0.0, 1.0)),
                            other => panic!("{p:?} m = ({m0}, {m1}): {other:?}"),
                        }
                    }
                }
            }
        }
        assert!(compared > 180, "{compared}");
    }

    /// Neat's expected-steps arithmetic, reproduced to the bit at a singular point. P = [[1/30, 29/30],
    /// [22/30, 8/30]] (estimates at window 30), π = (0, 1), m = (0, 0): I − Q = I − P is singular, but Neat's
    /// denominator rounds to −2⁻⁵³ instead of 0, giving L = (6605279453476727, 8706959279582959) (the formula
    /// evaluated in Python; L1/ΣL ≈ 0.57 is the chain's long-run share of state 1). The general solve meets the
    /// same singularity with its own rounding, (6833047710493166, 9007199254740992), which is why two states use
    /// the closed form.
    #[test]
    fn closed_form_keeps_neats_rounding_at_singular_points() {
        let p = [[1.0 / 30.0, 29.0 / 30.0], [22.0 / 30.0, 8.0 / 30.0]];
        assert_eq!(l_two_states(&p, [0.0, 1.0], [0.0, 0.0]), Some([6605279453476727.0, 8706959279582959.0]));
        let solved = general(&[p[0][0], p[0][1], p[1][0], p[1][1]], 2, 1, &[0.0, 0.0]);
        assert_ne!(solved, Some(vec![6605279453476727.0, 8706959279582959.0]));
    }

    /// Three states, P = 1/3 everywhere, m = 1/2 everywhere: Q = J/6 (J all ones), (I − J/6)⁻¹ = I + J/3 (as
    /// J² = 3J), so from state 2 L = (1/3, 1/3, 4/3) and ΣL = 2, the mean of a geometric(1/2) stay.
    #[test]
    fn general_solve_three_states_by_hand() {
        let third = 1.0 / 3.0;
        let l = general(&[third; 9], 3, 2, &[0.5; 3]).unwrap();
        for (value, expected) in l.iter().zip([third, third, 4.0 * third]) {
            assert!((value - expected).abs() < 1e-12, "{l:?}");
        }
    }

    #[test]
    fn grid_is_built_by_index_and_includes_one() {
        assert_eq!(grid_points(0.5), 3);
        assert_eq!(grid_points(1.0), 2);
        assert_eq!(grid_points(0.1), 11);
        assert_eq!(grid_points(0.3), 4);
        assert_eq!(grid_value(10, 0.1), 1.0);
        assert_eq!(grid_value(3, 0.3), 0.3 * 3.0);
    }

    fn half_problem(otf: f64, p: &[f64]) -> Problem<'_> {
        Problem { p, states: 2, current: 1, otf, migration_steps: 1.0, time_in_states: 20.0, time_in_state_n: 1.0 }
    }

    /// P = [[.5, .5], [.5, .5]], current state 1, T_m = 1, time_in_states 20, time_in_state_n 1, step 0.5.
    /// With a = 1 − m0 and b = 1 − m1, det(I − Q) = 1 − (a + b)/2 and L = (b/2, 1 − a/2)/det:
    ///   m = (0, 0) singular; (0, .5) L = (1, 2); (0, 1) (0, 1); (.5, 0) (2, 3); (.5, .5) (.5, 1.5);
    ///   (.5, 1) (0, 1); (1, 0) (1, 2); (1, .5) (1/3, 4/3); (1, 1) (0, 1).
    /// Constraint (1 + 1 + L1)/(1 + 20 + ΣL): 4/24, 3/22, 5/26, 3.5/23, 3/22, 4/24, (10/3)/(68/3), 3/22.
    /// The smallest is 3/22 ≈ 0.13636, reached only where m1 = 1 (the grid's inclusive end), so otf 0.137 is
    /// feasible (not overloaded) and otf 0.136 is not (overloaded).
    #[test]
    fn brute_force_by_hand() {
        let p = [0.5; 4];
        let mut buffers = Buffers::default();
        assert!(feasible_policy_exists(&half_problem(0.137, &p), 0.5, &mut buffers));
        assert!(!feasible_policy_exists(&half_problem(0.136, &p), 0.5, &mut buffers));
        // A step that misses 1 (grid 0, .3, .6, .9) has no feasible point at 0.137: its best is m = (.9, .9),
        // a = b = .1, det .9, L = (.05, .95)/.9, ratio (2 + 1.056)/(21 + 1.111) ≈ 0.138.
        assert!(!feasible_policy_exists(&half_problem(0.137, &p), 0.3, &mut buffers));
    }

    #[test]
    fn objective_must_be_positive() {
        // P = 0: L = π = (0, 1) for every m, ΣL = 1 > 0; the constraint is (1 + 1 + 1)/(1 + 20 + 1) = 3/22.
        let zero = [0.0; 4];
        let mut buffers = Buffers::default();
        assert!(feasible_policy_exists(&half_problem(0.14, &zero), 0.5, &mut buffers));
        assert!(!feasible_policy_exists(&half_problem(0.13, &zero), 0.5, &mut buffers));
        // A row above 1 gives negative L (expected stays cannot be negative): P = [[0, 0], [0, 2]], m1 = 0 gives
        // L1 = 1/(1 − 2) = −1, ΣL < 0, refused; m1 = .5 gives 1/(1 − 1) (singular), m1 = 1 gives L1 = 1, ratio 3/22.
        let bad = [0.0, 0.0, 0.0, 2.0];
        assert!(!feasible_policy_exists(&half_problem(0.13, &bad), 0.5, &mut buffers));
        assert!(feasible_policy_exists(&half_problem(0.14, &bad), 0.5, &mut buffers));
    }
}
