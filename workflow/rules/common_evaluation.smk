# Input, params and target functions of the fusion, evaluation and report stages
# (kept apart from the rules, as `snakemake --lint` asks). Included after common.smk.

from emoagree.naming import short_names

# --- fusion ---


def fusion_settings(wildcards):
    """The fusion section as seen by this train level's jobs."""
    return settings(wildcards.train_level)["fusion"]


def fusion_seed(wildcards):
    return settings(wildcards.train_level)["seed"]


def fusion_targets():
    """Fusion weights of every (fusion system, fold, train level)."""
    return [
        f"results/models/{system}/fold{fold}/train{level}.json"
        for system in FUSION_SYSTEMS
        for fold in FOLDS
        for level in train_rows(system)
    ]


# --- evaluation ---


# The split units that hold a test interval and the cluster (session, actor or the unit)
# each lies in: what the study's one cluster bootstrap resamples (every cell draws the
# same clusters; see emoagree.evaluation.metrics.resolve_cluster).
SPLIT_TABLE = "results/corpus/split.csv"
# What a cell's metrics depend on: resamples, interval level and what is resampled.
BOOTSTRAP_SETTINGS = {
    "bootstrap_resamples": config["evaluation"]["bootstrap_resamples"],
    "ci_level": config["evaluation"]["ci_level"],
    "cluster": config["evaluation"].get("cluster", "auto"),
    "strategy": config.get("split", {}).get("strategy", "stratified"),
}


def metrics_file(system, train_level, test):
    test_part = "val" if test == "val" else f"test{test}"
    return f"results/metrics/{system}/train{train_level}/{test_part}.json"


def val_cell_file(system, train_level, level):
    """The validation cross-evaluation of a cell (contract 2): level ``level``'s intervals
    of each fold's val part, scored by the cell's job."""
    return f"results/metrics/{system}/train{train_level}/val{level}.json"


def evaluation_targets():
    """Every cell of every system's 5x5 (plus its arm rows), every validation score, and
    every cell's validation cross-evaluation (val{j})."""
    return [
        metrics_file(system, i, j)
        for system in SYSTEMS
        for i in train_rows(system)
        for j in [*LEVELS, "val"]
    ] + [val_cell_file(system, i, j) for system in SYSTEMS for i in train_rows(system) for j in LEVELS]


# --- report ---

# Figures name systems by short names (A-LR, V-EffNet, A-LR+V-EffNet); captions give the
# full name with the backbone.
SYSTEM_SHORT = short_names(SYSTEMS)
# The answer's figure (rule report_answer_figure) and the text to paste (rule
# report_methods) need answer.json's `rows`, `confidence_set`, `named_row` (and `cluster`
# for the text). Off until the answer writes them; switch on to add both to the report.
ANSWER_CONFIDENCE_SET = True


# The headline system (Table 3, the answer, the trade-off plot) is the fused system with
# the best mean validation UAR over the train levels every fused system scored (fused
# validation scores are out of sample with K >= 3 folds: cross-fitted weights); without
# fusion (one-modality corpus), the best system.
HEADLINE_CANDIDATES = FUSION_SYSTEMS or SYSTEMS
# Whether any level's fusion weights are chosen on test labels (labelled optimistic).
OPTIMISTIC_FUSION = any(settings(k)["fusion"]["selection"] == "test" for k in LEVELS)


def study_protocol():
    """What the answer states about the split: unit, strategy, fusion weight selection."""
    split = config.get("split", {})
    return {
        "unit": split.get("unit", "segment"),
        "strategy": split.get("strategy", "stratified"),
        "fusion_selection": "test" if OPTIMISTIC_FUSION else "val",
    }


def cell_keys(systems, tests, arms=True):
    """(system, train row, test) keys of metrics files; tests are levels or "val"; train
    rows are the levels and (``arms``) each system's training arms' rows."""
    return [
        [s, i, j] for s in systems for i in (train_rows(s) if arms else LEVELS) for j in tests
    ]


