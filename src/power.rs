//! Host power models: how a host's draw follows its CPU utilisation.
//!
//! `linear` (idle to max), `spec_power` (a SPECpower_ssj2008 table at evenly spaced loads, linearly
//! interpolated, as CloudSim's `PowerModelSpecPower`), and the two HP ProLiant tables of CloudSim's PlanetLab
//! experiments by name. What an empty host draws (idle, off, or asleep) is the scenario's `hosts.empty`.

pub mod spec_power;

use serde::{Deserialize, Serialize};

/// `power = { kind = "linear", idle_w = 270.0, max_w = 450.0 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PowerModel {
    /// `idle_w + (max_w - idle_w) * utilization`.
    Linear { idle_w: f64, max_w: f64 },
    /// Watts at evenly spaced utilisations from 0 % to 100 % (11 values for SPECpower's 0, 10, ..., 100 %),
    /// linearly interpolated in between.
    SpecPower { watts: Vec<f64> },
    /// HP ProLiant ML110 G4 (Xeon 3040), CloudSim's `PowerModelSpecPowerHpProLiantMl110G4Xeon3040`.
    HpProliantMl110G4 {},
    /// HP ProLiant ML110 G5 (Xeon 3075), CloudSim's `PowerModelSpecPowerHpProLiantMl110G5Xeon3075`.
    HpProliantMl110G5 {},
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
        match self {
            PowerModel::Linear { idle_w, max_w } => idle_w + (max_w - idle_w) * utilization,
            PowerModel::SpecPower { watts } => spec_power::interpolate(watts, utilization),
            PowerModel::HpProliantMl110G4 {} => spec_power::HP_PROLIANT_ML110_G4_STEPS.watts(utilization),
            PowerModel::HpProliantMl110G5 {} => spec_power::HP_PROLIANT_ML110_G5_STEPS.watts(utilization),
        }
    }

    pub fn idle_watts(&self) -> f64 {
        self.watts(0.0)
    }

    pub fn max_watts(&self) -> f64 {
        self.watts(1.0)
    }

    /// Checks the parameters; the message names the field and the fix.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PowerModel::Linear { idle_w, max_w } => {
                if !(idle_w.is_finite() && max_w.is_finite() && *idle_w >= 0.0 && max_w >= idle_w) {
                    return Err(format!(
                        "linear power model needs 0 <= idle_w <= max_w (finite watts), got idle_w = {idle_w}, max_w = {max_w}"
                    ));
                }
                Ok(())
            }
            PowerModel::SpecPower { watts } => spec_power::validate(watts),
            PowerModel::HpProliantMl110G4 {} | PowerModel::HpProliantMl110G5 {} => Ok(()),
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

    #[test]
    fn named_tables_are_the_reference_tables() {
        // Reference §2.1: G4 86 W idle, 117 W at 100 %; G5 93.7 W and 135 W.
        assert_eq!(PowerModel::HpProliantMl110G4 {}.watts(0.0), 86.0);
        assert_eq!(PowerModel::HpProliantMl110G4 {}.max_watts(), 117.0);
        assert_eq!(PowerModel::HpProliantMl110G5 {}.idle_watts(), 93.7);
        assert_eq!(PowerModel::HpProliantMl110G5 {}.watts(1.0), 135.0);
        // G5 at 45 %: halfway between 110 W (40 %) and 116 W (50 %).
        assert!((PowerModel::HpProliantMl110G5 {}.watts(0.45) - 113.0).abs() < 1e-9);
    }

    #[test]
    fn scenario_tables_parse() {
        let model: PowerModel = toml::from_str("kind = \"spec_power\"\nwatts = [10.0, 20.0, 40.0]").unwrap();
        assert_eq!(model.watts(0.75), 30.0);
        let error = toml::from_str::<PowerModel>("kind = \"hp_proliant_ml110_g4\"\nwatts = [1.0]").unwrap_err();
        assert!(error.to_string().contains("watts"), "{error}");
    }
}
