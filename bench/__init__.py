"""Linkwell's performance benchmarks: synthetic data at a chosen size, timed requests.

Run with `python -m bench`; see bench/README.md. Never part of the test suite.
"""
