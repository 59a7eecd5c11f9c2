"""What a renderer needs to know about a run to print the title block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from luckin_lab.secrets import redact

# Parameters a reader does not need on the cover (the runner sets them per run).
_HIDDEN = {"source", "results_dir"}


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
        shown = {k: v for k, v in self.parameters.items() if k not in _HIDDEN}
        return " · ".join(f"{k} = {'—' if v in (None, '') else v}" for k, v in shown.items())
