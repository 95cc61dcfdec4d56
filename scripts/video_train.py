"""Rules video_*_train: fit every fold's model of one video system on a train level (one
replicate); write each fold's val predictions and the model's probabilities of every face
frame (what the prediction jobs average)."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.training.fold_jobs import each_fold  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
common = dict(emotions=params.emotions, seed=params.seed, threads=snakemake.threads,  # noqa: F821
              n_folds=params.n_folds, arm=getattr(params, "arm", None))
# each system's step imports only its own libraries (the forest's jobs do not load torch)
if params.system == "video_vggf_rf":
    from emoagree.video.forest_steps import train_vggf_rf

    for fold, paths in each_fold(params.folds, model=out.model, val=out.val, scores=out.scores,
                                 val_scores=out.val_scores):
        train_vggf_rf(inp.level, inp.faces, inp.embeddings, params.cfg,
                      split_strategy=params.split_strategy, val_scores_out=paths["val_scores"],
                      model_out=paths["model"], val_out=paths["val"],
                      scores_out=paths["scores"], fold=fold, **common)
else:
    from emoagree.video.effnet_steps import train_effnet

    for fold, paths in each_fold(params.folds, model=out.model, val=out.val, scores=out.scores,
                                 checkpoint=params.checkpoint):
        train_effnet(inp.level, inp.faces, params.cfg, checkpoint=paths["checkpoint"],
                     curriculum=getattr(params, "curriculum", None), split_csv=inp.split,
                     model_out=paths["model"], val_out=paths["val"],
                     scores_out=paths["scores"], fold=fold, **common)
