"""The statute's rules the workbook, the review check and the filings share (blueprint/engine/filing_rules.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from blueprint.engine.rulepack import load_rule_pack

from blueprint.engine import filing_rules as rules
from blueprint.filings import RunError, load_run
from filing_rows import conviction, write_hand_run


def test_the_recorded_outcome_is_used_and_a_table_without_it_is_refused_never_guessed():
    recorded = pd.DataFrame(
        {
            "outcome": ["out_of_scope", "eligible"],
            "relief": ["", "dismiss_and_seal"],
            "determination": ["Not eligible", "Eligible for Dismissal"],
        }
    )
    assert list(rules.outcomes(recorded)) == ["out_of_scope", "eligible"]  # never re-read from the label
    older = recorded.drop(columns=["outcome"])
    with pytest.raises(rules.OutcomeMissing, match="no 'outcome' column: it was written before runs recorded"):
        rules.outcomes(older)
    # A blank or unknown outcome is refused too, naming the value (the label beside it is not read).
    with pytest.raises(rules.OutcomeMissing, match=r"holds '', 'maybe'; each row must be one of eligible, "):
        rules.outcomes(recorded.assign(outcome=["", "maybe"]))


@pytest.mark.parametrize(
    "relief, track, recorded, expected",
    [
        ("recall_and_resentence", "currently serving", "HS 11361.8(b)", "HS 11361.8(b)"),  # 11361.8(a)-(b)
        ("dismiss_and_seal", "currently serving", "HS 11361.8(b)", "HS 11361.8(b)"),
        ("redesignate_misdemeanor", "completed sentence", "HS 11361.8(f)", "HS 11361.8(e)-(f)"),  # 11361.8(e)-(f)
        ("redesignate_infraction", "juvenile", "HS 11361.8(f)", "HS 11361.8(e)-(f), (m)"),  # 11361.8(m)
        ("recall_and_resentence", "unknown", "", "HS 11361.8(b)"),
        ("dismiss_and_seal", "unknown", "HS 11361.8 (track unknown)", "HS 11361.8 (track unknown)"),
        (
            "vacate_and_expunge",
            "completed sentence",
            "20 ILCS 2630/5.2(i)",
            "20 ILCS 2630/5.2(i)",
        ),  # another state's pack
    ],
)
def test_the_filed_basis_follows_the_track(relief, track, recorded, expected):
    # The bases are California's pack's words (pack.yaml filing_bases), as HS 11361.8 has them.
    bases = load_rule_pack("california/prop64").texts.filing_bases
    assert rules.filed_basis(relief, track, recorded, relief, bases) == expected


def test_a_pack_without_filing_bases_keeps_every_recorded_basis():
    assert load_rule_pack("illinois/crta").texts.filing_bases is None
    assert (
        rules.filed_basis("vacate_and_expunge", "currently serving", "20 ILCS 2630/5.2(i)", "", None)
        == "20 ILCS 2630/5.2(i)"
    )
    assert rules.basis_with_process("20 ILCS 2630/5.2(i)", None) == "20 ILCS 2630/5.2(i)"


def test_only_the_packs_own_bases_name_the_process_statute():
    # HS 11361.9 is the process that brings an HS 11361.8 basis to court; a county's other basis stands alone.
    bases = load_rule_pack("california/prop64").texts.filing_bases
    assert rules.basis_with_process("HS 11361.8(b)", bases) == "HS 11361.8(b) via HS 11361.9"
    assert rules.basis_with_process("PC 1203.4", bases) == "PC 1203.4"


def test_hs_11590_release_only_before_the_repeal():
    assert rules.hs11590_release_applies(dt.date(2019, 12, 31))
    assert not rules.hs11590_release_applies(dt.date(2020, 1, 1))


def test_public_safety_ground_only_for_a_person_still_serving():
    assert rules.public_safety_allowed("currently serving") and rules.public_safety_allowed(" Currently Serving ")
    for track in ("completed sentence", "juvenile", "unknown", ""):
        assert not rules.public_safety_allowed(track)


def _rewrite_table(frame_dir, drop: list[str]) -> None:
    """Drop columns from a run's table by hand, as a run folder written before them would be."""
    import json

    table = pd.read_parquet(frame_dir / "convictions.parquet").drop(columns=drop)
    table.to_parquet(frame_dir / "convictions.parquet", index=False)
    manifest = frame_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    data["output_sha256"].pop("convictions.parquet")  # the table was rewritten by hand
    manifest.write_text(json.dumps(data))


def test_a_run_folder_from_before_the_contract_columns_loads_with_them_empty(tmp_path):
    row = conviction("500001", outcome="not_eligible", determination="Not eligible", relief="", basis="")
    frame_dir = write_hand_run(tmp_path / "run", [row])
    _rewrite_table(frame_dir, list(rules.CONTRACT_COLUMNS))
    loaded = load_run(frame_dir).convictions
    assert loaded["outcome"].tolist() == ["not_eligible"]
    assert all(loaded[c].tolist() == [""] for c in rules.CONTRACT_COLUMNS)


def test_a_run_folder_from_before_the_outcome_column_is_refused_naming_its_file(tmp_path):
    row = conviction("500001", outcome="not_eligible", determination="Not eligible", relief="", basis="")
    frame_dir = write_hand_run(tmp_path / "run", [row])
    _rewrite_table(frame_dir, ["outcome"])
    with pytest.raises(RunError, match=r"run/convictions.parquet: the conviction table has no 'outcome' column"):
        load_run(frame_dir)
