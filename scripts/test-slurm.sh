#!/usr/bin/env bash
# End-to-end test of fleetsim sweeps on Slurm, on this machine alone: installs Slurm and munge (Debian
# packages) if absent, starts a private single-node cluster on localhost, runs a scenario's sweep as a 3-task
# array job of scripts/slurm/sweep.sbatch, merges the shards, runs the same sweep locally, and checks that the
# two results are the same (fleetsim compare). Everything it starts is stopped at the end, also on failure.
#
#   scripts/test-slurm.sh [SCENARIO]     # as root; default scenarios/sweep-smoke.toml
#   cargo build --release && sudo FLEETSIM=$PWD/target/release/fleetsim scripts/test-slurm.sh   # as a user
#
# Environment: FLEETSIM=/path/to/fleetsim uses that binary instead of `cargo build --release`; KEEP_TMP=1
# keeps the temporary directory (configuration, logs, results; the next run removes it); SLURMCTLD_PORT and
# SLURMD_PORT (default 16817, 16818) if those ports are taken; JOB_TIMEOUT (seconds, default 1800) per sbatch.
#
# Runs as root on Debian 12 (tested on a 2-core Debian 12 VM without systemd: Slurm 22.05.8, munge 0.5.15).
# Nothing global is configured: the cluster lives in a temporary directory under /tmp with its own slurm.conf
# (SLURM_CONF), its own munged socket and non-default ports, so a Slurm or munge already installed and running
# on the machine is left alone.
#
# Quirks met on the way, and what this script does about them:
# - munged refuses a socket whose directories are not searchable by all ("Socket is inaccessible: execute
#   permissions for all required"); mktemp -d makes 0700, so the temporary directory is made 0755.
# - Debian's munge package creates /etc/munge/munge.key owned by user munge. munged run as root refuses it
#   ("Keyfile is insecure: should be owned by UID 0"), so the private munged reads a root-owned copy.
# - munged's default socket, pid and seed files live in /run/munge, which does not exist without systemd
#   (tmpfiles.d creates it); the private munged gets all its paths on the command line, and slurm.conf points
#   Slurm at its socket with AuthInfo=socket=....
# - slurmd finds its NodeName from the hostname; it is given explicitly (-N) and every daemon gets the address
#   127.0.0.1 (NodeAddr, SlurmctldHost=name(addr)), so a hostname that does not resolve, or resolves to a
#   public address, does not matter.
# - The cgroup plugins need a cgroup hierarchy Slurm may manage, which containers and VMs like this one (a
#   v1/v2 hybrid, no systemd) rarely give; they are not used at all (not tried): ProctrackType=
#   proctrack/linuxproc, TaskPlugin=task/none, JobAcctGatherType=jobacct_gather/none, so no cgroup.conf is read.
# - Slurm drains a node that registers with less memory than its RealMemory, so RealMemory is 90 % of
#   MemTotal; sweep.sbatch's --mem (8G) is overridden on the command line (500M), as are --time and
#   --cpus-per-task (1, so that two of the three tasks run at once on 2 cores).
# - A requeued job (scontrol requeue, preemption) waits a couple of minutes before it is eligible again
#   (about 3 minutes seen here), so this test resubmits instead of requeueing.
# - Harmless log noise on Debian 12: "mpi/pmix_v4: can not load PMIx library" (the MPI plugins load even with
#   MpiDefault=none), "xcpuinfo_hwloc_topo_load: failed" in the VM, "Could not open job state file" on a
#   fresh state directory, munged's "Unauthorized credential for client UID=0" (info level).
# - sbatch --wait exits with the highest exit code of the array's tasks: non-zero if any task failed.
# - Slurm does not create the directory of a job's --output; a task that cannot open it fails with no log.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SBATCH_SCRIPT=$REPO/scripts/slurm/sweep.sbatch
SCENARIO_ARG=${1:-scenarios/sweep-smoke.toml}
SLURMCTLD_PORT=${SLURMCTLD_PORT:-16817}
SLURMD_PORT=${SLURMD_PORT:-16818}
JOB_TIMEOUT=${JOB_TIMEOUT:-1800}
TMP_PREFIX=/tmp/fleetsim-slurm.   # short on purpose: unix socket paths are limited to 107 bytes
ARRAY_SIZE=3

