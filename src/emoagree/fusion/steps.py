"""The fusion rules' steps: cross-fitted weights per fold, and their application.

Cross-fitting (``K >= 3`` folds, :func:`cross_fit_sets`): fold f's weights are chosen on
the pooled validation predictions of the other folds, leaving out fold f's own (so that
fold f's fused validation score, which chooses the headline system, is out of sample) and
those of fold ``f - 1``, whose validation part is fold f's test part (so that no test
label of fold f chooses the weights fold f is tested with). What remains is fold f's own
training part, predicted by the other folds' models. With one fold there is nothing to
cross-fit: the weights are chosen on the fold's own validation part (in-sample for the
fused validation score), and the weights file and log say so.

Weights, candidates and the search itself: :mod:`emoagree.fusion.weighted`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoagree.contracts.predictions import PredictionArrays, read_checked, write_arrays
from emoagree.fusion.weighted import (
    DEFAULT_SHRINKAGE,
    SELECTIONS,
    Aligned,
    align_arrays,
    fused_probabilities,
    search_weights,
    weights_from_record,
    weights_record,
    write_fused,
)


def _read_pair(audio_path, video_path, emotions) -> Aligned:
    return align_arrays(read_checked(audio_path, emotions), read_checked(video_path, emotions))


def cross_fit_sets(n_folds: int, repeats: int = 1) -> list[list[int]]:
    """For every fold f, the folds whose validation predictions choose f's weights.

    ``K >= 3``: every fold but f (its own validation part: the fused validation score
    must be out of sample) and ``f - 1`` (its validation part is fold f's test part).
    One fold: the fold itself (nothing to cross-fit). With split repeats the folds are
    global ids ``r * K + f`` (repeat-major) and a fold's weights are chosen within its own
    repeat only (another repeat's folds hold fold f's test intervals in their val parts).
    """
    n_folds, repeats = int(n_folds), int(repeats)
    if repeats < 1 or (repeats > 1 and n_folds < 3):
        raise ValueError(f"fusion weights for {repeats} split repeats of {n_folds} folds")
    if n_folds == 1:
        return [[0]]
    if n_folds < 3:
        raise ValueError(f"fusion weights for {n_folds} folds: 1 or at least 3 are possible")
    return [
        [r * n_folds + g for g in range(n_folds) if g not in (f, (f - 1) % n_folds)]
        for r in range(repeats)
        for f in range(n_folds)
    ]


def repeat_blocks(data: PredictionArrays, repeats: int) -> list[PredictionArrays]:
    """A pooled prediction file of R split repeats as R files: the k-th row of an
    interval is its prediction in repeat k (:func:`emoagree.levels.folds.pool_folds`)."""
    if repeats == 1:
        return [data]
    rows: list[list[int]] = [[] for _ in range(repeats)]
    seen: dict[str, int] = {}
    for row, interval in enumerate(data.interval_ids):
        k = seen.get(interval, 0)
        if k >= repeats:
            raise ValueError(f"{data.path}: interval {interval!r} is listed over {repeats} times")
        seen[interval] = k + 1
        rows[k].append(row)
    short = [i for i, k in seen.items() if k != repeats]
    if short:
        raise ValueError(
            f"{data.path}: intervals {short[:3]} are not listed once per split repeat "
            f"({repeats} repeats)"
        )
    return [
        PredictionArrays(
            data.path,
            [data.interval_ids[r] for r in own],
            [data.emotions_true[r] for r in own],
            data.probs[own],
        )
        for own in rows
    ]


def _stacked(parts: Sequence[Aligned]) -> Aligned:
    """Aligned blocks one after the other (the split repeats of one cell)."""
    if len(parts) == 1:
        return parts[0]
    return Aligned(
        interval_ids=[i for part in parts for i in part.interval_ids],
        emotions_true=[e for part in parts for e in part.emotions_true],
        audio=np.concatenate([part.audio for part in parts]),
        video=np.concatenate([part.video for part in parts]),
    )


def _read_repeats(audio_path, video_path, emotions, repeats: int) -> list[Aligned]:
    """Each split repeat's aligned audio and video predictions of one pooled file pair."""
    audio = repeat_blocks(read_checked(audio_path, emotions, repeats), repeats)
    video = repeat_blocks(read_checked(video_path, emotions, repeats), repeats)
    return [align_arrays(a, v) for a, v in zip(audio, video, strict=True)]


def pooled(parts: Sequence[Aligned]) -> Aligned:
    """Several folds' aligned predictions as one selection set (their intervals differ)."""
    ids = [i for part in parts for i in part.interval_ids]
    if len(set(ids)) != len(ids):
        raise ValueError("the pooled validation parts share intervals: they must be disjoint")
    return Aligned(
        interval_ids=ids,
        emotions_true=[e for part in parts for e in part.emotions_true],
        audio=np.concatenate([part.audio for part in parts]),
        video=np.concatenate([part.video for part in parts]),
    )


def run_weight_search(
    audio_paths,
    video_paths,
    weights_paths,
    val_predictions_paths,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    log=None,
    n_folds: int | None = None,
) -> list[dict[str, Any]]:
    """Choose the fusion weights of every fold of one train level (one replicate); write
    each fold's weights JSON and its fused validation predictions.

    The path arguments list one file per fold, in fold order (a single path: one fold);
    with split repeats one per fold of every repeat (global ids ``r * K + f``), and
    ``n_folds`` is K (default: the number of files, one repeat).
    With ``K >= 3`` folds each fold's weights are cross-fitted (:func:`cross_fit_sets`),
    so each fold's fused validation predictions are out of sample; with one fold they
    are chosen on the fold's own validation part (in-sample, said so). Under
    ``selection: test`` the same weights files are written (they fuse ``val``); the
    per-test-level search happens in :func:`run_apply`.
    """
    from emoagree.levels.folds import as_fold_paths

    audio_paths, video_paths = as_fold_paths(audio_paths), as_fold_paths(video_paths)
    weights_paths = as_fold_paths(weights_paths)
    val_predictions_paths = as_fold_paths(val_predictions_paths)
    n_global = len(audio_paths)
    if not n_global == len(video_paths) == len(weights_paths) == len(val_predictions_paths):
        raise ValueError("fusion weights: one audio, video, weights and val file per fold")
    n_folds = n_global if n_folds is None else int(n_folds)
    if n_folds < 1 or n_global % n_folds:
        raise ValueError(
            f"fusion weights: {n_global} files are not whole repeats of {n_folds} folds"
        )
    repeats = n_global // n_folds
    data = [_read_pair(a, v, emotions) for a, v in zip(audio_paths, video_paths, strict=True)]
    shrinkage = [float(x) for x in fusion_settings.get("shrinkage", DEFAULT_SHRINKAGE)]
    records = []
    for fold, chosen_on in enumerate(cross_fit_sets(n_folds, repeats)):
        weights, summary = search_weights(
            pooled([data[g] for g in chosen_on]),
            emotions,
            int(fusion_settings["draws"]),
            float(fusion_settings["concentration"]),
            str(fusion_settings["normalisation"]),
            seed,
            shrinkage,
        )
        record = _weights_record(
            fold,
            n_folds,
            repeats,
            chosen_on,
            audio_paths,
            video_paths,
            fusion_settings,
            shrinkage,
            seed,
            weights_record(weights, emotions),
            summary,
        )
        if log is not None:
            _log_search(record, emotions, log)
        Path(weights_paths[fold]).parent.mkdir(parents=True, exist_ok=True)
        Path(weights_paths[fold]).write_text(json.dumps(record, indent=2) + "\n")
        write_fused(val_predictions_paths[fold], weights, data[fold], emotions)
        records.append(record)
    return records


def _weights_record(
    fold: int,
    n_folds: int,
    repeats: int,
    chosen_on: list[int],
    audio_paths: Sequence,
    video_paths: Sequence,
    fusion_settings: Mapping[str, Any],
    shrinkage: Sequence[float],
    seed: int,
    weights: dict[str, dict[str, float]],
    summary: Mapping[str, Any],
) -> dict[str, Any]:
    """The weights JSON of one fold: what chose its weights, the search's settings, the
    weights and the search's summary."""
    cross_fitted = n_folds > 1
    before = fold - fold % n_folds + (fold - 1) % n_folds  # f - 1 of the same repeat
    record = {
        "fold": fold,
        "n_folds": n_folds,
        **({"repeat": fold // n_folds, "repeats": repeats} if repeats > 1 else {}),
        "audio_predictions": [str(audio_paths[g]) for g in chosen_on],
        "video_predictions": [str(video_paths[g]) for g in chosen_on],
        "chosen_on": "val",
        "cross_fitted": cross_fitted,
        "selection_folds": chosen_on,
        "val_out_of_sample": cross_fitted,
        "cross_fit": (
            f"chosen on the validation predictions of folds {chosen_on} (pooled): not on "
            f"fold {fold}'s own validation part (its fused validation score is out of "
            f"sample) nor on fold {before}'s (that is fold {fold}'s test part)"
            + (" nor on another split repeat's folds" if repeats > 1 else "")
            if cross_fitted
            else "one fold: nothing to cross-fit; chosen on the fold's own validation "
            "part, so the fused validation score is in-sample"
        ),
        "selection": fusion_settings["selection"],
        "draws": int(fusion_settings["draws"]),
        "concentration": float(fusion_settings["concentration"]),
        "normalisation": fusion_settings["normalisation"],
        "shrinkage_grid": sorted(set(shrinkage)),
        "seed": int(seed),
        "weights": weights,
        **summary,
    }
    return record


def _log_search(record: dict[str, Any], emotions: Sequence[str], log) -> None:
    chosen = (
        f"draw {record['selected_draw']} shrunk by {record['shrinkage']}"
        if record["candidate"] == "draw"
        else record["candidate"]
    )
    print(
        f"fusion weights of fold {record['fold']} of {record['n_folds']}: {record['cross_fit']}; "
        f"{record['n_intervals']} intervals ({record['n_audio_only']} audio only, "
        f"{record['n_video_only']} video only, {record['n_neither']} neither); "
        + (
            f"WARNING: {record['unchosen']}"
            if record.get("unchosen")
            else f"best of {record['n_candidates']} candidates: {chosen}, UAR "
            f"{record['selection_uar']:.4f} (even {record['even_uar']}, audio alone "
            f"{record['audio_alone_uar']}, video alone {record['video_alone_uar']})"
        ),
        file=log,
    )
    if record["n_intervals"] < 2 * len(emotions):
        print(
            f"WARNING: only {record['n_intervals']} selection intervals for {len(emotions)} "
            f"classes; {record['n_draws_tied']} of {record['n_candidates']} candidates tie "
            "at the best UAR: the chosen weights are barely determined",
            file=log,
        )


def part_folds(level_csv: str, n_folds: int, part: str = "test", repeat: int = 0) -> dict[str, int]:
    """``interval_id -> fold`` whose model predicts it, for the intervals of ``part``
    (``test``, or ``val``: each fold's validation part) of a level table (read without
    pandas: fusion jobs are many and short; the rule is
    :func:`emoagree.levels.folds.part_fold_ids`). With split repeats, ``repeat`` r reads
    that repeat's column and gives global fold ids ``r * K + f``."""
    from emoagree.contracts.levels import read_rows
    from emoagree.levels.folds import fold_column, part_fold_ids

    _, rows = read_rows(level_csv)
    if part not in ("test", "val"):
        raise ValueError(f"part {part!r} is not test or val")
    ids = [r["interval_id"] for r in rows]
    if n_folds == 1:
        fold_of = part_fold_ids([r["split"] for r in rows], None, 1, part)
        return {i: int(f) for i, f in zip(ids, fold_of, strict=True) if f >= 0}
    column = fold_column(repeat)
    if rows and column not in rows[0]:
        raise ValueError(f"{level_csv}: no {column!r} column for {n_folds} folds")
    fold_of = part_fold_ids(None, [int(r[column]) for r in rows], n_folds, part, repeat)
    return {i: int(f) for i, f in zip(ids, fold_of, strict=True)}


def fuse_by_fold(
    data: Aligned,
    per_fold: Sequence[np.ndarray],
    fold_of: Mapping[str, int] | None,
    what: str,
) -> np.ndarray:
    """Fused probabilities, each interval with the weights of the fold whose model
    predicted it (``fold_of``; ``None``: one fold)."""
    if fold_of is None:
        folds = np.zeros(len(data.interval_ids), dtype=int)
    else:
        missing = [i for i in data.interval_ids if i not in fold_of]
        if missing:
            raise ValueError(f"{what}: no fold for intervals {missing[:3]}")
        folds = np.array([fold_of[i] for i in data.interval_ids], dtype=int)
    probs = np.full(data.audio.shape, np.nan)
    for fold, weights in enumerate(per_fold):
        mask = folds == fold
        if mask.any():
            probs[mask] = fused_probabilities(weights, data)[mask]
    return probs


def _fuse_repeats(
    blocks: Sequence[Aligned],
    per_fold: Sequence[np.ndarray],
    level_csv: str | Path | None,
    n_folds: int,
    part: str,
    audio_path: str | Path,
) -> np.ndarray:
    """Fuse each split repeat's block with the weights of the fold that holds each interval
    in that repeat's ``part`` (``test`` or ``val``), blocks stacked in repeat order."""
    return np.concatenate(
        [
            fuse_by_fold(
                block,
                per_fold,
                part_folds(level_csv, n_folds, part, r) if n_folds > 1 else None,
                f"{level_csv} ({part} of {audio_path})",
            )
            for r, block in enumerate(blocks)
        ]
    )


def _fuse_on_test(
    data: Aligned, emotions: Sequence[str], fusion_settings: Mapping[str, Any], seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """``selection: test`` (the paper's protocol, optimistic): one weight matrix searched
    on the test level's own labels; the fused probabilities and the info record."""
    weights, summary = search_weights(
        data,
        emotions,
        int(fusion_settings["draws"]),
        float(fusion_settings["concentration"]),
        str(fusion_settings["normalisation"]),
        seed,
        [float(x) for x in fusion_settings.get("shrinkage", DEFAULT_SHRINKAGE)],
    )
    probs = fused_probabilities(weights, data)
    return probs, {"chosen_on": "test", **summary, "weights": weights_record(weights, emotions)}


def _log_apply(info: Mapping[str, Any], log) -> None:
    print(
        f"fused {info['n_intervals']} intervals with weights chosen on {info['chosen_on']}"
        f"{' (OPTIMISTIC: test labels used)' if info['optimistic'] else ''}: "
        f"{info['n_audio_only']} audio only, {info['n_video_only']} video only, "
        f"{info['n_neither']} unscored"
        + (
            f"; and {info['val']['n_intervals']} validation intervals (val{{j}}) with "
            "each fold's weights chosen on val"
            if "val" in info
            else ""
        ),
        file=log,
    )


def run_apply(
    weights_paths: Sequence[str],
    audio_path: str,
    video_path: str,
    predictions_path: str,
    info_path: str,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    level_csv: str | None = None,
    n_folds: int = 1,
    log=None,
    val_paths: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """Fuse one test level's predictions; write them and what was applied (info JSON).

    Under ``selection: val`` each interval is fused with the weights chosen for the fold
    that tested it (``weights_paths[f]``; the fold of each interval comes from
    ``level_csv``). Under ``selection: test`` (the paper's protocol, optimistic) one
    weight matrix is searched again on this test level's own labels, and the info file
    says so.

    ``val_paths`` = ``(audio val{j}, video val{j}, fused val{j} out)``: the validation
    cross-evaluation, each interval of a fold's validation part fused with that fold's
    (cross-fitted) weights, whatever ``selection`` says (never chosen on test labels).
    """
    selection = fusion_settings["selection"]
    if selection not in SELECTIONS:
        raise ValueError(f"fusion.selection {selection!r} not in {SELECTIONS}")
    from emoagree.levels.folds import as_fold_paths

    weights_paths = as_fold_paths(weights_paths)
    if not weights_paths or len(weights_paths) % n_folds:
        raise ValueError(f"{len(weights_paths)} fusion weight files for {n_folds} folds")
    repeats = len(weights_paths) // n_folds  # split repeats: global fold ids r * K + f
    if n_folds > 1 and level_csv is None:
        raise ValueError("fusing pooled folds needs the test level's table")
    blocks = _read_repeats(audio_path, video_path, emotions, repeats)
    data = _stacked(blocks)
    per_fold = [
        weights_from_record(json.loads(Path(p).read_text())["weights"], emotions)
        for p in weights_paths
    ]
    if selection == "val":
        probs = _fuse_repeats(blocks, per_fold, level_csv, n_folds, "test", audio_path)
        info = {"chosen_on": "val", **data.counts()}
        info.update(
            weights_per_fold=[weights_record(w, emotions) for w in per_fold],
            weights=weights_record(per_fold[0], emotions),
        )
    else:
        probs, info = _fuse_on_test(data, emotions, fusion_settings, seed)
    info.update(
        selection=selection,
        optimistic=selection == "test",
        weights_file=[str(p) for p in weights_paths],
    )
    if val_paths is not None:
        val_audio, val_video, val_out = val_paths
        val_blocks = _read_repeats(val_audio, val_video, emotions, repeats)
        val = _stacked(val_blocks)
        val_probs = _fuse_repeats(val_blocks, per_fold, level_csv, n_folds, "val", val_audio)
        write_arrays(val_out, val.interval_ids, val.emotions_true, val_probs, emotions)
        info["val"] = {"chosen_on": "val", "cross_fitted": n_folds > 1, **val.counts()}
    if log is not None:
        _log_apply(info, log)
    write_arrays(predictions_path, data.interval_ids, data.emotions_true, probs, emotions)
    Path(info_path).parent.mkdir(parents=True, exist_ok=True)
    Path(info_path).write_text(json.dumps(info, indent=2) + "\n")
    return info
