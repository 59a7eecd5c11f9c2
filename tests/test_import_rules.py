"""Imports flow down: contracts -> sources -> transforms -> analyses -> reporting -> notebooks.

Read from the source with ``ast`` (no module is imported), so a rule broken inside a function
body, under ``TYPE_CHECKING`` or through a relative import is caught too. The rules:

- each module sits in one layer and imports only its own layer or lower ones;
- analyses and the report layer never import the synthesizer (``synth``), nor evaluation code
  (``truth_eval``, ``simulate``: the only package code that reads planted truth);
- the synthesizer builds on contracts and sources only (its simulators live in it);
- nothing in ``luckin_lab`` imports the tests or the benchmarks;
- report and explorer notebooks import neither the synthesizer nor evaluation code.

A new top-level module or analysis module name must be placed in a layer here, so the rules
cannot be sidestepped by adding a package.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FOUNDATION = {"", "estimator", "paths", "atomic", "secrets", "safe_yaml", "geo", "formats", "units", "optimize"}
ANALYSES = {"uplift", "pricing", "sites", "survival", "customers", "trends"}
# modules of an analysis package that write the report (may import reporting)
PRESENTATION = {"report", "narrative", "charts", "figures", "maps", "summary"}
# modules of an analysis package that read planted truth or simulate data with known truth
EVALUATION = {"truth_eval", "simulate"}
RANK = {"foundation": 0, "contracts": 1, "sources": 2, "transforms": 3, "analysis": 4,
        "reporting": 5, "cli": 6}
# top-level names of the tests' and benchmarks' own modules
TEST_MODULES = {"tests", "benchmarks", "conftest"} | {p.stem for p in (ROOT / "tests").glob("*.py")}

# Known breaks, each with why it is still here. The test fails when one is fixed and not
# removed from this list, so the list can only shrink.
KNOWN: dict[tuple[str, str], str] = {}


def layer(module: str) -> str:
    """The layer of a ``luckin_lab`` module; raises for a module no rule knows."""
    parts = module.split(".")[1:]
    top = parts[0] if parts else ""
    if top in FOUNDATION and len(parts) <= 1:
        return "foundation"
    if top in ("contracts", "cli"):
        return top
    if top == "engine_checks":  # contracts compiled to engine-side checks
        return "contracts"
    if top in ("sources", "spark_source", "extract"):
        return "sources"
    if top == "transforms":
        return "transforms"
    if top == "synth":
        return "synth"
    if top in ("reporting", "brief"):
        return "reporting"
    if top in ANALYSES:
        leaf = parts[1] if len(parts) > 1 else ""
        if leaf in EVALUATION:
            return "evaluation"
        return "reporting" if leaf in PRESENTATION else "analysis"
    raise AssertionError(f"{module}: no layer; place it in tests/test_import_rules.py")


def module_name(path: Path, package_root: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Absolute names of every module ``tree`` imports (``from a import b`` gives ``a.b`` too,
    since ``b`` may be a submodule), with line numbers."""
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            out.append((base, node.lineno))
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names if a.name != "*"]
    return out


