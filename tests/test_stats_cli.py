"""`kb stats` and `kb check` on figures written at other scales, in articles of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

ARTICLE = """Budget Deal Clears the Council

The city council approved a $12.9bn budget on Tuesday, the largest in its history.

The transit agency will receive $449K for new signage, and the parks department $40-50 billion over a decade, officials said.

The plan covers 10 million residents, and the water utility will spend $8.8 billion on pipes.

Retail sales rose 12 percent last year, while the average loan rate was 6.2 percent.
"""


@pytest.fixture
def runner(fake_env: dict[str, str], tmp_path: Path) -> CliRunner:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "budget.txt").write_text(ARTICLE, encoding="utf-8")
    r = CliRunner()
    result = r.invoke(cli, ["ingest", "articles"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return r


def records(runner: CliRunner, *args: str) -> list[dict]:
    result = runner.invoke(cli, ["stats", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_values_are_real_quantities_with_the_written_scale(runner: CliRunner) -> None:
    by_text = {r["value_text"]: r for r in records(runner)}
    assert by_text["$12.9bn"]["value"] == 12_900_000_000 and by_text["$12.9bn"]["scale"] == "bn"
    assert by_text["$449K"]["value"] == 449_000 and by_text["$449K"]["scale"] == "K"
    rng = by_text["$40-50 billion"]
    assert (rng["value"], rng["value_high"], rng["scale"]) == (40e9, 50e9, "billion")
    assert by_text["10 million"]["value"] == 10_000_000 and by_text["10 million"]["unit"] == "count"


def test_min_and_sort_work_across_scales(runner: CliRunner) -> None:
    big = records(runner, "--min", "1000000000", "--sort", "-value")
    assert [r["value_text"] for r in big] == ["$40-50 billion", "$12.9bn", "$8.8 billion"]


def test_unknown_unit_says_which_units_exist(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["stats", "--unit", "percnt"])
    assert result.exit_code == 2
    assert "did you mean 'percent'" in result.output and "currency (" in result.output
    assert [r["value"] for r in records(runner, "--unit", "%")] == [12, 6.2]
    assert len(records(runner, "--unit", "USD")) == 4


def test_check_accepts_figures_written_at_another_scale(runner: CliRunner, tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text(
        "The transit agency will receive $449,000 for new signage.\n\n"
        "The plan covers 10,000,000 residents.\n\n"
        "The water utility will spend $8,800,000,000 on pipes.\n\n"
        "Retail sales rose 9 percent last year.\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["check", str(draft), "--json"])
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(v["text"], v["status"]) for v in verdicts] == [
        ("$449,000", "sourced"),
        ("10,000,000", "sourced"),
        ("$8,800,000,000", "sourced"),
        ("9 percent", "mismatched"),
    ]
    assert verdicts[3]["match"]["value"] == 12  # the sales figure, not the 6.2 percent loan rate
    assert result.exit_code == 1  # a mismatch fails the check
