"""`extract_source`: pull the contracted tables of one MySQL source into a dated snapshot.

The first extract of a source (or ``full=True``) reads every row. Later extracts start from
the newest complete snapshot: tables with a watermark read only rows whose watermark is at
or after the base's (minus a look-back for late commits) and merge them in by primary key;
tables without one are read whole. Every table is validated against its contract as it
lands; the snapshot folder appears only when all of them did (see
:mod:`luckin_lab.extract.snapshot`). An interrupted extract is resumed by running the same
command again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from luckin_lab.atomic import write_json_atomic
from luckin_lab.extract.connection import ReadOnlySession
from luckin_lab.extract.errors import SettingsError, SnapshotError
from luckin_lab.extract.mapping import SourceMapping, TablePlan, plan_tables
from luckin_lab.extract.pii import PII_MODES, PiiMode
from luckin_lab.extract.pull import (
    ShardState,
    count_query,
    decode,
    encode,
    merge_table,
    pull_shard,
    save_state,
)
from luckin_lab.extract.schema_check import check_source
from luckin_lab.extract.settings import ConnectionSettings
from luckin_lab.extract.snapshot import (
    MANIFEST,
    PARTS,
    STATE,
    ExtractLock,
    choose_workdir,
    finalize,
    latest_snapshot,
    read_manifest,
    snapshots_root,
)
from luckin_lab.sources import frame_digest


@dataclass
class ExtractResult:
    snapshot: Path
    manifest: dict[str, Any]
    resumed: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"folder:{self.snapshot}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _lower_bound(base_wm: Any, lookback_minutes: float) -> Any:
    """Where an incremental pull of a shard starts: the base's newest watermark minus look-back."""
    value = decode(base_wm)
    if isinstance(value, dt.datetime):
        return encode(value - dt.timedelta(minutes=lookback_minutes))
    return encode(value)  # integer versions: re-read from the last one (dedupe absorbs it)


def _table_state(plan: TablePlan, base: dict[str, Any] | None) -> dict[str, Any]:
    """Fresh state of a table: incremental from the base when it has this table's watermarks."""
    entry = (base or {}).get("tables", {}).get(plan.name)
    marks = (entry or {}).get("watermarks") or {}
    same_mark = bool(entry) and entry.get("watermark_column") == plan.watermark
    incremental = bool(plan.watermark and same_mark and marks)
    shards = {}
    for shard in plan.shards:
        mark = marks.get(plan.qualified(shard)) if incremental else None
        lower = _lower_bound(mark, plan.lookback_minutes) if mark is not None else None
        shards[shard] = ShardState(lower=lower).to_json()
    return {"status": "pulling", "mode": "incremental" if incremental else "full", "shards": shards}


def _options(plans: list[TablePlan], mapping: SourceMapping, full: bool, pii: str) -> dict[str, Any]:
    return {"tables": [p.name for p in plans], "full": full, "pii": pii, "mapping": mapping.digest()}


def _base_for(root: Path, full: bool, pii: str) -> tuple[Path | None, dict[str, Any] | None]:
    if full:
        return None, None
    base = latest_snapshot(root)
    if base is None:
        return None, None
    doc = read_manifest(base) or {}
    if doc.get("pii") != pii:
        raise SnapshotError(
            f"the newest snapshot {base} was landed with --pii {doc.get('pii')}; an incremental "
            f"extract must use the same mode (pass --pii {doc.get('pii')}) or start over with --full"
        )
    return base, doc


def _make_progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("rows"), TimeElapsedColumn(), disable=not enabled, transient=False,
    )


def extract_source(
    mapping: SourceMapping,
    settings: ConnectionSettings,
    *,
    root: Path | None = None,
    snapshot: str | None = None,
    tables: list[str] | None = None,
    full: bool = False,
    pii: PiiMode = "mask",
    pii_key: bytes | None = None,
    chunk_rows: int | None = None,
    progress: bool = True,
    today: dt.date | None = None,
) -> ExtractResult:
    """Extract (or resume extracting) a snapshot of ``mapping``'s tables; returns its folder."""
    if pii not in PII_MODES:
        raise SettingsError(f"unknown PII mode {pii!r}; use one of {PII_MODES}")
    if pii == "hash" and not pii_key:
        raise SettingsError("--pii hash needs LUCKIN_LAB_PII_KEY (or pii_key in .luckin_lab.local.yaml)")
    t0 = time.perf_counter()
    root = root or snapshots_root(mapping.source)
    plans = plan_tables(mapping, tables)
    chunk = int(chunk_rows or mapping.chunk_rows)
    options = _options(plans, mapping, full, pii)
    with ExitStack() as stack:
        stack.enter_context(ExtractLock(root))
        work, resumed = choose_workdir(root, snapshot, today)
        state_path = work / STATE
        state = json.loads(state_path.read_text()) if state_path.exists() else None
        if state is not None and state["options"] != options:
            raise SnapshotError(
                f"the interrupted extract in {work} was started with other options "
                f"({state['options']}); re-run it with the same options, or delete the folder"
            )
        if state is None:
            base_dir, base_doc = _base_for(root, full, pii)
            state = {"options": options, "started": _now(), "base": base_dir.name if base_dir else None,
                     "tables": {}}
            save_state(state_path, state)
        else:
            base_dir = root / state["base"] if state["base"] else None
            base_doc = read_manifest(base_dir) if base_dir else None
            if base_dir is not None and base_doc is None:
                raise SnapshotError(f"the base snapshot {base_dir} of the interrupted extract is gone")

        bar = stack.enter_context(_make_progress(progress))
        session = stack.enter_context(ReadOnlySession(settings))
        catalog = check_source(session, plans)
        for plan in plans:
            tstate = state["tables"].get(plan.name)
            if tstate is not None and tstate["status"] == "done":
                continue
            if tstate is None:
                tstate = state["tables"][plan.name] = _table_state(plan, base_doc)
                save_state(state_path, state)
            _pull_table(session, plan, tstate, work, base_dir, state, state_path, chunk, pii,
                        pii_key, bar)

        manifest = _manifest(mapping, settings, session.server_version, plans, state, base_dir,
                             base_doc, work, pii, full, t0, resumed)
        write_json_atomic(work / MANIFEST, manifest)
        final = finalize(work)
    return ExtractResult(final, manifest, resumed, catalog.warnings)


