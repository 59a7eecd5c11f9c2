"""Every CLI command answers --help; synth and validate work end to end."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from luckin_lab.cli import app

runner = CliRunner()


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_top_level_help_lists_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for name in ("synth", "validate"):
        assert name in res.output


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output and len(res.output.splitlines()) > 3


def test_synth_then_validate(tmp_path):
    out = tmp_path / "store"
    res = runner.invoke(app, ["synth", "--scale", "0.01", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "store.duckdb").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"]["orders"] > 1000
    res = runner.invoke(app, ["validate", "--source", f"duckdb:{out / 'store.duckdb'}"])
    assert res.exit_code == 0, res.output
    assert "orders" in res.output and "ok" in res.output
