# Audio stage: openSMILE features and the audio_svm, audio_lr and audio_lstm systems.
#
#   audio_lld             shard              -> results/features/audio_lld/{shard}/{recording}.npz
#   audio_functionals_shard shard            -> results/features/audio_functionals/shards/{shard}.json
#                                            (+ the stretch cache .../stretches/{recording}.npz)
#   audio_functionals     level              -> results/features/audio_functionals/level{k}.{npz,json}
#   audio_train_classic   system, train level -> every fold f's results/models/{system}/fold{f}/train{i}.{joblib,json},
#                                            results/predictions/{system}/fold{f}/train{i}/val.csv
#   audio_train_lstm      train level        -> every fold f's results/models/audio_lstm/fold{f}/train{i}.pt, val.csv
#   audio_predict_*       train x test level -> results/predictions/{system}/train{i}/test{j}.csv
#                                            (each interval by the model of the fold that tested it)
#
# LLDs are a per-recording cache read by every level, written one shard of recordings per
# job (a long recording is a shard of its own; short clips are grouped by media duration,
# see emoagree.shards): their job count is the number of shards, whatever the levels.
# ComParE functionals are extracted per shard too, once per (recording, start, end) stretch
# whatever the levels that share it, into a cache of one file per recording
# (emoagree.audio.stretches); each level's table is assembled from it by a light job.
# Training reads settings(train level) and its seed seed_of(train level) (common.smk),
# prediction settings(test level), both through params. Input functions and
# audio_targets() are in common_audio.smk.


include: "common_audio.smk"


rule audio_lld:
    input:
        wavs=shard_wavs,
        mfcc_config=repo_path(PLAN.sections["audio"]["mfcc_config"]),
    output:
        lld=directory("results/features/audio_lld/{shard}"),
    params:
        # the shard's members: a recording joining or leaving the shard reruns it
        recordings=lambda wc: AUDIO_SHARDS[wc.shard],
    log:
        "logs/audio/lld/{shard}.log",
    benchmark:
        "benchmarks/audio/lld/{shard}.tsv"
    # a shard's recordings on min(--cores, audio.max_threads) threads (same values)
    threads: feature_threads(PLAN.sections["audio"]["max_threads"])
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_lld.py"


rule audio_functionals_shard:
    input:
        # every level's intervals: a level added reruns the shard jobs, which find the
        # stretches it shares with the other levels already cached
        levels=expand(level_table("{level}"), level=LEVELS),
        wavs=shard_wavs,
    output:
        # the shard's stretch counts; the features themselves go to FUNCTIONALS_CACHE,
        # which is no output (Snakemake would delete it before a rerun)
        manifest="results/features/audio_functionals/shards/{shard}.json",
    params:
        recordings=lambda wc: AUDIO_SHARDS[wc.shard],
        levels=LEVELS,
        min_duration_s=lambda wc: {
            str(k): settings(k)["audio"]["min_duration_s"] for k in LEVELS
        },
        cache=FUNCTIONALS_CACHE,
    log:
        "logs/audio/functionals/{shard}.log",
    benchmark:
        "benchmarks/audio/functionals/{shard}.tsv"
    threads: feature_threads(PLAN.sections["audio"]["max_threads"])
    resources:
        mem_mb=2000,
        runtime=120,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_functionals_shard.py"


rule audio_functionals:
    input:
        level=lambda wc: level_table(wc.level),
        wavs=lambda wc: list(audio_paths().values()),
        # ancient: a shard job rerun for another level (which only adds stretches to the
        # cache) does not rerun this level's table and the models that read it
        shards=ancient(functionals_shard_manifests()),
    output:
        features="results/features/audio_functionals/level{level}.npz",
        counts="results/features/audio_functionals/level{level}.json",
    params:
        level=lambda wc: int(wc.level),
        audio_paths=lambda wc: audio_paths(),
        min_duration_s=lambda wc: settings(wc.level)["audio"]["min_duration_s"],
        cache=FUNCTIONALS_CACHE,
    log:
        "logs/audio/functionals/level{level}.log",
    benchmark:
        "benchmarks/audio/functionals/level{level}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_functionals.py"


rule audio_train_classic:
    input:
        level=lambda wc: train_table(wc.train_level),
        features=lambda wc: functionals_of(train_data_level(wc.train_level)),
    output:
        # every fold's model (one job per system, train row and replicate: fold_files)
        model=fold_files("results/models/{system}/fold{fold}/train{train_level}{rep}.joblib"),
        report=fold_files("results/models/{system}/fold{fold}/train{train_level}{rep}.json"),
        val=fold_files("results/predictions/{system}/fold{fold}/train{train_level}{rep}/val.csv"),
        # the chosen setting fitted on the train part alone (val.csv's model): the cells'
        # validation cross-evaluation (val{j}) predicts with it
        val_model=fold_files(
            "results/models/{system}/fold{fold}/train{train_level}{rep}.val.joblib"
        ),
    wildcard_constraints:
        system="|".join(AUDIO_CLASSIC) if AUDIO_CLASSIC else "__none__",
        train_level="[0-9]+|Mw|Ms",  # no curriculum for the classic models
    params:
        system=lambda wc: wc.system,
        arm=lambda wc: train_arm(wc.train_level),
        # only what the classic models read (not the LSTM's settings): see emoagree.settings
        settings=lambda wc: classic_settings(settings(wc.train_level)["audio"], wc.system),
        emotions=EMOTIONS,
        seed=training_seed,
        folds=PLAN.folds,
        n_folds=PLAN.n_folds,
        # the inner CV's groups mimic the outer split (emoagree.training.selection.inner_cv_groups)
        split_strategy=PLAN.split.strategy,
    log:
        "logs/audio/train/{system}_train{train_level}{rep}.log",
    benchmark:
        "benchmarks/audio/train/{system}_train{train_level}{rep}.tsv"
    # its folds side by side in worker processes when the study has fewer such jobs than
    # cores (common_audio.smk: classic_training_workers); the same files whatever the count
    threads: classic_training_workers()
    resources:
        mem_mb=lambda wc, threads: 2000 * (threads + 1),
        runtime=len(PLAN.folds) * 60,  # minutes, for the K folds in turn
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_train_classic.py"


