"""Executing a report notebook: papermill in a worker thread, a quiet kernel, redacted saves.

- papermill runs in a worker thread, so the main thread keeps its SIGINT/SIGTERM handlers
  (nbclient replaces them with its own when it runs in the main thread, and the runner
  could then not record the run as interrupted).
- Every save of the executed notebook goes through :func:`luckin_lab.secrets.redact`, so an
  expanded password in an error message never reaches the disk, not even between cells.

- Transport encryption on (CurveZMQ keys provisioned by the kernel manager; our kernelspec
  declares support), which is what ipykernel's "running over TCP without encryption"
  warning asks for.
- The kernel process writes its own log (``kernel.log`` in the run folder) instead of the
  terminal: a ``KeyboardInterrupt caught in kernel`` line from the shutdown handshake is not
  run output. Nothing is dropped: the runner redacts the file and quotes its tail when the
  kernel died.
- Every live kernel is tracked, so an interrupted run can stop its kernel from the main
  thread (the notebook executes in a worker thread; see ``runner``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine, papermill_engines

from luckin_lab.secrets import redact_in_place

KERNEL = "python3"
ENGINE = "luckin-redacting"
_BINARY_MIME = ("image/png", "image/jpeg", "image/gif", "application/pdf")

_LIVE: set[int] = set()
_LOCK = threading.Lock()


class ReportKernelManager(AsyncKernelManager):
    """The kernel manager papermill/nbclient use for report runs."""

    kernel_log: Path | None = None  # set per run by :func:`manager_for`

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport_encryption = "auto"

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        if self.kernel_log is not None:
            log = open(self.kernel_log, "ab")  # noqa: SIM115 - the kernel process owns it
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
        try:
            await self._async_start_kernel(**kw)
        finally:
            if self.kernel_log is not None:
                log.close()  # the child keeps its own descriptor
        pid = kernel_pid(self)
        if pid:
            with _LOCK:
                _LIVE.add(pid)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        pid = kernel_pid(self)
        try:
            await self._async_shutdown_kernel(now=now, restart=restart)
        finally:
            with _LOCK:
                _LIVE.discard(pid)


def manager_for(kernel_log: Path) -> type[ReportKernelManager]:
    """A kernel manager class whose kernels log to ``kernel_log``."""
    return type("RunKernelManager", (ReportKernelManager,), {"kernel_log": Path(kernel_log)})


def kernel_pid(km: AsyncKernelManager) -> int | None:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return getattr(process, "pid", None)


def kill_live_kernels() -> list[int]:
    """Kill every kernel this process started and has not shut down (interrupted runs)."""
    with _LOCK:
        pids = sorted(_LIVE)
        _LIVE.clear()
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
    return pids


def redact_notebook(nb: Any, extra: Iterable[str] = ()) -> Any:
    """Redact every string of a notebook node in place (outputs, sources, metadata)."""
    redact_in_place(nb, extra, skip_keys=_BINARY_MIME)
    return nb


class RedactingEngine(NBClientEngine):
    """papermill's nbclient engine whose every save of the output notebook is redacted."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        extra = tuple(kwargs.pop("redact_extra", ()))
        save = nb_man.save

        def redacted_save(**kw: Any) -> None:
            redact_notebook(nb_man.nb, extra)
            save(**kw)

        nb_man.save = redacted_save
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            redact_notebook(nb_man.nb, extra)  # papermill reads the errors from this node


papermill_engines.register(ENGINE, RedactingEngine)


def execute_notebook(notebook: Path, executed: Path, parameters: dict[str, Any],
                     kernel_log: Path, redact_extra: Iterable[str] = ()) -> None:
    """Execute ``notebook`` into ``executed``; raises what papermill raises.

    An interrupt of the main thread (a signal handler raising) kills the kernel, waits for
    the worker to finish its last redacted save, and re-raises the interrupt.
    """
    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)
    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=parameters, kernel_name=KERNEL,
                engine_name=ENGINE, progress_bar=False, log_output=False,
                kernel_manager_class=manager_for(kernel_log), redact_extra=tuple(redact_extra),
            )
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            outcome["error"] = err

    worker = threading.Thread(target=work, name="papermill", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except BaseException:
        kill_live_kernels()
        worker.join(20)
        kill_live_kernels()  # one that was still starting when the interrupt came
        raise
    if "error" in outcome:
        raise outcome["error"]
