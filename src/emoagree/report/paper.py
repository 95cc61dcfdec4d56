"""The published numbers of Ryumina, Verkholyak & Karpov (Interspeech 2021), for comparison.

Shown beside our tables only when the corpus is RAMAS, always labelled as the paper's.
UAR in percent; the paper reports no intervals or coverage.
"""

from __future__ import annotations

import pandas as pd

#: Table 2: UAR (%) of each system trained and tested on the same level (M1..M5).
PAPER_TABLE2 = {
    "A SVM": [28.87, 31.08, 38.29, 40.43, 46.38],
    "A LSTM": [34.38, 42.28, 46.03, 46.28, 46.30],
    "V VGGF": [42.96, 51.39, 57.13, 60.19, 56.36],
    "V EN": [45.25, 53.05, 65.26, 74.78, 70.77],
    "A+V best": [47.25, 60.72, 70.51, 76.53, 72.05],
}

#: Table 3: UAR (%) of the best fused system (audio LSTM + video EfficientNet), rows =
#: train level M1..M5, columns = test level 1..5. Fusion weights were chosen on test.
PAPER_TABLE3 = [
    [47.25, 54.09, 59.10, 56.56, 57.47],
    [46.57, 60.72, 65.57, 70.09, 76.21],
    [46.96, 65.26, 70.51, 72.14, 77.62],
    [45.26, 66.37, 68.15, 76.53, 77.38],
    [48.10, 57.76, 65.92, 73.79, 72.05],
]

PAPER_LEVELS = [1, 2, 3, 4, 5]


def paper_table2() -> pd.DataFrame:
    table = pd.DataFrame(PAPER_TABLE2, index=[f"M{k}" for k in PAPER_LEVELS]).T
    table.index.name = "system (paper)"
    return table


def paper_table3() -> pd.DataFrame:
    table = pd.DataFrame(
        PAPER_TABLE3,
        index=[f"M{k}" for k in PAPER_LEVELS],
        columns=[f"Test {k}" for k in PAPER_LEVELS],
    )
    table.index.name = "train level (paper)"
    return table
