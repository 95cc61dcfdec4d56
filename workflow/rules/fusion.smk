# Fusion of one audio and one video system (paper, section 2): Dirichlet weight search on
# each (fold, train level)'s validation predictions (one job per train level searches every
# fold's weights, each on its own fold's val part); a test interval of any level is fused
# with the weights of the fold that tested it. fusion_apply is the cell's node: it fuses
# one test level and scores it (metrics JSON).
# Fused systems are named fusion_<audio>_<video> and write the same files as any system.


rule fusion_weights:
    input:
        audio=expand(
            "results/predictions/{{audio_system}}/fold{fold}/train{{train_level}}/val.csv",
            fold=FOLDS,
        ),
        video=expand(
            "results/predictions/{{video_system}}/fold{fold}/train{{train_level}}/val.csv",
            fold=FOLDS,
        ),
    output:
        weights=expand(
            "results/models/fusion_{{audio_system}}_{{video_system}}/fold{fold}/train{{train_level}}.json",
            fold=FOLDS,
        ),
        val=expand(
            "results/predictions/fusion_{{audio_system}}_{{video_system}}/fold{fold}/train{{train_level}}/val.csv",
            fold=FOLDS,
        ),
    params:
        emotions=EMOTIONS,
        fusion=fusion_settings,
        seed=fusion_seed,
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
        weights=expand(
            "results/models/fusion_{{audio_system}}_{{video_system}}/fold{fold}/train{{train_level}}.json",
            fold=FOLDS,
        ),
        audio="results/predictions/{audio_system}/train{train_level}/test{test_level}.csv",
        video="results/predictions/{video_system}/train{train_level}/test{test_level}.csv",
        level=lambda wc: level_table(wc.test_level),
        split=SPLIT_TABLE,
    output:
        predictions="results/predictions/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.csv",
        info="results/models/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.json",
        metrics="results/metrics/fusion_{audio_system}_{video_system}/train{train_level}/test{test_level}.json",
    params:
        emotions=EMOTIONS,
        fusion=fusion_settings,
        seed=fusion_seed,
        n_folds=N_FOLDS,
        evaluation=BOOTSTRAP_SETTINGS,
        bootstrap_seed=config["seed"],
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