rule audio_train_lstm:
    input:
        level=lambda wc: train_table(wc.train_level),
        lld=lld_caches,
    output:
        # every fold's model (one job per train row and replicate: fold_files)
        model=fold_files("results/models/audio_lstm/fold{fold}/train{train_level}{rep}.pt"),
        val=fold_files("results/predictions/audio_lstm/fold{fold}/train{train_level}{rep}/val.csv"),
    params:
        # only what the LSTM reads (not the classic models' grids): see emoagree.settings
        settings=lambda wc: lstm_settings(settings(wc.train_level)["audio"]),
        audio_paths=lambda wc: audio_paths(),
        emotions=EMOTIONS,
        seed=training_seed,
        folds=PLAN.folds,
        n_folds=PLAN.n_folds,
        arm=lambda wc: train_arm(wc.train_level),
        curriculum=lambda wc: ARM_SETTINGS.get("curriculum") if train_arm(wc.train_level) else None,
        # one per fold; not outputs: Snakemake would delete them before a rerun, and
        # resuming from them after an interruption is their purpose (a rerun resumes the
        # fold that was training and finds the folds before it done); the job removes
        # them once every fold is trained
        checkpoint=lambda wc: fold_files(
            f"results/models/audio_lstm/fold{{fold}}/train{wc.train_level}{wc.rep}.checkpoint.pt"
        ),
    log:
        "logs/audio/train/audio_lstm_train{train_level}{rep}.log",
    benchmark:
        "benchmarks/audio/train/audio_lstm_train{train_level}{rep}.tsv"
    threads: PLAN.sections["audio"]["threads"]
    resources:
        mem_mb=4000,
        runtime=len(PLAN.folds) * 240,  # minutes, for the K folds in turn
        gpu=LSTM_GPU_JOB,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_train_lstm.py"


rule audio_predict_classic:
    input:
        models=fold_models("{system}", "joblib"),
        val_models=fold_models("{system}", "val.joblib"),
        level=lambda wc: level_table(wc.test_level),
        split=SPLIT_TABLE,
        features=lambda wc: functionals_of(wc.test_level),
    output:
        predictions=replicate_files(
            "results/predictions/{system}/train{train_level}/test{test_level}{rep}.csv"
        ),
        metrics="results/metrics/{system}/train{train_level}/test{test_level}.json",
        # the validation cross-evaluation (contract 2): level j's intervals of each fold's
        # val part, predicted by that fold's model(s), and their metrics
        val=replicate_files(
            "results/predictions/{system}/train{train_level}/val{test_level}{rep}.csv"
        ),
        val_metrics="results/metrics/{system}/train{train_level}/val{test_level}.json",
    wildcard_constraints:
        system="|".join(AUDIO_CLASSIC) if AUDIO_CLASSIC else "__none__",
    params:
        emotions=EMOTIONS,
        n_folds=PLAN.n_folds,
        n_replicates=PLAN.n_replicates,
        evaluation=PLAN.evaluation.bootstrap(),
        seed=PLAN.seed,
    log:
        "logs/audio/predict/{system}_train{train_level}_test{test_level}.log",
    benchmark:
        "benchmarks/audio/predict/{system}_train{train_level}_test{test_level}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_predict_classic.py"


rule audio_predict_lstm:
    input:
        models=fold_models("audio_lstm", "pt"),
        level=lambda wc: level_table(wc.test_level),
        split=SPLIT_TABLE,
        lld=lld_caches,
    output:
        predictions=replicate_files(
            "results/predictions/audio_lstm/train{train_level}/test{test_level}{rep}.csv"
        ),
        metrics="results/metrics/audio_lstm/train{train_level}/test{test_level}.json",
        # the validation cross-evaluation (contract 2): level j's intervals of each fold's
        # val part, predicted by that fold's model(s), and their metrics
        val=replicate_files(
            "results/predictions/audio_lstm/train{train_level}/val{test_level}{rep}.csv"
        ),
        val_metrics="results/metrics/audio_lstm/train{train_level}/val{test_level}.json",
    params:
        n_folds=PLAN.n_folds,
        n_replicates=PLAN.n_replicates,
        evaluation=PLAN.evaluation.bootstrap(),
        seed=PLAN.seed,
        audio_paths=lambda wc: audio_paths(),
        min_duration_s=lambda wc: settings(wc.test_level)["audio"]["min_duration_s"],
        emotions=EMOTIONS,
    log:
        "logs/audio/predict/audio_lstm_train{train_level}_test{test_level}.log",
    benchmark:
        "benchmarks/audio/predict/audio_lstm_train{train_level}_test{test_level}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../envs/audio.yaml"
    script:
        "../../scripts/audio_predict_lstm.py"
