"""The run summary (counts only) and its offline HTML report, on the hand-made records of test_outcomes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "engine"))  # test_outcomes lives with the engine tests
from test_outcomes import evaluate_file, people_rows, write_doj  # noqa: E402

from blueprint.engine.outcomes import person_outcomes  # noqa: E402
from blueprint.run.policies import load_policy  # noqa: E402
from blueprint.engine.rulepack import load_rule_pack  # noqa: E402
from blueprint.report.summary import render_summary_html, summarize, write_summary_html  # noqa: E402

FILES = [
    {
        "file": "people.dat",
        "path": "/secret/place/people.dat",
        "status": "ok",
        "sha256": "ab" * 32,
        "bytes": 4096,
        "rows_read": 20,
        "rows_used": 19,
        "rows_skipped": 1,
        "error": "row 3 broken",
        "encoding": "utf-8",
    }
]
TIMINGS = {"read": 0.5, "evaluate": 1.0, "total": 2.0}


def _summary(decisions, outcomes, **overrides):
    args = dict(
        county="sacramento ",
        as_of="2020-07-01",
        policy=load_policy("california"),
        issues_count=3,
        files=FILES,
        timings=TIMINGS,
    )
    args.update(overrides)
    return summarize(decisions, outcomes, **args)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    evaluation = evaluate_file(write_doj(tmp_path_factory.mktemp("doj") / "people.dat"))
    outcomes = person_outcomes(evaluation, load_rule_pack())
    return evaluation, outcomes, _summary(evaluation.decisions, outcomes)


def test_counts_reconcile_with_the_decisions(run):
    evaluation, outcomes, s = run
    d = evaluation.decisions
    conv = s["convictions"]
    assert conv["evaluated"] == len(d) == 10
    for key in ("by_determination", "by_relief", "by_section", "by_track", "by_reason_code", "by_level"):
        assert sum(conv[key].values()) == len(d), key
    assert conv["by_determination"] == d["determination"].value_counts().to_dict()
    assert conv["by_reason_code"] == d["reason_code"].value_counts().to_dict()
    assert conv["felony"] + conv["not_felony"] + conv["unknown_level"] == len(d)
    assert conv["felony"] == (d["level"] == "felony").sum() == 3
    assert sum(sum(v.values()) for v in conv["by_section_and_relief"].values()) == len(d)
    assert conv["by_section_and_relief"]["11359"] == {"redesignate_misdemeanor": 1, "recall_and_resentence": 1}


def test_counts_by_hand(run):
    conv = run[2]["convictions"]
    # Six misdemeanor 11357s dismissed (person 7's, an offense at 11, on the juvenile track:
    # HS 11361.8(m)); person 10's goes to hand review, because an invalid date of birth cannot tell
    # whether the offense was committed under 18; person 1's 11359 reduced; person 9's 11359 (still
    # serving) recalled and resentenced; person 6's 11360 of 2018 is out of scope (conduct after
    # 9 November 2016: HS 11361.8(a), (e)), neither relieved nor challenged.
    assert conv["by_relief"] == {
        "dismiss_and_seal": 6,
        "redesignate_misdemeanor": 1,
        "redesignate_infraction": 0,
        "recall_and_resentence": 1,
        "none": 2,
    }
    assert conv["by_outcome"] == {"eligible": 8, "not_eligible": 0, "hand_review": 1, "out_of_scope": 1}
    assert conv["by_section"] == {"11357": 7, "11359": 2, "11360": 1}
    assert conv["by_level"] == {"felony": 3, "misdemeanor": 7, "infraction": 0, "unknown": 0}
    assert conv["by_reason_code"]["OUT_OF_SCOPE_AFTER_LINE"] == 1
    assert conv["by_reason_code"]["JUVENILE"] == 1
    assert conv["by_track"]["juvenile"] == 2  # persons 6 and 7: offenses at 17 and at 11
    assert conv["by_statutory_exclusion"]["after_line"] == 1
    assert conv["earliest_conviction_date"] == "2005-03-01"
    assert conv["latest_conviction_date"] == "2018-05-05"
    assert conv["unknown_conviction_dates"] == 0


def test_people_and_what_ifs(run):
    _, outcomes, s = run
    assert s["people"] == {"evaluated": 10, "had_felony": 4, "helped": 8}
    by_key = {row["key"]: row for row in s["scenarios"]}
    assert list(by_key) == ["policy", "dismiss_all", "dismiss_all_related"]
    for key, row in by_key.items():
        for measure in ("helped", "no_felony", "no_conviction", "no_conviction_7y"):
            assert row[measure] == int(outcomes[f"{key}_{measure}"].sum())
    # no conviction left: under the policy nobody (1 keeps a misdemeanor, 9 is resentenced);
    # dismissing all clears 1, 6 and 9; related charges in the same case also clear 2.
    assert [by_key[k]["no_conviction"] for k in by_key] == [0, 3, 4]


def test_demographics_add_up(run):
    _, outcomes, s = run
    for name, _column in (("race", "race"), ("sex", "gender"), ("age_band", "age_band")):
        rows = s["demographics"][name]
        assert sum(r["people"] for r in rows) == len(outcomes)
        assert sum(r["helped"] for r in rows) == s["people"]["helped"]
    race = {r["group"]: r for r in s["demographics"]["race"]}
    assert race["BLACK"] == {"group": "BLACK", "people": 2, "helped": 2}
    ages = [r["group"] for r in s["demographics"]["age_band"]]
    assert ages == [a for a in ("under 21", "21-29", "30-39", "40-49", "50-64", "65+", "unknown") if a in ages]


def test_processing_figures_and_file_facts(run):
    s = run[2]
    proc = s["processing"]
    assert proc["rows_read"] == 20 and proc["rows_used"] == 19 and proc["rows_skipped"] == 1
    assert proc["rows_per_second"] == 10.0  # 20 rows in 2 seconds
    assert proc["timings_seconds"] == TIMINGS
    assert set(proc["files"][0]) == {"file", "status", "sha256", "bytes", "rows_read", "rows_used", "rows_skipped"}
    assert s["data_issues"] == 3 and s["county"] == "SACRAMENTO" and s["evaluation_date"] == "2020-07-01"


def test_json_safe_and_free_of_personal_data(run):
    evaluation, _, s = run
    text = json.dumps(s)
    assert json.loads(text) == s
    for rows in people_rows().values():
        for row in rows:
            for value in (row[11], row[12], row[14]):  # CII_NUMBER, PRI_NAME, PRI_DOB
                assert value not in text
    for case in evaluation.decisions["case_numbers"]:
        assert case and case not in text
    assert "/secret/place" not in text and "row 3 broken" not in text


def test_shards_concatenated_give_the_same_summary(tmp_path, run):
    _, _, whole = run
    ids = list(people_rows())
    decisions, outcomes = [], []
    for n, chunk in enumerate((ids[:5], ids[5:])):
        ev = evaluate_file(write_doj(tmp_path / f"shard{n}.dat", chunk))
        decisions.append(ev.decisions)
        outcomes.append(person_outcomes(ev, load_rule_pack()))
    combined = _summary(pd.concat(decisions, ignore_index=True), pd.concat(outcomes, ignore_index=True))
    assert combined == whole


def test_works_from_a_result_table_read_back_from_parquet(tmp_path, run):
    evaluation, outcomes, whole = run
    table = evaluation.decisions.rename(columns={"number": "section"})[
        [
            "conviction_id",
            "person_id",
            "section",
            "level",
            "determination",
            "relief",
            "track",
            "reason_code",
            "reason",
            "conviction_date",
            "outcome",
            "statutory_exclusion",
        ]
    ].copy()
    table["relief"] = table["relief"].replace("", None)
    table.to_parquet(tmp_path / "convictions.parquet")
    outcomes.to_parquet(tmp_path / "people.parquet")
    again = _summary(pd.read_parquet(tmp_path / "convictions.parquet"), pd.read_parquet(tmp_path / "people.parquet"))
    assert again == whole


def test_rows_per_second_without_a_total(run):
    evaluation, outcomes, _ = run
    s = _summary(evaluation.decisions, outcomes, timings={"read": 1.5, "evaluate": 2.5, "rows_read": 20})
    assert s["processing"]["timings_seconds"] == {"read": 1.5, "evaluate": 2.5}
    assert s["processing"]["rows_per_second"] == 5.0  # 20 rows in 4 seconds


def test_empty_run(tmp_path):
    ev = evaluate_file(write_doj(tmp_path / "none.dat", ["8"]))
    s = _summary(ev.decisions, person_outcomes(ev, load_rule_pack()), timings={})
    assert s["convictions"]["evaluated"] == 0 and s["people"]["evaluated"] == 0
    assert s["convictions"]["earliest_conviction_date"] is None
    assert s["processing"]["rows_per_second"] is None
    json.dumps(s)
    assert "0" in render_summary_html(s)


def test_html_shows_the_numbers_and_loads_nothing(tmp_path, run):
    s = run[2]
    out = write_summary_html(s, tmp_path / "summary.html")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "SACRAMENTO" in html and s["policy"]["title"] in html
    assert "<svg" in html and html.count("<svg") >= 8
    for row in s["scenarios"]:
        assert row["label"] in html
    assert '<span class="big">10</span><span class="small">convictions evaluated</span>' in html
    for label, count in s["convictions"]["by_determination"].items():
        assert f'<tr><td>{label}</td><td class="n">{count}</td>' in html
    for key, count in s["convictions"]["by_relief"].items():
        assert f'<tr><td>{s["labels"]["relief"][key]}</td><td class="n">{count}</td>' in html
    assert (
        '<tr><td>Left with no conviction</td><td class="n">0</td><td class="n">3</td><td class="n">4</td></tr>' in html
    )
    assert '<tr><td>BLACK</td><td class="n">2</td><td class="n">2</td><td class="n">100%</td></tr>' in html
    for pattern in (r"<script", r"<link", r"<img", r"<iframe", r"@import", r"url\(", r"https?:", r"src\s*="):
        assert not re.search(pattern, html, re.IGNORECASE), pattern


def test_html_escapes_text(run):
    s = json.loads(json.dumps(run[2]))
    s["policy"]["title"] = "<script>alert(1)</script>"
    s["demographics"]["race"][0]["group"] = "<b>x</b>"
    html = render_summary_html(s)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html


def test_templates_folder_override_and_fallback(tmp_path, monkeypatch, run):
    s = run[2]
    custom = tmp_path / "county" / "report"
    custom.mkdir(parents=True)
    # The county's own summary page still uses the kit's chart partial, found by fallback.
    (custom / "summary.html.j2").write_text(
        '{% import "report/_charts.html.j2" as charts %}COUNTY PAGE {{ s.county }} {{ charts.hbar(view.relief, 1) }}'
    )
    html = render_summary_html(s, templates_dir=tmp_path / "county")
    assert html.startswith("COUNTY PAGE SACRAMENTO") and "<svg" in html
    monkeypatch.setenv("CLEARANCE_TEMPLATES", str(tmp_path / "county"))
    assert render_summary_html(s).startswith("COUNTY PAGE")
    monkeypatch.delenv("CLEARANCE_TEMPLATES")
    assert render_summary_html(s).startswith("<!DOCTYPE html>")
