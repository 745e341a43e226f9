"""Handlers that run the engine and the filings (validate, split, evaluate, combine, apply review,
render, assemble) on a small synthetic DOJ file, against moto S3."""

import hashlib
import io

import pandas as pd
import pytest
import yaml
from moto import mock_aws
from openpyxl import load_workbook

from blueprint.synthetic.doj_file import generate
from functions import assemble, combine, engine_steps, evaluate, plan_documents, render_batch, split, validate
from tests.e2e.aws_support import NAMES, REPO_ROOT, FakeContext, MockedCounty, base_environment

RUN_ID = "20260301-0123456789ab"
RUN = {
    "run_id": RUN_ID,
    "county": "SACRAMENTO",
    "policy": "california",
    "evaluation_date": "2026-03-01",
    "compat": False,
}
KEY = "incoming/DOJ research file.dat"


@pytest.fixture(scope="module")
def doj_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("doj") / "doj.dat"
    stats = generate(path, rows=800, county="SACRAMENTO", seed=11)
    return path.read_bytes(), stats


@pytest.fixture(scope="module")
def office_profile(tmp_path_factory):
    profile = yaml.safe_load((REPO_ROOT / "templates" / "office-profile.example.yaml").read_text())
    profile["county"] = "SACRAMENTO"
    path = tmp_path_factory.mktemp("profile") / "office-profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


@pytest.fixture
def county(monkeypatch, tmp_path, office_profile):
    with mock_aws():
        for key, value in base_environment(OFFICE_PROFILE=str(office_profile)).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("CLEARANCE_SCRATCH", str(tmp_path))
        mocked = MockedCounty()
        monkeypatch.setenv("TOPIC_ARN", mocked.topic_arn)
        yield mocked


def source_of(event):
    obj = event["Records"][0]["s3"]["object"]
    return {"bucket": NAMES["UPLOAD_BUCKET"], "key": KEY, "version_id": obj["versionId"], "size": obj["size"]}


def step_event(**parts):
    return {"run": RUN, "options": {"rows_per_shard": 300, "per_case_documents": False}, **parts}


