//! A host's free MIPS as CloudSim's `VmSchedulerTimeSharedOverSubscription` computes them
//! (`getAvailableMips`), which PABFD's suitability test reads (`isSuitableForVm`: free MIPS ≥ the VM's request).
//!
//! The scheduler does not sum its VMs' requests: it subtracts them from the host's capacity one at a time, in the
//! order it allocates them (`allocatePesForVm`; a request that does not fit sets the free MIPS to 0, the host then
//! being shared by scaling). The order depends on what happened last:
//! - an update allocates the VMs in list order;
//! - a VM added to the host is subtracted last;
//! - a VM removed from it (`deallocatePesForVm`: a VM selected to leave, a placement undone, the probe of
//!   `isHostOverUtilizedAfterAllocation`, which creates the VM on the host and destroys it again, a VM removed
//!   at 0 demand) makes the scheduler start again from the capacity and allocate the rest in the iteration order
//!   of its `mipsMapRequested`, a Java `HashMap` keyed by the VMs' uids.
//!
//! Mathematically these orders give the same result; in floating point they differ in the last bit, and a host
//! packed to the limit (THR 1.0 packs hosts that way) is then suitable in one order and not in the other. So the
//! orders are reproduced, Java's hash map included: its buckets are `(h ^ (h >>> 16)) & (capacity − 1)` for the
//! uid's `String.hashCode` h, a bucket's entries in insertion order, its capacity 16 doubled whenever it holds more
//! than three quarters of it, and never shrunk.

/// CloudSim's user id of the PlanetLab experiment's broker, the first half of every VM's uid (`"2-17"`).
const BROKER_ID: u32 = 2;

/// One more VM allocated on a host with `free` MIPS, asking for `required` (its capped request, a tenth of it
/// while migrating in): CloudSim's `allocatePesForVm`.
pub fn allocate(free: f64, required: f64) -> f64 {
    if free >= required {
        free - required
    } else {
        0.0 // oversubscribed: every VM is scaled, nothing is left
    }
}

/// The hash map's capacity after it has held `most` entries at once.
pub fn map_capacity(most: usize) -> usize {
    let (mut capacity, mut threshold) = (16, 12);
    while most > threshold {
        capacity *= 2;
        threshold *= 2;
    }
    capacity
}

/// The bucket of VM `vm`'s uid in a hash map of `capacity` (a power of two).
pub fn bucket(vm: u32, capacity: usize) -> usize {
    spread_hash(vm) as usize & (capacity - 1)
}

/// `h ^ (h >>> 16)` for the uid's `String.hashCode` h (`31·h + c` over its characters, wrapping).
fn spread_hash(vm: u32) -> u32 {
    let step = |hash: i32, byte: u8| hash.wrapping_mul(31).wrapping_add(i32::from(byte));
    let mut digits = [0_u8; 10];
    let mut rest = vm;
    let mut count = 0;
    loop {
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let prefix = [b'0' + BROKER_ID as u8, b'-'];
    let hash = prefix.into_iter().chain(digits[..count].iter().rev().copied()).fold(0_i32, step) as u32;
    hash ^ (hash >> 16)
}

/// The VMs' required MIPS (`listed`: (VM, required), in insertion order) summed in the order of a hash map of
/// `capacity`: the total by which CloudSim's `redistributeMipsDueToOverSubscription` scales an oversubscribed
/// host's grants (`capacity / total`, each grant then rounded down, so the sum's last bit can move a grant by 1).
pub fn summed(listed: impl Iterator<Item = (u32, f64)>, capacity: usize) -> f64 {
    let mut entries: Vec<(usize, f64)> = listed.map(|(vm, required)| (bucket(vm, capacity), required)).collect();
    entries.sort_by_key(|&(bucket, _)| bucket);
    entries.iter().fold(0.0, |sum, &(_, required)| sum + required)
}

/// The free MIPS after the scheduler allocated `listed` (VM, required MIPS), given in insertion order, in the
/// order of a hash map of `capacity`, starting from `total`.
pub fn reallocated(total: f64, listed: impl Iterator<Item = (u32, f64)>, capacity: usize) -> f64 {
    let mut entries: Vec<(usize, f64)> = listed.map(|(vm, required)| (bucket(vm, capacity), required)).collect();
    // Stable: within a bucket, insertion order.
    entries.sort_by_key(|&(bucket, _)| bucket);
    entries.iter().fold(total, |free, &(_, required)| allocate(free, required))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_java_strings_do() {
        // Java 17 on these uids (`s.hashCode()`, then `h ^ (h >>> 16)` masked): "2-0" 49493, bucket 5 of 16 and 21
        // of 64; "2-123" 47565335, bucket 2 of both.
        assert_eq!((bucket(0, 16), bucket(0, 64)), (5, 21));
        assert_eq!((bucket(123, 16), bucket(123, 64)), (2, 2));
    }

    #[test]
    fn the_map_grows_past_three_quarters_and_never_shrinks() {
        assert_eq!((map_capacity(0), map_capacity(12), map_capacity(13)), (16, 16, 32));
        assert_eq!((map_capacity(24), map_capacity(25), map_capacity(49)), (32, 64, 128));
    }

    #[test]
    fn a_request_that_does_not_fit_leaves_nothing() {
        assert_eq!(allocate(100.0, 40.0), 60.0);
        assert_eq!(allocate(100.0, 100.0), 0.0);
        assert_eq!(allocate(100.0, 100.5), 0.0);
        // Once nothing is left, a request of 0 still fits and leaves 0.
        assert_eq!(allocate(0.0, 0.0), 0.0);
    }

    #[test]
    fn the_order_decides_the_last_bit() {
        // 0.1 + 0.2 + 0.3 against other orders, from 1: subtracting in a different order gives a different double.
        let requests = [(0, 0.1), (1, 0.2), (2, 0.3)];
        let in_order = requests.iter().fold(1.0, |free, &(_, r)| allocate(free, r));
        let reversed = requests.iter().rev().fold(1.0, |free, &(_, r)| allocate(free, r));
        assert_ne!(in_order.to_bits(), reversed.to_bits());
        // "2-0", "2-1", "2-2" fall in buckets 5, 6, 7 of 16: the map's order is their insertion order.
        assert_eq!((bucket(1, 16), bucket(2, 16)), (6, 7));
        assert_eq!(reallocated(1.0, requests.into_iter(), 16).to_bits(), in_order.to_bits());
    }
}
