"""Text to paste into a paper: a methods paragraph, a results paragraph and BibTeX.

Every number comes from the run: the corpus format, emotions and fusion draws from the
run's configuration (:func:`methods_settings`, what rule ``report_methods`` is given); the
levels and their interval counts from the level tables; the split unit, folds,
replicates, clusters, resamples, seed and the answer's means, intervals, confidence set
and fused systems beside their better members from ``answer.json`` (contract: ``rows``,
``mean_uar``, ``mean_uar_ci``, ``confidence_set``, ``named_row``, ``cluster``,
``protocol``, ``members``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from emoagree.report.answer_figure import check_answer, row_label

#: What the methods text reads from answer.json beyond the figure's keys.
REQUIRED_KEYS = ("cluster", "protocol", "bootstrap_resamples", "ci_level", "system", "seed")

UNIT_PHRASES = {
    "segment": "segments (connected stretches of the union of all kept emotions' level-1 "
    "intervals over all views of one session)",
    "recording": "recordings",
    "session": "sessions",
    "actor": "actors (speaker-independent)",
    "corpus": "recordings, as the corpus's own split gives them",
    "interval": "intervals (the paper's protocol: intervals of different emotions may "
    "overlap in time across parts)",
}
CORPUS_PHRASES = {
    "ramas": "the RAMAS corpus",
    "demo": "the bundled synthetic demo corpus (RAMAS layout, simulated annotators)",
    "csv": "a corpus given as interval tables",
    "clips": "a corpus of emotion clips",
}
SYSTEM_PHRASES = {
    "audio_svm": "a linear SVM on openSMILE ComParE functionals after PCA",
    "audio_lr": "logistic regression on openSMILE ComParE functionals after PCA",
    "audio_lstm": "an LSTM on eGeMAPS and MFCC low-level descriptors",
    "video_vggf_rf": "a random forest on face embeddings",
    "video_effnet": "a fine-tuned EfficientNet on face crops",
}

BIBTEX = r"""@inproceedings{ryumina2021annotation,
  author    = {Ryumina, Elena and Verkholyak, Oxana and Karpov, Alexey},
  title     = {Annotation Confidence vs. Training Sample Size: Trade-off Solution for
               Partially-Continuous Categorical Emotion Recognition},
  booktitle = {Proc. Interspeech 2021},
  year      = {2021}
}

