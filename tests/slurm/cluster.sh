#!/usr/bin/env bash
# Bring up (or down) a real single-node SLURM cluster on this machine, for the SLURM
# profile test. Needs root and Debian's packages slurm-wlm and munge (installed here when
# missing). Usage: cluster.sh start STATE_DIR | cluster.sh stop STATE_DIR
set -euo pipefail
action=${1:?start|stop}
state=${2:?state directory}

stop_cluster() {
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  pkill -x munged 2>/dev/null || true
}

if [ "$action" = stop ]; then
  stop_cluster
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: starting a SLURM cluster needs root" >&2
  exit 3
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq slurm-wlm munge) >"$state.apt.log" 2>&1 || {
    echo "SKIP: could not install slurm-wlm and munge (see $state.apt.log)" >&2
    exit 3
  }
fi

stop_cluster
rm -rf "$state"
mkdir -p "$state"/{spool,ctld,log,run} /etc/slurm /etc/munge /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024*0.8)}' /proc/meminfo)
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/log/jobcomp.log
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
GresTypes=gpu
NodeName=localhost CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
# One counted GPU slot (no device file): the workflow's gpu=1 jobs get scheduled one at a
# time as on a GPU node, and run on the CPU.
cat >/etc/slurm/gres.conf <<CONF
NodeName=localhost Name=gpu File=/dev/null Count=1
CONF
runuser -u munge -- munged --force
slurmctld
slurmd -N localhost
for _ in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed'; then
    echo "SLURM cluster up: $(sinfo -h -o '%P %T %c')"
    exit 0
  fi
  sleep 1
done
echo "SKIP: SLURM node did not become idle; $(sinfo 2>&1 | tail -2)" >&2
tail -5 "$state/log/slurmctld.log" >&2 || true
exit 3
