//! `fleetsim inspect`: the statistics of the Chameleon notebooks (helper fills this in).
