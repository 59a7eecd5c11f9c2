"""Report parameters: the base model every report's ``Params`` extends, and params files.

A params file (``params/<report>/<run>.yaml``) is one scheduled run. It is validated in full
before anything executes, so a misspelt key fails in a second with a message naming the file,
the key and the allowed keys, instead of an hour later inside a notebook.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from luckin_lab import safe_yaml
from luckin_lab.paths import notebooks_dir
from luckin_lab.reporting.render_context import DEFAULT_STALE_AFTER_DAYS
from luckin_lab.secrets import redact, secret_forms

Group = Literal["daily", "weekly", "monthly"]
GROUPS: tuple[str, ...] = ("daily", "weekly", "monthly")
Audience = Literal["leadership", "analyst"]
# Reports that summarise the others' latest runs: they run after every other report of a group.
RUNS_LAST: tuple[str, ...] = ("brief",)
# Parameters the runner owns: never written in a params file's ``parameters`` map.
RUNNER_KEYS = ("source", "results_dir", "audience")
# Run-level keys a notebook's ``parameters`` cell need not assign.
RUN_LEVEL_KEYS = ("audience",)
# Parameters only the renderer reads (cover provenance): not required in a notebook's cell.
RENDER_KEYS = ("stale_after_days",)
# report and run names become folder names, URLs in index.html and notebook file names
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class ReportParams(BaseModel):
    """Parameters shared by every report notebook; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    source: str = ""
    results_dir: str = "results"
    # who reads the run: leadership runs feed the brief, the front page and the recommendation
    # log; analyst runs (worked examples, other fleets) are listed apart. Set top-level in the
    # params file, like ``source``; notebooks need not declare it.
    audience: Audience = "leadership"

    # --- provenance on page one (renderer settings; notebooks need not declare them) ---
    stale_after_days: int = Field(
        DEFAULT_STALE_AFTER_DAYS, ge=1,
        description="page one warns when the data end more than this many days before the run")

    def not_applicable(self) -> set[str]:
        """Parameters this run does not use (e.g. a default for another input mode).

        They still reach the notebook and run.json, but the report leaves them out so a
        reader is not told about a campaign the run never looked at.
        """
        return set()


class ParamsError(ValueError):
    """A params file (or a ``-p`` override) is wrong; the message names file, key and fix."""


class _ParamsFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notebook: str
    group: Group
    source: str = ""
    audience: Audience = "leadership"
    parameters: dict[str, Any] = {}


@dataclass(frozen=True)
class RunSpec:
    """A validated scheduled run: which notebook, which parameters, where the results go."""

    path: Path
    report: str
    run: str
    notebook: Path
    group: str
    params: ReportParams

    @property
    def parameters(self) -> dict[str, Any]:
        """JSON-safe values for papermill (dates become ISO strings, not bare tokens).

        Run-level keys (``audience``) and renderer settings stay out: the notebook does not
        use them; run.json records them.
        """
        return self.params.model_dump(mode="json", exclude=set(RUN_LEVEL_KEYS + RENDER_KEYS))

    def for_cover(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """``parameters`` without the ones this run does not use (see ``not_applicable``)."""
        skip = self.params.not_applicable()
        return {k: v for k, v in parameters.items() if k not in skip}


def params_model(report: str) -> type[ReportParams]:
    """The ``Params`` class of ``luckin_lab/reporting/params_models/<report>.py``."""
    module_name = f"luckin_lab.reporting.params_models.{report}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise ParamsError(
            f"report '{report}' has no parameter model: create "
            f"luckin_lab/reporting/params_models/{report}.py defining `class Params(ReportParams)`"
        ) from None
    model = getattr(module, "Params", None)
    if not (isinstance(model, type) and issubclass(model, ReportParams)):
        raise ParamsError(f"{module_name} must define `class Params(ReportParams)`")
    return model


