"""The gpu resource of the torch rules: asked for only where a GPU is visible."""

import subprocess

import yaml
from study import REPO

from emoagree.gpus import gpu_request, visible_gpus

TWO_GPUS = "GPU 0: NVIDIA A100 (UUID: GPU-1)\nGPU 1: NVIDIA A100 (UUID: GPU-2)\n"


def fake_run(stdout, returncode=0):
    def run(command, **kwargs):
        assert command[1:] == ["-L"]
        return subprocess.CompletedProcess(command, returncode, stdout=stdout, stderr="")

    return run


def test_visible_gpus_counts_nvidia_smi_lines_within_cuda_visible_devices():
    found = lambda name: "/usr/bin/nvidia-smi"  # noqa: E731
    assert visible_gpus({}, fake_run(TWO_GPUS), found) == 2
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "1"}, fake_run(TWO_GPUS), found) == 1
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, fake_run(TWO_GPUS), found) == 0
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}, fake_run(TWO_GPUS), found) == 0
    assert visible_gpus({}, fake_run("", returncode=9), found) == 0  # driver error
    assert visible_gpus({}, fake_run(TWO_GPUS), lambda name: None) == 0  # no nvidia-smi


def test_torch_jobs_ask_for_a_gpu_slot_only_where_they_would_use_one():
    assert gpu_request("auto", n_gpus=1) == 1
    assert gpu_request("cuda", n_gpus=2) == 1
    assert gpu_request("auto", n_gpus=0) == 0  # CPU-only: the jobs share the cores
    assert gpu_request("cpu", n_gpus=4) == 0  # audio.device: cpu never takes the GPU


def test_the_slurm_profile_asks_for_a_gpu_for_every_torch_rule():
    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text())
    assert set(profile["set-resources"]) == {
        "audio_train_lstm:gpu=1", "video_embeddings:gpu=1", "video_effnet_train:gpu=1"
    }
