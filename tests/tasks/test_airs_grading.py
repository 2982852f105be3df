"""How an imported AIRS-Bench task's own evaluate.py is run: list cells travel as JSON lists, a
package that is not installed is a stand-in type whose use names `pip install`, the scratch
folder holds `data/test_with_labels` as the evaluator reads it, and an evaluator that cannot run
is reported as such, not as a rejected submission."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from airlab.errors import TaskError
from airlab.grading.grader import Grader
from airlab.tasks.importers.airs import import_airs
from airlab.tasks.importers.airs_grade import MISSING
from airlab.tasks.importers.common import decode_lists, encode_lists
from airlab.tasks.task import SPLITS

RAD = Path(__file__).parent / "fixtures" / "airs-bench" / "airsbench" / "tasks" / "rad"
YELP = RAD / "SentimentAnalysisYelpReviewFullAccuracy"


def test_list_cells_are_written_as_json_and_read_back():
    frame = pd.DataFrame(
        {
            "y": [np.array([0.5]), np.array([1.25])],  # as Dataset.to_pandas gives them
            "graph": [np.array([np.array([1, 2]), np.array([3])], dtype=object), [[4]]],
            "text": ["[not json", "plain"],
            "n": [1, 2],
        }
    )
    written = encode_lists(frame)
    assert list(written["y"]) == ["[0.5]", "[1.25]"]
    assert list(written["graph"]) == ["[[1, 2], [3]]", "[[4]]"]  # not numpy's "[array([..])]"
    back = decode_lists(written)
    assert back["graph"].tolist() == [[[1, 2], [3]], [[4]]]
    assert back["y"].tolist() == [[0.5], [1.25]]
    assert back["text"].tolist() == ["[not json", "plain"] and back["n"].tolist() == [1, 2]


def _stand_ins() -> dict:
    namespace: dict = {}
    exec(MISSING, namespace)  # the module the grader writes beside evaluate.py
    return namespace


def test_a_missing_package_is_a_type_nothing_is_an_instance_of():
    absent = _stand_ins()["absent"]
    torch = absent("torch")
    assert isinstance(torch.Tensor, type) and torch.Tensor is torch.Tensor
    assert not isinstance(np.zeros(2), torch.Tensor) and not isinstance([1.0], torch.Tensor)
    assert not issubclass(np.ndarray, torch.Tensor)
    with pytest.raises(ImportError, match=r"uses torch\.tensor, but torch is not installed: pip "
                       r"install torch$"):  # fmt: skip
        torch.tensor([1.0])
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        absent("sklearn.metrics.accuracy_score")([1], [1])
    try:  # an `except torch.X:` clause stays valid and catches nothing else
        raise KeyError("k")
    except torch.cuda.OutOfMemoryError:
        pytest.fail("a stand-in caught a real exception")
    except KeyError:
        pass


def _variant(tmp_path: Path, evaluate: str) -> Path:
    folder = tmp_path / YELP.name
    shutil.copytree(YELP, folder)
    script = (folder / "evaluate.py").read_text()
    head, _, _ = script.partition("\n\ndef load_test_set")
    cli = script[script.index("\n\ndef _cli") :]
    (folder / "evaluate.py").write_text(head + "\n\n" + evaluate + cli)
    return folder


TORCH_EVALUATE = """import torch
import torchmetrics


def load_test_set():
    ds = load_from_disk("./data/test_with_labels")
    return [int(x) for x in ds["label"]]


def evaluate(predictions, labels):
    if isinstance(predictions, torch.Tensor):
        predictions = predictions.numpy()
    correct = np.mean(np.asarray(predictions) == np.asarray(labels))
    fake = getattr(torchmetrics, "__version__", None) == "fake"
    return {"Accuracy": 0.25 if fake else correct}
"""


def test_torch_checks_work_with_torch_absent_and_a_present_package_is_used(tmp_path, monkeypatch):
    task = import_airs(_variant(tmp_path / "src", TORCH_EVALUATE), tmp_path / "t")
    perfect = task.read_answers()[["id", "label"]]
    grade = Grader(task).grade(perfect, SPLITS)
    assert grade.valid and grade.scores == {s: 1.0 for s in SPLITS}, grade.reason
    # an installed package (a fake torchmetrics on the path: a fake torch would break
    # `datasets`, which probes torch's types) is imported for real, not replaced
    fake = tmp_path / "site" / "torchmetrics"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("__version__ = 'fake'\n")
    monkeypatch.setenv("PYTHONPATH", f"{fake.parent}")
    grade = Grader(task).grade(perfect, SPLITS)
    assert grade.valid and grade.scores == {s: 0.25 for s in SPLITS}, grade.reason


DATA_READER = """
def load_test_set():
    return list(load_from_disk("./data/test_with_labels")["label"])


def evaluate(predictions, labels):
    rows = load_from_disk("./data/test_with_labels")  # the split's own rows, inputs included
    if len(rows) != len(predictions) or "text" not in rows.column_names:
        raise ValueError("./data/test_with_labels is not this split's rows")
    return {"Accuracy": float(np.mean(np.asarray(predictions) == np.asarray(labels)))}
"""


def test_evaluate_reads_the_splits_rows_from_data(tmp_path):
    pytest.importorskip("datasets")
    task = import_airs(_variant(tmp_path / "src", DATA_READER), tmp_path / "t")
    answers = task.read_answers()
    grade = Grader(task).grade(answers[["id", "label"]], SPLITS)
    assert grade.valid and grade.scores == {s: 1.0 for s in SPLITS}, grade.reason
    wrong = answers[["id", "label"]].assign(label=(answers["label"] + 1) % 5)
    assert Grader(task).grade(wrong, SPLITS).scores == {s: 0.0 for s in SPLITS}


CRASHES = """
def evaluate(predictions, labels):
    with open("./data/vocabulary.json") as handle:  # a file the scratch folder lacks
        handle.read()
    return {"Accuracy": 1.0}
"""


def test_an_evaluator_that_cannot_run_is_not_a_rejected_submission(tmp_path):
    with pytest.raises(TaskError) as caught:
        import_airs(_variant(tmp_path / "src", CRASHES), tmp_path / "t")
    message = str(caught.value)
    assert "could not grade" in message and "FileNotFoundError" in message
    assert "vocabulary.json" in message and "rejected" not in message
    assert len(message.splitlines()) == 1


REJECTS = """
def evaluate(predictions, labels):
    if len(set(map(int, predictions))) == 1:
        raise ValueError("constant predictions")
    return {"Accuracy": float(np.mean(np.asarray(predictions) == np.asarray(labels)))}
"""


def test_an_evaluator_that_raises_on_the_predictions_rejects_them(tmp_path):
    task = import_airs(_variant(tmp_path / "src", REJECTS), tmp_path / "t")
    constant = task.read_answers()[["id", "label"]].assign(label=3)
    grade = Grader(task).grade(constant, SPLITS)
    assert not grade.valid and "rejected the submission" in grade.reason
    assert "constant predictions" in grade.reason