def notebook_parameters(notebook: Path) -> tuple[set[str], list[str]]:
    """Names assigned in the notebook's ``parameters`` cell (papermill's own inspection).

    Also returns papermill's complaints about lines it could not parse (e.g. a comment with
    quotes or semicolons), which otherwise make a parameter silently invisible.
    """
    import logging

    import papermill

    class _Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    log = logging.getLogger("papermill.translators")
    handler, propagate = _Collect(), log.propagate
    log.addHandler(handler)
    log.propagate = False
    try:
        names = set(papermill.inspect_notebook(str(notebook)))
    except ValueError as err:  # e.g. no kernelspec in the notebook's metadata
        raise ParamsError(f"{notebook}: papermill cannot inspect it: {err}") from None
    finally:
        log.removeHandler(handler)
        log.propagate = propagate
    return names, handler.messages


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line; the value is read as YAML (``8`` is an int)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParamsError(f"-p expects key=value, got '{text}'")
    if not value.strip():
        return key.strip(), ""
    try:
        return key.strip(), safe_yaml.load(value)
    except safe_yaml.YamlError as err:
        raise ParamsError(f"-p {key.strip()}=...: {err}") from None


def read_params_file(path: Path) -> dict[str, Any]:
    """The raw mapping of a params file, within the YAML budgets (see ``safe_yaml``)."""
    try:
        raw = safe_yaml.load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ParamsError(f"{path}: not UTF-8 text") from None
    except safe_yaml.YamlError as err:
        raise ParamsError(f"{path}: not acceptable YAML: {err}") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping with keys {list(_ParamsFileModel.model_fields)}")
    return raw


def _check_names(path: Path) -> tuple[str, str]:
    report, run = path.parent.name, path.stem
    for what, name in (("report (folder)", report), ("run (file)", run)):
        if not SAFE_NAME.fullmatch(name):
            raise ParamsError(
                f"{path}: {what} name '{redact(name)[:80]}' is not allowed; use letters, digits, "
                "'_' and '-' (at most 64, starting with a letter or digit)"
            )
    return report, run


def _notebook_path(path: Path, name: str) -> Path:
    """``notebook:`` is a file inside ``notebooks/``: no absolute paths, no ``..``."""
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not name.endswith(".ipynb") or "\\" in name:
        raise ParamsError(
            f"{path}: notebook '{redact(name)[:120]}' must be a .ipynb file inside "
            f"{notebooks_dir()} given relative to it (no absolute path, no '..')"
        )
    root = notebooks_dir().resolve()
    notebook = (root / rel).resolve()
    if not notebook.is_relative_to(root):  # a symlink pointing out of notebooks/
        raise ParamsError(f"{path}: notebook '{name}' resolves outside {root}")
    if not notebook.is_file():
        raise ParamsError(f"{path}: notebook '{name}' not found in {notebooks_dir()}")
    return notebook