def _pull_table(
    session: ReadOnlySession, plan: TablePlan, tstate: dict[str, Any], work: Path,
    base_dir: Path | None, state: dict[str, Any], state_path: Path, chunk: int, pii: PiiMode,
    pii_key: bytes | None, bar: Progress,
) -> None:
    parts_dir = work / PARTS / plan.name
    shards = {s: ShardState.from_json(d) for s, d in tstate["shards"].items()}
    total = None
    if not bar.disable:
        total = sum(
            session.select(*count_query(plan, s, st), context=f"counting {plan.qualified(s)}")[1][0][0]
            for s, st in shards.items() if not st.done  # counts rows already read, too
        ) + sum(st.rows for st in shards.values() if st.done)
    task = bar.add_task(f"{plan.name} ({tstate['mode']})", total=total,
                        completed=sum(st.rows for st in shards.values()))
    for i, shard in enumerate(plan.shards):
        st = shards[shard]
        if st.done:
            continue

        def commit(shard: str = shard, st: ShardState = st) -> None:
            tstate["shards"][shard] = st.to_json()
            save_state(state_path, state)

        pull_shard(session, plan, i, st, parts_dir, commit, chunk, pii, pii_key,
                   advance=lambda n: bar.advance(task, n))
    base_file = base_dir / f"{plan.name}.parquet" if base_dir and tstate["mode"] == "incremental" else None
    parts = sorted(parts_dir.glob("*.parquet")) if parts_dir.exists() else []
    frame, stats = merge_table(plan, base_file, parts, work / f"{plan.name}.parquet")
    base_marks = {}
    if base_dir is not None and tstate["mode"] == "incremental":
        base_marks = (read_manifest(base_dir) or {})["tables"][plan.name].get("watermarks") or {}
    marks = {}
    for shard in plan.shards:
        st = shards[shard]
        mark = st.max_wm if st.max_wm is not None else base_marks.get(plan.qualified(shard))
        if plan.watermark and mark is not None:
            marks[plan.qualified(shard)] = mark
    tstate.update(status="done", result={
        "rows": stats.rows, "mode": tstate["mode"], "pulled": stats.pulled,
        "base_rows": stats.base_rows, "superseded": stats.superseded,
        "sources": [plan.qualified(s) for s in plan.shards], "watermark_column": plan.watermark,
        "watermarks": marks, "sha256_16": frame_digest(frame),
    })
    save_state(state_path, state)
    shutil.rmtree(parts_dir, ignore_errors=True)
    bar.update(task, description=f"{plan.name} ({tstate['mode']}) ✓")


def _manifest(
    mapping: SourceMapping, settings: ConnectionSettings, version: str, plans: list[TablePlan],
    state: dict[str, Any], base_dir: Path | None, base_doc: dict[str, Any] | None, work: Path,
    pii: str, full: bool, t0: float, resumed: bool,
) -> dict[str, Any]:
    """snapshot.json: what is in the snapshot, where it came from, and how to continue it."""
    tables = {p.name: state["tables"][p.name]["result"] for p in plans}
    pulled = {p.name for p in plans}
    for name, entry in ((base_doc or {}).get("tables") or {}).items():
        if name in pulled or base_dir is None:
            continue
        shutil.copy2(base_dir / f"{name}.parquet", work / f"{name}.parquet")
        tables[name] = {**entry, "carried_from": base_dir.name}
    name = work.name.removesuffix(".partial")
    content = hashlib.sha256(
        json.dumps({t: e["sha256_16"] for t, e in sorted(tables.items())}).encode()
    ).hexdigest()[:16]
    rel = mapping.path
    return {
        "id": f"{mapping.source}/{name}",
        "source": mapping.source,
        "snapshot": name,
        "status": "complete",
        "started": state["started"],
        "completed": _now(),
        "resumed": resumed,
        "mode": "full" if full or base_dir is None else "incremental",
        "base": base_dir.name if base_dir else None,
        "pii": pii,
        "mapping": {"file": str(rel) if rel else None, "sha256_16": mapping.digest()},
        "server": {"host": settings.host, "port": settings.port, "version": version},
        "tables": dict(sorted(tables.items())),
        "content_sha256_16": content,
        "seconds": round(time.perf_counter() - t0, 2),
    }
