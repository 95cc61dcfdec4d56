"""Rule video_faces: sample, detect and crop the actor's face in every recording of a shard."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import cv2  # noqa: E402

from emoagree.video.face_steps import detect_shard  # noqa: E402

inp, params = snakemake.input, snakemake.params  # noqa: F821
cv2.setNumThreads(snakemake.threads)  # noqa: F821
detect_shard(
    dict(zip(params.recordings, inp.videos, strict=True)),
    params.emotions,
    params.video,
    snakemake.output[0],  # noqa: F821
    # planned from the corpus's source marks; the demo's come from annotations.csv
    stretches=params.stretches,
    annotations_csv=params.annotations,
)
