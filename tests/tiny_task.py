"""The tiny task of the test suite lives in the package, for the conformance suites too."""

from airlab.testing.tasks import write_tiny_task

__all__ = ["write_tiny_task"]