def test_validate_fingerprints_exactly_the_uploaded_version(county, doj_file, tmp_path):
    content, _ = doj_file
    first = county.upload(KEY, content)
    county.upload(KEY, b"\x00\x01 not a DOJ file any more")  # a newer version must not be read
    result = validate.handler(step_event(source=source_of(first)), FakeContext())
    assert result == {
        "files": [{"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content), "has_header": True}],
        "bytes": len(content),
    }
    assert list(tmp_path.iterdir()) == []  # the workspace is removed after the invocation


def test_validate_rejects_a_corrupt_file_with_a_data_issues_report(county):
    event = county.upload(KEY, b"%PDF-1.4\n\x00\x01\x02 binary, not comma separated\n" * 20)
    # An expected outcome, returned (not raised) so that Lambda's error alarms stay quiet.
    result = validate.handler(step_event(source=source_of(event)), FakeContext())
    assert result["rejected"]["Error"] == "InputRejected"
    assert "DOJ research file.dat" not in result["rejected"]["Cause"]  # Step Functions records this text
    report = pd.read_csv(
        io.BytesIO(
            county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/data_issues.csv")["Body"].read()
        )
    )
    assert list(report["code"]) == ["FILE_REJECTED"]
    assert list(report["file"]) == ["DOJ research file.dat"] and report["problem"].iloc[0]


def test_validate_refuses_an_upload_larger_than_its_disk(county, monkeypatch, doj_file):
    event = county.upload(KEY, doj_file[0])
    source = {**source_of(event), "size": 50 * 2**40}  # 50 TiB
    result = validate.handler(step_event(source=source), FakeContext())
    assert result["rejected"]["Error"] == "InputTooLarge"


def test_validate_and_split_agree_on_the_largest_upload(county, monkeypatch, doj_file, tmp_path):
    """validate refuses, with a data-issues report, exactly the uploads larger than MAX_INPUT_BYTES,
    the size split can hold next to its shards (functions/limits.py)."""
    from functions.limits import SHARD_SPACE_FACTOR

    content = doj_file[0]
    source = source_of(county.upload(KEY, content))
    monkeypatch.setenv("MAX_INPUT_BYTES", str(len(content) - 1))
    refused = validate.handler(step_event(source=source), FakeContext())
    assert refused["rejected"]["Error"] == "InputTooLarge"
    assert f"{len(content):,}" in refused["rejected"]["Cause"] and "DOJ research" not in refused["rejected"]["Cause"]
    report = pd.read_csv(
        io.BytesIO(
            county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/data_issues.csv")["Body"].read()
        )
    )
    assert list(report["code"]) == ["FILE_REJECTED"] and "at most" in report["problem"].iloc[0]
    monkeypatch.setenv("MAX_INPUT_BYTES", str(len(content)))
    accepted = validate.handler(step_event(source=source), FakeContext())
    assert "rejected" not in accepted
    # split holds what validate accepts: the largest upload and its shards fit split's /tmp
    from cdk.processing import SPLIT
    from functions.limits import TMP_RESERVE_BYTES, largest_input

    limit = largest_input(SPLIT.ephemeral_mb)
    assert limit * SHARD_SPACE_FACTOR + TMP_RESERVE_BYTES <= SPLIT.ephemeral_mb * 2**20


def run_engine_steps(county, content):
    """validate -> split -> evaluate (each shard) -> combine, as the state machine runs them."""
    source = source_of(county.upload(KEY, content))
    checked = validate.handler(step_event(source=source), FakeContext())
    shards = split.handler(step_event(source=source, input=checked), FakeContext())
    items = county.result_json(shards["items_key"])
    evaluated = [evaluate.handler(step_event(shard=item), FakeContext()) for item in items]
    combined = combine.handler(step_event(split=shards), FakeContext())
    return shards, items, evaluated, combined


def test_split_evaluate_and_combine_publish_the_review_outputs(county, doj_file):
    content, stats = doj_file
    shards, items, evaluated, combined = run_engine_steps(county, content)

    assert shards["rows_read"] == stats.rows and shards["shard_count"] == len(items) > 1
    assert shards["items_key"] == f"work/{RUN_ID}/shards.json"
    assert all(item["file_names"] == ["DOJ research file.dat"] for item in items)
    assert all(e["rows"] > 0 for e in evaluated)
    assert sum(e["convictions_evaluated"] for e in evaluated) == combined["counts"]["convictions_evaluated"]
    assert combined["counts"]["convictions_evaluated"] == stats.cannabis_convictions_in_county
    assert combined["balanced"] is True
    published = county.result_keys(f"runs/{RUN_ID}/")
    for name in (
        "review.xlsx",
        "convictions.csv",
        "convictions.parquet",
        "summary.json",
        "summary.html",
        "data_issues.csv",
        "manifest.json",
    ):
        assert f"runs/{RUN_ID}/{name}" in published
    manifest = county.result_json(f"runs/{RUN_ID}/manifest.json")
    assert manifest["run_id"] == RUN_ID and manifest["county"] == "SACRAMENTO"
    assert manifest["reconciliation"]["rows_read"] == stats.rows
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(content).hexdigest()
    assert not any(k.startswith(f"runs/{RUN_ID}/STATUS") for k in published)  # "review ready" is notify's call


def test_a_delivery_of_two_files_is_evaluated_as_one_input(county, doj_file):
    # The same synthetic extract cut in two at a line boundary inside someone's record: the two
    # halves, delivered as one folder, must give exactly the decisions of the whole file.
    content, stats = doj_file
    lines = content.splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    cut = len(body) // 2
    parts = {"incoming/d/part-a.dat": header + b"".join(body[:cut]), "incoming/d/part-b.dat": b"".join(body[cut:])}
    files = []
    for key, data in parts.items():
        put = county.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=key, Body=data)
        files.append({"key": key, "version_id": put["VersionId"], "size": len(data)})
    source = {
        "bucket": NAMES["UPLOAD_BUCKET"],
        "key": "incoming/d/READY",
        "version_id": "m1",
        "size": len(content),
        "files": files,
    }
    checked = validate.handler(step_event(source=source), FakeContext())
    assert [f["bytes"] for f in checked["files"]] == [len(d) for d in parts.values()]
    shards = split.handler(step_event(source=source, input=checked), FakeContext())
    items = county.result_json(shards["items_key"])
    assert all(item["file_names"] == ["part-a.dat", "part-b.dat"] for item in items)
    for item in items:
        evaluate.handler(step_event(shard=item), FakeContext())
    combined = combine.handler(step_event(split=shards), FakeContext())
    assert shards["rows_read"] == stats.rows
    assert combined["counts"]["convictions_evaluated"] == stats.cannabis_convictions_in_county
    manifest = county.result_json(f"runs/{RUN_ID}/manifest.json")
    assert [f["file"] for f in manifest["inputs"]] == ["part-a.dat", "part-b.dat"]
    assert manifest["reconciliation"]["balanced"] is True


def test_validate_rejects_an_empty_delivery(county):
    source = {"bucket": NAMES["UPLOAD_BUCKET"], "key": "incoming/d/READY", "version_id": "m1", "size": 0, "files": []}
    assert validate.handler(step_event(source=source), FakeContext())["rejected"]["Error"] == "InputRejected"
    report = pd.read_csv(
        io.BytesIO(
            county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/data_issues.csv")["Body"].read()
        )
    )
    assert list(report["code"]) == ["FILE_REJECTED"] and "no file" in report["problem"].iloc[0]


def test_split_rejects_a_file_with_no_readable_row_and_publishes_why(county):
    # "Validate input" runs first and would already stop this file; split still guards itself.
    from blueprint.intake.columns import DOJ_COLUMNS

    source = source_of(county.upload(KEY, (",".join(DOJ_COLUMNS) + "\r\n").encode()))
    result = split.handler(step_event(source=source, input={}), FakeContext())
    assert result["rejected"]["Error"] == engine_steps.InputRejected.__name__
    report = pd.read_csv(
        io.BytesIO(
            county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/data_issues.csv")["Body"].read()
        )
    )
    assert list(report["code"]) == ["FILE_REJECTED"] and "empty" in report["problem"].iloc[0]
    assert county.result_keys(f"work/{RUN_ID}/shards.json") == []


def review_event(county, key, body):
    put = county.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=key, Body=body)
    return {"bucket": NAMES["UPLOAD_BUCKET"], "key": key, "version_id": put["VersionId"], "approve_all": False}


