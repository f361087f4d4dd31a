#!/usr/bin/env bash
# Every notebook, headless, from a clean clone (with ../shared beside it), in one command:
#
#   bash notebooks/run-all.sh
#
# 1. creates notebooks/.venv from notebooks/requirements.txt (once; again when the requirements change);
# 2. builds fleetsim (cargo build --release; CARGO_TARGET_DIR is respected) and runs the fleetsim commands the
#    notebooks read, into results/notebooks/;
# 3. executes every notebooks/*.ipynb with nbconvert (executed copies in results/notebooks/executed/; the
#    committed notebooks stay without outputs), which write their figures as PNG files to docs/figures/;
# 4. under CI (the CI variable set), fails if docs/figures/ now differs from what is committed.
#
# Environment (all optional):
#   FLEETSIM=/path/to/fleetsim     use this binary instead of building one
#   FLEETSIM_TRACE=/path/to/instance_events.csv [FLEETSIM_MACHINES=/path/to/machine_events.csv]
#                                  draw the Chameleon workload study of that trace (the real KVM@TACC trace, say)
#                                  instead of the synthetic one; figures then go to results/figures-real/
#   FLEETSIM_RESULTS=DIR           fleetsim's outputs (default results/notebooks)
#   FLEETSIM_FIGURES=DIR           the PNG files (default docs/figures, or results/figures-real with FLEETSIM_TRACE)
#   NOTEBOOKS_VENV=DIR             the virtual environment (default notebooks/.venv)
#   PYTHON=python3.11              the interpreter the environment is made from (3.11 or newer; default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
started=$SECONDS

step() { printf '== %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$1" >&2
    shift
    [[ $# -eq 0 ]] || printf '%s\n' "$@" >&2
    exit 1
}
absolute() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$REPO/$1" ;; esac }

# ---------------------------------------------------------------------------------------------------------- inputs
if [[ -n ${FLEETSIM_TRACE:-} ]]; then
    FLEETSIM_TRACE=$(absolute "$FLEETSIM_TRACE")
    [[ -f $FLEETSIM_TRACE ]] || die "FLEETSIM_TRACE=$FLEETSIM_TRACE: no such file"
    if [[ -n ${FLEETSIM_MACHINES:-} ]]; then
        FLEETSIM_MACHINES=$(absolute "$FLEETSIM_MACHINES")
        [[ -f $FLEETSIM_MACHINES ]] || die "FLEETSIM_MACHINES=$FLEETSIM_MACHINES: no such file"
    fi
    default_figures=results/figures-real
else
    [[ -z ${FLEETSIM_MACHINES:-} ]] || die "FLEETSIM_MACHINES needs FLEETSIM_TRACE (the instance events of the same cloud)"
    default_figures=docs/figures
fi
RESULTS=$(absolute "${FLEETSIM_RESULTS:-results/notebooks}")
FIGURES=$(absolute "${FLEETSIM_FIGURES:-$default_figures}")
VENV=$(absolute "${NOTEBOOKS_VENV:-notebooks/.venv}")
PLANETLAB=$REPO/../shared/data/planetlab
[[ -d $PLANETLAB/20110303 ]] ||
    die "no PlanetLab data at $PLANETLAB/20110303: the consolidation notebook needs ../shared/data beside the checkout"

# ----------------------------------------------------------------------------------------------------- Python env
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "the notebooks need Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11"
requirements_hash=$(sha256sum notebooks/requirements.txt | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || $(cat "$VENV/.requirements.sha256" 2>/dev/null) != "$requirements_hash" ]]; then
    step "virtual environment $VENV from notebooks/requirements.txt"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r notebooks/requirements.txt
    echo "$requirements_hash" >"$VENV/.requirements.sha256"
fi

# ------------------------------------------------------------------------------------------------------- fleetsim
if [[ -z ${FLEETSIM:-} ]]; then
    step "cargo build --release"
    [[ -f $HOME/.cargo/env ]] && source "$HOME/.cargo/env"
    command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs), or pass FLEETSIM=/path/to/fleetsim"
    cargo build --release --quiet
    FLEETSIM=$(absolute "${CARGO_TARGET_DIR:-target}")/release/fleetsim
fi
[[ -x $FLEETSIM ]] || die "FLEETSIM=$FLEETSIM is not an executable"

