# Input and target functions of the training arms (rules in arms.smk).
# An arm is a train row (Mw, Ms, Mc) trained on all level-1 intervals with their agreement;
# see src/emoagree/arms.py for the definitions.

ARMS = [str(arm) for arm in config.get("training_arms") or []]
ARM_SETTINGS = config.get("arms") or {}


def arm_file(arm):
    return f"results/corpus/arms/{arm}.csv"


def arms_targets():
    """Every configured arm's table and, on the demo, the arms' truth accuracy."""
    targets = [arm_file(arm) for arm in ARMS]
    if ARMS and config["corpus"]["format"] == "demo":
        targets += [f"results/tables/arms_truth_accuracy.{ext}" for ext in ("csv", "md")]
    return targets
