//! `--set KEY=VALUE`: overrides applied to the parsed TOML before it is checked, so an override gets exactly
//! the validation a file value gets.
//!
//! VALUE is read as a TOML value (`16.0`, `true`, `"text"`, `{ kind = "first_fit" }`); anything that is not
//! valid TOML is taken as a plain string, so `--set placement.kind=first_fit` works without quotes. Setting a
//! `kind` to a different value drops the table's other keys: they belonged to the previous kind.

use crate::scenario::{RawScenario, ScenarioError};

/// Parses scenario `text` (from `origin`) and applies `overrides`. Errors in the file alone carry its line and
/// column; errors after overrides carry the field path.
pub fn parse_with_overrides(text: &str, origin: &str, overrides: &[String]) -> Result<RawScenario, ScenarioError> {
    let parse_error = |message: String| ScenarioError::Parse { origin: origin.to_string(), message };
    if overrides.is_empty() {
        return toml::from_str::<RawScenario>(text)
            .map_err(|error| parse_error(error.to_string().trim_end().to_string()));
    }
    let mut document: toml::Table =
        toml::from_str(text).map_err(|error| parse_error(error.to_string().trim_end().to_string()))?;
    for assignment in overrides {
        apply(&mut document, assignment)?;
    }
    serde_path_to_error::deserialize(toml::Value::Table(document)).map_err(|error| {
        let path = error.path().to_string();
        ScenarioError::Parse {
            origin: format!("{origin} with --set overrides"),
            // toml appends "in `path`" itself; the path already leads the message.
            message: format!("field {path}: {}", error.into_inner().message().trim_end()),
        }
    })
}

/// Applies one `KEY=VALUE` to `document`.
pub fn apply(document: &mut toml::Table, assignment: &str) -> Result<(), ScenarioError> {
    let fail = |message: String| ScenarioError::Override { assignment: assignment.to_string(), message };
    let Some((key, value_text)) = assignment.split_once('=') else {
        return Err(fail("expected KEY=VALUE, e.g. --set placement.kind=first_fit".to_string()));
    };
    let key = key.trim();
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    if parts.iter().any(|part| part.is_empty()) {
        return Err(fail(format!("{key:?} is not a dotted field path such as oversubscription.cpu_allocation_ratio")));
    }
    let value = parse_value(value_text.trim());

    let (last, parents) = parts.split_last().expect("split of a non-empty key has a last part");
    let mut table = document;
    for (depth, part) in parents.iter().enumerate() {
        let path = parts[..=depth].join(".");
        let entry = table.entry(part.to_string()).or_insert_with(|| toml::Value::Table(default_table(&path)));
        table = match entry {
            toml::Value::Table(inner) => inner,
            _ => {
                let prefix = parts[..=depth].join(".");
                return Err(fail(format!("{prefix} is a value, not a table, so it has no field {}", parts[depth + 1])));
            }
        };
    }
    if *last == "kind" && table.get("kind") != Some(&value) {
        table.clear();
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// A table the override creates starts from its defaults: for a policy table that includes its default
/// `kind`, so `--set oversubscription.cpu_allocation_ratio=4` works on a file without `[oversubscription]`.
fn default_table(path: &str) -> toml::Table {
    let value = match path {
        "oversubscription" => toml::Value::try_from(crate::policy::oversubscription::OversubscriptionConfig::default()),
        "placement" => toml::Value::try_from(crate::policy::placement::PlacementConfig::default()),
        "usage" => toml::Value::try_from(crate::usage::UsageConfig::default()),
        "hosts.power" => toml::Value::try_from(crate::power::PowerModel::default()),
        _ => return toml::Table::new(),
    };
    match value {
        Ok(toml::Value::Table(table)) => table,
        _ => toml::Table::new(),
    }
}

/// Reads `text` as a TOML value, or as a plain string if it is not one.
fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("value = {text}"))
        .ok()
        .and_then(|mut table| table.remove("value"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[trace]
instances = "trace.csv"
[hosts]
types = [{ name = "kvm", count = 2, vcpus = 48, memory_mb = 131072, disk_gb = 2000 }]
[placement]
kind = "filter_scheduler"
ram_weight_multiplier = -1.0
"#;

    fn parse(overrides: &[&str]) -> Result<RawScenario, ScenarioError> {
        let overrides: Vec<String> = overrides.iter().map(|text| text.to_string()).collect();
        parse_with_overrides(BASE, "test.toml", &overrides)
    }

    #[test]
    fn values_are_typed_and_bare_words_are_strings() {
        let raw = parse(&["oversubscription.cpu_allocation_ratio=4", "trace.lenient=true", "placement.kind=first_fit"])
            .unwrap();
        assert!(raw.trace.as_ref().unwrap().lenient);
        assert_eq!(
            raw.placement,
            crate::policy::placement::PlacementConfig::FirstFit {},
            "other keys dropped with the kind"
        );
        let crate::policy::oversubscription::OversubscriptionConfig::Static { cpu_allocation_ratio, .. } =
            raw.oversubscription
        else {
            panic!("the default oversubscription kind is static, got {:?}", raw.oversubscription);
        };
        assert_eq!(cpu_allocation_ratio, 4.0);
    }

    #[test]
    fn unknown_fields_and_bad_types_name_the_field() {
        let error = parse(&["placement.ram_weight_multiplier=lots"]).unwrap_err().to_string();
        assert!(error.contains("placement"), "{error}");
        let error = parse(&["trace.lenientt=true"]).unwrap_err().to_string();
        assert!(error.contains("lenientt") && error.contains("lenient"), "{error}");
        let error = parse(&["novalue"]).unwrap_err().to_string();
        assert!(error.contains("KEY=VALUE"), "{error}");
        let error = parse(&["trace.instances.x=1"]).unwrap_err().to_string();
        assert!(error.contains("trace.instances is a value"), "{error}");
    }

    #[test]
    fn file_errors_carry_line_numbers() {
        let text = BASE.replace("ram_weight_multiplier", "ram_wieght_multiplier");
        let error = parse_with_overrides(&text, "bad.toml", &[]).unwrap_err().to_string();
        // serde reports unknown fields of a tagged table at the table's header (line 6).
        assert!(
            error.starts_with("bad.toml:") && error.contains("line 6") && error.contains("ram_wieght_multiplier"),
            "{error}"
        );
    }
}
