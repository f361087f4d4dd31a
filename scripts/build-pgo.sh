#!/usr/bin/env bash
# Builds fleetsim with profile-guided optimisation (PGO): an instrumented build runs a training sweep, and the
# final build is optimised with the branch and call counts it recorded. Results are identical to the default
# build's (PGO changes how the code is laid out and inlined, never the arithmetic). On our 2-core test machine
# the 1,000-run consolidation sweep took 8 % less time, 15 % less with --native (docs/benchmarks.md, "Issue 5,
# sixth pass").
#
#   scripts/build-pgo.sh                      # writes target/pgo/optimized/release/fleetsim
#   scripts/build-pgo.sh --native             # also built for this machine's processor (see docs/hpc.md)
#   scripts/build-pgo.sh -- my-study.toml --set workload.day=20110303    # train on your own sweep instead
#
# The default training sweep is one day of scenarios/consolidation-sweep.toml (100 runs: every detector and
# selector), which reads the PlanetLab data in ../shared/data/planetlab. Train on what you will run (trained on
# that sweep, the build ran an oversubscription scenario about 10 % slower than the default build): arguments
# after `--` are given to `fleetsim sweep` in place of the default (a scenario file, then any options but --out
# and --threads). Needs rustup's llvm-tools component (for llvm-profdata), added if missing.
#
# Environment: PGO_THREADS (default: all cores) for the training sweep; CARGO_TARGET_DIR is ignored (the builds
# go to target/pgo/instrumented and target/pgo/optimized, so the default build's directory is left alone).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
    echo "build-pgo: $*" >&2
    exit 1
}

native=""
train=("$root/scenarios/consolidation-sweep.toml" --set workload.day=20110309)
while [[ $# -gt 0 ]]; do
    case "$1" in
    --native) native="-C target-cpu=native" ;;
    --)
        shift
        [[ $# -gt 0 ]] || die "nothing after --: give a scenario (and its options) to train on"
        [[ -f "$1" ]] || die "training scenario '$1' not found (from $PWD)"
        train=("$(realpath "$1")" "${@:2}")
        break
        ;;
    *) die "unknown argument '$1'; usage: scripts/build-pgo.sh [--native] [-- SCENARIO [SWEEP OPTIONS]]" ;;
    esac
    shift
done
cd "$root"
unset CARGO_TARGET_DIR

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [[ ! -x "$profdata" ]]; then
    echo "== rustup component add llvm-tools (for llvm-profdata)"
    rustup component add llvm-tools ||
        die "cannot add rustup's llvm-tools component; install it (rustup component add llvm-tools) and retry"
fi
[[ -x "$profdata" ]] || die "llvm-profdata not found at $profdata after adding llvm-tools"

work="$root/target/pgo"
profiles="$work/profiles"
echo "== 1/3: instrumented build (target/pgo/instrumented)"
RUSTFLAGS="$native -Cprofile-generate=$profiles" cargo build --release --target-dir "$work/instrumented"
# The build scripts that ran during the build were instrumented too: only the training sweep's counts are kept.
rm -rf "$profiles"

echo "== 2/3: training sweep: fleetsim sweep ${train[*]}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
threads=${PGO_THREADS:-$(nproc)}
"$work/instrumented/release/fleetsim" sweep "${train[@]}" --threads "$threads" --out "$out/train" -q ||
    die "the training sweep failed (see above); fix it or train on another sweep (-- SCENARIO ...)"
"$profdata" merge -o "$work/fleetsim.profdata" "$profiles"

echo "== 3/3: optimised build (target/pgo/optimized)"
# From scratch: cargo may not see a new profile as a change, and keep a build optimised with an older one.
rm -rf "$work/optimized"
RUSTFLAGS="$native -Cprofile-use=$work/fleetsim.profdata" cargo build --release --target-dir "$work/optimized"
echo "built: $work/optimized/release/fleetsim"