def test_apply_review_render_and_assemble_publish_the_filing_set(county, doj_file):
    run_engine_steps(county, doj_file[0])
    review = {
        "bucket": NAMES["UPLOAD_BUCKET"],
        "key": f"reviews/{RUN_ID}/APPROVE_ALL",
        "version_id": None,
        "approve_all": True,
    }
    plan = plan_documents.handler(step_event(review=review), FakeContext())
    batches = county.result_json(plan["items_key"])
    assert plan["batches"] == len(batches) and batches[0] == {"kind": "bulk", "id": "bulk"}
    rendered = [render_batch.handler(step_event(batch=batch), FakeContext()) for batch in batches]
    assert rendered[0]["documents"] >= 3  # notice, attachment A, proposed order
    filings = assemble.handler(step_event(plan=plan, review=review), FakeContext())
    keys = county.result_keys(f"runs/{RUN_ID}/filings/")
    assert filings["files"] + 2 == len(keys)  # every indexed file, plus index.json and SHA256SUMS
    index = county.result_json(f"runs/{RUN_ID}/filings/index.json")
    assert {f"runs/{RUN_ID}/filings/{f['path']}" for f in index["files"]} | {
        f"runs/{RUN_ID}/filings/index.json",
        f"runs/{RUN_ID}/filings/SHA256SUMS",
    } == set(keys)
    for entry in index["files"][:5]:
        body = county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/filings/{entry['path']}")[
            "Body"
        ].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert filings["counts"]["evaluated_convictions"] == doj_file[1].cannabis_convictions_in_county


def test_a_workbook_from_another_run_is_not_accepted_and_its_problems_are_published(county, doj_file):
    run_engine_steps(county, doj_file[0])
    workbook = county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/review.xlsx")["Body"].read()
    book = load_workbook(io.BytesIO(workbook))
    run_sheet = book["Run"]
    for row in run_sheet.iter_rows():
        if row[0].value == "run_id":
            row[1].value = "20990101-ffffffffffff"
    edited = io.BytesIO()
    book.save(edited)
    review = review_event(county, f"reviews/{RUN_ID}/review.xlsx", edited.getvalue())
    result = plan_documents.handler(step_event(review=review), FakeContext())
    assert result["rejected"]["Error"] == plan_documents.ReviewRejected.__name__
    assert "problem(s)" in result["rejected"]["Cause"] and "20990101" not in result["rejected"]["Cause"]
    problems = pd.read_csv(
        io.BytesIO(
            county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/review-problems.csv")[
                "Body"
            ].read()
        )
    )
    assert list(problems.columns) == ["sheet", "row", "column", "problem"]
    assert "Run" in set(problems["sheet"])
    assert county.result_keys(f"work/{RUN_ID}/batches.json") == []  # nothing planned
