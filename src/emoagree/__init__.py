"""Agreement-level emotion recognition: annotation confidence vs. training sample size.

The package holds all logic of the workflow; Snakemake rules and scripts only call it.
"""

from emoagree.constants import DEFAULT_EMOTIONS, SPLITS
from emoagree.settings import level_settings

__all__ = ["DEFAULT_EMOTIONS", "SPLITS", "level_settings"]
__version__ = "0.1.0"
