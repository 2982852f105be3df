"""The shipped suites as a third party uses them: toy plug-ins defined here pass, broken ones
fail the one check they break (run in a nested pytest session)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from airlab.backends.base import Candidate, ProgramWriter, WriteRequest
from airlab.journal.tree import SearchTree
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.testing.backend import BackendSuite
from airlab.testing.policy import PolicySuite

pytest_plugins = ["pytester"]

MAJORITY = """\
import pandas as pd
train = pd.read_csv("public/train.csv")
test = pd.read_csv("public/test.csv")
label = train["y"].mode()[0]
pd.DataFrame({"id": test["id"], "y": label}).to_csv("submission.csv", index=False)
"""


class FirstThenBest(Policy):
    """Two drafts, then debug the newest buggy leaf or improve the best node."""

    name = "first_then_best"
    Params = PolicyParams

    def propose(self, tree: SearchTree, rng: np.random.Generator) -> Step | None:
        if len(tree.with_operator("draft")) < 2:
            return Step("draft")
        stuck = [n for n in tree.nodes if n.is_buggy and tree.is_leaf(n.id)]
        if stuck and "debug" in self.operators:
            return Step("debug", (stuck[-1].id,))
        best = tree.best()
        return Step("improve", (best.id,)) if best else Step("draft")


class MajorityWriter(ProgramWriter):
    """Predicts the most frequent training label, whatever the step."""

    name = "majority"

    def write(self, request: WriteRequest) -> Candidate:
        return Candidate(plan=f"{request.operator}: predict the majority label", code=MAJORITY)


class TestToyPolicy(PolicySuite):
    @pytest.fixture
    def policy_factory(self):
        return lambda operators: FirstThenBest(PolicyParams(), operators)


class TestToyBackend(BackendSuite):
    deterministic = True

    @pytest.fixture
    def backend(self):
        return MajorityWriter()


BROKEN = '''
import itertools
import numpy as np
import pytest
from airlab.backends.base import Candidate, ProgramWriter
from airlab.policies.base import Policy, PolicyParams, Step
from airlab.testing.backend import BackendSuite
from airlab.testing.policy import PolicySuite


class Forgetful(Policy):
    """Keeps a private counter: a resumed run would not continue the same search."""
    name = "forgetful"
    Params = PolicyParams
    def __init__(self, *args):
        super().__init__(*args)
        self.calls = itertools.count()
    def propose(self, tree, rng):
        return Step("draft", note=f"call {next(self.calls)}")


class Unparsable(ProgramWriter):
    name = "unparsable"
    def write(self, request):
        return Candidate(plan="oops", code="def broken(:\\n")


class TestForgetful(PolicySuite):
    @pytest.fixture
    def policy_factory(self):
        return lambda operators: Forgetful(PolicyParams(), operators)


class TestUnparsable(BackendSuite):
    check_execution = False
    @pytest.fixture
    def backend(self):
        return Unparsable()
'''


def test_broken_plugins_fail_the_check_they_break(pytester):
    pytester.makepyfile(test_broken=BROKEN)
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider", "-q")
    result.stdout.fnmatch_lines(
        [
            "*a fresh policy on the same journal proposed another step*",
            "*the code does not compile*",
        ]
    )
    outcomes = result.parseoutcomes()
    failed = {
        line.split("::")[-1].split(" ")[0].split("[")[0]
        for line in result.stdout.lines
        if line.startswith("FAILED")
    }
    assert failed == {
        "test_contract_on_an_asynchronous_run",  # four parametrisations
        "test_drafts_then_improves",
        "test_draft_is_a_script_that_compiles",
        "test_every_operator_works_from_its_own_parents",
    }
    assert outcomes["failed"] == 7
    # what does not depend on the broken part still passes
    assert outcomes["passed"] == 1  # Forgetful's first step on an empty journal is a draft


REWRITTEN = """
from _pytest.assertion.rewrite import AssertionRewritingHook
from airlab.testing.policy import PolicySuite
from airlab.policies.base import Policy, PolicyParams


class Idle(Policy):
    name = "idle"
    Params = PolicyParams
    def propose(self, tree, rng):
        return None


class TestIdle(PolicySuite):
    @pytest.fixture
    def policy_factory(self):
        return lambda operators: Idle(PolicyParams(), operators)


def test_the_suites_asserts_are_rewritten():
    import airlab.testing.sandbox as suite

    assert isinstance(suite.__loader__, AssertionRewritingHook)
"""


@pytest.mark.slow
def test_a_plugin_authors_failures_read_well(pytester):
    """In a fresh session (as a plug-in's own tests run), the suites' asserts are rewritten by
    pytest and a policy that does nothing is told so in words."""
    pytester.makepyfile(test_idle="import pytest\n" + REWRITTEN)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider", "-q")
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: the policy waits with nothing in flight",
            "*AssertionError: the policy proposed nothing on an empty journal",
            "*assert None is not None",  # pytest's own introspection: the module was rewritten
        ]
    )
    assert result.parseoutcomes() == {"failed": 6, "passed": 1}  # passed: the rewriting check


def test_importing_airlab_never_needs_pytest():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pytest"] = None  # any import of pytest now fails
        import airlab, airlab.testing, airlab.runner, airlab.cli, airlab.policies
        import airlab.backends, airlab.sandbox, airlab.evaluation, airlab.report
        try:
            from airlab.testing import PolicySuite
        except ImportError:
            print("suites need pytest")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "suites need pytest"
