"""Every built-in policy against the shipped contract (`airlab.testing.policy.PolicySuite`)."""

from __future__ import annotations

import pytest

from airlab.policies import POLICIES, POLICY_META, make_policy
from airlab.testing.policy import PolicySuite, simulate

SMALL = {
    "greedy": {"num_drafts": 3},
    "mcts": {"num_children": 3},
    "evolutionary": {"num_drafts": 3, "individuals_per_generation": 2, "migration_interval": 1},
    "llm_first": {"num_drafts": 3, "max_children": 3},
}


class TestBuiltinPolicies(PolicySuite):
    @pytest.fixture(params=sorted(SMALL))
    def policy_factory(self, request):
        name = request.param
        return lambda operators: make_policy(name, SMALL[name], operators)


class TestLLMFirstWithAModel(PolicySuite):
    """LLM-first asking a (scripted) chat model keeps the same contract."""

    @pytest.fixture
    def policy_factory(self, scripted):
        model = scripted("BRANCH 1")
        return lambda operators: make_policy("llm_first", SMALL["llm_first"], operators, model)


def test_every_registered_policy_is_in_the_contract():
    assert set(POLICIES.names()) == set(SMALL)


def _factory(name, backend=None):
    return lambda operators: make_policy(name, SMALL[name], operators, backend)


def test_llm_first_with_a_model_decides_by_the_model(tmp_path, scripted):
    journal = simulate(
        tmp_path / "j.sqlite", _factory("llm_first", scripted("BRANCH 1")), "aide", 2
    )
    decided = [
        n.meta[POLICY_META]["decided_by"]
        for n in journal.nodes()
        if n.operator == "improve" and "decided_by" in n.meta.get(POLICY_META, {})
    ]
    assert decided and set(decided) <= {"model", "fallback", "heuristic"}
    assert "model" in decided


def test_evolutionary_uses_crossover_only_in_the_extended_set(tmp_path):
    factory = _factory("evolutionary")
    extended = simulate(tmp_path / "e.sqlite", factory, "extended", 2, steps=30)
    aide = simulate(tmp_path / "a.sqlite", factory, "aide", 2, steps=30)
    assert any(n.operator == "crossover" for n in extended.nodes())
    assert not any(n.operator == "crossover" for n in aide.nodes())
