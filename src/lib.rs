//! fleetsim: a trace-driven discrete-event simulator of an OpenStack/KVM host fleet.
//!
//! See `docs/architecture.md` for how the modules fit together.

pub mod inspect;
pub mod output;
pub mod time;
pub mod trace;
