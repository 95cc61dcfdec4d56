"""Rule video_faces: sample, detect and crop the actor's face in one recording."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

import cv2  # noqa: E402

from emoagree.video.pipeline import detect_recording  # noqa: E402

cv2.setNumThreads(snakemake.threads)  # noqa: F821
detect_recording(
    snakemake.input.video,  # noqa: F821
    snakemake.input.annotations,  # noqa: F821
    snakemake.wildcards.recording,  # noqa: F821
    snakemake.params.emotions,  # noqa: F821
    snakemake.params.video,  # noqa: F821
    snakemake.output[0],  # noqa: F821
)
