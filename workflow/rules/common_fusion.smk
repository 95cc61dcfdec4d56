# Params functions of the fusion stage (rules in fusion.smk). The fusion weights' seed is
# seed_of() the train row, like every system's training (common.smk).


def fusion_settings(wildcards):
    """The fusion section as seen by this train level's jobs."""
    return settings(wildcards.train_level)["fusion"]
