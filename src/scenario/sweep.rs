//! `[sweep]`: axes of a parameter study, expanded into runs.
//!
//! ```toml
//! [sweep]
//! replications = 3                                     # every point with 3 demand seeds
//! zip = [["consolidation.overload", "consolidation.selection"]]   # these move together
//! "workload.day" = ["20110303", "20110306"]             # a list of values
//! "oversubscription.cpu_allocation_ratio" = { from = 1.0, to = 4.0, step = 0.5 }   # a range
//! "consolidation.overload" = [{ kind = "thr", threshold = 0.8 }, { kind = "mad", s = 2.5 }]  # whole tables
//! ```
//!
//! Any scenario field is an axis, by the dotted path `--set` takes. Axes combine as a cartesian product, in the
//! order of their paths (sorted), the last varying fastest; a `zip` group is one axis whose members take their
//! i-th values together. Ranges are built by index (`from + i × step`), never by adding steps.

use crate::scenario::ScenarioError;

/// At most this many runs in one sweep; more is almost certainly a mistake in a range.
pub const MAX_RUNS: u64 = 10_000_000;

/// One axis: a field path and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// A parsed `[sweep]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// Sorted by path.
    pub axes: Vec<Axis>,
    pub zip: Vec<Vec<String>>,
    pub replications: u32,
}

/// One point of the sweep: the value of every axis, as `(path, value)` assignments.
pub type Point = Vec<(String, toml::Value)>;

fn invalid(origin: &str, field: &str, message: String) -> ScenarioError {
    ScenarioError::Invalid { origin: origin.to_string(), field: field.to_string(), message }
}

