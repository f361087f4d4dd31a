//! A VM's utilisation history: its most recent values, oldest first, read as a slice.

use std::ops::{Deref, DerefMut};

/// The most recent values, oldest first. Dropping the oldest value when a new one comes moves nothing: the values
/// stay in a buffer whose dropped front is cut off only once it is as long as what is kept, so every VM's history
/// at every tick costs O(1) amortised instead of shifting the whole window.
#[derive(Clone, Debug, Default)]
pub struct UtilizationHistory {
    buffer: Vec<f64>,
    /// Where the kept values start in `buffer`.
    start: usize,
}

impl UtilizationHistory {
    /// Appends `value`, first dropping the oldest value if `length` or more are kept.
    pub fn push_bounded(&mut self, value: f64, length: usize) {
        if !self.is_empty() && self.len() >= length {
            self.start += 1;
        }
        if self.start > 0 && self.start >= self.len() {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.push(value);
    }
}

impl Deref for UtilizationHistory {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        &self.buffer[self.start..]
    }
}

impl DerefMut for UtilizationHistory {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.buffer[self.start..]
    }
}

impl From<Vec<f64>> for UtilizationHistory {
    fn from(values: Vec<f64>) -> Self {
        UtilizationHistory { buffer: values, start: 0 }
    }
}

impl FromIterator<f64> for UtilizationHistory {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Self {
        Vec::from_iter(values).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_values_like_a_shifted_window() {
        for length in 1..=7 {
            let mut history = UtilizationHistory::default();
            let mut window: Vec<f64> = Vec::new();
            for step in 0..50 {
                let value = f64::from(step) * 0.25;
                history.push_bounded(value, length);
                if window.len() >= length {
                    window.remove(0);
                }
                window.push(value);
                assert_eq!(&history[..], &window[..], "length {length}, step {step}");
                // The dropped front never outgrows what is kept (plus the value just pushed).
                assert!(history.buffer.len() <= 2 * length + 1, "length {length}: {}", history.buffer.len());
            }
        }
    }

    #[test]
    fn a_shorter_length_drops_one_value_per_push_as_before() {
        let mut history: UtilizationHistory = vec![1.0, 2.0, 3.0, 4.0].into();
        history.push_bounded(5.0, 2);
        assert_eq!(&history[..], &[2.0, 3.0, 4.0, 5.0]);
        let mut empty = UtilizationHistory::default();
        empty.push_bounded(1.0, 0);
        assert_eq!(&empty[..], &[1.0]);
    }
}
