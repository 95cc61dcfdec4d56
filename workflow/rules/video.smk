# Video stage: the actor's face is detected once per recording (only in annotated
# stretches), embedded once per recording for the Random Forest system, and every video
# system is trained once per train level and evaluated on every test level. Detection and
# embeddings run one shard of recordings per job (see emoagree.shards); the caches stay
# one file per recording inside the shard's folder.
#
#   video_faces        shard              -> results/features/faces/{shard}/{recording}.npz
#   video_embeddings   group of shards    -> results/features/video_embeddings/{backbone}/{shard}/{recording}.npz
#   video_*_train      train level        -> every fold f's results/models/{system}/fold{f}/train{i}.{joblib|pt},
#                                            train{i}.frames.npz (frame scores),
#                                            results/predictions/{system}/fold{f}/train{i}/val.csv
#   video_predict      train x test level -> results/predictions/{system}/train{i}/test{j}.csv
#                                            (each interval by the model of the fold that tested it)
#   video_coverage_*   recordings, level  -> results/tables/video_face_coverage_*.csv
#
# Face detection and embeddings read the global `video:` settings (they are per-recording
# caches shared by all levels); training and prediction read settings(level), training
# its seed seed_of(train level) (common.smk). Functions are in common_video.smk.


include: "common_video.smk"


wildcard_constraints:
    backbone="[A-Za-z0-9_.-]+",


rule video_faces:
    input:
        videos=shard_videos,
        # only for the demo corpus; others plan the marked stretches (common_video.smk)
        annotations=face_annotations,
    output:
        directory("results/features/faces/{shard}"),
    params:
        recordings=lambda wc: VIDEO_SHARDS[wc.shard],
        stretches=shard_stretches,
        annotations=lambda wc: face_annotations(wc)[0] if face_annotations(wc) else None,
        emotions=EMOTIONS,
        video={k: PLAN.sections["video"][k] for k in ("sampling", "detector")},
    log:
        "logs/video/faces/{shard}.log",
    benchmark:
        "benchmarks/video/faces/{shard}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/video_faces.py"


rule video_embeddings:
    input:
        faces=group_faces,
    output:
        directory("results/features/video_embeddings/{backbone}/{shard}"),
    params:
        # the group's face shards: a shard joining or leaving the group reruns it
        shards=lambda wc: EMBEDDING_GROUPS[wc.shard],
        # Only what shapes the embeddings: changing the forest settings must not re-embed.
        cfg={
            k: PLAN.sections["video"]["vggf_rf"][k]
            for k in ("backbone", "weights", "image_size", "batch_size")
        },
    log:
        "logs/video/embeddings/{backbone}/{shard}.log",
    benchmark:
        "benchmarks/video/embeddings/{backbone}/{shard}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: PLAN.sections["video"]["threads"]
    resources:
        mem_mb=4000,
        gpu=GPU_JOB,
    script:
        "../../scripts/video_embed.py"


rule video_coverage_recordings:
    input:
        faces=face_caches,
    output:
        "results/tables/video_face_coverage_recordings.csv",
    log:
        "logs/video/coverage_recordings.log",
    benchmark:
        "benchmarks/video/coverage_recordings.tsv"
    conda:
        "../../envs/video.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/video_coverage.py"


rule video_coverage_level:
    input:
        faces=face_caches,
        level=lambda w: level_table(w.level),
    output:
        "results/tables/video_face_coverage_level{level}.csv",
    log:
        "logs/video/coverage_level{level}.log",
    benchmark:
        "benchmarks/video/coverage_level{level}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/video_coverage.py"