impl Sweep {
    /// Reads the `[sweep]` table of the scenario `origin`.
    pub fn parse(table: &toml::Table, origin: &str) -> Result<Sweep, ScenarioError> {
        let mut sweep = Sweep { axes: Vec::new(), zip: Vec::new(), replications: 1 };
        for (key, value) in table {
            let field = format!("sweep.{key}");
            match key.as_str() {
                "replications" => {
                    sweep.replications =
                        value.as_integer().filter(|count| (1..=1_000_000).contains(count)).ok_or_else(|| {
                            invalid(origin, &field, format!("must be a whole number from 1 to 1000000, got {value}"))
                        })? as u32;
                }
                "zip" => {
                    let groups = value.as_array().ok_or_else(|| {
                        invalid(origin, &field, "must be a list of lists of axis paths, e.g. [[\"a.b\", \"c\"]]".into())
                    })?;
                    for group in groups {
                        let paths: Option<Vec<String>> = group
                            .as_array()
                            .map(|paths| paths.iter().map(|path| path.as_str().map(str::to_string)).collect())
                            .unwrap_or(None);
                        match paths {
                            Some(paths) if paths.len() >= 2 => sweep.zip.push(paths),
                            _ => {
                                return Err(invalid(
                                    origin,
                                    &field,
                                    format!("each group must list two or more axis paths as text, got {group}"),
                                ))
                            }
                        }
                    }
                }
                path => {
                    let values = axis_values(value).map_err(|message| invalid(origin, &field, message))?;
                    sweep.axes.push(Axis { path: path.to_string(), values });
                }
            }
        }
        sweep.axes.sort_by(|a, b| a.path.cmp(&b.path));
        for (group_index, group) in sweep.zip.iter().enumerate() {
            let field = format!("sweep.zip[{group_index}]");
            let mut length = None;
            for path in group {
                let Some(axis) = sweep.axes.iter().find(|axis| &axis.path == path) else {
                    let known: Vec<&str> = sweep.axes.iter().map(|axis| axis.path.as_str()).collect();
                    return Err(invalid(
                        origin,
                        &field,
                        format!("{path:?} is not an axis of this sweep; its axes are {known:?}"),
                    ));
                };
                if sweep.zip.iter().take(group_index).any(|earlier| earlier.contains(path)) {
                    return Err(invalid(origin, &field, format!("{path:?} is in two zip groups")));
                }
                match length {
                    None => length = Some(axis.values.len()),
                    Some(length) if length != axis.values.len() => {
                        return Err(invalid(
                            origin,
                            &field,
                            format!(
                                "zipped axes move together, so they need as many values each; {path:?} has {} where \
                                 {:?} has {length}",
                                axis.values.len(),
                                group[0]
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        let runs = sweep.point_count().saturating_mul(u64::from(sweep.replications));
        if runs > MAX_RUNS {
            return Err(invalid(
                origin,
                "sweep",
                format!("{runs} runs is more than fleetsim allows in one sweep ({MAX_RUNS}); check the ranges' steps"),
            ));
        }
        Ok(sweep)
    }

    /// Drops the axes `--set` fixes: a field given on the command line is no longer swept.
    pub fn without(&mut self, paths: &[&str]) {
        self.axes.retain(|axis| !paths.contains(&axis.path.as_str()));
        for group in &mut self.zip {
            group.retain(|path| !paths.contains(&path.as_str()));
        }
        self.zip.retain(|group| group.len() >= 2);
    }

    /// The groups that vary independently: each zip group, and every other axis alone, in path order.
    fn groups(&self) -> Vec<Vec<&Axis>> {
        let mut groups: Vec<Vec<&Axis>> = Vec::new();
        for axis in &self.axes {
            match self.zip.iter().find(|group| group.contains(&axis.path)) {
                Some(group) if group[0] != axis.path => {} // joined its group at the group's first member
                Some(group) => groups
                    .push(group.iter().filter_map(|path| self.axes.iter().find(|axis| &axis.path == path)).collect()),
                None => groups.push(vec![axis]),
            }
        }
        groups
    }

    fn point_count(&self) -> u64 {
        self.groups().iter().map(|group| group[0].values.len() as u64).fold(1u64, u64::saturating_mul)
    }

    /// Every point, the last group varying fastest.
    pub fn points(&self) -> Vec<Point> {
        let groups = self.groups();
        let total = self.point_count() as usize;
        let mut points = Vec::with_capacity(total);
        for mut remainder in 0..total {
            let mut point = Vec::new();
            let mut chosen = vec![0; groups.len()];
            for (slot, group) in groups.iter().enumerate().rev() {
                let count = group[0].values.len();
                chosen[slot] = remainder % count;
                remainder /= count;
            }
            for (group, &index) in groups.iter().zip(&chosen) {
                for axis in group {
                    point.push((axis.path.clone(), axis.values[index].clone()));
                }
            }
            points.push(point);
        }
        points
    }
}

/// An axis's values: a list, a range table, or a single value.
fn axis_values(value: &toml::Value) -> Result<Vec<toml::Value>, String> {
    match value {
        toml::Value::Array(values) if values.is_empty() => {
            Err("an axis needs at least one value; remove it or give it values".to_string())
        }
        toml::Value::Array(values) => Ok(values.clone()),
        toml::Value::Table(table) if table.contains_key("from") || table.contains_key("step") => range(table),
        single => Ok(vec![single.clone()]),
    }
}

/// `{ from, to, step }`: integers when all three are, decimals otherwise; `to` included when a step lands on it.
fn range(table: &toml::Table) -> Result<Vec<toml::Value>, String> {
    const EXAMPLE: &str = "write a range as { from = 0.5, to = 1.0, step = 0.1 }";
    if let Some(extra) = table.keys().find(|key| !["from", "to", "step"].contains(&key.as_str())) {
        return Err(format!("a range has only from, to and step, not {extra:?}; {EXAMPLE}"));
    }
    let get = |name: &str| table.get(name).ok_or_else(|| format!("the range has no {name}; {EXAMPLE}"));
    let (from, to, step) = (get("from")?, get("to")?, get("step")?);
    let number = |name: &str, value: &toml::Value| match value {
        toml::Value::Integer(number) => Ok(*number as f64),
        toml::Value::Float(number) if number.is_finite() => Ok(*number),
        other => Err(format!("range {name} must be a number, got {other}")),
    };
    let (start, end, width) = (number("from", from)?, number("to", to)?, number("step", step)?);
    if width <= 0.0 {
        return Err(format!("range step must be above 0, got {width}"));
    }
    if end < start {
        return Err(format!("the range from {start} to {end} is empty: to must be at least from"));
    }
    // A step that lands on `to` within rounding includes it.
    let count = ((end - start) / width * (1.0 + 1e-12) + 1e-9).floor() as u64 + 1;
    if count > 1_000_000 {
        return Err(format!("the range from {start} to {end} by {width} has {count} values; fleetsim allows 1000000"));
    }
    let integers = [from, to, step].iter().all(|value| value.is_integer());
    Ok((0..count)
        .map(|index| {
            if integers {
                toml::Value::Integer(start as i64 + index as i64 * width as i64)
            } else {
                // Built by index; rounded to 12 significant decimals so 0.1 steps read 0.3, not 0.30000000000000004.
                let value = start + index as f64 * width;
                toml::Value::Float(format!("{value:.12e}").parse().unwrap_or(value))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Sweep, String> {
        let table: toml::Table = toml::from_str(text).map_err(|error| error.to_string())?;
        Sweep::parse(&table, "test").map_err(|error| error.to_string())
    }

    fn floats(values: &[toml::Value]) -> Vec<f64> {
        values.iter().map(|value| value.as_float().unwrap()).collect()
    }

    #[test]
    fn ranges_are_built_by_index() {
        let sweep = parse("x = { from = 0.5, to = 1.0, step = 0.1 }\ny = { from = 1, to = 7, step = 3 }").unwrap();
        assert_eq!(floats(&sweep.axes[0].values), vec![0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
        let integers: Vec<i64> = sweep.axes[1].values.iter().map(|value| value.as_integer().unwrap()).collect();
        assert_eq!(integers, vec![1, 4, 7]);
        // 0.1 × 3 is 0.30000000000000004 in binary; the range gives 0.3.
        let tenths = parse("x = { from = 0.0, to = 0.3, step = 0.1 }").unwrap();
        assert_eq!(floats(&tenths.axes[0].values), vec![0.0, 0.1, 0.2, 0.3]);
    }

    #[test]
    fn bad_ranges_are_named() {
        for (text, hint) in [
            ("x = { from = 1.0, to = 0.5, step = 0.1 }", "empty"),
            ("x = { from = 0.0, to = 1.0, step = 0.0 }", "above 0"),
            ("x = { from = 0.0, to = 1e9, step = 1e-3 }", "allows 1000000"),
            ("x = { from = 0.0, to = 1.0 }", "no step"),
            ("x = { from = 0.0, to = 1.0, step = 0.5, by = 2 }", "not \"by\""),
            ("x = []", "at least one value"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains("sweep.x") && error.contains(hint), "{text}: {error}");
        }
    }

    #[test]
    fn axes_combine_as_a_product_and_zip_groups_move_together() {
        let sweep = parse("a = [1, 2]\nb = [\"x\", \"y\", \"z\"]\nc = [10, 20, 30]\nzip = [[\"b\", \"c\"]]").unwrap();
        let points = sweep.points();
        assert_eq!(points.len(), 6);
        let text = |point: &Point| point.iter().map(|(path, value)| format!("{path}={value}")).collect::<Vec<_>>();
        assert_eq!(text(&points[0]), vec!["a=1", "b=\"x\"", "c=10"]);
        assert_eq!(text(&points[1]), vec!["a=1", "b=\"y\"", "c=20"]);
        assert_eq!(text(&points[5]), vec!["a=2", "b=\"z\"", "c=30"]);
    }

    #[test]
    fn zip_errors_name_the_group() {
        let error = parse("a = [1, 2]\nb = [1]\nzip = [[\"a\", \"b\"]]").unwrap_err();
        assert!(error.contains("sweep.zip[0]") && error.contains("as many values"), "{error}");
        let error = parse("a = [1, 2]\nzip = [[\"a\", \"nope\"]]").unwrap_err();
        assert!(error.contains("\"nope\" is not an axis") && error.contains("[\"a\"]"), "{error}");
    }

    #[test]
    fn a_set_field_leaves_the_sweep() {
        let mut sweep = parse("a = [1, 2]\nb = [1, 2]\nzip = [[\"a\", \"b\"]]\nc = [5, 6, 7]").unwrap();
        sweep.without(&["b", "c"]);
        assert_eq!(sweep.points().len(), 2);
        assert!(sweep.zip.is_empty());
    }

    #[test]
    fn replications_and_absurd_sizes() {
        assert_eq!(parse("replications = 3\na = [1]").unwrap().replications, 3);
        assert!(parse("replications = 0").unwrap_err().contains("sweep.replications"));
        let error =
            parse("a = { from = 0, to = 999999, step = 1 }\nb = { from = 0, to = 999999, step = 1 }").unwrap_err();
        assert!(error.contains("more than fleetsim allows"), "{error}");
    }
}
