# Input and target functions of the training arms (rules in arms.smk; the arm rows are
# planned by the stage files through train_rows()).
# An arm is a train row (Mw, Ms, Mc) trained on all level-1 intervals with their agreement,
# with level 1's settings, features and split; see src/emoagree/levels/arms.py for the definitions.

from emoagree.levels.arms import ARM_ROWS  # noqa: E402
from emoagree.levels.curriculum import curriculum_notes  # noqa: E402

ARMS = list(PLAN.arms)
ARM_SETTINGS = PLAN.arm_settings


def arm_file(arm):
    return f"results/corpus/arms/{arm}.csv"


def fusion_members(system):
    """(audio system, video system) of a fused system's name."""
    return PLAN.systems.fusion_members(system)


def system_arm_rows(system):
    """The arm rows (Mw, Ms, Mc) planned for ``system``: a curriculum only for the
    networks; a fused pair only the rows both of its members have."""
    return PLAN.arm_rows(system)


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
    return PLAN.train_rows(system)


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
    if ARMS and PLAN.corpus.format == "demo":
        targets += [f"results/tables/arms_truth_accuracy.{ext}" for ext in ("csv", "md")]
    return targets
