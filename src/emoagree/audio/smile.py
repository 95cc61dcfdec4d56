"""openSMILE extractors, built without a scan of every installed package.

``opensmile.Smile.__init__`` records its arguments with audobject's ``to_dict``, whose
class key (``$opensmile.core.smile.Smile``) asks which distribution provides the module
``opensmile``. audobject answers from ``importlib.metadata.packages_distributions()``:
a read of every installed distribution's file list (about 30,000 paths in this project's
environment), 0.2-0.45 s of Python that holds the GIL, once per process. Every feature
job builds an extractor, and while it does, a shard job's other worker threads wait.

audobject keeps that answer in ``audobject.core.utils.PACKAGES_DISTRIBUTIONS`` and scans
only for a module it does not hold. :func:`smile` enters the one entry the key needs
first, opensmile's own distribution, read from its metadata: the value the scan would
find (``tests/test_audio_smile.py`` compares them). Any other module still triggers the
scan, so nothing audobject computes changes; an audobject without that cache is left
alone (the extractor is built the usual way, only slower).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

#: The module whose distribution audobject looks up for ``opensmile.Smile``.
SMILE_MODULE = "opensmile"


def enter_smile_distribution() -> bool:
    """Enter opensmile's distribution in audobject's cache of module -> distributions.

    Returns whether the cache now holds it (False: an audobject without the cache)."""
    import audobject.core.utils as audobject_utils

    known = getattr(audobject_utils, "PACKAGES_DISTRIBUTIONS", None)
    if not isinstance(known, dict):
        return False
    if SMILE_MODULE not in known:
        known[SMILE_MODULE] = [importlib.metadata.distribution(SMILE_MODULE).name]
    return True


def smile(**kwargs: Any):
    """``opensmile.Smile(**kwargs)``, without audobject's scan of every installed
    package (see the module's description)."""
    import opensmile  # here, not at the top: jobs that only read features skip its import

    enter_smile_distribution()
    return opensmile.Smile(**kwargs)
