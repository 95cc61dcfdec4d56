"""Rules video_*_train: fit fold f's model of one video system on a
train level; write val predictions and
the model's probabilities of every face frame (what the prediction jobs average)."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.video.pipeline import train_effnet, train_vggf_rf  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
common = dict(emotions=params.emotions, seed=params.seed, model_out=out.model,
              val_out=out.val, scores_out=out.scores, threads=snakemake.threads,  # noqa: F821
              fold=params.fold, n_folds=params.n_folds, arm=getattr(params, "arm", None))
if params.system == "video_vggf_rf":
    train_vggf_rf(inp.level, inp.faces, inp.embeddings, params.cfg,
                  split_strategy=params.split_strategy, val_scores_out=out.val_scores,
                  **common)
else:
    train_effnet(inp.level, inp.faces, params.cfg, checkpoint=params.checkpoint,
                 curriculum=getattr(params, "curriculum", None), split_csv=inp.split, **common)
