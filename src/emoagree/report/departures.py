"""Where a run departs from the paper's settings (config/ramas_paper.yaml).

The report's front page gives, after the answer, a one-sentence summary (how many settings
differ, and those that change results: corpus, backbones, weights, input sizes, epochs,
protocol) and then the full list, so that a reader of the demo's tables knows that they
come from another corpus, another backbone, fewer epochs, and so on. The paper's
settings are config/ramas_paper.yaml merged over the workflow's config.yaml, as Snakemake
merges it for a paper run; every setting that file fixes is compared, plus the study's
protocol settings it leaves to the defaults (levels, split, folds). Settings of the
machine (paths, threads, devices, loader workers) are not part of the study and are left
out. Per-level overrides of a run are compared level by level.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from emoagree.settings import deep_merge, describe_sizes

#: Compared first and named for a reader, in this order; any other differing setting
#: that the paper config fixes follows under its dotted path.
NAMED = {
    "corpus.format": "corpus",
    "video.vggf_rf.backbone": "video_vggf_rf backbone",
    "video.vggf_rf.weights.source": "video_vggf_rf weights",
    "video.vggf_rf.weights.preprocessing": "video_vggf_rf preprocessing",
    "video.vggf_rf.image_size": "video_vggf_rf image size",
    "video.effnet.backbone": "video_effnet backbone",
    "video.effnet.weights.source": "video_effnet weights",
    "video.effnet.image_size": "video_effnet image size",
    "video.effnet.epochs": "video_effnet epochs",
    "video.effnet.max_frames_per_interval": "video_effnet frames per interval",
    "video.vggf_rf.max_frames_per_interval": "video_vggf_rf frames per interval",
    "video.detector.margin": "face box margin",
    "video.detector.crop_size": "cached face crop size",
    "audio.pca_grid": "PCA sizes searched",
    "audio.lstm.pooling": "LSTM pooling",
    "levels": "agreement levels",
    "split.strategy": "split strategy",
    "split.unit": "split unit",
    "split.folds": "folds",
    "fusion.selection": "fusion weights chosen on",
    "fusion.draws": "fusion Dirichlet draws",
}
#: Settings of the machine or of file locations, not of the study.
IGNORED = (
    "corpus.path", "corpus.demo", "corpus.tolerance_s", "audio.threads", "audio.device",
    "audio.mfcc_config", "video.detector.sources", "video.detector.path",
    "video.detector.download_dir", "video.detector.prototxt_url",
    "video.detector.prototxt_sha256", "video.detector.caffemodel_url",
    "video.detector.caffemodel_sha256", "video.vggf_rf.weights.path",
    "video.effnet.weights.path", "video.vggf_rf.batch_size", "video.effnet.loader_workers",
)
COLUMNS = ["setting", "key", "paper", "run"]


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def _get(tree: Mapping[str, Any], path: str, default: Any = None) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _effective(tree: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """The value at ``key``; an unset preprocessing is the backbone's own preset."""
    value = _get(tree, key, default)
    if isinstance(value, Mapping) and set(value) == {"preset"}:
        value = value["preset"]  # {preset: vggface2} is the preset itself
    if key.endswith(".weights.preprocessing") and value is None:
        backbone = _get(tree, key.removesuffix(".weights.preprocessing") + ".backbone")
        if backbone is not None:
            return "vggface2" if backbone == "vggface2_resnet50" else "imagenet"
    return value


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _ignored(key: str) -> bool:
    return any(key == i or key.startswith(i + ".") for i in IGNORED)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def paper_settings(paper_file: str | Path, defaults_file: str | Path) -> dict[str, Any]:
    """The paper run's configuration: the paper file merged over the workflow's defaults."""
    defaults = yaml.safe_load(Path(defaults_file).read_text()) or {}
    paper = yaml.safe_load(Path(paper_file).read_text()) or {}
    return deep_merge(defaults, paper)


def compared_keys(paper_file_tree: Mapping[str, Any]) -> list[str]:
    """The named settings first (in ``NAMED`` order), then every other leaf the paper
    file fixes, sorted; machine settings left out."""
    fixed = [k for k in _leaves(paper_file_tree) if not _ignored(k)]
    keys = list(NAMED)
    keys += sorted(k for k in fixed if k not in NAMED)
    return keys