step() { printf '\n==> %s\n' "$*"; }
die() {
    printf '\nerror: %s\n' "$*" >&2
    exit 1
}

# A Slurm environment around us (this script run inside a Slurm job) would leak into the sbatch calls and
# into the local fleetsim sweep, which shards itself inside an array job: start from a clean slate.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^SLURM_' || true)

[[ $EUID -eq 0 ]] || die "run as root (it installs packages and starts Slurm daemons as SlurmUser=root)"

# One run at a time: a second one would find the first's daemons and take them for leftovers. (The daemons
# are started with this descriptor closed, or a leftover one would hold the lock.)
exec 9<"$0"
flock -n 9 || die "another scripts/test-slurm.sh is running"

# The scenario, absolute (jobs run in another directory): relative to the current directory if it exists
# there, else to the repository.
if [[ -e $SCENARIO_ARG ]]; then
    SCENARIO=$(realpath "$SCENARIO_ARG")
elif [[ -e $REPO/$SCENARIO_ARG ]]; then
    SCENARIO=$(realpath "$REPO/$SCENARIO_ARG")
else
    die "scenario $SCENARIO_ARG not found (neither in $(pwd) nor in $REPO)"
fi

# --- Leftovers of a run killed too hard for its trap (SIGKILL, a closed terminal): its cluster, still up, is
# asked to cancel its jobs and shut down; then any of its daemons still there (found by the temporary directory
# on their command line, so only this script's) are killed, and the directories removed.
for conf in "$TMP_PREFIX"*/etc/slurm.conf; do
    if [[ ! -f $conf ]] || ! pgrep -f "^slurmctld -f $conf" >/dev/null; then continue; fi
    step "Shutting down a cluster left over by an earlier run ($conf)"
    SLURM_CONF=$conf timeout 10 scancel --user=root || true
    for ((i = 0; i < 20; i++)); do
        [[ -z $(SLURM_CONF=$conf timeout 10 squeue -h -o %i 2>/dev/null) ]] && break
        sleep 0.5
    done
    SLURM_CONF=$conf timeout 10 scontrol shutdown || true
    sleep 2
done
leftovers=$(pgrep -f "^(munged|slurmctld|slurmd|sbatch|timeout [0-9]+ sbatch) .*${TMP_PREFIX//./\\.}" || true)
if [[ -n $leftovers ]]; then
    step "Killing processes left over by an earlier run: ${leftovers//$'\n'/ }"
    for pid in $leftovers; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 1
fi
rm -rf "$TMP_PREFIX"*

WORK=$(mktemp -d "${TMP_PREFIX}XXXXXX")
CONF=$WORK/etc/slurm.conf
LOGS=$WORK/log
STARTED=0       # set once any daemon may be running
SLURM_STARTED=0 # set once slurmctld/slurmd may be running
SBATCH_PID=""   # a waiting sbatch --wait

