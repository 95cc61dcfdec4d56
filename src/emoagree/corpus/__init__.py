"""Corpus adapters: each writes the normalized recordings and annotations tables."""
