# Annotation confidence vs. training sample size (Ryumina, Verkholyak & Karpov,
# Interspeech 2021) as a Snakemake workflow: corpus -> agreement levels -> audio and
# video systems -> fusion -> 5x5 cross-evaluation -> tables, figures, report.
import os

from snakemake.utils import min_version

min_version("9.0")


# The defaults live beside this Snakefile, so the workflow runs from any working directory
# (`snakemake -s PATH/Snakefile -d WORKDIR`); a `--configfile` given on the command line is
# merged over them, and every relative path in the config is relative to WORKDIR.
configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/corpus.smk"
include: "workflow/rules/levels.smk"
include: "workflow/rules/arms.smk"
include: "workflow/rules/audio.smk"
include: "workflow/rules/video.smk"
include: "workflow/rules/fusion.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        corpus_targets(),
        levels_targets(),
        arms_targets(),
        audio_targets(),
        video_targets(),
        evaluation_targets(),
        report_corpus_targets(),
        report_targets(),
    default_target: True
