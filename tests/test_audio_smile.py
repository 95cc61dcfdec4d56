"""openSMILE extractors built without audobject's scan of every installed package."""

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from emoagree.audio import smile as smile_module

MFCC_CONFIG = Path(__file__).resolve().parents[1] / "resources/opensmile/mfcc.conf"

# Run in a fresh interpreter: audobject's cache is per process, and another test of this
# session may have filled it already. The scan is replaced by one that fails, so an
# extractor whose build still scans fails here.
BUILD_WITHOUT_SCAN = """
import json, sys
import audobject.core.utils as audobject_utils

def scan():
    raise AssertionError("packages_distributions() was called")

audobject_utils.packages_distributions = scan
from emoagree.audio.functionals import compare_extractor
from emoagree.audio.lld import lld_extractors

functionals = compare_extractor()
egemaps, mfcc = lld_extractors(sys.argv[1])
print(json.dumps({"functionals": functionals.params, "egemaps": egemaps.params,
                  "n_features": len(functionals.feature_names)}))
"""


def test_extractors_are_built_without_scanning_every_installed_package():
    from emoagree.audio.functionals import compare_extractor

    result = subprocess.run([sys.executable, "-c", BUILD_WITHOUT_SCAN, str(MFCC_CONFIG)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)
    # the same extractor as one built after the scan: same settings, 6373 functionals
    assert built["functionals"] == compare_extractor().params
    assert built["functionals"]["feature_set"] == "ComParE_2016"
    assert built["egemaps"]["feature_set"] == "eGeMAPSv02"
    assert built["n_features"] == 6373


def test_the_entered_distribution_is_the_one_the_scan_finds(monkeypatch):
    import audobject.core.utils as audobject_utils

    monkeypatch.setattr(audobject_utils, "PACKAGES_DISTRIBUTIONS", {})
    assert smile_module.enter_smile_distribution()
    entered = audobject_utils.PACKAGES_DISTRIBUTIONS[smile_module.SMILE_MODULE]
    assert entered == importlib.metadata.packages_distributions()[smile_module.SMILE_MODULE]


def test_an_audobject_without_the_cache_builds_the_usual_way(monkeypatch):
    import audobject.core.utils as audobject_utils

    monkeypatch.delattr(audobject_utils, "PACKAGES_DISTRIBUTIONS")
    assert not smile_module.enter_smile_distribution()
    with pytest.raises(AttributeError):
        audobject_utils.PACKAGES_DISTRIBUTIONS  # noqa: B018 (nothing was added)
