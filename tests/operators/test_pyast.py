"""Parsing from many threads at once: a sweep's runs are threads, and each parses the code its
model wrote. With plain `ast.parse` on CPython 3.11 this stress fails within a few hundred
parses (SystemError: AST constructor recursion depth mismatch, gh-106905): a finaliser run by
the collector in the middle of one parse lets another thread's parse corrupt shared state."""

import threading

from airlab import pyast

SOURCE = "\n".join(
    f"def f{i}(x):\n    return [[(a, {{b: c}}) for a in x] for b, c in x.items()]"
    for i in range(40)
)


class _Finalised:
    def __del__(self) -> None:
        sum(range(50))  # Python code inside a collection: a point where threads switch


def test_parses_from_many_threads_never_fail() -> None:
    errors: list[str] = []

    def work() -> None:
        for _ in range(300):
            for _ in range(50):
                cycle = _Finalised()
                cycle.self = cycle  # type: ignore[attr-defined]  # freed only by the collector
            try:
                pyast.parse(SOURCE)
            except SystemError as exc:  # pragma: no cover - the failure this guards against
                errors.append(str(exc))
                return

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
