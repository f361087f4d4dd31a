//! Synthetic Chameleon-like trace generator (helper fills this in).
