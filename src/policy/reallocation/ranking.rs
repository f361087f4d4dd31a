//! Hosts ranked by a score, handed out best first without sorting them all: placement usually takes one of the
//! first few, so a heap (built in linear time, O(log n) per host taken) beats sorting every suitable host.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::fleet::HostId;
use crate::policy::total_order::total_order_key;

/// A reusable min-heap of `(score, host)`, taken in the order of sorting by score (`total_cmp`), then host id.
#[derive(Clone, Debug, Default)]
pub struct Ranking {
    heap: BinaryHeap<Reverse<u128>>,
}

/// `(score, host)` as one integer in the same order (one comparison instead of two): the score's bits as
/// `f64::total_cmp` orders them, then the host id.
fn key(score: f64, host: HostId) -> u128 {
    // `total_cmp`'s signed key, its sign bit flipped to order unsigned.
    let unsigned = (total_order_key(score) as u64) ^ (1 << 63);
    (u128::from(unsigned) << 32) | u128::from(host)
}

impl Ranking {
    /// Replaces the ranking's hosts with `scored` (reusing its buffer).
    pub fn rank(&mut self, scored: impl IntoIterator<Item = (f64, HostId)>) {
        let mut items = std::mem::take(&mut self.heap).into_vec();
        items.clear();
        items.extend(scored.into_iter().map(|(score, host)| Reverse(key(score, host))));
        self.heap = BinaryHeap::from(items);
    }

    /// The best host left (the lowest score, ties to the lowest id), taken out of the ranking.
    pub fn take_best(&mut self) -> Option<HostId> {
        self.heap.pop().map(|Reverse(key)| key as HostId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(scored: &[(f64, HostId)]) -> Vec<HostId> {
        let mut ranking = Ranking::default();
        ranking.rank(scored.iter().copied());
        std::iter::from_fn(|| ranking.take_best()).collect()
    }

    fn sorted(scored: &[(f64, HostId)]) -> Vec<HostId> {
        let mut sorted = scored.to_vec();
        sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        sorted.into_iter().map(|(_, host)| host).collect()
    }

    #[test]
    fn hosts_come_out_by_score_then_id() {
        // Ties on 1.5 go to the lower id; -0.0 comes before 0.0 under total_cmp.
        let scored = [(1.5, 7), (0.25, 3), (1.5, 2), (0.0, 9), (-0.0, 10), (-2.0, 4), (1.5, 0)];
        assert_eq!(taken(&scored), vec![4, 10, 9, 3, 0, 2, 7]);
        // Infinities, NaN (last, as total_cmp puts a positive NaN) and the largest id.
        let scored = [(f64::NAN, 1), (f64::INFINITY, 2), (f64::NEG_INFINITY, HostId::MAX), (-1e-300, 3), (1e300, 0)];
        assert_eq!(taken(&scored), sorted(&scored));
        assert_eq!(taken(&scored), vec![HostId::MAX, 3, 0, 2, 1]);
        assert_eq!(taken(&[]), Vec::<HostId>::new());
    }

    #[test]
    fn the_order_equals_sorting_for_many_ties() {
        // Pseudo-random scores from a few values (many ties) and shuffled ids, sizes from 0 to 99.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ranking = Ranking::default();
        for size in 0..100 {
            let mut scored: Vec<(f64, HostId)> =
                (0..size).map(|host| ((next() % 5) as f64 * 0.75 - 1.0, host as HostId)).collect();
            for i in (1..scored.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                let id = scored[i].1;
                scored[i].1 = scored[j].1;
                scored[j].1 = id;
            }
            // The same ranking reused, once with half its hosts left over: nothing of them remains.
            ranking.rank(scored.iter().copied());
            let half: Vec<HostId> = (0..size / 2).filter_map(|_| ranking.take_best()).collect();
            assert_eq!(half, sorted(&scored)[..size / 2], "size {size}");
            ranking.rank(scored.iter().copied());
            let taken: Vec<HostId> = std::iter::from_fn(|| ranking.take_best()).collect();
            assert_eq!(taken, sorted(&scored), "size {size}");
        }
    }
}
