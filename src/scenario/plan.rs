//! Every run a scenario file describes, planned without building them: `[[variants]]` × `[sweep]` points ×
//! replications. A plan holds each run's label and overrides (a few strings), and builds a run's [`Scenario`]
//! on demand, so a sweep of 10,000 runs costs memory for its plan, not for 10,000 resolved scenarios.

use std::path::{Path, PathBuf};

use crate::scenario::sweep::Sweep;
use crate::scenario::{overrides, Scenario, ScenarioError};

/// One planned run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    /// The variant's label, if any (else the scenario's own label is used).
    pub base_label: Option<String>,
    /// The sweep point, as `path=value` text appended to the label (empty without a sweep).
    pub point: String,
    /// Overrides in `--set` syntax: the variant's, the point's, then the command line's.
    pub overrides: Vec<String>,
    /// Which replication of its point (0-based): it seeds the run's demand.
    pub replication: u32,
    /// Where the run comes from, for error messages.
    pub origin: String,
}

#[derive(Clone, Debug)]
pub struct ScenarioPlan {
    text: String,
    origin: String,
    base_dir: Option<PathBuf>,
    /// FNV-1a of the scenario text and the command line's overrides: what every result file of the sweep
    /// carries, so that shards of different sweeps are never merged.
    pub hash: u64,
    /// The scenario's `seed` (with overrides): run i's seed derives from it, even for a run that cannot be built.
    pub base_seed: u64,
    pub runs: Vec<RunPlan>,
}

impl ScenarioPlan {
    /// Plans the runs of the scenario file at `path`, with command-line overrides.
    pub fn load(path: &Path, overrides: &[String]) -> Result<ScenarioPlan, ScenarioError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ScenarioError::Io { path: path.to_path_buf(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        ScenarioPlan::from_text(&text, &path.display().to_string(), Some(&base_dir), overrides)
    }

    /// [`ScenarioPlan::load`] on text; `base_dir` `None` is the embedded default.
    pub fn from_text(
        text: &str,
        origin: &str,
        base_dir: Option<&Path>,
        overrides: &[String],
    ) -> Result<ScenarioPlan, ScenarioError> {
        let raw = overrides::parse_with_overrides(text, origin, overrides)?;
        let variants: Vec<(Option<String>, Vec<String>, String)> = if raw.variants.is_empty() {
            vec![(None, Vec::new(), origin.to_string())]
        } else {
            raw.variants
                .iter()
                .enumerate()
                .map(|(index, variant)| {
                    let origin = format!("{origin}, variants[{index}] ({})", variant.label);
                    (Some(variant.label.clone()), variant.set.clone(), origin)
                })
                .collect()
        };
        let (points, replications) = match &raw.sweep {
            None => (vec![Vec::new()], 1),
            Some(table) => {
                let mut sweep = Sweep::parse(table, origin)?;
                let fixed: Vec<&str> = overrides
                    .iter()
                    .filter_map(|assignment| assignment.split_once('=').map(|(key, _)| key.trim()))
                    .collect();
                sweep.without(&fixed);
                (sweep.points(), sweep.replications)
            }
        };
        let mut runs = Vec::with_capacity(variants.len() * points.len() * replications as usize);
        for (base_label, variant_set, variant_origin) in &variants {
            for point in &points {
                let point_text: Vec<String> = point.iter().map(|(path, value)| format!("{path}={value}")).collect();
                for replication in 0..replications {
                    let mut all = variant_set.clone();
                    all.extend(point_text.iter().cloned());
                    all.extend(overrides.iter().cloned());
                    runs.push(RunPlan {
                        base_label: base_label.clone(),
                        point: point_text.join(" "),
                        overrides: all,
                        replication,
                        origin: if point.is_empty() {
                            variant_origin.clone()
                        } else {
                            format!("{variant_origin}, sweep point {}", point_text.join(" "))
                        },
                    });
                }
            }
        }
        let mut hash_input = text.to_string();
        for assignment in overrides {
            hash_input.push('\n');
            hash_input.push_str(assignment);
        }
        let plan = ScenarioPlan {
            text: text.to_string(),
            origin: origin.to_string(),
            base_dir: base_dir.map(Path::to_path_buf),
            hash: crate::usage::planetlab::stable_hash(&hash_input),
            base_seed: raw.seed,
            runs,
        };
        plan.check_axes(raw.sweep.is_some())?;
        Ok(plan)
    }

    /// Builds run `index`.
    pub fn scenario(&self, index: usize) -> Result<Scenario, ScenarioError> {
        let run = &self.runs[index];
        let mut scenario = Scenario::from_text(&self.text, &run.origin, self.base_dir.as_deref(), &run.overrides)?;
        if let Some(label) = &run.base_label {
            scenario.label = label.clone();
        }
        if !run.point.is_empty() {
            scenario.label = format!("{} {}", scenario.label, run.point);
        }
        scenario.replication = run.replication;
        Ok(scenario)
    }

    /// Every run, built (for `fleetsim run` and `validate`).
    pub fn scenarios(&self) -> Result<Vec<Scenario>, ScenarioError> {
        (0..self.runs.len()).map(|index| self.scenario(index)).collect()
    }

    /// The scenario's text and origin, for hashing and messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A sweep axis naming no field (or a value of the wrong type) is a mistake in the file, not a failed run:
    /// build the first run, whose overrides name every axis, so such an axis fails here with the field's name
    /// and the valid ones. A value that parses but fails a check (a bad combination) is left to its run, which
    /// becomes a failed row.
    fn check_axes(&self, has_sweep: bool) -> Result<(), ScenarioError> {
        if !has_sweep || self.runs.is_empty() {
            return Ok(());
        }
        match self.scenario(0) {
            Err(error @ (ScenarioError::Parse { .. } | ScenarioError::Override { .. })) => Err(error),
            _ => Ok(()),
        }
    }
}
