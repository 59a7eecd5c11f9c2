"""What a renderer needs to know about a run to print the title block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from luckin_lab.secrets import redact

# Parameters a reader does not need on the cover: set by the runner, or purely technical.
# All parameters stay in run.json.
_HIDDEN = {"source", "results_dir", "seed", "n_jobs", "dml_folds"}


@dataclass
class RenderContext:
    report: str
    run: str
    parameters: dict[str, Any] = field(default_factory=dict)
    data_window: str = ""
    generated_at: str = ""

    @property
    def source_label(self) -> str:
        source = str(self.parameters.get("source") or "")
        return redact(source) if source else "default demo store"

    @property
    def parameters_label(self) -> str:
        shown = {k: v for k, v in self.parameters.items()
                 if k not in _HIDDEN and v not in (None, "") and v != [] and v != {}}
        return " · ".join(f"{k.replace('_', ' ')}: {_value(v)}" for k, v in shown.items())


def _value(v: Any) -> str:
    """Lists and mappings as a reader writes them, not as Python prints them."""
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {x}" for k, x in v.items())
    return str(v)
