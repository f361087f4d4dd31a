//! The event queue: internal events in a binary heap ordered by `(time, seq)`, so events at the same time
//! come out in the order they were scheduled (FIFO ties), merged with pre-sorted trace cursors that are read
//! in place and never pushed into the heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A heap of scheduled events, popped in `(time, seq)` order.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Scheduled<E>>>,
    next_seq: u64,
}

#[derive(Debug)]
struct Scheduled<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.heap.push(Reverse(Scheduled { time, seq: self.next_seq, event }));
        self.next_seq += 1;
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(scheduled)| scheduled.time)
    }

    /// The next event without removing it.
    pub fn peek(&self) -> Option<(SimTime, &E)> {
        self.heap.peek().map(|Reverse(scheduled)| (scheduled.time, &scheduled.event))
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|Reverse(scheduled)| (scheduled.time, scheduled.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// A read position in a slice of events already sorted by time.
#[derive(Debug)]
pub struct TraceCursor<'a, T> {
    items: &'a [T],
    next: usize,
    time_of: fn(&T) -> SimTime,
}

impl<'a, T> TraceCursor<'a, T> {
    pub fn new(items: &'a [T], time_of: fn(&T) -> SimTime) -> Self {
        debug_assert!(items.windows(2).all(|pair| time_of(&pair[0]) <= time_of(&pair[1])), "trace not sorted");
        TraceCursor { items, next: 0, time_of }
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.items.get(self.next).map(self.time_of)
    }

    pub fn advance(&mut self) -> Option<&'a T> {
        let item = self.items.get(self.next)?;
        self.next += 1;
        Some(item)
    }

    pub fn consumed(&self) -> usize {
        self.next
    }
}

/// Index of the source whose next event comes first; on equal times the lower index wins, so the order of
/// `next_times` is the tie-break order between sources.
pub fn earliest_source(next_times: &[Option<SimTime>]) -> Option<usize> {
    let mut best: Option<(usize, SimTime)> = None;
    for (index, time) in next_times.iter().enumerate() {
        if let Some(time) = *time {
            if best.is_none_or(|(_, best_time)| time < best_time) {
                best = Some((index, time));
            }
        }
    }
    best.map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_scheduling_order() {
        let mut queue = EventQueue::default();
        queue.schedule(SimTime(5), "b");
        queue.schedule(SimTime(1), "a");
        queue.schedule(SimTime(5), "c");
        queue.schedule(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop()).map(|(_, event)| event).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn cursor_reads_in_place_and_ties_go_to_the_first_source() {
        let trace = [SimTime(1), SimTime(3)];
        let mut cursor = TraceCursor::new(&trace, |time| *time);
        assert_eq!(earliest_source(&[cursor.peek_time(), Some(SimTime(1))]), Some(0));
        assert_eq!(earliest_source(&[Some(SimTime(2)), Some(SimTime(1))]), Some(1));
        assert_eq!(earliest_source(&[None, None]), None);
        cursor.advance();
        assert_eq!(cursor.peek_time(), Some(SimTime(3)));
        cursor.advance();
        assert_eq!(cursor.advance(), None);
        assert_eq!(cursor.consumed(), 2);
    }
}