def cell_files(systems, tests, arms=True):
    """Metrics files in the order of cell_keys(systems, tests, arms)."""
    return [metrics_file(s, i, j) for s, i, j in cell_keys(systems, tests, arms)]


def same_level_keys(systems):
    return [[s, k, k] for s in systems for k in LEVELS]


def headline_prediction_keys():
    return [[s, i, j] for s in HEADLINE_CANDIDATES for i in train_rows(s) for j in LEVELS]


def answer_fusions():
    """Each fused system's member systems: the answer sets each fusion beside its better
    member."""
    return {fused: list(fusion_members(fused)) for fused in FUSION_SYSTEMS}


def answer_prediction_keys():
    """(system, train row, test level) of every prediction file the answer reads: the
    headline candidates' cells, then each fused system's members on that system's rows."""
    keys = headline_prediction_keys()
    seen = {tuple(key) for key in keys}
    for fused, members in answer_fusions().items():
        for member in members:
            for i in train_rows(fused):
                for j in LEVELS:
                    if (member, i, j) not in seen:
                        seen.add((member, i, j))
                        keys.append([member, i, j])
    return keys


def answer_validation_keys():
    """(system, train row, test level) of the validation cross-evaluation the answer's
    validation-chosen row reads: results/metrics/{system}/train{i}/val{j}.json, the UAR
    of row i's fold models on every fold's validation part of test level j.

    Those files come from the cell jobs (each cell job also predicts and scores level j's
    validation intervals, one file per cell).
    """
    return [[s, i, j] for s in HEADLINE_CANDIDATES for i in train_rows(s) for j in LEVELS]


def answer_validation_files():
    """The metrics files of answer_validation_keys(), in that order."""
    return [
        f"results/metrics/{s}/train{i}/val{j}.json" for s, i, j in answer_validation_keys()
    ]


def answer_figure_targets():
    """The answer's figure and its per-system companion (PNG and PDF), and the methods
    and results text (Markdown, LaTeX), where ANSWER_CONFIDENCE_SET is on."""
    if not ANSWER_CONFIDENCE_SET:
        return []
    return [
        f"results/figures/{name}.{ext}"
        for name in ("answer", "answer_systems")
        for ext in ("png", "pdf")
    ] + ["results/tables/methods.md", "results/tables/methods.tex"]


FRONT_FIGURE_ALT = (
    "The answer: mean UAR over test levels per train row with its interval, the "
    "confidence set marked, and the training samples each row keeps"
    if ANSWER_CONFIDENCE_SET
    else "The trade-off: training samples per train level, and mean UAR over test levels "
    "per train level with its interval"
)


def front_figure():
    """The figure beside the answer on the report's front page."""
    return "results/figures/answer.png" if ANSWER_CONFIDENCE_SET else "results/figures/tradeoff.png"


def report_targets():
    """Every table and figure of the report (what `snakemake --report` collects)."""
    targets = [
        "results/tables/departures.md",
        "results/tables/departures.csv",
        "results/tables/departures.rst",
        "results/tables/best_system.json",
        "results/tables/table2_uar.csv",
        "results/tables/table2_uar.md",
        "results/tables/table3_crosseval.csv",
        "results/tables/table3_crosseval.md",
        "results/tables/answer.md",
        "results/tables/answer.rst",
        "results/tables/answer.json",
        "results/figures/tradeoff.png",
        "results/figures/tradeoff.pdf",
        "results/figures/recall_per_class.png",
        "results/figures/recall_per_class.pdf",
    ]
    targets += answer_figure_targets()
    targets.append("results/report/front_figure.rst")
    targets += [f"results/tables/crosseval/{s}.csv" for s in SYSTEMS]
    targets += [f"results/figures/crosseval/{s}.{ext}" for s in SYSTEMS for ext in ("png", "pdf")]
    if config["corpus"]["format"] == "ramas":
        targets += ["results/tables/paper_table2.csv", "results/tables/paper_table3.csv"]
    return targets


def system_cell_files(wildcards):
    return cell_files([wildcards.system], LEVELS)


def system_cell_keys(wildcards):
    return cell_keys([wildcards.system], LEVELS)
