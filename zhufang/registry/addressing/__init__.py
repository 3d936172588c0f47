"""Standard addresses (标准地址): structure, normalisation, parsing and matching of free text.

Pure Python (no Django): used by every registry import, by incident geocoding later, and by the
benchmarks.
"""
