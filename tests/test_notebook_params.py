"""Every report notebook's ``parameters`` cell matches its ``Params`` model: the same names and the
same default values. The defaults are written once in the analysis settings (which ``Params``
extends); papermill needs them typed in the notebook too, and this test keeps the two equal.

The cell is read with ``ast`` (nothing is executed): each line is ``name = <literal>``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from luckin_lab.paths import notebooks_dir
from luckin_lab.reporting.params import RENDER_KEYS, RUN_LEVEL_KEYS, params_model

REPORTS = sorted(notebooks_dir().glob("*.ipynb"))
# run-level and renderer settings a notebook need not declare (see reporting.params)
OPTIONAL = set(RUN_LEVEL_KEYS + RENDER_KEYS)


def parameters_cell(notebook: Path) -> dict[str, Any]:
    """``{name: value}`` of the notebook's one ``parameters`` cell (literals only)."""
    cells = [c for c in json.loads(notebook.read_text())["cells"]
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{notebook.name}: {len(cells)} parameters cells, expected one"
    out: dict[str, Any] = {}
    for node in ast.parse("".join(cells[0]["source"])).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1 \
            and isinstance(node.targets[0], ast.Name), \
            f"{notebook.name}, line {node.lineno}: the parameters cell holds `name = literal` lines only"
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            pytest.fail(f"{notebook.name}, line {node.lineno}: '{ast.unparse(node.value)}' "
                        "is not a literal")
    return out


def _plain(value: Any) -> Any:
    """Tuples as lists (a notebook writes [0.5, 0.25, 0.25] for a tuple default)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_every_report_notebook_is_checked():
    assert {p.stem for p in REPORTS} >= {"coupon_uplift", "price_elasticity", "customers"}


@pytest.mark.parametrize("notebook", REPORTS, ids=lambda p: p.stem)
def test_parameters_cell_matches_the_params_model(notebook):
    model = params_model(notebook.stem)
    cell = parameters_cell(notebook)
    fields = model.model_fields
    missing = sorted(set(fields) - set(cell) - OPTIONAL)
    unknown = sorted(set(cell) - set(fields))
    assert not missing and not unknown, (
        f"{notebook.name}: parameters the cell lacks {missing}; not in {model.__module__}.Params "
        f"{unknown}")
    wrong = {name: (value, fields[name].get_default(call_default_factory=True))
             for name, value in cell.items()
             if _plain(value) != _plain(fields[name].get_default(call_default_factory=True))}
    assert not wrong, f"{notebook.name}: cell default != Params default: {wrong}"


def test_a_changed_default_is_caught(tmp_path):
    """The check fails on a notebook whose default drifted from the model (here: the budget)."""
    nb = json.loads((notebooks_dir() / "customers.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    src = "".join(cell["source"])
    assert "monthly_budget = 5000.0" in src
    cell["source"] = src.replace("monthly_budget = 5000.0", "monthly_budget = 4000.0")
    drifted = tmp_path / "customers.ipynb"
    drifted.write_text(json.dumps(nb))
    with pytest.raises(AssertionError, match=r"monthly_budget.*4000\.0, 5000\.0"):
        test_parameters_cell_matches_the_params_model(drifted)
