"""Shards: stable groups of recordings for the per-recording feature stages.

A corpus of thousands of short clips would otherwise run one feature job per clip, and
each job spends about a second starting Python and importing its libraries before it
does ~0.1 s of work. The feature stages (audio LLDs, face detection, embeddings) run one
job per *shard* instead; the cache stays one file per recording inside the shard's
folder, and :func:`recording_caches` finds any recording's file among the shard folders.

How recordings are grouped (:func:`plan_shards`):

- A recording at least ``own_shard_s`` long (or longer than ``shard_media_s``), or whose
  duration is unknown, is a shard of its own, named ``rec-<recording>``. Long dialogues
  (RAMAS) keep one job per recording.
- The other recordings are placed on a ring in the order of a hash of their id. A
  recording *ends* a group when a second, independent hash of its id, read as a number
  in [0, 1), is below ``duration / shard_media_s``: on average one group ends per
  ``shard_media_s`` seconds of media, and whether a recording ends a group depends on
  that recording alone. A group is the stretch of the ring after one ending recording up
  to and including the next; it is named ``shard-<hash of its ending recording>``
  (``shard-ring`` when no recording ends a group).
- A group holding more than ``2 * shard_media_s`` of media is cut into consecutive
  pieces of about ``shard_media_s`` (named ``<group>-<k>``).

Names: a shard's name has a prefix of its kind (``rec-`` or ``shard-``), so no recording
id can name a group and no group can take a recording's place (a recording called ``g0``
or ``shard-ring`` is the shard ``rec-g0`` or ``rec-shard-ring``). Every per-shard and
per-recording path is built by :func:`stage_path`, which refuses a name that could leave
its stage folder (``.``, ``..``, a separator, a leading dot).

Stability: adding a recording puts it into exactly one group (the stretch of the ring it
falls into); if it ends a group itself, that group is split in two at it. Every other
shard keeps its name and its members, so its jobs are not rerun. Removing a recording is
the mirror image. (Only a group cut into pieces re-cuts its own pieces.) Changing
``shard_media_s`` or ``own_shard_s`` regroups everything.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Shards of more than this many times ``shard_media_s`` are cut into pieces.
MAX_SHARD_FACTOR = 2.0
#: Prefix of grouped shards' names.
GROUP_PREFIX = "shard-"
#: Prefix of the name of a shard that holds one recording (``rec-<recording>``).
OWN_PREFIX = "rec-"
#: A name that may be one component of a path under a stage folder: no separator, no
#: leading dot (so never ``.``, ``..`` or a hidden file).
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


def own_shard_name(recording: str) -> str:
    """The name of the shard that holds ``recording`` alone."""
    return f"{OWN_PREFIX}{recording}"


def is_own_shard(name: str, members: Sequence[str]) -> bool:
    """Whether shard ``name`` is a recording's shard of its own (not a group)."""
    return len(members) == 1 and name == own_shard_name(members[0])


def stage_path(stage_dir: str | Path, *names: str) -> Path:
    """``stage_dir/name/...``, guaranteed to stay inside ``stage_dir``.

    The one function that builds a per-shard or per-recording path: every name must be a
    single safe path component (:data:`SAFE_NAME`), and the joined path must resolve to a
    place strictly below ``stage_dir``.

    Raises:
        ValueError: a name that is empty, ``.``, ``..``, holds a separator or starts with a
            dot, naming the stage folder and the name.
    """
    stage = Path(stage_dir)
    for name in names:
        if not SAFE_NAME.match(str(name)):
            raise ValueError(
                f"{stage}: {name!r} cannot name a file or folder under it (allowed: A-Z a-z "
                "0-9 _ . -, not starting with a dot)"
            )
    path = stage.joinpath(*map(str, names))
    root = stage.resolve()
    if not names or root not in path.resolve().parents:
        raise ValueError(f"{path} is not inside its stage folder {stage}")
    return path


def _digest(recording: str, salt: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"{salt}:{recording}".encode(), digest_size=8).digest(), "big"
    )


def ring_position(recording: str) -> int:
    """Where a recording sits on the ring (a 64-bit hash of its id)."""
    return _digest(recording, "emoagree-shard-ring")


def ends_group(recording: str, duration_s: float, shard_media_s: float) -> bool:
    """Whether a recording closes its group (depends on this recording only)."""
    draw = _digest(recording, "emoagree-shard-cut") / 2**64
    return draw < duration_s / shard_media_s


def _own_shard(duration_s: float, shard_media_s: float, own_shard_s: float) -> bool:
    return (
        not math.isfinite(duration_s) or duration_s >= own_shard_s or duration_s > shard_media_s
    )


def _pieces(name: str, members: list[str], durations: Mapping[str, float],
            shard_media_s: float) -> dict[str, list[str]]:
    total = sum(durations[r] for r in members)
    if total <= MAX_SHARD_FACTOR * shard_media_s:
        return {name: members}
    pieces: dict[str, list[str]] = {}
    current: list[str] = []
    filled = 0.0
    for recording in members:
        current.append(recording)
        filled += durations[recording]
        if filled >= shard_media_s:
            pieces[f"{name}-{len(pieces)}"] = current
            current, filled = [], 0.0
    if current:
        pieces[f"{name}-{len(pieces)}"] = current
    return pieces


