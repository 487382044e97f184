"""Benchmarks of protected-document serving; results in docs/benchmarks.md.

Run from the repository root, for example ``.venv/bin/python bench/run_all.py``.
"""