def _known_module(name: str, modules: set[str]) -> str | None:
    """The ``luckin_lab`` module ``name`` refers to (names of attributes are dropped)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def violations(package_root: Path) -> list[tuple[str, str, str]]:
    """(importer, imported, rule) for every import of ``package_root`` that breaks a rule."""
    files = sorted(package_root.rglob("*.py"))
    modules = {module_name(p, package_root) for p in files}
    found: set[tuple[str, str, str]] = set()
    for path in files:
        src = module_name(path, package_root)
        src_layer = layer(src)
        tree = ast.parse(path.read_text(), filename=str(path))
        for name, line in imported(tree, src, path.name == "__init__.py"):
            top = name.split(".")[0]
            if top in TEST_MODULES:
                found.add((src, name, f"line {line}: package code imports test/benchmark code"))
                continue
            if top != "luckin_lab":
                continue
            dst = _known_module(name, modules)
            if dst is None or dst == src:
                continue
            rule = _broken_rule(src_layer, layer(dst))
            if rule:
                found.add((src, dst, f"line {line}: {rule}"))
    return sorted(found)


def _broken_rule(src: str, dst: str) -> str | None:
    if src in ("evaluation", "cli"):
        return None
    if dst == "evaluation":
        return f"{src} imports evaluation code (truth_eval/simulate)"
    if dst == "synth":
        return None if src == "synth" else f"{src} imports the synthesizer"
    if src == "synth":
        return None if RANK[dst] <= RANK["sources"] else f"the synthesizer imports {dst}"
    if RANK[dst] > RANK[src]:
        return f"{src} imports the higher layer {dst}"
    return None


def test_luckin_lab_imports_flow_down():
    found = violations(ROOT / "luckin_lab")
    unexpected = [v for v in found if (v[0], v[1]) not in KNOWN]
    assert not unexpected, "imports against the layer rules:\n" + "\n".join(
        f"  {a} -> {b} ({why})" for a, b, why in unexpected)
    stale = set(KNOWN) - {(a, b) for a, b, _ in found}
    assert not stale, f"fixed, now remove from KNOWN: {sorted(stale)}"


def _notebook_imports(nb_path: Path) -> list[str]:
    names: list[str] = []
    for cell in json.loads(nb_path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in code.splitlines())
        names += [n for n, _ in imported(ast.parse(code), "__notebook__", False)]
    return names


def test_notebooks_read_no_truth():
    notebooks = sorted((ROOT / "notebooks").rglob("*.ipynb"))
    assert notebooks
    modules = {module_name(p, ROOT / "luckin_lab") for p in (ROOT / "luckin_lab").rglob("*.py")}
    bad = []
    for nb_path in notebooks:
        for name in _notebook_imports(nb_path):
            dst = _known_module(name, modules) if name.startswith("luckin_lab") else None
            if dst and layer(dst) in ("synth", "evaluation"):
                bad.append(f"{nb_path.relative_to(ROOT)} imports {dst}")
    assert not bad, "\n".join(bad)


PLANTED = {
    "luckin_lab/__init__.py": "",
    "luckin_lab/paths.py": "",
    "luckin_lab/sources.py": "from luckin_lab.transforms import sales\n",
    "luckin_lab/transforms/__init__.py": "",
    "luckin_lab/transforms/sales.py": "from luckin_lab.sources import open_store\n",
    "luckin_lab/reporting/__init__.py": "",
    "luckin_lab/reporting/nb.py": "def helper():\n    from report_helpers import page_one_text\n",
    "luckin_lab/synth/__init__.py": "",
    "luckin_lab/synth/truth.py": "import luckin_lab.uplift.policy\n",
    "luckin_lab/uplift/__init__.py": "",
    "luckin_lab/uplift/policy.py": "from ..reporting import nb\n",
    "luckin_lab/uplift/truth_eval.py": "from luckin_lab.synth.truth import Truth\n",
    "luckin_lab/uplift/report.py": "from luckin_lab.reporting.nb import helper\n",
    "luckin_lab/pricing/__init__.py": "",
    "luckin_lab/pricing/analysis.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from luckin_lab.synth import truth\n"
        "from luckin_lab.uplift.truth_eval import x\n"),
}


def test_planted_violations_are_each_caught(tmp_path):
    for rel, text in PLANTED.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = violations(tmp_path / "luckin_lab")
    broken = {(a, why.split(": ", 1)[1]) for a, _, why in found}
    assert broken == {
        ("luckin_lab.sources", "sources imports the higher layer transforms"),
        ("luckin_lab.reporting.nb", "package code imports test/benchmark code"),
        ("luckin_lab.synth.truth", "the synthesizer imports analysis"),
        ("luckin_lab.uplift.policy", "analysis imports the higher layer reporting"),  # relative
        ("luckin_lab.pricing.analysis", "analysis imports the synthesizer"),  # under TYPE_CHECKING
        ("luckin_lab.pricing.analysis", "analysis imports evaluation code (truth_eval/simulate)"),
    }
    # allowed and not reported: transforms -> sources, evaluation -> synth, report module -> reporting


def test_a_new_package_must_be_placed(tmp_path):
    (tmp_path / "luckin_lab" / "newthing").mkdir(parents=True)
    (tmp_path / "luckin_lab" / "newthing" / "__init__.py").write_text("")
    with pytest.raises(AssertionError, match="no layer"):
        violations(tmp_path / "luckin_lab")
