# Input and target functions of the training arms (rules in arms.smk; the arm rows are
# planned by the stage files through train_rows()).
# An arm is a train row (Mw, Ms, Mc) trained on all level-1 intervals with their agreement,
# with level 1's settings, features and split; see src/emoagree/levels/arms.py for the definitions.

from emoagree.levels.arms import ARM_ROWS, NETWORK_ONLY_ARMS  # noqa: E402
from emoagree.levels.curriculum import curriculum_notes  # noqa: E402

ARMS = [str(arm) for arm in config.get("training_arms") or []]
ARM_SETTINGS = config.get("arms") or {}
# Systems that train per epoch and so can follow a curriculum.
NETWORK_SYSTEMS = ("audio_lstm", "video_effnet")


def arm_file(arm):
    return f"results/corpus/arms/{arm}.csv"


def fusion_members(system):
    """(audio system, video system) of a fused system's name."""
    for audio in config["systems"]["audio"]:
        prefix = f"fusion_{audio}_"
        if system.startswith(prefix):
            return audio, system[len(prefix) :]
    raise ValueError(f"{system} is not a fused system of the configured audio systems")


def system_arm_rows(system):
    """The arm rows (Mw, Ms, Mc) planned for ``system``: a curriculum only for the
    networks; a fused pair only the rows both of its members have."""
    if system.startswith("fusion_"):
        audio, video = fusion_members(system)
        theirs = set(system_arm_rows(video))
        return [row for row in system_arm_rows(audio) if row in theirs]
    return [
        ARM_ROWS[arm]
        for arm in ARMS
        if arm not in NETWORK_ONLY_ARMS or system in NETWORK_SYSTEMS
    ]


def arm_notes(system):
    """Notes on ``system``'s arm rows for the answer: an under-trained curriculum (Mc)
    when the network's epochs cannot give every stage arms.curriculum.min_epochs_per_stage
    (emoagree.levels.arms.curriculum_plan); a fused system takes its members' notes."""
    if ARM_ROWS["curriculum"] not in system_arm_rows(system):
        return []
    members = fusion_members(system) if system.startswith("fusion_") else [system]
    return curriculum_notes(settings(1), members, ARM_SETTINGS.get("curriculum"))


# the run's log says when the curriculum row is no fair test (the answer says it too)
for _note in sorted({note for system in SYSTEMS for note in arm_notes(system)}):
    print(f"emoagree: {_note}", file=sys.stderr)


def train_rows(system):
    """The rows of ``system``'s cross-evaluation: every level, then its arm rows."""
    return [*LEVELS, *system_arm_rows(system)]


def train_arm(row):
    """The training arm of a train row (None for an agreement level)."""
    return ROW_ARMS.get(str(row))


def train_table(row):
    """What a train row's training reads: its level table, or the arm's table."""
    arm = train_arm(row)
    return level_table(row) if arm is None else arm_file(arm)


def train_data_level(row):
    """The level whose intervals (and features) a train row trains on: 1 for an arm."""
    return 1 if train_arm(row) else int(row)


def arms_targets():
    """Every configured arm's table and, on the demo, the arms' truth accuracy."""
    targets = [arm_file(arm) for arm in ARMS]
    if ARMS and config["corpus"]["format"] == "demo":
        targets += [f"results/tables/arms_truth_accuracy.{ext}" for ext in ("csv", "md")]
    return targets
