#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for qexp's cluster tests and for trying
# `hydra/launcher=slurm` before a real cluster: Debian's slurmctld, slurmd and munge, no
# cgroups, no accounting database. Needs root and Debian's package registry.
#
#   tools/slurm-local.sh start    install what is missing, write the config, start the daemons
#   tools/slurm-local.sh stop     stop only what `start` started (daemons, sacct stand-in)
#   tools/slurm-local.sh status   sinfo
#
# `start` writes down in $STATE each thing it started or installed, as soon as it has; a
# daemon or a config that was there before (someone's real Slurm, a munged another program
# needs) is used, never written over, and `stop` leaves it alone. So `stop` is safe after a
# `start` that failed half-way, and on a machine whose Slurm is not ours.
#
# Accounting: submitit polls `sacct` for the state of each point. A real cluster has
# slurmdbd and a database behind sacct; this one does not (that would need a MariaDB
# server), so `start` installs a small sacct stand-in in /usr/local/bin that answers from
# slurmctld's own memory (squeue --states=all). Finished jobs stay there for MinJobAge
# (an hour here), so a point that failed, was cancelled or was killed is reported as such
# and the sweep never waits for it forever. `stop` removes the stand-in.
set -euo pipefail

CONF_DIR=/etc/slurm
SACCT_STANDIN=/usr/local/bin/sacct
STANDIN_MARK="qexp slurm-local sacct stand-in"
CONF_MARK="Written by qexp's tools/slurm-local.sh"
STATE=/run/qexp-slurm-local
PARTITION=debug

log() { echo "slurm-local: $*" >&2; }

# What this script started: one line each, "pid NAME PID" or "file PATH".
started() { mkdir -p "$STATE"; echo "$*" >>"$STATE/started"; }

start_daemon() {
    local name=$1 pidfile=$2
    shift 2
    if pgrep -F "$pidfile" >/dev/null 2>&1 || pgrep -x "$name" >/dev/null; then
        log "$name is running already: using it"
        return
    fi
    rm -f "$pidfile"  # a stale one would read as started
    "$@"
    for _ in $(seq 40); do [ -s "$pidfile" ] && break; sleep 0.25; done
    [ -s "$pidfile" ] || { log "$name did not start; see /var/log/slurm/"; return 1; }
    started pid "$name" "$(cat "$pidfile")"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

write_config() {
    local host node
    host=$(hostname -s)
    # The node line as slurmd sees this machine (CPUs, sockets, memory), reached on loopback.
    node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=${host} NodeAddr=127.0.0.1/")
    mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    if [ -e "$CONF_DIR/slurm.conf" ] && ! grep -q "$CONF_MARK" "$CONF_DIR/slurm.conf"; then
        log "$CONF_DIR/slurm.conf exists and is not ours: using it as it is"
        return
    fi
    cat >"$CONF_DIR/slurm.conf" <<CONF
# ${CONF_MARK}: one node, no cgroups, no accounting database.
ClusterName=qexp-local
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
MinJobAge=3600
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
${node}
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    if munge -n >/dev/null 2>&1; then
        log "munged is running already: using it"
        return
    fi
    start_daemon munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged
}

install_sacct_standin() {
    if [ -e "$SACCT_STANDIN" ] && ! grep -q "$STANDIN_MARK" "$SACCT_STANDIN"; then
        log "$SACCT_STANDIN exists and is not ours: leaving it"
        return
    fi
    cat >"$SACCT_STANDIN" <<'STANDIN'
#!/usr/bin/env bash
# qexp slurm-local sacct stand-in: this one-node cluster has no accounting database, so
# `sacct -j ID ... --parsable2` is answered from slurmctld's memory (squeue --states=all),
# which keeps finished jobs for MinJobAge. Prints JobID|State|NodeList, as submitit asks.
ids=()
while (($#)); do
    case "$1" in
        -j | --jobs) ids+=("${2//,/ }"); shift 2 ;;
        --jobs=*) ids+=("${1#--jobs=}"); shift ;;
        *) shift ;;
    esac
done
echo "JobID|State|NodeList"
for id in ${ids[*]}; do
    squeue --noheader --array --states=all --jobs="$id" --format="%i|%T|%N" 2>/dev/null || true
done
STANDIN
    chmod 755 "$SACCT_STANDIN"
    started file "$SACCT_STANDIN"
}

wait_for_node() {
    for _ in $(seq 60); do
        state=$(sinfo --noheader --format=%t 2>/dev/null | head -n 1 || true)
        case "$state" in idle | mix | alloc) log "node is $state"; return 0 ;; esac
        sleep 0.5
    done
    log "the node did not come up; see /var/log/slurm/"
    sinfo || true
    return 1
}

start() {
    [ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
    install_packages
    write_config
    start_munge
    install_sacct_standin
    start_daemon slurmctld /run/slurmctld.pid slurmctld
    start_daemon slurmd /run/slurmd.pid slurmd
    wait_for_node
    scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true
}

stop_pid() {
    local name=$1 pid=$2
    # Only the very process start wrote down: same pid, same program (a pid is reused).
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$name" ] || return 0
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
}

stop() {
    if [ ! -s "$STATE/started" ]; then
        log "nothing to stop: start started nothing here"
        return
    fi
    # In reverse order: the daemons before munged, which they talk through.
    tac "$STATE/started" | while read -r kind name pid; do
        case "$kind" in
            pid) stop_pid "$name" "$pid" ;;
            file) if grep -q "$STANDIN_MARK" "$name" 2>/dev/null; then rm -f "$name"; fi ;;
        esac
    done
    rm -rf "$STATE"
    log "stopped what start started"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
