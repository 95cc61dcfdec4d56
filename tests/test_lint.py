"""The workflow passes ``snakemake --lint`` with nothing to say (default configuration)."""

from __future__ import annotations

import subprocess
import sys

from study import REPO


def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--lint"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1200,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Congratulations, your workflow is in a good condition!" in output, output[-3000:]
    for problem in ("Lints for rule", "Lints for snakefile"):
        assert problem not in output, output[-3000:]
