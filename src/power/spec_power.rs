//! SPECpower tables: watts at evenly spaced utilisations, linearly interpolated.

/// HP ProLiant ML110 G4 (Intel Xeon 3040, 2 cores × 1860 MHz): watts at 0, 10, ..., 100 % utilisation
/// (reference §2.1; SPECpower_ssj2008 results, as in CloudSim).
pub const HP_PROLIANT_ML110_G4: [f64; 11] = [86.0, 89.4, 92.6, 96.0, 99.5, 102.0, 106.0, 108.0, 112.0, 114.0, 117.0];

/// HP ProLiant ML110 G5 (Intel Xeon 3075, 2 cores × 2660 MHz).
pub const HP_PROLIANT_ML110_G5: [f64; 11] = [93.7, 97.0, 101.0, 105.0, 110.0, 116.0, 121.0, 125.0, 129.0, 133.0, 135.0];

/// Watts at `utilization` in [0, 1] from a table of at least two evenly spaced points from 0 % to 100 %, in
/// CloudSim's arithmetic (`PowerModelSpecPower.getPower`, written for 11 points; its steps generalised to the
/// table's), so that its rounding, which decides ties between hosts of the same type, is reproduced: a table
/// point where `utilization` is a multiple of the step (by `%`), else
/// `p1 + (p2 - p1) / n * (utilization - k1 / n) * n²` between the points `k1 = ⌊n·u⌋` and `k2 = ⌈n·u⌉`.
pub fn interpolate(watts: &[f64], utilization: f64) -> f64 {
    let steps = watts.len() - 1;
    let n = steps as f64;
    // With 10 steps the `%` test is redundant: it holds only at 0, 0.1, 0.2, 0.4 and 0.8 (the exact multiples
    // of the double 0.1 in [0, 1]), where n·u is an integer too, so the interpolation below returns that table
    // point as well (`rounds_as_cloudsim_does` checks it). Skipping it saves a `fmod` per host update.
    if steps != 10 && utilization % (1.0 / n) == 0.0 {
        return watts[((utilization * n) as usize).min(steps)];
    }
    let position = utilization * n;
    // ⌊·⌋ and ⌈·⌉ of a non-negative position by truncation: `floor` and `ceil` are calls on baseline x86-64.
    let truncated = position as usize;
    let ceiling = if truncated as f64 == position { truncated } else { truncated + 1 };
    let (below, above) = (truncated.min(steps), ceiling.min(steps));
    let delta = (watts[above] - watts[below]) / n;
    watts[below] + delta * (utilization - below as f64 / n) * (n * n)
}

/// An 11-point table (SPECpower's 0, 10, ..., 100 %) with each segment's slope term and start computed once, as
/// CloudSim computes them at every call: `(p2 - p1) / 10` and `k1 / 10`. The same values, so the same watts
/// as [`interpolate`], without its divisions (power is asked for at every host update and every placement
/// candidate).
#[derive(Clone, Copy, Debug)]
pub struct TenSteps {
    watts: [f64; 11],
    delta: [f64; 10],
    start: [f64; 10],
}

impl TenSteps {
    pub const fn new(watts: [f64; 11]) -> TenSteps {
        let (mut delta, mut start) = ([0.0; 10], [0.0; 10]);
        let mut k = 0;
        while k < 10 {
            delta[k] = (watts[k + 1] - watts[k]) / 10.0;
            start[k] = k as f64 / 10.0;
            k += 1;
        }
        TenSteps { watts, delta, start }
    }

    /// [`interpolate`] on this table, `utilization` in [0, 1].
    pub fn watts(&self, utilization: f64) -> f64 {
        let position = utilization * 10.0;
        let below = position as usize;
        if below >= 10 || below as f64 == position {
            // A table point: CloudSim's ⌊n·u⌋ = ⌈n·u⌉ makes its slope term 0, leaving p1.
            return self.watts[below.min(10)];
        }
        self.watts[below] + self.delta[below] * (utilization - self.start[below]) * 100.0
    }
}

pub static HP_PROLIANT_ML110_G4_STEPS: TenSteps = TenSteps::new(HP_PROLIANT_ML110_G4);
pub static HP_PROLIANT_ML110_G5_STEPS: TenSteps = TenSteps::new(HP_PROLIANT_ML110_G5);

pub fn validate(watts: &[f64]) -> Result<(), String> {
    if watts.len() < 2 {
        return Err(format!(
            "a spec_power table needs at least two values (watts at 0 % and 100 %, evenly spaced), got {}",
            watts.len()
        ));
    }
    if let Some(bad) = watts.iter().find(|value| !(value.is_finite() && **value >= 0.0)) {
        return Err(format!("spec_power watts must be finite and non-negative, got {bad}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_table_points() {
        // G4 at 25 %: halfway between 92.6 W (20 %) and 96 W (30 %) = 94.3 W.
        assert!((interpolate(&HP_PROLIANT_ML110_G4, 0.25) - 94.3).abs() < 1e-9);
        assert_eq!(interpolate(&HP_PROLIANT_ML110_G4, 0.3), 96.0);
        assert_eq!(interpolate(&[1.0, 3.0], 1.0), 3.0);
        assert!(validate(&[5.0]).unwrap_err().contains("two values"));
        assert!(validate(&[5.0, f64::NAN]).is_err());
    }

    /// CloudSim's arithmetic, spelled out for the 11-point tables as `PowerModelSpecPower.getPower` has it.
    #[test]
    fn rounds_as_cloudsim_does() {
        let cloudsim = |watts: &[f64; 11], utilization: f64| {
            if utilization % 0.1 == 0.0 {
                return watts[(utilization * 10.0) as usize];
            }
            let (utilization1, utilization2) = ((utilization * 10.0).floor(), (utilization * 10.0).ceil());
            let (power1, power2) = (watts[utilization1 as usize], watts[utilization2 as usize]);
            let delta = (power2 - power1) / 10.0;
            power1 + delta * (utilization - utilization1 / 10.0) * 100.0
        };
        let mut utilizations: Vec<f64> = (0..=1000).map(|i| f64::from(i) / 1000.0).collect();
        utilizations.extend([0.0, 1e-300, 0.1, 0.2, 0.4, 0.8, 0.1 - 1e-17, 0.3, 0.7, 1.0 - 1e-16, 0.07518796992481203]);
        for utilization in utilizations {
            for table in [&HP_PROLIANT_ML110_G4, &HP_PROLIANT_ML110_G5] {
                let (got, want) = (interpolate(table, utilization), cloudsim(table, utilization));
                assert_eq!(got.to_bits(), want.to_bits(), "at {utilization}");
                let steps = TenSteps::new(*table).watts(utilization);
                assert_eq!(steps.to_bits(), want.to_bits(), "at {utilization}, precomputed");
            }
        }
    }
}
