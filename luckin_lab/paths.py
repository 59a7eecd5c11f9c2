"""Where things live; every location can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("LUCKIN_LAB_ROOT", PACKAGE_DIR.parent)).resolve()


def contracts_dir() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_CONTRACTS", ROOT / "data_contracts"))


def data_dir() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_DATA", ROOT / "data"))


def demo_store_dir(scale: str = "seed") -> Path:
    return data_dir() / "demo" / scale


def reports_dir() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_REPORTS", ROOT / "reports"))


def params_dir() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_PARAMS", ROOT / "params"))


def notebooks_dir() -> Path:
    return Path(os.environ.get("LUCKIN_LAB_NOTEBOOKS", ROOT / "notebooks"))


def scratch_dir() -> Path:
    """Where interactive runs write (JupyterLab, a papermill call without ``results_dir``).

    Outside ``notebooks/`` so exploring never leaves result files beside the committed notebooks.
    """
    return Path(os.environ.get("LUCKIN_LAB_SCRATCH", ROOT / "scratch"))
