"""A wrapper that counts calls of a costly step, to show that a decision does not refit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CallCounter:
    """Calls ``fn`` and counts the calls (monkeypatch it in place of the step)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)
