#!/usr/bin/env bash
# Runs once in this conda env after Snakemake creates it (--sdm conda): installs the
# workflow's own package, emoagree, editable from the checkout whose common.smk set
# EMOAGREE_CHECKOUT, without dependencies (the env file lists them). Every job checks that
# the package it imports is its checkout's (emoagree.checkout): with one --conda-prefix
# shared by several checkouts, give each checkout its own prefix.
set -euo pipefail
python -m pip install --no-deps --no-build-isolation --quiet --editable "${EMOAGREE_CHECKOUT:?set by workflow/rules/common.smk}"
