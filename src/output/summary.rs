//! The human summary printed on stdout after a run: one line per run, the figures people look at first.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};

use crate::output::runs_table::RunRecord;

pub fn summary_table(records: &[RunRecord]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "run",
        "label",
        "status",
        "VMs arrived",
        "placed",
        "rejected",
        "peak VMs",
        "mean active hosts",
        "energy kWh",
        "overload time",
        "events",
        "wall s",
    ]);
    for record in records {
        let mut row = vec![Cell::new(record.index), Cell::new(&record.label), Cell::new(record.status.as_str())];
        match &record.metrics {
            Some(metrics) => {
                let counters = &metrics.counters;
                row.extend([
                    Cell::new(counters.vms_arrived),
                    Cell::new(counters.vms_placed),
                    Cell::new(counters.vms_rejected),
                    Cell::new(metrics.peak_concurrent_vms),
                    Cell::new(format!("{:.2}", metrics.mean_active_hosts)),
                    Cell::new(format!("{:.1}", metrics.energy_kwh)),
                    Cell::new(format!("{:.4}", metrics.overload_time_fraction)),
                    Cell::new(counters.events),
                    Cell::new(format!("{:.3}", metrics.wall_s)),
                ]);
            }
            None => row.push(Cell::new(record.error.as_deref().unwrap_or("failed"))),
        }
        table.add_row(row);
    }
    for column in table.column_iter_mut().skip(3) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table.to_string()
}
