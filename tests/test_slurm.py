"""The SLURM profile on a real single-node SLURM cluster brought up on this machine.

The cluster (Debian's slurm-wlm and munge) is started by tests/slurm/cluster.sh; where it
cannot be started (not root, no apt, no packages) the test is skipped with the reason.
A small study goes through ``--profile workflow/profiles/slurm``; every job must have been
submitted with sbatch (SLURM's job completion log lists it) and the tables must equal those
of a local run of the same configuration.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from study import REPO, TINY_CONFIG, snakemake

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

# One level keeps every kind of job (audio, video on the GPU resource, fusion, the groups
# and the report) while the DAG stays small: each job waits at least one status poll.
SMALL_STUDY = {
    "levels": [1],
    "systems": {
        "audio": ["audio_lr"],
        "video": ["video_vggf_rf"],
        "fusion": [["audio_lr", "video_vggf_rf"]],
    },
}
TABLES = ["table1_samples.csv", "table2_uar.csv", "table3_crosseval.csv"]


@pytest.fixture
def slurm_cluster():
    # slurmd's step sockets live under SlurmdSpoolDir and a Unix socket path may not exceed
    # 108 bytes: a pytest tmp_path (deeper still under pytest-xdist) is too long, and the
    # jobs would be held ("launch failed requeued held") with the study waiting on them.
    base = Path(tempfile.mkdtemp(prefix="slurm-"))
    state = base / "state"
    script = REPO / "tests" / "slurm" / "cluster.sh"
    started = subprocess.run(
        ["bash", str(script), "start", str(state)], capture_output=True, text=True, timeout=600
    )
    if started.returncode != 0:
        reason = (started.stderr or started.stdout).strip().splitlines()
        pytest.skip(f"no local SLURM cluster: {reason[-1] if reason else started.returncode}")
    yield state
    subprocess.run(["bash", str(script), "stop", str(state)], timeout=60)
    shutil.rmtree(base, ignore_errors=True)


def test_slurm_profile_runs_the_study_like_a_local_run(tmp_path, slurm_cluster):
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    for workdir in (local, cluster):
        workdir.mkdir()
        (workdir / "small.yaml").write_text(yaml.safe_dump(SMALL_STUDY))
    snakemake(local, "--cores", "2", configfiles=(TINY_CONFIG, local / "small.yaml"))
    out = snakemake(
        cluster,
        "--profile",
        str(REPO / "workflow" / "profiles" / "slurm"),
        # a cluster without accounting: poll squeue instead of sacct, no account to guess
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-no-account",
        "--jobs",
        "4",
        # the test node has 2 CPUs: one part per group job
        "--group-components",
        "audio_cells=2",
        "video_cells=2",
        "fusion_cells=2",
        "lstm_cells=2",
        "val_scores=2",
        configfiles=(TINY_CONFIG, cluster / "small.yaml"),
    )
    submitted = [line for line in out.splitlines() if "SLURM run ID" in line or "sbatch" in line]
    completed = (slurm_cluster / "log" / "jobcomp.log").read_text().splitlines()
    assert len(completed) >= 10, f"SLURM ran {len(completed)} jobs:\n{out[-3000:]}"
    assert all("JobState=COMPLETED" in line for line in completed), completed
    assert submitted, out[-3000:]
    for table in TABLES:
        assert (cluster / "results/tables" / table).read_text() == (
            local / "results/tables" / table
        ).read_text(), f"{table} differs between the SLURM and the local run"


def test_slurm_profile_submits_one_shard_per_feature_job():
    profile = yaml.safe_load((REPO / "workflow" / "profiles" / "slurm" / "config.yaml").read_text())
    grouped = {entry.split("=")[0] for entry in profile.get("groups", [])}
    assert not grouped & {"audio_lld", "video_faces", "video_embeddings"}
    assert not any(e.split("=")[0] in {"audio_lld", "video_faces"}
                   for e in profile.get("set-threads", []))
