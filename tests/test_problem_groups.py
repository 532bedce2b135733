"""Problem tables grouped per column and rule; rows in numeric order; validate --data's table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.core.errors import Problem, problems_frame
from evaltools.data.problems import GROUP_COLUMNS, group_problems

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _cells(rows, column="brs_3", message="value outside the response scale"):
    return [Problem("t0.csv", f"row {r}, column {column}", message, found=7) for r in rows]


def test_problems_are_grouped_per_column_and_rule_with_counts() -> None:
    problems = (_cells([12, 3, 101, 2, 40, 7]) + _cells([5], "who5_1", "not a number")
                + [Problem("t0.csv", "column brs_3", "30 more rows: value outside the response "
                           "scale"),
                   Problem("t0.csv", "rows 9, 4", "the same respondent more than once",
                           severity="warning"),
                   Problem("t1.csv", "(file)", "2 rows left out: unfinished",
                           severity="warning")])
    groups = group_problems(problems)
    assert list(groups.columns) == GROUP_COLUMNS
    brs = groups[groups["column"] == "brs_3"].iloc[0]
    assert brs["count"] == 36 and brs["rows"] == "2, 3, 7, 12, 40, ..." and brs["found"] == "7"
    assert groups["severity"].tolist() == ["error", "error", "warning", "warning"]
    dup = groups[groups["message"] == "the same respondent more than once"].iloc[0]
    assert dup["count"] == 2 and dup["rows"] == "4, 9" and dup["column"] == ""
    assert groups["count"].sum() == 36 + 1 + 2 + 1


def test_problem_rows_sort_as_numbers() -> None:
    frame = problems_frame(_cells([10, 2, 1, 100, 21]))
    assert frame["location"].str.extract(r"row (\d+)")[0].astype(int).tolist() == \
        [1, 2, 10, 21, 100]


def test_validate_data_groups_and_points_to_the_full_table(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "limesurvey", folder)
    path = folder / "data" / "raw" / "t0" / "results-survey415236.csv"
    path.write_text(path.read_text("utf-8").replace('"A4"', '"A9"'), "utf-8")
    run = CliRunner().invoke(cli, ["validate", str(folder), "--data"])
    assert run.exit_code == 1
    assert "full problem table: store/validation/check.problems.csv" in run.output
    table = pd.read_csv(folder / "store" / "validation" / "check.problems.csv")
    export = pd.read_csv(path, dtype=str, keep_default_na=False)
    n_a9 = int((export[export["submitdate"] != ""] == "A9").sum().sum())  # submitted rows
    grouped = [line for line in run.output.splitlines() if "declared codes" in line]
    assert grouped and len(grouped) <= 6  # one line per column and rule, not per cell
    counted = sum(int(line.split(" rows (")[0].rsplit(", ", 1)[1]) if " rows (" in line
                  else 1 for line in grouped)
    shown_more = "more kinds of problem" in run.output
    assert counted == n_a9 or shown_more
    assert (table["found"] == "'A9'").sum() >= 1
    js = CliRunner().invoke(cli, ["validate", str(folder), "--data", "--json"])
    out = json.loads(js.output)
    assert out["table"] == "store/validation/check.problems.csv"
    assert sum(g["count"] for g in out["groups"] if "declared codes" in g["message"]) == n_a9
    rows = [int(p["location"].split(",")[0].split()[1]) for p in out["problems"]
            if p["location"].startswith("row ")]
    assert rows == sorted(rows)


def test_a_files_problem_page_leads_with_the_grouped_table(tmp_path: Path) -> None:
    from evaltools.data.store import write_problem_tables

    store = tmp_path / "store"
    write_problem_tables(store, "t0", "t0.csv", _cells([12, 3, 101]))
    page = (tmp_path / "store" / "validation" / "t0" / "t0.csv.problems.html").read_text("utf-8")
    assert page.index("By column and rule") < page.index("Every problem")
    assert "<td>3, 12, 101</td>" in page
