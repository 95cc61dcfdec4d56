"""The best train row: a confidence set over the shared resamples of the rows' mean UARs.

**The best train row.** :func:`confidence_set_for_best` turns the shared resamples of
the train rows' mean UARs into a confidence set for the best row (multiple comparisons
with the best); :func:`emoagree.evaluation.bootstrap.probability_best` stays as a description.
"""

from __future__ import annotations

import numpy as np

from emoagree.evaluation.bootstrap import jackknife_spread

#: Below this a bootstrap standard deviation counts as zero (a difference that never moves).
_NO_SPREAD = 1e-12


def _standardised(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``values / scale`` per column; where the scale is zero: +inf, 0 or -inf by sign."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / np.where(scale > _NO_SPREAD, scale, 1.0)
    signs = np.where(values > _NO_SPREAD, np.inf, np.where(values < -_NO_SPREAD, -np.inf, 0.0))
    return np.where(scale > _NO_SPREAD, ratio, signs)


def _t_critical(normal_critical: float, df: float | None) -> float:
    """The critical value of the same tail probability under Student's t with ``df``
    degrees of freedom (``None``: the normal one unchanged)."""
    if df is None or not np.isfinite(normal_critical):
        return float(normal_critical)
    from scipy.stats import norm, t  # scipy comes with scikit-learn; lazy like pandas

    return float(t.isf(norm.sf(normal_critical), df))


def best_row_tests(
    values: np.ndarray,
    point: np.ndarray,
    alpha: float = 0.05,
    beta: float | None = None,
    left_out: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Test, for every row r, "r is a best row" against the others (see
    :func:`confidence_set_for_best`, which keeps the rows not rejected).

    Args:
        values: ``(B, L)`` resampled statistics of the L rows (no NaN; the same resamples
            for every row).
        point: ``(L,)`` the statistics on the data as they are.
        alpha: the error rate (1 - confidence).
        beta: the first step's share of ``alpha`` (default ``alpha / 10``).
        left_out: ``(C, L)`` the statistics with each of the C clusters left out
            (:func:`jackknife_uars`); given, the paired differences' standard errors are
            the jackknife's and the critical values follow Student's t with C - 1
            degrees of freedom (the small-cluster form the answer uses); None: the
            bootstrap's spread and its own quantiles (the large-sample form).

    Returns ``statistic`` (``(L,)``: the largest standardised lead of another row over r),
    ``critical`` (``(L,)``: its simultaneous critical value), ``rejected`` (bool) and
    ``df`` (the t degrees of freedom, NaN for the large-sample form).
    """
    values = np.asarray(values, dtype=float)
    point = np.asarray(point, dtype=float)
    n_resamples, n_rows = values.shape
    if n_resamples < 1 or np.isnan(values).any() or np.isnan(point).any():
        raise ValueError("the confidence set needs resamples with every row defined")
    beta = alpha / 10.0 if beta is None else float(beta)
    if not 0 < beta < alpha < 1:
        raise ValueError(f"need 0 < beta < alpha < 1, got alpha={alpha}, beta={beta}")
    df = None
    if left_out is not None:
        left_out = np.asarray(left_out, dtype=float)
        if left_out.ndim != 2 or left_out.shape[1] != n_rows:
            raise ValueError(f"left_out must be (clusters, {n_rows}), not {left_out.shape}")
        # a cluster whose removal leaves some row undefined drops out for all rows
        left_out = left_out[~np.isnan(left_out).any(axis=1)]
        df = max(left_out.shape[0] - 1, 1)
    statistic = np.full(n_rows, -np.inf)
    critical = np.full(n_rows, np.inf)
    for r in range(n_rows):
        others = [t for t in range(n_rows) if t != r]
        if not others:
            continue
        lead = point[others] - point[r]  # (T,) observed lead of each other row over r
        resampled = values[:, others] - values[:, [r]]  # (B, T)
        shape = resampled.std(axis=0)  # the bootstrap's spread: standardises its draws
        spread = shape if left_out is None else jackknife_spread(
            left_out[:, others] - left_out[:, [r]]
        )
        # the stand-in for the estimation error lead - true lead (percentile form)
        error = _standardised(lead[None, :] - resampled, shape)
        # step 1: a (1 - beta) simultaneous upper bound of each true lead; a row whose
        # bound is below 0 is surely worse than r, its slack lowers its weight in step 2
        upper_crit = _t_critical(
            np.quantile((-error).max(axis=1), 1.0 - beta, method="higher"), df
        )
        slack = np.minimum(lead + upper_crit * spread, 0.0)
        slack = np.where(spread > _NO_SPREAD, slack, np.minimum(lead, 0.0))
        # step 2: the (1 - alpha + beta) quantile of the largest recentred lead
        with np.errstate(invalid="ignore"):
            shifted = error + _standardised(slack, spread)[None, :]
        shifted = np.where(np.isnan(shifted), -np.inf, shifted).max(axis=1)
        critical[r] = _t_critical(np.quantile(shifted, 1.0 - alpha + beta, method="higher"), df)
        statistic[r] = _standardised(lead, spread).max()
    return {
        "statistic": statistic,
        "critical": critical,
        "rejected": statistic > critical,
        "df": np.nan if df is None else float(df),
    }


def confidence_set_for_best(
    values: np.ndarray,
    point: np.ndarray,
    alpha: float = 0.05,
    beta: float | None = None,
    left_out: np.ndarray | None = None,
) -> np.ndarray:
    """A (1 - alpha) confidence set for the best row: multiple comparisons with the best.

    Args:
        values: ``(B, L)`` resampled statistics of the L rows (the train rows' mean UAR over
            test levels), on shared resamples with no NaN (:func:`joint_resamples`).
        point: ``(L,)`` the statistics on the data as they are.
        alpha, beta, left_out: see :func:`best_row_tests`.

    Returns a boolean mask of the rows kept.

    **Construction.** For each row r the hypothesis H_r "r is a best row" says that every
    true lead mu_t = theta_t - theta_r of another row t is <= 0: a set of moment
    inequalities. Its statistic is the largest standardised observed lead,
    T_r = max_t d_t / s_t (d_t = point_t - point_r, s_t the bootstrap standard deviation of
    the paired difference over the shared resamples). The estimation error d_t - mu_t is
    stood in for by d_t - d*_t (d*_t the paired difference in a resample; the percentile
    form, so with two rows r is out exactly when the one-sided (1 - alpha) percentile
    bound of the other row's lead is above 0, as the answer's percentile intervals read).
    Under H_r, d_t <= (d_t - mu_t), so the (1 - alpha) quantile of the largest standardised
    error over t bounds T_r simultaneously over the comparisons: row r stays unless some
    other row beats it by more than that simultaneous bound.

    Rows far below r would still widen that maximum while being unable to remove r, which
    costs power when a clear winner sits above several poor rows. The two-step method of
    Romano, Shaikh and Wolf (2014, Econometrica 82: "A practical two-step method for
    testing moment inequalities") removes this: a first (1 - beta) simultaneous upper
    bound U_t = d_t + c1 s_t of each lead; where U_t < 0 the comparison is slack and its
    error is shifted down by U_t before the second step's (1 - alpha + beta) quantile is
    taken. Their result: the test of H_r has size at most alpha (asymptotically). Quantiles
    use the next higher resample (conservative with few resamples).

    **Few clusters.** Asymptotics in the number of clusters C do not hold at a corpus of
    16-60 sessions: the bootstrap's spread of a paired difference is biased low (by
    (C - 1) / C in variance, more where one cluster weighs more), and a difference divided
    by an estimated spread has heavier tails than the normal. With ``left_out`` (the
    statistics with each cluster left out), each comparison is standardised by its
    delete-one-cluster jackknife standard error (CV3) and each critical value, read from
    the bootstrap's standardised maximum, is moved to the same tail probability of
    Student's t with C - 1 degrees of freedom: the small-cluster practice of MacKinnon,
    Nielsen and Webb (2023). The bootstrap still gives the joint shape of the comparisons
    (their correlation through the shared row r and the shared resamples). On simulated
    studies with the demo's structure this brings the per-row error of the least
    favourable case (all rows equal) from 7-9 % to at most 5 % (``bench/answer_calibration.py``).

    **Why this is a confidence set for the best.** Let r* be the best row. H_{r*} is true,
    so P(r* rejected) <= alpha: the set holds r* with probability >= 1 - alpha. No
    multiplicity correction over r is needed because only the true best's test has to
    hold. Naming a single row needs every other row rejected; when all rows are equally
    good every H_r is true, so a row is named only when L - 1 true hypotheses are rejected
    together, which happens in at most about alpha of studies
    (``bench/answer_calibration.py`` measures it).
    """
    return ~best_row_tests(values, point, alpha, beta, left_out)["rejected"]
