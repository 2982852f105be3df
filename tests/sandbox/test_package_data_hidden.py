"""Declared package data is unreadable to a candidate, while the package itself still imports."""

from __future__ import annotations

import sys
from collections.abc import Callable

import sklearn
from sandbox_support import Layout

from airlab.sandbox import Sandbox
from airlab.sandbox.paths import PackageData, package_data_paths

DIGITS = PackageData("sklearn", ("datasets/data/digits.csv.gz", "datasets/descr/digits.rst"))

SCRIPT = """
import glob, os, sklearn, numpy, sklearn.datasets
print("imported")
try:
    sklearn.datasets.load_digits()
    print("loaded")
except Exception as exc:
    print("refused", type(exc).__name__)
folder = os.path.join(os.path.dirname(sklearn.datasets.__file__), "data")
print("iris", len(open(os.path.join(folder, "iris.csv")).read()) > 0)
"""


def test_declared_package_data_is_hidden_and_the_package_imports(
    sandbox: Sandbox, layout: Layout, claim: Callable[[str], None]
) -> None:
    claim("file_hiding")
    request = layout.request(SCRIPT, time_s=60)
    request = type(request)(**{**request.__dict__, "hidden_data": (DIGITS,)})
    execution = sandbox.run(request)
    out = execution.stdout_tail
    assert "imported" in out, execution.stderr_tail[-1000:]
    assert "iris True" in out  # the data beside it is not hidden
    assert "refused" in out and "loaded" not in out


def test_package_data_resolves_from_the_installed_package() -> None:

    found = package_data_paths(sys.executable, (DIGITS, PackageData("no_such_pkg", ("*",))))
    names = sorted(p.name for p in found)
    assert names == ["digits.csv.gz", "digits.rst"]
    assert all(
        str(p).startswith(str(__import__("pathlib").Path(sklearn.__file__).parent)) for p in found
    )
