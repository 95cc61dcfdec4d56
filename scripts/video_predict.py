"""Rules video_*_predict: predict one test level's intervals with a trained video model."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.video.pipeline import predict_effnet, predict_vggf_rf  # noqa: E402

inp, params = snakemake.input, snakemake.params  # noqa: F821
if params.system == "video_vggf_rf":
    predict_vggf_rf(inp.model, inp.level, inp.faces, inp.embeddings, params.emotions,
                    snakemake.output[0])  # noqa: F821
else:
    predict_effnet(inp.model, inp.level, inp.faces, params.emotions, snakemake.output[0],  # noqa: F821
                   threads=snakemake.threads)  # noqa: F821
