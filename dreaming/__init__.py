"""Dreambot's DeepDream engine, image handling and worker pool.

Nothing in this package imports Discord; TensorFlow is imported only by
`dreaming.model` and `dreaming.engine`, which run in worker processes or the CLI.
"""
import os

# Quiet TensorFlow's C++ start-up banner wherever a worker or the CLI imports it;
# real errors still reach the log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
