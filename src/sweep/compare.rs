//! `fleetsim compare`: are two runs tables the same data? Every column is compared value by value (decimals
//! bit for bit, so NaN equals NaN and 0.1 + 0.2 does not equal 0.3), except wall-clock timings, which differ
//! between identical runs.

use arrow_array::{Array, Float64Array, RecordBatch};

/// Columns that measure the machine, not the simulation.
pub const TIMING_COLUMNS: [&str; 1] = ["wall_s"];

/// `Ok` when `a` and `b` hold the same columns, rows and values (ignoring [`TIMING_COLUMNS`]), else the first
/// difference.
pub fn compare_tables(a: &RecordBatch, b: &RecordBatch) -> Result<(), String> {
    let names = |batch: &RecordBatch| -> Vec<String> {
        batch
            .schema()
            .fields()
            .iter()
            .map(|field| field.name().clone())
            .filter(|name| !TIMING_COLUMNS.contains(&name.as_str()))
            .collect()
    };
    let (columns_a, columns_b) = (names(a), names(b));
    if columns_a != columns_b {
        let only_a: Vec<&String> = columns_a.iter().filter(|name| !columns_b.contains(name)).collect();
        let only_b: Vec<&String> = columns_b.iter().filter(|name| !columns_a.contains(name)).collect();
        return Err(format!("the columns differ: only in the first {only_a:?}, only in the second {only_b:?}"));
    }
    if a.num_rows() != b.num_rows() {
        return Err(format!("the first table has {} rows, the second {}", a.num_rows(), b.num_rows()));
    }
    let run_of = |row: usize| {
        a.column_by_name("run_index")
            .and_then(|column| column.as_any().downcast_ref::<arrow_array::UInt64Array>())
            .map_or(format!("row {row}"), |runs| format!("run {}", runs.value(row)))
    };
    for name in &columns_a {
        let (left, right) = (a.column_by_name(name), b.column_by_name(name));
        let (Some(left), Some(right)) = (left, right) else { continue };
        if left.data_type() != right.data_type() {
            return Err(format!("column {name}: {} against {}", left.data_type(), right.data_type()));
        }
        if let (Some(left), Some(right)) =
            (left.as_any().downcast_ref::<Float64Array>(), right.as_any().downcast_ref::<Float64Array>())
        {
            for row in 0..left.len() {
                let value = |array: &Float64Array| (!array.is_null(row)).then(|| array.value(row).to_bits());
                if value(left) != value(right) {
                    return Err(format!(
                        "column {name}, {}: {:?} against {:?}",
                        run_of(row),
                        (!left.is_null(row)).then(|| left.value(row)),
                        (!right.is_null(row)).then(|| right.value(row))
                    ));
                }
            }
        } else if left.to_data() != right.to_data() {
            let row = (0..left.len()).find(|&row| left.slice(row, 1).to_data() != right.slice(row, 1).to_data());
            return Err(format!("column {name} differs at {}", row.map_or("some row".to_string(), run_of)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn table(wall: f64, energy: f64) -> RecordBatch {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("run_index", arrow_schema::DataType::UInt64, false),
            arrow_schema::Field::new("energy_kwh", arrow_schema::DataType::Float64, true),
            arrow_schema::Field::new("wall_s", arrow_schema::DataType::Float64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(arrow_array::UInt64Array::from(vec![0, 1])),
                Arc::new(Float64Array::from(vec![Some(energy), None])),
                Arc::new(Float64Array::from(vec![wall, wall])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn timings_are_ignored_and_values_compared_bit_for_bit() {
        assert_eq!(compare_tables(&table(1.0, 2.5), &table(9.0, 2.5)), Ok(()));
        assert_eq!(compare_tables(&table(1.0, f64::NAN), &table(1.0, f64::NAN)), Ok(()));
        let error = compare_tables(&table(1.0, 2.5), &table(1.0, 2.5000000000000004)).unwrap_err();
        assert!(error.contains("energy_kwh") && error.contains("run 0"), "{error}");
    }
}
