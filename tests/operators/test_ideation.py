"""The ideation step: one call proposes K approaches, the first drafts follow them, and the
`idea_diversity` knob really changes how many families they span."""

import pytest

from airlab.backends import make_backend
from airlab.evaluation.diversity import shannon_entropy
from airlab.operators.ideation import (
    assigned_families,
    family_count,
    idea_prompt,
    parse_ideas,
    with_assigned_families,
)
from airlab.operators.prompt_library import PACKAGED
from airlab.operators.prompting import FAMILY_EXAMPLES, PromptSettings, task_variables
from airlab.runner import Run, RunConfig
from airlab.sandbox.base import ExecutionLimits
from airlab.tasks import load_task
from airlab.testing.fake_llm import FakeLLMServer, Reply, Request
from airlab.testing.tasks import tiny_answer

LEVELS = ("low", "medium", "high")


@pytest.fixture
def task(make_task):
    return load_task(make_task())


def _spread(ideas):
    return len({idea["family"] for idea in ideas})


def test_templates_ideas_spread_over_families_as_the_knob_says(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    for seed in range(4):
        spread = {
            level: _spread(backend.propose_ideas(task, k=5, level=level, seed=seed))
            for level in LEVELS
        }
        assert spread["low"] == 1
        assert spread["low"] < spread["medium"] < spread["high"] == 5


def test_low_diversity_varies_the_one_family_instead_of_repeating_a_draft(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    ideas = backend.propose_ideas(task, k=5, level="low", seed=3)
    assert len({str(idea["recipe"]) for idea in ideas}) == 5


def test_ideas_are_seeded(task):
    backend = make_backend("templates", {"bug_rate": 0.0})
    first = backend.propose_ideas(task, k=4, level="medium", seed=7)
    assert first == backend.propose_ideas(task, k=4, level="medium", seed=7)
    others = [backend.propose_ideas(task, k=4, level="medium", seed=s) for s in range(8)]
    assert any(o != first for o in others)


def _drafts_of_a_run(make_task, tmp_path, level: str, seed: int) -> list[str]:
    """Families of the 5 drafts a greedy run proposes (written, not executed)."""
    config = RunConfig.model_validate(
        {
            "task": str(make_task()),
            "budget": {"steps": 5},
            "seed": seed,
            "runs_dir": str(tmp_path / "runs"),
            "run_name": f"{level}-{seed}",
            "policy_params": {"num_drafts": 5},
            "operator_options": {"ideas": 5, "idea_diversity": level},
            "backend_options": {"bug_rate": 0.0},
        }
    )
    search = Run.create(config).search
    families = []
    for _ in range(5):
        proposal = search.ask()
        assert proposal is not None
        node = search.tell_written(search.write(proposal))
        assert node.meta["idea"]["index"] == len(families)
        families.append(node.info.family)
    assert len(search.journal.get_meta("ideas")) == 5
    return families


@pytest.mark.slow
def test_a_planted_run_measures_the_diversity_the_knob_asked_for(make_task, tmp_path):
    for seed in (0, 1):
        entropy = {
            level: shannon_entropy(_drafts_of_a_run(make_task, tmp_path, level, seed))
            for level in LEVELS
        }
        assert entropy["low"] == 0.0
        assert entropy["low"] < entropy["medium"] < entropy["high"]


def test_the_prompt_asks_for_the_level_and_the_answer_is_read_line_by_line(task):
    variables = task_variables(task, ExecutionLimits(), PromptSettings())
    low, medium, high = (idea_prompt(PACKAGED, variables, 4, level) for level in LEVELS)
    assert "SAME" in low and "SAME" not in high and "DIFFERENT" in high
    assert "exactly 2 different model families" in medium
    assert all(task.spec.metric in prompt for prompt in (low, medium, high))
    answer = (
        "<think>maybe trees</think>\nHere are my ideas:\n1. **Gradient boosting**: LightGBM on "
        "raw features\n2) Random forest - 500 trees\n- kNN: k=15 on scaled features\n"
    )
    ideas = parse_ideas(answer, 4)
    assert [i["family"] for i in ideas] == ["gradient_boosting", "random_forest", "knn"]
    assert ideas[0]["plan"] == "LightGBM on raw features"
    # a hyphen inside a name is no separator (the 1.5B model wrote "scikit-learn: ...")
    hyphens = parse_ideas("1. scikit-learn: RandomForestClassifier\n2. k-NN — k=5\n", 2)
    assert [(i["family"], i["plan"]) for i in hyphens] == [
        ("scikit_learn", "RandomForestClassifier"),
        ("k_nn", "k=5"),
    ]


def test_family_counts_are_ordered_and_capped():
    for k in range(1, 9):
        for available in range(1, 8):
            counts = [family_count(k, level, available) for level in LEVELS]
            assert counts == sorted(counts) and counts[0] == 1
            assert counts[-1] == min(k, available)


def _four_drafts(task_dir, tmp_path, ideas_answer, options, seed=0):
    """Four drafts of a greedy run whose chat model answers the ideation call with
    `ideas_answer`: (nodes, every request the model got, the search)."""

    def model(request: Request) -> Reply:
        if "propose approaches" in request.last_user:
            return Reply(text=ideas_answer)
        return Reply(text=tiny_answer(1))

    with FakeLLMServer(model) as server:
        config = RunConfig.model_validate(
            {
                "task": str(task_dir),
                "backend": f"openai-compatible/fake@{server.openai_url}",
                "backend_options": {"max_retries": 0, "timeout_s": 20},
                "budget": {"steps": 4},
                "seed": seed,
                "preflight": False,
                "runs_dir": str(tmp_path / "runs"),
                "policy_params": {"num_drafts": 4},
                "operator_options": {**options, "analysis": False},
            }
        )
        search = Run.create(config).search
        nodes = [search.tell_written(search.write(search.ask())) for _ in range(4)]
        return nodes, list(server.requests), search


IDEAS_ANSWER = "1. random forest: 300 trees\n2. knn: k=7 on scaled features\n3. svm: RBF, C=3\n"


@pytest.mark.slow
def test_a_chat_model_proposes_once_and_each_draft_is_asked_for_its_idea(make_task, tmp_path):
    options = {"ideas": 3, "idea_diversity": "medium"}
    nodes, requests, search = _four_drafts(make_task(), tmp_path, IDEAS_ANSWER, options)
    prompts = [r.last_user for r in requests]
    asks = [p for p in prompts if "propose approaches" in p]
    assert len(asks) == 1 and "exactly 2 different model families" in asks[0]
    drafts = [p for p in prompts if "propose approaches" not in p]
    for prompt, plan in zip(
        drafts[:3], ("300 trees", "k=7 on scaled features", "RBF, C=3"), strict=True
    ):
        assert "chosen when the search began" in prompt and plan in prompt
    assert "chosen when the search began" not in drafts[3]  # the fourth draft has no idea
    assert [n.meta.get("idea", {}).get("family") for n in nodes] == [
        "random_forest",
        "knn",
        "svm",
        None,
    ]
    calls = search.ledger.calls()
    assert [c.node_id for c in calls if c.purpose == "ideate"] == [nodes[0].id]
    # the ideation call opens as the drafts do (system message, then the task), so a server's
    # prefix cache computed for it serves the first draft
    ideate, draft = (requests[0].body["messages"], requests[1].body["messages"])
    assert ideate[0] == draft[0] and ideate[0]["role"] == "system"
    task_part = ideate[1]["content"].split("# Your step")[0]
    assert len(task_part) > 200 and draft[1]["content"].startswith(task_part)


def test_assigned_families_are_nested_across_levels_and_drawn_from_the_seed_alone():
    """A controlled experiment changes diversity only: for one seed, low's family is medium's
    first and medium's are high's first; another seed draws another order."""
    orders = set()
    for seed in range(6):
        low, medium, high = (assigned_families(5, lv, FAMILY_EXAMPLES, seed) for lv in LEVELS)
        assert [len(set(f)) for f in (low, medium, high)] == [1, 3, 5]
        assert low[0] == medium[0] == high[0]
        assert set(medium) == set(high[:3])
        assert len(low) == len(medium) == len(high) == 5
        orders.add(tuple(high))
    assert len(orders) > 1


def test_assigned_families_overrule_what_the_model_named_and_fill_missing_lines():
    told = parse_ideas("1. svm: RBF, C=3\n2. knn: k=7\n", 3)
    ideas = with_assigned_families(told, ["random forest"] * 3)
    assert [i["family"] for i in ideas] == ["random_forest"] * 3
    assert [i["plan"] for i in ideas] == ["RBF, C=3", "k=7", "a random forest model"]
    assert [i.get("proposed") for i in ideas] == ["svm", "knn", None]


def test_a_plan_naming_another_familys_estimator_is_replaced_by_the_assigned_family():
    """The 1.5B model's answer when told "gradient boosting" on every line."""
    told = parse_ideas(
        "scikit-learn: RandomForestClassifier\nscikit-learn: HistGradientBoostingClassifier\n"
        "scikit-learn: MLPClassifier\n",
        3,
    )
    ideas = with_assigned_families(told, ["gradient boosting"] * 2 + ["neural net (MLP)"])
    assert [i["plan"] for i in ideas] == [
        "a gradient boosting model",
        "HistGradientBoostingClassifier",
        "MLPClassifier",
    ]
    assert [i.get("proposed_plan") for i in ideas] == ["RandomForestClassifier", None, None]


DISOBEDIENT = "- gradient boosting: hgb\n- random forest: rf\n- linear: lr\n- svm: svm\n"


@pytest.mark.slow
def test_a_model_that_ignores_the_knob_is_held_to_it_when_the_run_assigns_families(
    make_task, tmp_path
):
    """Asked for one family, the 1.5B local model listed five (the prompt's examples, in
    order). With `assign_families` the run names the family of every line, and the drafts are
    asked for it whatever the model answers."""

    options = {"ideas": 4, "idea_diversity": "low", "assign_families": True}
    nodes, requests, _ = _four_drafts(make_task(), tmp_path, DISOBEDIENT, options, seed=3)
    prompts = [r.last_user for r in requests]
    (family,) = set(assigned_families(4, "low", FAMILY_EXAMPLES, 3))
    ask = next(p for p in prompts if "propose approaches" in p)
    assert ask.count(f". {family}\n") == 4 and "SAME" not in ask
    label = family.replace(" ", "_").replace("(", "").replace(")", "")
    assert [n.meta["idea"]["family"] for n in nodes] == [label] * 4
    drafts = [p for p in prompts if "propose approaches" not in p]
    assert all(f"chosen when the search began: {label}:" in p for p in drafts)
