//! SPECpower tables: watts at evenly spaced utilisations, linearly interpolated.

/// HP ProLiant ML110 G4 (Intel Xeon 3040, 2 cores × 1860 MHz): watts at 0, 10, ..., 100 % utilisation
/// (reference §2.1; SPECpower_ssj2008 results, as in CloudSim).
pub const HP_PROLIANT_ML110_G4: [f64; 11] = [86.0, 89.4, 92.6, 96.0, 99.5, 102.0, 106.0, 108.0, 112.0, 114.0, 117.0];

/// HP ProLiant ML110 G5 (Intel Xeon 3075, 2 cores × 2660 MHz).
pub const HP_PROLIANT_ML110_G5: [f64; 11] = [93.7, 97.0, 101.0, 105.0, 110.0, 116.0, 121.0, 125.0, 129.0, 133.0, 135.0];

/// Watts at `utilization` in [0, 1] from a table of at least two evenly spaced points from 0 % to 100 %.
pub fn interpolate(watts: &[f64], utilization: f64) -> f64 {
    let steps = watts.len() - 1;
    let position = utilization * steps as f64;
    // `as` truncates toward 0 and saturates, which for every input gives what `floor() as usize` gives, without
    // the call to `floor` (not an instruction on baseline x86-64): power is asked for at every host update.
    let below = (position as usize).min(steps);
    if below == steps {
        return watts[steps];
    }
    watts[below] + (watts[below + 1] - watts[below]) * (position - below as f64)
}

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

    #[test]
    fn the_segment_is_the_one_floor_picks() {
        let by_floor = |watts: &[f64], utilization: f64| {
            let steps = watts.len() - 1;
            let position = utilization * steps as f64;
            let below = (position.floor() as usize).min(steps);
            if below == steps {
                return watts[steps];
            }
            watts[below] + (watts[below + 1] - watts[below]) * (position - below as f64)
        };
        let mut utilizations: Vec<f64> = (0..=1000).map(|i| f64::from(i) / 1000.0).collect();
        utilizations.extend([-0.5, -0.0, 1e-300, 0.1 - 1e-17, 0.7, 1.0 - 1e-16, 1.5]);
        for utilization in utilizations {
            let (got, want) =
                (interpolate(&HP_PROLIANT_ML110_G5, utilization), by_floor(&HP_PROLIANT_ML110_G5, utilization));
            assert_eq!(got.to_bits(), want.to_bits(), "at {utilization}");
        }
    }
}
