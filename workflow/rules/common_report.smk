# Params and target functions of the report stage (rules in report.smk): which systems
# the headline tables and the answer read, the cells each table reads, the report's
# targets.

from emoagree.naming import short_names

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
HEADLINE_CANDIDATES = list(PLAN.systems.fusion) or SYSTEMS
# Whether any level's fusion weights are chosen on test labels (labelled optimistic).
OPTIMISTIC_FUSION = any(settings(k)["fusion"]["selection"] == "test" for k in LEVELS)


def study_protocol():
    """What the answer states about the split: unit, strategy, fusion weight selection."""
    return PLAN.split.answer_fields("test" if OPTIMISTIC_FUSION else "val")


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
    return {fused: list(fusion_members(fused)) for fused in PLAN.systems.fusion}


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


def report_corpus_targets():
    """Table 1 and the corpus figures (and, on the demo, the labels' accuracy against the
    hidden truth): drawn from the corpus and level tables alone, before any model."""
    targets = [f"results/tables/table1_samples.{ext}" for ext in ("csv", "md")]
    targets += [
        f"results/figures/{name}.{ext}"
        for name in ("fig1_annotation_example", "fig2_counts", "fig3_lengths")
        for ext in ("png", "pdf")
    ]
    if PLAN.corpus.format == "demo":
        targets += [f"results/figures/fig_truth_accuracy.{ext}" for ext in ("png", "pdf")]
    return targets


def report_targets():
    """Every table and figure of the report drawn from the models' results."""
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
    if PLAN.corpus.format == "ramas":
        targets += ["results/tables/paper_table2.csv", "results/tables/paper_table3.csv"]
    return targets


def system_cell_files(wildcards):
    return cell_files([wildcards.system], LEVELS)


def system_cell_keys(wildcards):
    return cell_keys([wildcards.system], LEVELS)
