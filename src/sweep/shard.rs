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

    /// A Slurm array task's shard: `SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT` (submit with
    /// `--array=0-(N-1)`); `None` outside an array job. `lookup` reads the environment.
    pub fn from_slurm(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let (Some(id), Some(count)) = (lookup("SLURM_ARRAY_TASK_ID"), lookup("SLURM_ARRAY_TASK_COUNT")) else {
            return Ok(None);
        };
        let min = lookup("SLURM_ARRAY_TASK_MIN").and_then(|min| min.trim().parse::<u64>().ok()).unwrap_or(0);
        let (id, count): (u64, u64) = match (id.trim().parse(), count.trim().parse()) {
            (Ok(id), Ok(count)) => (id, count),
            _ => return Err(format!("SLURM_ARRAY_TASK_ID={id:?} / SLURM_ARRAY_TASK_COUNT={count:?} are not numbers")),
        };
        let index = id.checked_sub(min).filter(|index| *index < count).ok_or_else(|| {
            format!(
                "Slurm array task {id} of {count} (from {min}) does not map to a shard: submit the array as \
                 --array=0-{} (consecutive ids), or pass --shard I/N",
                count.saturating_sub(1)
            )
        })?;
        Ok(Some(Shard { index, count }))
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
        let one_based =
            env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4"), ("SLURM_ARRAY_TASK_MIN", "1")]);
        assert_eq!(Shard::from_slurm(one_based).unwrap(), Some(Shard { index: 3, count: 4 }));
        let sparse = env(&[("SLURM_ARRAY_TASK_ID", "17"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert!(Shard::from_slurm(sparse).unwrap_err().contains("--array=0-3"));
    }
}
