"""The tiny task of the test suite lives in the package, for the conformance suites too."""

from airlab.testing.tasks import write_tiny_task

__all__ = ["FORKED", "write_tiny_task"]

FORKED = "warm"
"""The sandbox of the run tests whose subject is not the sandbox (policies, operators, what a
prompt holds): each candidate is forked from an interpreter that imported numpy, pandas and
scikit-learn once, half the CPU of a cold start (tests/runner/test_policies_run.py: 26 against
48 CPU-s). The end-to-end tests keep the default sandbox, and tests/sandbox checks every kind."""
