"""Research plans and paper revisions graded by hidden rubrics (text candidates, not code).

`rubric` is the shared vocabulary: the `rubric.yaml` model (PaperBench-style weighted trees),
leaf ids, the seeded split of leaves into search / select / test, tree scoring, and the
`Verdict` a judge returns for one item.
"""