def plan_shards(
    durations: Mapping[str, float], shard_media_s: float, own_shard_s: float
) -> dict[str, list[str]]:
    """Group recordings into shards (see the module's description).

    Args:
        durations: seconds of media per recording id (NaN: unknown, a shard of its own).
        shard_media_s: the media duration a group of short recordings aims at.
        own_shard_s: recordings at least this long are a shard of their own.

    Returns:
        Shard name -> its recordings (in ring order), shards sorted by name.
    """
    if shard_media_s <= 0:
        raise ValueError(f"shard_media_s must be positive (got {shard_media_s})")
    shards: dict[str, list[str]] = {}
    ring = []
    for recording, duration in durations.items():
        duration = float(duration)
        if _own_shard(duration, shard_media_s, own_shard_s):
            shards[own_shard_name(str(recording))] = [str(recording)]
        else:
            ring.append(str(recording))
    ring.sort(key=ring_position)
    ends = [i for i, r in enumerate(ring) if ends_group(r, durations[r], shard_media_s)]
    if ring and not ends:
        groups = {f"{GROUP_PREFIX}ring": ring}
    else:
        groups = {}
        # the stretch after the last end wraps around to the first end
        start = ends[-1] + 1 - len(ring) if ends else 0
        for end in ends:
            members = [ring[i % len(ring)] for i in range(start, end + 1)]
            groups[f"{GROUP_PREFIX}{ring_position(ring[end]):016x}"] = members
            start = end + 1
    for name, members in groups.items():
        shards.update(_pieces(name, members, durations, shard_media_s))
    return dict(sorted(shards.items()))


def group_shards(
    shards: Mapping[str, Sequence[str]], durations: Mapping[str, float], media_s: float
) -> dict[str, list[str]]:
    """Shards grouped again, for a stage whose work per second of media is small.

    Embedding a shard's face crops takes a tenth of the time its detection took, so the
    ~5 s a job spends importing PyTorch and building the backbone would dominate a job
    per shard. A shard of one recording stays alone (long recordings keep one job each);
    the grouped shards are grouped again by the same stable scheme (the shard names
    hashed, their media summed) into groups of about ``media_s`` seconds.

    Returns:
        Group name -> the names of its shards.
    """
    groups: dict[str, list[str]] = {}
    grouped: dict[str, float] = {}
    for name, members in shards.items():
        if is_own_shard(name, list(members)):
            groups[name] = [name]
        else:
            grouped[name] = sum(float(durations[r]) for r in members)
    if grouped:
        # no group is cut into pieces by own_shard_s: every item is already a shard
        regrouped = plan_shards(grouped, media_s, own_shard_s=math.inf)
        # a grouped shard too big to share a job keeps its own name (``shard-...``)
        groups.update({name.removeprefix(OWN_PREFIX): items for name, items in regrouped.items()})
    return dict(sorted(groups.items()))


def shard_of(shards: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Recording -> the name of its shard."""
    return {r: name for name, members in shards.items() for r in members}


def recording_caches(paths: Iterable[str | Path]) -> dict[str, str]:
    """Recording id -> its cache file, from shard folders (or single ``.npz`` files).

    The one place that knows how a feature stage lays out its cache: a shard folder holds
    ``{recording}.npz`` per recording it covers.

    Raises:
        ValueError: a recording appears in two shards, or a path is neither.
    """
    caches: dict[str, str] = {}
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.glob("*.npz"))
        elif path.suffix == ".npz":
            files = [path]
        else:
            raise ValueError(f"{path}: neither a shard folder nor a .npz cache")
        for file in files:
            recording = file.name.removesuffix(".npz")
            if recording in caches:
                raise ValueError(f"recording {recording!r} is cached twice: {caches[recording]}, "
                                 f"{file}")
            caches[recording] = str(file)
    return caches


def shard_dir(stage_dir: str | Path, shard: str) -> str:
    """A shard's folder under its stage folder (e.g. ``results/features/audio_lld``)."""
    return str(stage_path(stage_dir, shard))


def cache_path(shard_dir: str | Path, recording: str) -> Path:
    """Where a shard job writes one recording's cache (always inside ``shard_dir``)."""
    return stage_path(shard_dir, f"{recording}.npz")


def run_shard(
    items: Mapping[str, Any],
    work: Callable[[str, Any], Any],
    *,
    label: str,
    every_s: float = 10.0,
) -> None:
    """Call ``work(recording, item)`` for every recording of a shard, logging progress.

    Progress (recordings done, elapsed time) goes to the log at the first and last
    recording and at most every ``every_s`` seconds in between.
    """
    started = last = time.monotonic()
    total = len(items)
    log.info("%s: %d recording(s)", label, total)
    for done, (recording, item) in enumerate(items.items(), start=1):
        work(recording, item)
        now = time.monotonic()
        if done in (1, total) or now - last >= every_s:
            log.info("%s: %d/%d recordings done, %.1f s elapsed", label, done, total,
                     now - started)
            last = now