@article{moelder2021snakemake,
  author  = {M{\"o}lder, Felix and Jablonski, Kim Philipp and Letcher, Brice and Hall,
             Michael B. and Tomkins-Tinch, Christopher H. and Sochat, Vanessa and Forster,
             Jan and Lee, Soohyun and Twardziok, Sven O. and Kanitz, Alexander and Wilm,
             Andreas and Holtgrewe, Manuel and Rahmann, Sven and Nahnsen, Sven and
             K{\"o}ster, Johannes},
  title   = {Sustainable data analysis with {Snakemake}},
  journal = {F1000Research},
  volume  = {10},
  pages   = {33},
  year    = {2021},
  doi     = {10.12688/f1000research.29032.2}
}

@inproceedings{eyben2010opensmile,
  author    = {Eyben, Florian and W{\"o}llmer, Martin and Schuller, Bj{\"o}rn},
  title     = {{openSMILE}: The {Munich} Versatile and Fast Open-Source Audio Feature
               Extractor},
  booktitle = {Proc. ACM Multimedia},
  pages     = {1459--1462},
  year      = {2010},
  doi       = {10.1145/1873951.1874246}
}

@article{pedregosa2011sklearn,
  author  = {Pedregosa, Fabian and others},
  title   = {Scikit-learn: Machine Learning in {Python}},
  journal = {Journal of Machine Learning Research},
  volume  = {12},
  pages   = {2825--2830},
  year    = {2011}
}

@inproceedings{paszke2019pytorch,
  author    = {Paszke, Adam and others},
  title     = {{PyTorch}: An Imperative Style, High-Performance Deep Learning Library},
  booktitle = {Advances in Neural Information Processing Systems 32},
  pages     = {8024--8035},
  year      = {2019}
}

@misc{wightman2019timm,
  author       = {Wightman, Ross},
  title        = {{PyTorch} Image Models},
  year         = {2019},
  howpublished = {\url{https://github.com/huggingface/pytorch-image-models}},
  doi          = {10.5281/zenodo.4414861}
}
"""


def methods_settings(corpus_format: str, emotions, fusion_draws: int) -> dict[str, Any]:
    """What the methods text reads of the run's configuration: the corpus format, the
    emotions and the fusion's Dirichlet draws (the rest comes from answer.json and the
    level tables)."""
    return {
        "corpus_format": corpus_format,
        "emotions": list(emotions),
        "fusion_draws": fusion_draws,
    }


def check_methods_answer(answer: Mapping[str, Any], source: str = "answer.json") -> None:
    """The figure's keys plus ``cluster``, ``protocol`` and the bootstrap settings."""
    check_answer(answer, source)
    for key in REQUIRED_KEYS:
        if key not in answer:
            raise ValueError(f"{source}: no '{key}' key (the methods text needs it)")
    for key in ("kind", "count"):
        if key not in answer["cluster"]:
            raise ValueError(f"{source}: 'cluster' has no '{key}'")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _system_phrase(system: str, labels: Mapping[str, str]) -> str:
    if system.startswith("fusion_"):
        return f"{labels.get(system, system)}, a weighted fusion of its audio and video parts"
    return f"{labels.get(system, system)} ({SYSTEM_PHRASES.get(system, system)})"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _fusion_choice(systems: Sequence[str], draws: Any, chosen_on: str) -> str:
    """What chose the fusion weights (where a fused system ran) and the headline system."""
    if not any(s.startswith("fusion_") for s in systems):
        return "The headline system was chosen by its mean validation UAR."
    return (f"Fusion weights ({draws} Dirichlet draws) were chosen on {chosen_on}, and the "
            f"headline system by its mean validation UAR.")


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.1f}"


def members_sentence(members: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    """Each fused system beside its better member (answer.json's ``members``): both mean
    UARs and the paired difference with its interval, in points; "" without fusions."""
    if not members:
        return ""
    entries = []
    for entry in members:
        low, high = entry["difference_ci"]
        bounds = "n/a" if low is None or high is None else f"{_points(low)}, {_points(high)}"
        fused = labels.get(entry["fused"], entry["fused"])
        member = labels.get(entry["member"], entry["member"])
        entries.append(
            f"{fused} {_pct(entry['fused_mean_uar'])}% vs {member} "
            f"{_pct(entry['member_mean_uar'])}%, {_points(entry['difference'])} points "
            f"[{bounds}]"
        )
    return (
        " Each fused system beside its better member (mean UAR over the same train rows "
        "and test levels; fused minus member, paired over the same resamples): "
        + "; ".join(entries) + "."
    )


def _split_sentences(protocol: Mapping[str, Any]) -> str:
    """How the intervals were split (answer.json's ``protocol``: unit, folds, repeats)."""
    folds = int(protocol["folds"])
    unit = UNIT_PHRASES.get(protocol["unit"], protocol["unit"])
    if folds == 1:
        split = (f"The intervals were split once into train, validation and test parts by "
                 f"{unit}, fixed on level 1 and inherited by every level.")
    else:
        split = (f"The intervals were split into {folds} folds by {unit}, fixed on level 1 "
                 f"and inherited by every level; fold f was tested, fold f + 1 validated "
                 f"and the other folds trained, so that every interval was tested once.")
    repeats = int(protocol.get("repeats", 1))
    if repeats > 1:
        split += (f" The folds were dealt {repeats} times with different seeds (split "
                  f"repeats); every cell pooled the predictions of all repeats, so the "
                  f"intervals include the split's variance.")
    return split


def _methods_text(
    settings: Mapping[str, Any],
    answer: Mapping[str, Any],
    interval_counts: Mapping[int, int],
    systems: Sequence[str],
    labels: Mapping[str, str],
) -> str:
    """The methods paragraph (see :func:`methods_paragraphs`)."""
    protocol = answer["protocol"]
    levels = sorted(int(k) for k in interval_counts)
    corpus = CORPUS_PHRASES.get(settings["corpus_format"], settings["corpus_format"])
    emotions = list(settings["emotions"])
    counts = ", ".join(f"{interval_counts[k]} (level {k})" for k in levels)
    replicates = int(protocol.get("replicates", 1))
    selection = protocol.get("fusion_selection", "val")
    chosen_on = ("each fold's validation predictions" if selection == "val"
                 else "each test level's own labels (the paper's protocol; optimistic)")
    ci = 100 * float(answer["ci_level"])
    cluster = answer["cluster"]
    return (
        f"We used {corpus} with the emotions {', '.join(emotions)}. Agreement level k kept "
        f"the stretches where at least k annotators marked the same emotion "
        f"(levels {levels[0]}-{levels[-1]}; intervals: {counts}). "
        f"{_split_sentences(protocol)} "
        f"We trained {_plural(len(systems), 'system')}: "
        f"{'; '.join(_system_phrase(s, labels) for s in systems)}. "
        f"Each system was trained on every level (and training arm) and tested on every "
        f"level's test intervals, with {_plural(replicates, 'seeded training replicate')} "
        f"per model. The C and PCA size of the SVM and LR were chosen by grouped inner "
        f"cross-validation, the epochs of the networks on the validation part. "
        f"{_fusion_choice(systems, settings['fusion_draws'], chosen_on)} We report the "
        f"unweighted average recall (UAR) with {ci:.0f}% percentile intervals from a "
        f"cluster bootstrap of {answer['bootstrap_resamples']} resamples over "
        f"{cluster['count']} {cluster['kind']} clusters (seed {answer['seed']}), the same "
        f"draws for every cell and system. The {ci:.0f}% confidence set for the best "
        f"train row is by multiple comparisons with the best (the two-step method of "
        f"Romano, Shaikh and Wolf, 2014) on these draws, each comparison standardised by "
        f"its delete-one-cluster jackknife standard error, with critical values of "
        f"Student's t with {_df_words(answer)} (MacKinnon, Nielsen and Webb, 2023)."
    )


def _verdict(answer: Mapping[str, Any]) -> str:
    """What the confidence set for the best train row says: train on the one row it
    holds, or the data do not single out one level."""
    ci = 100 * float(answer["ci_level"])
    named = answer["named_row"]
    if named is not None:
        return (f"The {ci:.0f}% confidence set for the best train row holds one row, "
                f"{row_label(str(named))}: train on it.")
    members = [row_label(str(r)) for r in answer["confidence_set"]]
    return (f"The {ci:.0f}% confidence set for the best train row holds "
            f"{_plural(len(members), 'row')} ({', '.join(members)}): the data do "
            f"not single out one level.")


def _results_text(answer: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """The results paragraph (see :func:`methods_paragraphs`)."""
    rows = [str(r) for r in answer["rows"]]
    means = "; ".join(
        f"{row_label(r)}: {_pct(answer['mean_uar'][r])}% "
        f"[{_pct(answer['mean_uar_ci'][r][0])}, {_pct(answer['mean_uar_ci'][r][1])}]"
        for r in rows
    )
    system = labels.get(answer["system"], answer["system"])
    results = (
        f"For {system}, the mean UAR over the test levels of the model trained on each "
        f"train row was {means}. {_verdict(answer)}"
    )
    choice = answer.get("validation_choice")
    if choice and choice.get("test_mean_uar") is not None:
        low, high = choice["test_mean_uar_ci"]
        results += (
            f" Chosen on validation, row {row_label(str(choice['row']))} reached "
            f"{_pct(choice['test_mean_uar'])}% [{_pct(low)}, {_pct(high)}] on test."
        )
    results += members_sentence(answer.get("members") or [], labels)
    selection = answer["protocol"].get("fusion_selection", "val")
    if answer.get("optimistic") or selection == "test":
        results += " Fusion weights were chosen on test labels: these numbers are optimistic."
    return results


def methods_paragraphs(
    settings: Mapping[str, Any],
    answer: Mapping[str, Any],
    interval_counts: Mapping[int, int],
    systems: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The methods and results paragraphs (plain text with ``*`` for emphasis only).

    Args:
        settings: :func:`methods_settings` of the run's configuration.
        answer: answer.json (see the module docstring for the keys read).
        interval_counts: intervals per level (level table rows).
        systems: the systems that ran, in table order.
        labels: display names by system id (video systems with their backbone).

    Returns:
        ``{"methods": ..., "results": ...}``.
    """
    check_methods_answer(answer)
    labels = dict(labels or {})
    return {
        "methods": _methods_text(settings, answer, interval_counts, systems, labels),
        "results": _results_text(answer, labels),
    }


def methods_markdown(paragraphs: Mapping[str, str]) -> str:
    return (
        "# Methods and results (to paste)\n\n## Methods\n\n"
        f"{paragraphs['methods']}\n\n## Results\n\n{paragraphs['results']}\n\n"
        f"## References (BibTeX)\n\n```bibtex\n{BIBTEX}```\n"
    )


_TEX_ESCAPES = {"%": r"\%", "&": r"\&", "_": r"\_", "#": r"\#", "$": r"\$"}


def _tex(text: str) -> str:
    return re.sub(r"[%&_#$]", lambda m: _TEX_ESCAPES[m.group(0)], text)


def methods_latex(paragraphs: Mapping[str, str]) -> str:
    """The two paragraphs for LaTeX (special characters escaped); BibTeX as a comment
    block after them, to copy into the paper's .bib file."""
    bib = "\n".join("% " + line if line else "%" for line in BIBTEX.splitlines())
    return (
        "\\subsection*{Methods}\n" + _tex(paragraphs["methods"]) + "\n\n"
        "\\subsection*{Results}\n" + _tex(paragraphs["results"]) + "\n\n"
        "% BibTeX entries (paper reproduced; Snakemake, openSMILE, scikit-learn, PyTorch, "
        "timm):\n" + bib + "\n"
    )


def _df_words(answer: Mapping[str, Any]) -> str:
    """The t degrees of freedom of the confidence set's comparisons, in words."""
    df = answer.get("confidence_set_df")
    return "clusters minus one degrees of freedom" if df is None else f"{df} degrees of freedom"
