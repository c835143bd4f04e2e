"""Benchmarks (run the bench_*.py scripts) and the scenarios they share with the tests.

`dreambot.py` starts the real bot against discordlocal and reads what it posts; `load.py` is
the burst-of-users scenario that both bench_load.py and tests/test_resilience_load.py run.
Nothing here imports `tests`.
"""
