"""Rules video_*_train: fit fold f's model of one video system on a
train level; write val predictions and
the model's probabilities of every face frame (what the prediction jobs average)."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
common = dict(emotions=params.emotions, seed=params.seed, model_out=out.model,
              val_out=out.val, scores_out=out.scores, threads=snakemake.threads,  # noqa: F821
              fold=params.fold, n_folds=params.n_folds, arm=getattr(params, "arm", None))
# each system's step imports only its own libraries (the forest's jobs do not load torch)
if params.system == "video_vggf_rf":
    from emoagree.video.forest_steps import train_vggf_rf

    train_vggf_rf(inp.level, inp.faces, inp.embeddings, params.cfg,
                  split_strategy=params.split_strategy, val_scores_out=out.val_scores,
                  **common)
else:
    from emoagree.video.effnet_steps import train_effnet

    train_effnet(inp.level, inp.faces, params.cfg, checkpoint=params.checkpoint,
                 curriculum=getattr(params, "curriculum", None), split_csv=inp.split, **common)
