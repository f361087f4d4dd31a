//! `f64::total_cmp`'s order as plain integers: integer keys sort and compare faster than a comparison closure
//! (the detectors' order statistics sort them; placement's ranking heap compares them).

/// `x`'s place in `f64::total_cmp`'s order as an integer (the same transform `total_cmp` applies).
pub fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// The inverse of [`total_order_key`] (the transform is its own inverse).
pub fn from_total_order_key(key: i64) -> f64 {
    f64::from_bits((key ^ (((key >> 63) as u64) >> 1) as i64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_order_keys_sort_as_total_cmp_and_round_trip() {
        let values = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1.5, -1.5, 5e-324, -5e-324];
        for a in values {
            assert_eq!(from_total_order_key(total_order_key(a)).to_bits(), a.to_bits());
            for b in values {
                assert_eq!(total_order_key(a).cmp(&total_order_key(b)), a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }
}
