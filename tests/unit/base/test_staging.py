"""Moving a staged result into place: what is replaced, what is kept, what is never touched."""

from __future__ import annotations

import datetime as dt

from blueprint.base import staging
from blueprint.base.staging import Earlier, merge_into, sha256_of, staged_file, staged_folder

WHEN = dt.datetime(2026, 11, 21, 10, 15, 0)


def write(folder, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)


def test_a_new_target_is_the_staged_folder_renamed(tmp_path):
    target = tmp_path / "deep" / "run"
    with staged_folder(target) as stage:
        assert stage.parent == tmp_path and stage.name.startswith(".run.partial-")  # the nearest existing folder
        write(stage, {"a.csv": "new", "manifest.json": "{}"})
        merge_into(stage, target, marker="manifest.json")
    assert sorted(p.name for p in target.iterdir()) == ["a.csv", "manifest.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["deep"]


def test_a_failed_block_leaves_nothing(tmp_path):
    target = tmp_path / "run"
    try:
        with staged_folder(target) as stage:
            write(stage, {"a.csv": "half"})
            raise RuntimeError("disk full")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
    try:
        with staged_file(tmp_path / "doj.dat") as partial:
            partial.write_text("half")
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []


def test_merge_replaces_only_unchanged_files_of_the_earlier_result(tmp_path):
    target = tmp_path / "run"
    write(
        target,
        {
            "same.csv": "old",
            "gone.csv": "old",
            "edited.xlsx": "office's edit",
            "notes.docx": "office",
            "sub/old.pdf": "old",
            "manifest.json": "old",
        },
    )
    earlier = Earlier(
        {
            "same.csv": sha256_of(target / "same.csv"),
            "gone.csv": sha256_of(target / "gone.csv"),
            "edited.xlsx": "0" * 64,
            "sub/old.pdf": sha256_of(target / "sub/old.pdf"),
            "manifest.json": "",
        },
        label="run-1",
    )
    with staged_folder(target) as stage:
        write(stage, {"same.csv": "new", "edited.xlsx": "new", "notes.docx": "new", "manifest.json": "new"})
        report = merge_into(stage, target, marker="manifest.json", earlier=earlier, now=lambda: WHEN)
    assert (target / "same.csv").read_text() == "new"
    assert not (target / "gone.csv").exists() and not (target / "sub").exists()  # the earlier result's own files
    assert (target / "edited-run-1-20261121-101500.xlsx").read_text() == "office's edit"
    assert (target / "notes-run-1-20261121-101500.docx").read_text() == "office"  # never listed: the office's
    assert (target / "manifest.json").read_text() == "new"
    assert sorted(report.kept) == [
        ("edited.xlsx", "edited-run-1-20261121-101500.xlsx"),
        ("notes.docx", "notes-run-1-20261121-101500.docx"),
    ]
    assert sorted(report.removed) == ["gone.csv", "sub/old.pdf"]
    assert not list(tmp_path.glob(".run.partial-*"))


def test_files_without_a_recorded_checksum_are_kept_when_asked_and_kept_names_never_collide(tmp_path):
    target = tmp_path / "run"
    write(target, {"review.xlsx": "edited?", "review-run-1-20261121-101500.xlsx": "kept before", "table.csv": "old"})
    earlier = Earlier({"review.xlsx": "", "table.csv": ""}, label="run-1", keep_unknown=frozenset({"review.xlsx"}))
    with staged_folder(target) as stage:
        write(stage, {"review.xlsx": "new", "table.csv": "new", "manifest.json": "{}"})
        merge_into(stage, target, marker="manifest.json", earlier=earlier, now=lambda: WHEN)
    assert (target / "review-run-1-20261121-101500.xlsx").read_text() == "kept before"
    assert (target / "review-run-1-20261121-101500-2.xlsx").read_text() == "edited?"
    assert (target / "table.csv").read_text() == "new"  # unknown checksum, not protected: replaced


def test_an_interrupt_inside_the_final_moves_waits_for_their_end(tmp_path):
    from blueprint.base.errors import Interrupted

    target = tmp_path / "run"
    with staged_folder(target) as stage:
        write(stage, {"manifest.json": "{}"})
        try:
            with staging.critical_section():
                staging.hold("SIGTERM")  # what the command's signal handler does inside the section
                merge_into(stage, target, marker="manifest.json")
        except Interrupted as exc:
            assert exc.signal_name == "SIGTERM"
        else:
            raise AssertionError("the held interrupt was not raised")
    assert (target / "manifest.json").exists()