# --- Teardown, on success and failure alike.
print_logs() {
    local file
    printf '\n==> Slurm state and logs (for debugging)\n' >&2
    if [[ $SLURM_STARTED == 1 ]]; then
        sinfo -N -l >&2 2>&1 || true
        sinfo -R >&2 2>&1 || true
        squeue --states=all -o '%.12i %.10T %.20r %.8M %j' >&2 2>&1 || true
    fi
    for file in "$LOGS"/slurmctld.log "$LOGS"/slurmd.log "$LOGS"/munged.log "$WORK"/jobs/*; do
        [[ -f $file ]] || continue
        printf '\n----- %s (last 100 lines)\n' "$file" >&2
        tail -n 100 "$file" >&2
    done
}

pid_of() { if [[ -s $1 ]]; then cat "$1" 2>/dev/null || true; fi; }

# Waits up to $2 seconds for process $1 to exit, then kills it.
stop_pid() {
    local pid=$1 wait_s=$2 i
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    for ((i = 0; i < wait_s * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    sleep 1
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    if [[ $status -ne 0 ]]; then
        print_logs
    fi
    if [[ $STARTED == 1 ]]; then
        step "Stopping the cluster"
        local ctld slurmd munged i
        ctld=$(pid_of "$WORK/run/slurmctld.pid")
        slurmd=$(pid_of "$WORK/run/slurmd.pid")
        munged=$(pid_of "$WORK/run/munged.pid")
        [[ -n $SBATCH_PID ]] && kill "$SBATCH_PID" 2>/dev/null
        # Jobs still running (a failure or timeout mid-job) first: their slurmstepd outlive slurmd by design.
        # This cluster is private (SLURM_CONF), so every job in it is ours.
        if [[ -n $(timeout 10 squeue -h -o %i 2>/dev/null) ]]; then
            timeout 10 scancel --user=root
            for ((i = 0; i < 20; i++)); do
                [[ -z $(timeout 10 squeue -h -o %i 2>/dev/null) ]] && break
                sleep 0.5
            done
        fi
        # scontrol shutdown stops slurmctld and every slurmd; then make sure.
        timeout 10 scontrol shutdown >/dev/null 2>&1
        stop_pid "$slurmd" 10
        stop_pid "$ctld" 10
        [[ -n $munged ]] && kill -TERM "$munged" 2>/dev/null
        stop_pid "$munged" 5
    fi
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    if [[ $status -eq 0 ]]; then
        printf '\nPASS: the Slurm array sweep matches the local sweep\n'
    else
        printf '\nFAIL (exit %s)\n' "$status" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. Packages.
step "Slurm and munge packages"
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null; then
    echo "installed: $(slurmctld -V), munge $(dpkg-query -W -f='${Version}' munge 2>/dev/null || echo '?')"
else
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # --no-install-recommends: no MPI or mail stack. On a machine with systemd the packages' services start
    # (munge) or fail for want of /etc/slurm/slurm.conf (slurmctld, slurmd); neither disturbs this test.
    apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge
    echo "installed: $(slurmctld -V)"
fi

# --- 2. fleetsim, built before any daemon starts (a build error stops here, with nothing to clean up).
if [[ -n ${FLEETSIM:-} ]]; then
    step "fleetsim: using $FLEETSIM"
    if [[ $FLEETSIM == */* ]]; then FLEETSIM=$(realpath "$FLEETSIM"); else FLEETSIM=$(command -v "$FLEETSIM"); fi