rule video_vggf_rf_train:
    input:
        level=lambda w: train_table(w.train_level),
        faces=face_caches,
        embeddings=embedding_caches,
    output:
        # every fold's forest (one job per train row and replicate: fold_files)
        model=fold_files("results/models/video_vggf_rf/fold{fold}/train{train_level}{rep}.joblib"),
        val=fold_files(
            "results/predictions/video_vggf_rf/fold{fold}/train{train_level}{rep}/val.csv"
        ),
        scores=fold_files(
            "results/models/video_vggf_rf/fold{fold}/train{train_level}{rep}.frames.npz"
        ),
        # the forest fitted on the train part alone (val.csv's forest) scores every frame:
        # what the cells' validation cross-evaluation (val{j}) averages
        val_scores=fold_files(
            "results/models/video_vggf_rf/fold{fold}/train{train_level}{rep}.val_frames.npz"
        ),
    wildcard_constraints:
        train_level="[0-9]+|Mw|Ms",  # no curriculum for the forest
    params:
        system="video_vggf_rf",
        arm=lambda w: train_arm(w.train_level),
        # the forest's settings only (the embedding settings shape its input files)
        cfg=lambda w: forest_settings(settings(w.train_level)["video"]["vggf_rf"]),
        emotions=EMOTIONS,
        seed=training_seed,
        folds=PLAN.folds,
        n_folds=PLAN.n_folds,
        # the inner CV's groups mimic the outer split (emoagree.training.selection.inner_cv_groups)
        split_strategy=PLAN.split.strategy,
    log:
        "logs/video/video_vggf_rf/train{train_level}{rep}.log",
    benchmark:
        "benchmarks/video/video_vggf_rf/train{train_level}{rep}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: PLAN.sections["video"]["threads"]
    resources:
        mem_mb=4000,
    script:
        "../../scripts/video_train.py"


rule video_effnet_train:
    input:
        level=lambda w: train_table(w.train_level),
        faces=face_caches,
        split="results/corpus/split.csv",
    output:
        # every fold's network (one job per train row and replicate: fold_files)
        model=fold_files("results/models/video_effnet/fold{fold}/train{train_level}{rep}.pt"),
        val=fold_files(
            "results/predictions/video_effnet/fold{fold}/train{train_level}{rep}/val.csv"
        ),
        scores=fold_files(
            "results/models/video_effnet/fold{fold}/train{train_level}{rep}.frames.npz"
        ),
    params:
        system="video_effnet",
        arm=lambda w: train_arm(w.train_level),
        curriculum=lambda w: ARM_SETTINGS.get("curriculum") if train_arm(w.train_level) else None,
        cfg=lambda w: settings(w.train_level)["video"]["effnet"],
        emotions=EMOTIONS,
        seed=training_seed,
        folds=PLAN.folds,
        n_folds=PLAN.n_folds,
        # One per fold, written after every epoch; a rerun with the same settings resumes
        # from it (the folds a crashed job had trained resume at their last epoch).
        checkpoint=lambda w: fold_files(
            f"results/checkpoints/video_effnet/fold{{fold}}/train{w.train_level}{w.rep}.ckpt"
        ),
    log:
        "logs/video/video_effnet/train{train_level}{rep}.log",
    benchmark:
        "benchmarks/video/video_effnet/train{train_level}{rep}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: PLAN.sections["video"]["threads"]
    resources:
        mem_mb=6000,
        gpu=GPU_JOB,
    script:
        "../../scripts/video_train.py"


# A trained model has scored every face frame once (fold{f}/train{i}.frames.npz); each test
# level only averages the frames of its intervals, so the 5x5 cells need no model, torch or GPU.
rule video_predict:
    input:
        scores=fold_models("{video_system}", "frames.npz"),
        val_scores=val_frame_scores,
        level=lambda w: level_table(w.test_level),
        split=SPLIT_TABLE,
        faces=face_caches,
    output:
        predictions=replicate_files(
            "results/predictions/{video_system}/train{train_level}/test{test_level}{rep}.csv"
        ),
        metrics="results/metrics/{video_system}/train{train_level}/test{test_level}.json",
        # the validation cross-evaluation (contract 2): level j's intervals of each fold's
        # val part, predicted by that fold's model(s), and their metrics
        val=replicate_files(
            "results/predictions/{video_system}/train{train_level}/val{test_level}{rep}.csv"
        ),
        val_metrics="results/metrics/{video_system}/train{train_level}/val{test_level}.json",
    params:
        emotions=EMOTIONS,
        n_folds=PLAN.n_folds,
        n_replicates=PLAN.n_replicates,
        evaluation=PLAN.evaluation.bootstrap(),
        seed=PLAN.seed,
    log:
        "logs/video/{video_system}/train{train_level}_test{test_level}.log",
    benchmark:
        "benchmarks/video/{video_system}/train{train_level}_test{test_level}.tsv"
    conda:
        "../../envs/video.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/video_predict.py"