# Each command writes its own folder; earlier outputs are removed first (a sweep would otherwise resume).
outputs=(workload replay-trace.arrow planetlab planetlab-sweep chameleon-consolidation oversubscription executed logs)
mkdir -p "$RESULTS"
for output in "${outputs[@]}"; do rm -rf "${RESULTS:?}/$output"; done
mkdir -p "$RESULTS/logs" "$RESULTS/workload"

# Runs a fleetsim command with its output in logs/NAME.log, and says how long it took.
fleetsim() {
    local name=$1 begin=$SECONDS
    shift
    "$FLEETSIM" "$@" >"$RESULTS/logs/$name.log" 2>&1 ||
        die "fleetsim $* failed; its output:" "$(tail -n 20 "$RESULTS/logs/$name.log")"
    printf '   %-26s %4d s   fleetsim %s\n' "$name" $((SECONDS - begin)) "$*"
}

step "fleetsim commands (outputs in ${RESULTS#"$REPO"/})"
SYNTHETIC=data/chameleon-full-instances.csv
SYNTHETIC_MACHINES=data/chameleon-full-machines.csv
# The scenarios generate it on first use (trace.synthesize = { seed = 1, scale = 1.0 }); inspect needs it first.
if [[ ! -f $SYNTHETIC || ! -f $SYNTHETIC_MACHINES ]]; then
    fleetsim synth synth chameleon --out "$SYNTHETIC" --machines-out "$SYNTHETIC_MACHINES" --seed 1 --scale 1
fi
# The trace the Chameleon-like replays run on: their time 0 is its first finish.
fleetsim replay-trace inspect "$SYNTHETIC" --machines "$SYNTHETIC_MACHINES" --out "$RESULTS/replay-trace.arrow"
if [[ -n ${FLEETSIM_TRACE:-} ]]; then
    fleetsim workload inspect "$FLEETSIM_TRACE" ${FLEETSIM_MACHINES:+--machines "$FLEETSIM_MACHINES"} \
        --out "$RESULTS/workload/inspect.arrow"
else
    fleetsim workload inspect "$SYNTHETIC" --machines "$SYNTHETIC_MACHINES" --out "$RESULTS/workload/inspect.arrow"
fi
fleetsim planetlab run scenarios/planetlab-cloudsim.toml --quiet --set workload.day=20110303 \
    --set output.timeseries=true --out "$RESULTS/planetlab"
fleetsim planetlab-sweep sweep scenarios/consolidation-sweep.toml --quiet --set workload.day=20110303 \
    --out "$RESULTS/planetlab-sweep"
fleetsim chameleon-consolidation run scenarios/chameleon-consolidation.toml --quiet \
    --out "$RESULTS/chameleon-consolidation"
fleetsim oversubscription run scenarios/oversubscription-chameleon.toml --quiet --set output.timeseries=true \
    --out "$RESULTS/oversubscription"

# ------------------------------------------------------------------------------------------------------ notebooks
step "notebooks (figures in ${FIGURES#"$REPO"/})"
export FLEETSIM_RESULTS=$RESULTS FLEETSIM_FIGURES=$FIGURES FLEETSIM_TRACE=${FLEETSIM_TRACE:-}
export MPLBACKEND=Agg PYTHONHASHSEED=0 PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$FIGURES"
for notebook in notebooks/*.ipynb; do
    begin=$SECONDS
    name=$(basename "$notebook" .ipynb)
    "$VENV/bin/jupyter" nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
        --output-dir "$RESULTS/executed" "$notebook" >"$RESULTS/logs/notebook-$name.log" 2>&1 ||
        die "$notebook failed; its log:" "$(grep -v 'running over TCP' "$RESULTS/logs/notebook-$name.log" | tail -n 40)"
    printf '   %-26s %4d s\n' "$name" $((SECONDS - begin))
done
ls "$FIGURES"/*.png | sed "s|^$REPO/|   |"

# ------------------------------------------------------------------------------------------- committed figures
if [[ -n ${CI:-} && $FIGURES == "$REPO/docs/figures" ]]; then
    git rev-parse --git-dir >/dev/null 2>&1 || die "CI is set but $REPO is not a git checkout: cannot compare the figures"
    changed=$(git status --porcelain -- docs/figures)
    if [[ -n $changed ]]; then
        die "the notebooks produce figures that differ from the committed docs/figures/:" "$changed" \
            "Run \`bash notebooks/run-all.sh\` and commit docs/figures/ (notebooks/README.md explains the check)."
    fi
    echo "   docs/figures/ matches what the notebooks produce"
fi
step "done in $((SECONDS - started)) s"