else
    step "Building fleetsim (cargo build --release)"
    # shellcheck source=/dev/null
    [[ -f $HOME/.cargo/env ]] && source "$HOME/.cargo/env"
    command -v cargo >/dev/null ||
        die "cargo not found: install Rust (https://rustup.rs), or build as yourself and pass the binary:" \
            "cargo build --release && sudo FLEETSIM=\$PWD/target/release/fleetsim scripts/test-slurm.sh"
    (cd "$REPO" && cargo build --release)
    FLEETSIM=${CARGO_TARGET_DIR:-$REPO/target}/release/fleetsim
    [[ $FLEETSIM == /* ]] || FLEETSIM=$REPO/$FLEETSIM
fi
[[ -x $FLEETSIM ]] || die "$FLEETSIM is not an executable"
"$FLEETSIM" sweep --help >/dev/null 2>&1 || die "$FLEETSIM has no 'sweep' command"
validation=$("$FLEETSIM" validate "$SCENARIO") || die "fleetsim validate $SCENARIO failed"
echo "$validation"
# Every task must own a run: a shard with none writes no parts, and fleetsim merge refuses its folder.
runs=$(sed -n 's/^runs: \([0-9]*\)$/\1/p' <<<"$validation")
[[ -z $runs ]] || ((runs >= ARRAY_SIZE)) ||
    die "$SCENARIO has $runs runs; this test needs at least $ARRAY_SIZE (one per array task)"

# --- 3. munge.
step "munge key and daemon"
if [[ ! -s /etc/munge/munge.key ]]; then
    echo "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 0400 /etc/munge/munge.key
fi
mkdir -p "$WORK"/{etc,run,log,state,spool,jobs,munge}
# munged wants every directory above its socket searchable by all (mktemp -d makes 0700).
chmod 0755 "$WORK" "$WORK/munge"
install -m 0400 -o root -g root /etc/munge/munge.key "$WORK/munge/munge.key"
STARTED=1
munged 9<&- --socket="$WORK/munge/munge.socket" --key-file="$WORK/munge/munge.key" \
    --pid-file="$WORK/run/munged.pid" --seed-file="$WORK/munge/munged.seed" --log-file="$LOGS/munged.log"
munge --socket="$WORK/munge/munge.socket" -n | unmunge --socket="$WORK/munge/munge.socket" >/dev/null ||
    die "munge credentials do not round-trip through $WORK/munge/munge.socket"
echo "munged up (pid $(pid_of "$WORK/run/munged.pid")), socket $WORK/munge/munge.socket"

# --- 4. slurm.conf.
step "Slurm configuration ($CONF)"
NODE=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
cat >"$CONF" <<EOF
# Single-node test cluster of scripts/test-slurm.sh: everything on 127.0.0.1, state under $WORK.
ClusterName=fleetsimtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.socket
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (see the script's header).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$CONF
sed 's/^/  /' "$CONF"

# --- 5. Daemons.
step "Starting slurmctld and slurmd"
SLURM_STARTED=1
slurmctld 9<&- -f "$CONF"
slurmd 9<&- -f "$CONF" -N "$NODE"
state=""
for ((i = 0; i < 60; i++)); do
    state=$(sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null || true)
    case $state in
    idle) break ;;
    *drain* | *inval* | *fail* | down*) die "node $NODE is $state: $(sinfo -h -R 2>/dev/null)" ;;
    esac
    sleep 1
done
[[ $state == idle ]] || die "node $NODE not idle after 60 s (state: '${state:-no answer from slurmctld}')"
sinfo

# --- 6. The sweep as an array job.
OUT=$WORK/slurm
step "Array job: sbatch --wait --array=0-$((ARRAY_SIZE - 1)) scripts/slurm/sweep.sbatch"
# Command-line options override the template's #SBATCH lines: sized for this machine, logs in $WORK/jobs.
# sbatch runs in the background and the script waits for it: bash runs a trap only once the foreground command
# has returned, so a SIGTERM would otherwise wait for the whole array job; `wait` returns at once.
sbatch_test() {
    timeout "$JOB_TIMEOUT" sbatch 9<&- --wait --chdir="$WORK" --cpus-per-task=1 --mem=500M --time=30 \
        --output="$WORK/jobs/%A_%a.out" --export="ALL,SCENARIO=$SCENARIO,OUT=$OUT,FLEETSIM=$FLEETSIM" \
        "$@" "$SBATCH_SCRIPT" &
    SBATCH_PID=$!
    wait "$SBATCH_PID"
}
status=0
sbatch_test --array=0-$((ARRAY_SIZE - 1)) || status=$?
[[ $status -eq 124 ]] && die "the array job did not finish within $JOB_TIMEOUT s"
[[ $status -eq 0 ]] || die "the array job failed (sbatch --wait exit $status; task logs below)"
for log in "$WORK"/jobs/*.out; do
    echo "--- $(basename "$log")"
    cat "$log"
done
ls "$OUT"

# --- 7. A task run again alone, as after a failure or preemption: its last part and its table are deleted
# (what a task killed mid-way leaves), task 1 is resubmitted alone and must resume (run only the missing runs)
# and cut the sweep the same way (sweep.sbatch reads the shard count from OUT/shards.txt, not from
# SLURM_ARRAY_TASK_COUNT, which is 1 here).
step "Resubmitting task 1 alone (sbatch --array=1) after deleting its last part, as if it had been killed"
parts=("$OUT"/shard-1/parts/*)
((${#parts[@]} > 0)) || die "$OUT/shard-1/parts/ is empty"
echo "deleting ${parts[-1]#"$OUT"/} and shard-1/runs.arrow (of ${#parts[@]} parts)"
rm -f "${parts[-1]}" "$OUT"/shard-1/runs.*
touch "$WORK/resubmitted"
status=0
sbatch_test --array=1 || status=$?
[[ $status -eq 0 ]] || die "the resubmitted task failed (sbatch --wait exit $status)"
find "$WORK/jobs" -name '*.out' -newer "$WORK/resubmitted" -exec cat {} +

# --- 8. Merge and compare with a local run.
step "Merging: fleetsim merge $OUT/shard-* --out $WORK/merged"
"$FLEETSIM" merge "$OUT"/shard-* --out "$WORK/merged"

step "Same sweep locally: fleetsim sweep --threads 2"
"$FLEETSIM" sweep "$SCENARIO" --threads 2 --quiet --out "$WORK/local"

step "Comparing: fleetsim compare merged/runs.arrow local/runs.arrow"
"$FLEETSIM" compare "$WORK/merged/runs.arrow" "$WORK/local/runs.arrow" ||
    die "the merged array-job results differ from the local sweep"