def departures(
    run: Mapping[str, Any], paper: Mapping[str, Any], keys: Sequence[str]
) -> pd.DataFrame:
    """One row per compared setting whose run value differs from the paper's.

    Columns: ``setting`` (a reader's name), ``key`` (dotted config path, with `` (level
    k)`` for a per-level override), ``paper``, ``run`` (values as text).
    """
    rows = []
    overrides = run.get("level_overrides") or {}
    for key in keys:
        ours, theirs = _effective(run, key), _effective(paper, key)
        if not _same(ours, theirs):
            rows.append((NAMED.get(key, key), key, _show(theirs), _show(ours)))
        for level in sorted(overrides, key=lambda k: int(k)):
            value = _get(overrides[level], key, default=KeyError)
            if value is not KeyError and not _same(value, theirs):
                rows.append((f"{NAMED.get(key, key)} (level {level})", f"{key} (level {level})",
                             _show(theirs), _show(value)))
    return pd.DataFrame(rows, columns=COLUMNS)


def changes_results(key: str) -> bool:
    """Whether a departure is one that changes results: the corpus, a backbone, weights,
    input size, epochs, frames, PCA sizes, pooling or the protocol (the settings named in
    ``NAMED``), per-level overrides of them included."""
    return key.split(" (level ")[0] in NAMED


def departures_summary(table: pd.DataFrame, literal: str = "") -> str:
    """One sentence: "N settings differ from the paper's; the ones that change results:
    corpus: demo (paper: ramas); ...". ``literal`` wraps values (rST: two backquotes)."""
    if table.empty:
        return "No setting differs from the paper's."
    n = len(table)
    major = table[[changes_results(k) for k in table["key"]]]
    head = f"{n} setting{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} from the paper's"
    if major.empty:
        return f"{head}; none of them is one that changes results (corpus, backbones, " \
               "weights, input sizes, epochs, protocol)."
    items = "; ".join(
        f"{row.setting}: {literal}{row.run}{literal} (paper: {literal}{row.paper}{literal})"
        for row in major.itertuples(index=False)
    )
    rest = n - len(major)
    tail = f"; {rest} other{'s' if rest != 1 else ''} in the full list below" if rest else ""
    return f"{head}; the ones that change results: {items}{tail}."


def departures_markdown(table: pd.DataFrame, paper_name: str = "config/ramas_paper.yaml",
                        sizes: str | None = None) -> str:
    """The list as the report shows it: a heading, which block of model sizes applied
    (``sizes``, :func:`emoagree.settings.describe_sizes`), the summary, one bullet per
    departure."""
    lines = [f"# Departures from {paper_name}", ""]
    if sizes:
        lines += [sizes[0].upper() + sizes[1:] + ".", ""]
    if table.empty:
        lines.append(f"None: this run uses the settings of {paper_name}.")
    else:
        lines += [departures_summary(table), "", "## Full list", ""]
        lines.append(f"This run differs from the paper's settings ({paper_name}) in "
                     f"{len(table)} setting{'s' if len(table) != 1 else ''}:")
        lines.append("")
        for row in table.itertuples(index=False):
            lines.append(f"- **{row.setting}**: {row.run} (paper: {row.paper}) "
                         f"[`{row.key}`]")
    return "\n".join(lines) + "\n"


def departures_rst(table: pd.DataFrame, paper_name: str = "config/ramas_paper.yaml",
                   sizes: str | None = None) -> str:
    """The summary and the full list as reStructuredText, for the report's front page
    (after the answer; values as literals); ``sizes`` as in :func:`departures_markdown`."""
    title = f"Departures from {paper_name}"
    lines = [title, "=" * len(title), ""]
    if sizes:
        lines += [sizes[0].upper() + sizes[1:] + ".", ""]
    if table.empty:
        lines.append(f"None: this run uses the settings of ``{paper_name}``.")
    else:
        lines += [departures_summary(table, literal="``"), ""]
        lines += ["Full list", "-" * len("Full list"), ""]
        lines.append(f"This run differs from the paper's settings in {len(table)} "
                     f"setting{'s' if len(table) != 1 else ''}:")
        lines.append("")
        for row in table.itertuples(index=False):
            lines.append(f"- **{row.setting}**: ``{row.run}`` (paper: ``{row.paper}``)")
    return "\n".join(lines) + "\n"


def write_departures(
    run: Mapping[str, Any], paper_file: str | Path, defaults_file: str | Path,
    csv_out: str | Path, md_out: str | Path, rst_out: str | Path | None = None,
) -> pd.DataFrame:
    """Compare the run's configuration with the paper's; write CSV, Markdown (and rST),
    the latter two saying which block of model sizes applied (demo_sizes or defaults)."""
    paper_tree = yaml.safe_load(Path(paper_file).read_text()) or {}
    paper = paper_settings(paper_file, defaults_file)
    table = departures(run, paper, compared_keys(paper_tree))
    for path in (csv_out, md_out, rst_out):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_out, index=False)
    sizes = describe_sizes(run)
    Path(md_out).write_text(departures_markdown(table, sizes=sizes))
    if rst_out is not None:
        Path(rst_out).write_text(departures_rst(table, sizes=sizes))
    return table