def load_run_spec(path: Path | str, overrides: dict[str, Any] | None = None) -> RunSpec:
    """Read and validate ``params/<report>/<run>.yaml`` plus command-line overrides."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    report, run = _check_names(path)
    raw = read_params_file(path)
    try:
        spec = _ParamsFileModel(**raw)
    except ValidationError as err:
        raise ParamsError(_explain(path, err, "", list(_ParamsFileModel.model_fields))) from None

    model = params_model(report)
    allowed = [k for k in model.model_fields if k not in RUNNER_KEYS + RENDER_KEYS] + list(RENDER_KEYS)
    for key in RUNNER_KEYS:
        if key in spec.parameters:
            where = (f"the top-level '{key}' key" if key in ("source", "audience")
                     else "the runner (per run)")
            raise ParamsError(
                f"{path}: key '{key}' does not belong under 'parameters'; it is set by {where}"
            )
    values: dict[str, Any] = {"source": spec.source, "audience": spec.audience, **spec.parameters}
    for key, value in (overrides or {}).items():
        if key not in model.model_fields:
            raise ParamsError(
                f"{path}: override -p {key}=... is not a parameter of report '{report}'; "
                f"allowed keys: {', '.join(['source', *allowed])}"
            )
        values[key] = value
    for key, value in values.items():
        check_no_secret(path, key, value)
    try:
        params = model(**values)
    except ValidationError as err:
        raise ParamsError(_explain(path, err, "parameters", allowed)) from None

    notebook = _notebook_path(path, spec.notebook)
    declared, complaints = notebook_parameters(notebook)
    missing = sorted(set(model.model_fields) - declared - set(RUN_LEVEL_KEYS + RENDER_KEYS))
    if missing:
        detail = "".join(f"\n  papermill: {c}" for c in complaints)
        raise ParamsError(
            f"{path}: parameter(s) {missing} of Params in params_models/{report}.py are not "
            f"assigned in the 'parameters' cell of {spec.notebook} (it declares "
            f"{sorted(declared)}){detail}"
        )
    return RunSpec(path, report, run, notebook, spec.group, params)


def _explain(path: Path, err: ValidationError, section: str, allowed: list[str]) -> str:
    """One line per problem: file, key, what is wrong, and the allowed keys."""
    lines = [f"{path}: {err.error_count()} problem(s)"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<file>"
        where = f"{section}.{key}" if section and key not in RUNNER_KEYS else key
        if e["type"] == "extra_forbidden":
            close = _closest(str(e["loc"][0]), allowed)
            hint = f" (did you mean '{close}'?)" if close else ""
            lines.append(f"  - unknown key '{where}'{hint}; allowed keys: {', '.join(allowed)}")
        elif e["type"] == "missing":
            lines.append(f"  - required key '{where}' is missing; allowed keys: {', '.join(allowed)}")
        else:
            lines.append(f"  - key '{where}': {e['msg']} (got {_short(e.get('input'))})")
    return "\n".join(lines)


def _short(value: Any) -> str:
    """A bounded, redacted rendering of a bad value (never the whole input: it may be huge)."""
    import reprlib

    short = reprlib.Repr()
    short.maxstring, short.maxother, short.maxlevel = 80, 80, 2
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 4
    return redact(short.repr(value))


def _closest(key: str, allowed: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return match[0] if match else None


_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api_?key|credential)", re.I)


def check_no_secret(path: Path, key: str, value: Any) -> None:
    """Refuse secrets in parameters: they would be written into the executed notebook.

    A database password belongs in the environment and is referenced as ``${VAR}`` in the
    source URI; only the store-opening code expands it, inside the kernel.
    """
    if _SECRET_KEY.search(key):
        raise ParamsError(
            f"{path}: parameter '{key}' looks like a secret; secrets never travel as parameters. "
            "Put it in an environment variable and reference it as ${VAR} in the source URI."
        )
    if isinstance(value, dict):
        for k, v in value.items():
            check_no_secret(path, f"{key}.{k}", v)
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_no_secret(path, f"{key}[{i}]", v)
        return
    forms = secret_forms(value) if isinstance(value, str) else []
    if forms:
        raise ParamsError(
            f"{path}: key '{key}' contains a literal password or token ({'; '.join(forms)}); "
            "write it as an environment placeholder instead, e.g. "
            "sql:mysql+pymysql://analyst:${LUCKIN_DB_PASSWORD}@host/db"
        )


def discover(params_root: Path, group: str | None = None) -> list[Path]:
    """Every ``params/<report>/<run>.yaml``, optionally only one schedule group (no validation).

    Reports in ``RUNS_LAST`` (the brief) come after all others, so they read today's runs.
    """
    if group is not None and group not in GROUPS:
        raise ParamsError(f"unknown group '{group}'; groups: {', '.join(GROUPS)}")
    out = []
    ordered = sorted(params_root.glob("*/*.yaml"), key=lambda p: (p.parent.name in RUNS_LAST, p))
    for path in ordered:
        if group is not None:
            try:
                raw = read_params_file(path)
            except ParamsError:
                raw = {}  # a broken file must fail loudly in run-all, so keep it in the list
            if isinstance(raw, dict) and raw.get("group", group) != group:
                continue
        out.append(path)
    return out
