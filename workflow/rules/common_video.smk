# Input and target functions of the video stage (workflow/rules/video.smk).


def video_recordings():
    has_video = RECORDINGS["video_path"].fillna("").astype(str).str.len() > 0
    return list(RECORDINGS.loc[has_video, "recording"].astype(str))


def video_file(wildcards):
    rows = RECORDINGS[RECORDINGS["recording"].astype(str) == wildcards.recording]
    return str(rows["video_path"].iloc[0])


def face_caches(wildcards=None):
    return [f"results/features/faces/{r}.npz" for r in video_recordings()]


def embedding_caches(wildcards=None):
    backbone = config["video"]["vggf_rf"]["backbone"]
    return [f"results/features/video_embeddings/{backbone}/{r}.npz" for r in video_recordings()]


def video_targets():
    if not VIDEO_SYSTEMS:
        return []
    extension = {"video_vggf_rf": "joblib", "video_effnet": "pt"}
    targets = ["results/tables/video_face_coverage_recordings.csv"]
    targets += expand("results/tables/video_face_coverage_level{level}.csv", level=LEVELS)
    for system in VIDEO_SYSTEMS:
        targets += expand(
            "results/models/{system}/fold{f}/train{i}.{ext}", system=system, f=FOLDS,
            i=train_rows(system), ext=extension[system],
        )
        targets += expand("results/predictions/{system}/train{i}/val.csv", system=system,
                          i=train_rows(system))
        targets += expand(
            "results/predictions/{system}/train{i}/test{j}.csv", system=system,
            i=train_rows(system), j=LEVELS,
        )
    return targets
