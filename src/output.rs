//! Result files: Arrow IPC tables, atomic writes, the human summary.
pub mod atomic;
