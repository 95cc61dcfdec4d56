"""Does the answer survive a change of seed? The demo study under several seeds, each answer.

    .venv/bin/python bench/answer_seeds.py [--seeds 2021 7 13] [--arms [ARM ...]]
                                           [--cores 2] [--config extra.yaml] [--keep DIR]

Runs the whole study once per seed in its own folder (the seed drives the demo corpus,
the split and every model) and prints, per seed, the headline system, each train row's
mean UAR over the test levels with its interval, P(best), and whether the answer names
a clearly best row. The check the study must pass: no two seeds name two different rows
as clearly best (they agree, or at least one says that no row is clearly best). The
training arms of config.yaml run as further rows (``--arms``: all three, Mw, Ms and Mc;
``--arms weighted soft``: those; ``--arms none``: the paper's levels alone), and each arm's
difference from the best hard level is printed with the probability that the arm is
higher. A demo run takes 12-15 minutes on 2 cores (about 24 with all three arms).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


ALL_ARMS = ("weighted", "soft", "curriculum")


def arm_list(given: list[str] | None) -> list[str] | None:
    """The ``--arms`` words as a training_arms list (None: the config's own)."""
    if given is None:
        return None
    if given == []:
        return list(ALL_ARMS)
    if "none" in given:
        if len(given) > 1:
            sys.exit("--arms none takes no other arm")
        return []
    return list(dict.fromkeys(given))


def run_study(workdir: Path, seed: int, configs: list[Path], arms: list[str] | None,
              cores: str) -> float:
    overrides = workdir / "seed.yaml"
    text = f"seed: {seed}\n"
    if arms is not None:
        text += f"training_arms: [{', '.join(arms)}]\n"
    overrides.write_text(text)
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d",
               str(workdir), "--cores", cores, "--profile",
               str(REPO / "workflow/profiles/workstation"), "results/tables/answer.json",
               "--configfile", *map(str, configs), str(overrides)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    if result.returncode != 0:
        sys.exit(f"seed {seed}: snakemake failed:\n{result.stderr[-4000:]}")
    return time.perf_counter() - start


def describe(answer: dict) -> list[str]:
    lines = [f"  headline system: {answer['system']}"
             + ("  (OPTIMISTIC fusion weights)" if answer.get("optimistic") else "")]
    for row, mean in answer["mean_uar"].items():
        low, high = answer["mean_uar_ci"][row]
        p_best = answer["p_best"][row]
        interval = "n/a" if low is None else f"[{100 * low:.1f}, {100 * high:.1f}]"
        value = "n/a" if mean is None else f"{100 * mean:.1f}"
        lines.append(f"  train {row:>3}: mean UAR {value:>5} {interval:>14}  P(best) {p_best:.2f}")
    cluster = answer.get("cluster") or {}
    named = answer["named_row"]
    lines.append(f"  answer: {'named ' + named if named else 'no single row'} (95% confidence "
                 f"set {', '.join(answer['confidence_set'])}; {cluster.get('count')} "
                 f"{cluster.get('kind')} clusters)")
    for arm in answer.get("arms", []):
        low, high = arm["difference_ci"]
        difference = 100 * arm["difference"]
        lines.append(f"  arm {arm['row']} - level {arm['best_level']}: {difference:+.1f} points "
                     f"[{100 * low:+.1f}, {100 * high:+.1f}], "
                     f"P(arm higher) {arm['probability_arm_is_higher']:.2f}")
    return lines


def consistent(answers: dict[int, dict]) -> bool:
    named = {a["named_row"] for a in answers.values() if a["named_row"] is not None}
    return len(named) <= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2021, 7, 13])
    parser.add_argument("--config", type=Path, action="append", default=[])
    parser.add_argument("--arms", nargs="*", choices=[*ALL_ARMS, "none"],
                        help="training arms as further rows (bare: all three; default: "
                             "config.yaml's training_arms)")
    parser.add_argument("--cores", default="2")
    parser.add_argument("--keep", type=Path, help="run in DIR/seed<N> and keep the results")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="answer_seeds_"))
    answers = {}
    for seed in args.seeds:
        workdir = base / f"seed{seed}"
        workdir.mkdir(parents=True, exist_ok=True)
        seconds = run_study(workdir, seed, [c.resolve() for c in args.config],
                            arm_list(args.arms), args.cores)
        answers[seed] = json.loads((workdir / "results/tables/answer.json").read_text())
        print(f"seed {seed} ({seconds:.0f} s, {workdir}):")
        print("\n".join(describe(answers[seed])), flush=True)
    verdict = "consistent" if consistent(answers) else "INCONSISTENT"
    print(f"\n{verdict}: named rows per seed: "
          + ", ".join(f"{s}: {a['named_row'] or 'none'}" for s, a in answers.items()))


if __name__ == "__main__":
    main()
