//! Host power models.

use serde::{Deserialize, Serialize};

/// How a host's power draw follows its CPU utilization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PowerModel {
    /// `idle_w + (max_w - idle_w) * utilization`.
    Linear { idle_w: f64, max_w: f64 },
}

impl Default for PowerModel {
    /// A typical dual-socket server of the KVM@TACC era (figures of the Neat testbed's energy model:
    /// idle 270 W, fully loaded 450 W).
    fn default() -> Self {
        PowerModel::Linear { idle_w: 270.0, max_w: 450.0 }
    }
}

impl PowerModel {
    /// Power in watts at `utilization` (a fraction, clamped to [0, 1]).
    pub fn watts(&self, utilization: f64) -> f64 {
        let utilization = utilization.clamp(0.0, 1.0);
        match *self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * utilization,
        }
    }

    pub fn idle_watts(&self) -> f64 {
        self.watts(0.0)
    }

    /// Checks the parameters; the message names the field and the fix.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            PowerModel::Linear { idle_w, max_w } => {
                if !(idle_w.is_finite() && max_w.is_finite() && idle_w >= 0.0 && max_w >= idle_w) {
                    return Err(format!(
                        "linear power model needs 0 <= idle_w <= max_w (finite watts), got idle_w = {idle_w}, max_w = {max_w}"
                    ));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_interpolates_and_clamps() {
        let model = PowerModel::Linear { idle_w: 100.0, max_w: 200.0 };
        assert_eq!(model.watts(0.0), 100.0);
        assert_eq!(model.watts(0.25), 125.0);
        assert_eq!(model.watts(1.7), 200.0);
        assert!(PowerModel::Linear { idle_w: 300.0, max_w: 200.0 }.validate().is_err());
    }
}
