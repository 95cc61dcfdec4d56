# Fusion of one audio and one video system (paper, section 2): a weight search (Dirichlet
# draws, shrunk towards even weights, the even mix and each member alone) per (fold, train
# level). One job per train level searches every fold's weights, cross-fitted: fold f's on
# the pooled validation predictions of the other folds except f - 1 (whose val part is
# fold f's test part), so fold f's fused val predictions are out of sample; with one fold
# (strategy corpus, folds: 1) on the fold's own val part (in-sample, said so). A test
# interval of any level is fused with the weights of the fold that tested it. With training
# replicates, replicate r of the audio system is fused with replicate r of the video system
# under weights chosen on their val predictions. With split repeats (R) the folds of every
# repeat are listed by global id r * K + f and fold f's weights are cross-fitted within its
# own repeat. fusion_apply is the cell's node: it fuses
# one test level and scores it (metrics JSON), and does the same for level j's intervals of
# each fold's val part with that fold's weights (val{j}, the validation cross-evaluation).
# Fused systems are named fusion_<audio>_<video> and write the same files as any system.
# The weight search's seed is seed_of(train level), like the members' training (common.smk);
# the cell's bootstrap takes the study's seed, shared by every cell.


include: "common_fusion.smk"


rule fusion_weights:
    input:
        audio=[
            f"results/predictions/{{audio_system}}/fold{f}/train{{train_level}}{rep}/val.csv"
            for rep in PLAN.replicates
            for f in PLAN.folds
        ],
        video=[
            f"results/predictions/{{video_system}}/fold{f}/train{{train_level}}{rep}/val.csv"
            for rep in PLAN.replicates
            for f in PLAN.folds
        ],
    output:
        weights=[
            f"results/models/fusion_{{audio_system}}_{{video_system}}/fold{f}/train{{train_level}}{rep}.json"
            for rep in PLAN.replicates
            for f in PLAN.folds
        ],
        val=[
            f"results/predictions/fusion_{{audio_system}}_{{video_system}}/fold{f}/train{{train_level}}{rep}/val.csv"
            for rep in PLAN.replicates
            for f in PLAN.folds
        ],
    params:
        emotions=EMOTIONS,
        fusion=fusion_settings,
        seed=train_row_seed,
        n_folds=PLAN.n_folds,
        n_replicates=PLAN.n_replicates,
    log:
        "logs/fusion/weights/fusion_{audio_system}_{video_system}/train{train_level}.log",
    benchmark:
        "benchmarks/fusion/weights/fusion_{audio_system}_{video_system}/train{train_level}.tsv"
    conda:
        "../../envs/fusion.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/fusion_weights.py"


rule fusion_apply:
    input:
        weights=fold_models("fusion_{audio_system}_{video_system}", "json"),
        audio=replicate_files(
            "results/predictions/{audio_system}/train{train_level}/test{test_level}{rep}.csv"
        ),
        video=replicate_files(
            "results/predictions/{video_system}/train{train_level}/test{test_level}{rep}.csv"
        ),
        val_audio=replicate_files(
            "results/predictions/{audio_system}/train{train_level}/val{test_level}{rep}.csv"
        ),
        val_video=replicate_files(
            "results/predictions/{video_system}/train{train_level}/val{test_level}{rep}.csv"
        ),
        level=lambda wc: level_table(wc.test_level),
        split=SPLIT_TABLE,
    output:
        predictions=replicate_files(
            "results/predictions/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}{rep}.csv"
        ),
        info=replicate_files(
            "results/models/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}{rep}.json"
        ),
        metrics="results/metrics/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.json",
        val=replicate_files(
            "results/predictions/fusion_{audio_system}_{video_system}/train{train_level}/val{test_level}{rep}.csv"
        ),
        val_metrics="results/metrics/fusion_{audio_system}_{video_system}/train{train_level}/val{test_level}.json",
    params:
        emotions=EMOTIONS,
        fusion=fusion_settings,
        seed=train_row_seed,
        n_folds=PLAN.n_folds,
        n_replicates=PLAN.n_replicates,
        evaluation=PLAN.evaluation.bootstrap(),
        bootstrap_seed=PLAN.seed,
    log:
        "logs/fusion/apply/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.log",
    benchmark:
        "benchmarks/fusion/apply/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.tsv"
    conda:
        "../../envs/fusion.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/fusion_apply.py"

