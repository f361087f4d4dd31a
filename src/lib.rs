//! fleetsim: a trace-driven discrete-event simulator of an OpenStack/KVM host fleet.
//!
//! See `docs/architecture.md` for how the modules fit together.

pub mod cli;
pub mod consolidation;
pub mod engine;
pub mod fleet;
pub mod inspect;
pub mod metrics;
pub mod migration;
pub mod output;
pub mod policy;
pub mod power;
pub mod progress;
pub mod runner;
pub mod scenario;
pub mod simulation;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod usage;
pub mod workload;
