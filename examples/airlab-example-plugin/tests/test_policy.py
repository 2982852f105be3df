"""The plug-in's policy keeps airlab's policy contract (airlab.testing's shipped suite)."""

from __future__ import annotations

import numpy as np
import pytest
from airlab_example_plugin.metric import MEDAE
from airlab_example_plugin.policy import TopK, TopKParams

from airlab.grading.metrics import MetricContext
from airlab.testing.policy import PolicySuite


class TestTopK(PolicySuite):
    @pytest.fixture
    def policy_factory(self):
        return lambda operators: TopK(TopKParams(num_drafts=2, top_k=2), operators)


def test_median_absolute_error_ignores_one_wild_prediction() -> None:
    truth = np.array([1.0, 2.0, 3.0])
    assert MEDAE(truth, np.array([1.0, 2.0, 300.0]), MetricContext()) == 0.0
    assert MEDAE.better(0.1, 0.2)
