//! Pluggable decisions. Each kind of decision is a trait file with a closed, serde-tagged config enum, and a
//! folder with one file per algorithm. Policies only read the fleet; the simulation applies what they decide.

pub mod oversubscription;
pub mod placement;
