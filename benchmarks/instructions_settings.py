"""Settings of the app served for ``zhufang bench instructions --part load``: the product's settings
with a URLconf that adds the benchmark's bare baseline endpoint (never part of the product URLs)."""

from zhufang.settings import *  # noqa: F403 - the product's settings, unchanged but for the URLconf

ROOT_URLCONF = "benchmarks.instructions_urls"
