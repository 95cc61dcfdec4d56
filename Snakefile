# Annotation confidence vs. training sample size (Ryumina, Verkholyak & Karpov,
# Interspeech 2021) as a Snakemake workflow: corpus -> agreement levels -> audio and
# video systems -> fusion -> 5x5 cross-evaluation -> tables, figures, report.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/common_evaluation.smk"
include: "workflow/rules/corpus.smk"
include: "workflow/rules/levels.smk"
include: "workflow/rules/fusion.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        levels_targets(),
        evaluation_targets(),
        report_targets(),
    default_target: True
