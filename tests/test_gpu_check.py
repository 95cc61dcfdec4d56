"""bench/gpu_check.py runs on the CPU alone; the CUDA determinism settings."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def load_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench/gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU path")
def test_gpu_check_runs_on_the_cpu_and_says_no_gpu_is_present(capsys, tmp_path):
    check = load_check()
    assert check.main(["--crops", "4", "--sequences", "8", "--lstm-epochs", "1",
                       "--effnet-size", "32", "--embed-size", "64",
                       "--faces", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "No GPU present (torch.cuda.is_available() is False)" in out
    for workload in ("effnet", "lstm", "embed"):
        line = next(x for x in out.splitlines() if x.startswith(f"{workload:8} cpu"))
        assert "/s" in line
    assert "cuda" not in out.split("throughput", 1)[1].split("CPU vs CUDA")[0]
    assert "not measured (no GPU)" in out


def test_demo_crops_come_from_face_caches_when_present(tmp_path):
    import numpy as np

    from emoagree.video.faces import FaceTrack

    crops = np.arange(3 * 8 * 8 * 3, dtype=np.uint8).reshape(3, 8, 8, 3)
    FaceTrack(np.arange(3), np.arange(3) / 25, np.array([True, False, True]),
              np.zeros((3, 4), np.float32), np.ones(3, np.float32), crops, 25.0, 3,
              (8, 8)).save(tmp_path / "r1.npz")
    got, source = load_check().demo_crops(tmp_path, 5, 0)
    assert "face caches" in source and got.shape == (5, 8, 8, 3)
    np.testing.assert_array_equal(got[:2], crops[[0, 2]])


def test_cuda_determinism_settings_are_the_documented_ones():
    # in a fresh process: the settings are global to the process
    code = (
        "import os, torch\n"
        "from emoagree.training.determinism import deterministic_torch\n"
        "assert deterministic_torch('cpu') == {}\n"
        "assert not torch.are_deterministic_algorithms_enabled()\n"
        "applied = deterministic_torch('cuda:0')\n"
        "assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'\n"
        "assert torch.are_deterministic_algorithms_enabled()\n"
        "assert torch.is_deterministic_algorithms_warn_only_enabled()\n"
        "assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark\n"
        "assert not torch.backends.cuda.matmul.allow_tf32\n"
        "print(sorted(applied))\n"
    )
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=1500)
    assert result.returncode == 0, result.stderr
    assert "CUBLAS_WORKSPACE_CONFIG" in result.stdout
