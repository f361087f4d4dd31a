//! Sufficient statistics of an occurrence's samples, computed once when it joins a window, so that window
//! statistics (mean, standard deviation, the AR(1) stability fit) cost O(occurrences), not O(samples).

/// Sums over consecutive pairs (x[t], x[t+1]): enough for a least-squares line y ≈ a + b·x and its residuals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairSums {
    pub n: f64,
    pub x: f64,
    pub y: f64,
    pub xx: f64,
    pub xy: f64,
    pub yy: f64,
}

impl PairSums {
    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.x += x;
        self.y += y;
        self.xx += x * x;
        self.xy += x * y;
        self.yy += y * y;
    }

    pub fn merge(&mut self, other: &PairSums) {
        self.n += other.n;
        self.x += other.x;
        self.y += other.y;
        self.xx += other.xx;
        self.xy += other.xy;
        self.yy += other.yy;
    }

    /// Least-squares intercept and slope of y on x (a flat x gives slope 0: predict the mean of y).
    pub fn fit(&self) -> (f64, f64) {
        let spread = self.n * self.xx - self.x * self.x;
        let slope =
            if spread.abs() > 1e-12 * self.n * self.n { (self.n * self.xy - self.x * self.y) / spread } else { 0.0 };
        ((self.y - slope * self.x) / self.n, slope)
    }

    /// Root mean square error of `y ≈ a + b·x` over these pairs, from the sums alone.
    pub fn rmse(&self, (a, b): (f64, f64)) -> f64 {
        let squared =
            self.yy - 2.0 * a * self.y - 2.0 * b * self.xy + a * a * self.n + 2.0 * a * b * self.x + b * b * self.xx;
        (squared.max(0.0) / self.n).sqrt()
    }
}

/// One resource's samples in one occurrence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleSummary {
    pub count: f64,
    pub sum: f64,
    pub sum_squares: f64,
    pub max: f64,
    pub first: f64,
    pub last: f64,
    /// Consecutive pairs within the occurrence.
    pub pairs: PairSums,
}

impl SampleSummary {
    pub fn of(samples: &[f64]) -> SampleSummary {
        let mut summary = SampleSummary {
            first: samples.first().copied().unwrap_or(0.0),
            last: samples.last().copied().unwrap_or(0.0),
            ..SampleSummary::default()
        };
        let mut previous = None;
        for &value in samples {
            summary.count += 1.0;
            summary.sum += value;
            summary.sum_squares += value * value;
            summary.max = summary.max.max(value);
            if let Some(x) = previous {
                summary.pairs.add(x, value);
            }
            previous = Some(value);
        }
        summary
    }

    pub fn mean(&self) -> f64 {
        if self.count > 0.0 {
            self.sum / self.count
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmse_from_sums_matches_the_direct_computation() {
        let values = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0];
        let sums = SampleSummary::of(&values).pairs;
        let (a, b) = sums.fit();
        let direct = (values.windows(2).map(|pair| (pair[1] - a - b * pair[0]).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((sums.rmse((a, b)) - direct).abs() < 1e-12);
    }

    #[test]
    fn summary_of_samples() {
        let summary = SampleSummary::of(&[2.0, 4.0, 3.0]);
        assert_eq!((summary.count, summary.sum, summary.sum_squares, summary.max), (3.0, 9.0, 29.0, 4.0));
        assert_eq!((summary.first, summary.last, summary.mean()), (2.0, 3.0, 3.0));
        assert_eq!(summary.pairs.n, 2.0);
        assert_eq!(SampleSummary::of(&[]).mean(), 0.0);
    }
}
