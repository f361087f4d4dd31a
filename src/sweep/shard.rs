//! Which runs of a sweep this process owns: `--shard I/N` (every N-th run from I), or a Slurm array task's.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let usage = "write the shard as I/N with 0 <= I < N, e.g. --shard 0/4 for the first of four";
        let (index, count) = text.split_once('/').ok_or_else(|| format!("--shard {text:?}: {usage}"))?;
        let index: u64 = index.trim().parse().map_err(|_| format!("--shard {text:?}: {usage}"))?;
        let count: u64 = count.trim().parse().map_err(|_| format!("--shard {text:?}: {usage}"))?;
        if count == 0 || index >= count {
            return Err(format!("--shard {text:?}: {usage}"));
        }
        Ok(Shard { index, count })
    }

    /// A Slurm array task's shard: `SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`, for an array submitted as
    /// `--array=0-(N-1)`; `None` outside an array job. Any other array (1-based, sparse, a resubmission of
    /// some tasks) does not say how many shards the sweep has, so it is an error asking for `--shard`.
    /// `lookup` reads the environment.
    pub fn from_slurm(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let (Some(id), Some(count)) = (lookup("SLURM_ARRAY_TASK_ID"), lookup("SLURM_ARRAY_TASK_COUNT")) else {
            return Ok(None);
        };
        let number =
            |name: &str, text: &str| text.trim().parse::<u64>().map_err(|_| format!("{name}={text:?} is not a number"));
        let (id, count) = (number("SLURM_ARRAY_TASK_ID", &id)?, number("SLURM_ARRAY_TASK_COUNT", &count)?);
        let min = lookup("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |min| number("SLURM_ARRAY_TASK_MIN", &min))?;
        let max = lookup("SLURM_ARRAY_TASK_MAX")
            .map_or(Ok(count.saturating_sub(1)), |max| number("SLURM_ARRAY_TASK_MAX", &max))?;
        if count == 0 || min != 0 || max + 1 != count || id >= count {
            return Err(format!(
                "Slurm array task {id} (array {min}-{max}, {count} tasks) does not say which shard it is: only an \
                 array submitted as --array=0-(N-1) maps task ids to shards; pass --shard ID/N (as \
                 scripts/slurm/sweep.sbatch does) when resubmitting some tasks"
            ));
        }
        Ok(Some(Shard { index: id, count }))
    }

    /// Does this shard own run `run`?
    pub fn owns(&self, run: u64) -> bool {
        run % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_owns_every_nth_run() {
        let shard = Shard::parse("1/3").unwrap();
        let owned: Vec<u64> = (0..8).filter(|run| shard.owns(*run)).collect();
        assert_eq!(owned, vec![1, 4, 7]);
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).unwrap_err().contains("I/N"), "{bad}");
        }
    }

    #[test]
    fn slurm_array_tasks_map_to_shards() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
        };
        assert_eq!(Shard::from_slurm(env(&[])).unwrap(), None);
        let task = env(&[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(Shard::from_slurm(task).unwrap(), Some(Shard { index: 2, count: 4 }));
        // A resubmission of tasks 3 and 17 of a larger array says nothing of the original shard count.
        let resubmitted = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_MAX", "17"),
        ]);
        assert!(Shard::from_slurm(resubmitted).unwrap_err().contains("--shard ID/N"));
        let one_based =
            env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1")]);
        assert!(Shard::from_slurm(one_based).is_err());
    }
}
