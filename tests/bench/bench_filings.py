"""Benchmark of the filing set: the bulk set for 66,000 non-challenged convictions and 2,000 challenges.

Run with ``make bench-filings`` or ``.venv/bin/python tests/bench/bench_filings.py [--granted N]
[--challenged N] [--out DIR]``. It is a plain script, not a test: it prints what it measured.

What it measures, on a synthetic run (``tests/unit/sample_run.py``, invented data):
1. reading a 68,000-row reviewed workbook back (the review round trip);
2. planning (the decided table);
3. the bulk set in one task: notice, Attachment A (PDF, DOCX, CSV, XLSX), proposed order, the public
   defender's list, the CMS and DOJ exports. Goal: under 60 seconds;
4. per-person notices of challenge and per-case orders, in documents per second on one core
   (each notice or order is two documents: PDF and DOCX). Goal: 100 or more per second;
5. a baseline in the same run: Attachment A drawn with reportlab's general table layout (platypus)
   and written with python-docx, on a small slice, extrapolated linearly to the full size (the real
   cost grows faster than linearly, so the ratio is a lower bound of the speed-up).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit"))  # the sample run helper

from blueprint.documents import render_document, render_docx, render_pdf  # noqa: E402
from blueprint.filings import load_run, plan_document_batches, render_document_batch  # noqa: E402
from blueprint.filings.pipeline import (  # noqa: E402
    _challenge_notices,
    _granted_cases,
    _load_work,
    _render_case_orders,
    _render_challenge_notices,
    assemble_filings,
)
from blueprint.review.reader import read_review  # noqa: E402
from sample_run import write_sample_run  # noqa: E402

PROFILE = REPO / "templates" / "office-profile.example.yaml"


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.2f} s")
    return value, seconds


def baseline_attachment(rows, columns, out: Path) -> tuple[float, float]:
    """Attachment A the straightforward way: a platypus Table (PDF) and python-docx (DOCX)."""
    import docx
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    data = [[label for _, label in columns]] + [[str(r[k]) for k, _ in columns] for r in rows]
    start = time.perf_counter()
    table = Table(data, repeatRows=1)
    table.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 6), ("GRID", (0, 0), (-1, -1), 0.25, "black")]))
    SimpleDocTemplate(str(out / "baseline.pdf"), pagesize=landscape(letter)).build([table])
    pdf_seconds = time.perf_counter() - start

    start = time.perf_counter()
    document = docx.Document()
    t = document.add_table(rows=1, cols=len(columns))
    for cell, (_, label) in zip(t.rows[0].cells, columns):
        cell.text = label
    for r in rows:
        cells = t.add_row().cells
        for cell, (k, _) in zip(cells, columns):
            cell.text = str(r[k])
    document.save(out / "baseline.docx")
    return pdf_seconds, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--granted", type=int, default=66_000, help="non-challenged convictions")
    parser.add_argument("--challenged", type=int, default=2_000, help="challenged convictions")
    parser.add_argument("--orders", type=int, default=500, help="per-case orders to time")
    parser.add_argument("--baseline-rows", type=int, default=1_500, help="rows for the naive baseline")
    parser.add_argument("--out", type=Path, default=None, help="keep the outputs in this folder")
    args = parser.parse_args()

    root = args.out or Path(tempfile.mkdtemp(prefix="bench-filings-"))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    print(f"Filing benchmark: {args.granted:,} non-challenged and {args.challenged:,} challenged convictions ({root})")

    run_dir, _ = timed(
        "sample run + review workbook (set-up, not measured)",
        write_sample_run,
        root / "run",
        args.granted,
        args.challenged,
        0,
        seed=64,
    )
    run = load_run(run_dir)
    _, review_seconds = timed(
        f"read the reviewed workbook back ({len(run.convictions):,} rows)", read_review, run_dir / "review.xlsx", run
    )

    out = root / "filings"
    batches, plan_seconds = timed(
        "plan: check the review, build the decided table",
        plan_document_batches,
        run_dir,
        out,
        review=run_dir / "review.xlsx",
        profile=PROFILE,
        per_case=False,
    )
    bulk = next(b for b in batches if b["kind"] == "bulk")
    _, bulk_seconds = timed(
        "bulk set: notice, Attachment A (PDF/DOCX/CSV/XLSX), order, exports", render_document_batch, out, bulk
    )

    work = _load_work(out, None)
    people = _challenge_notices(work.decided)
    _, notice_seconds = timed(
        f"notices of challenge for {len(people):,} people (PDF + DOCX each)", _render_challenge_notices, work, people
    )
    cases = _granted_cases(work.decided)[: args.orders]
    _, order_seconds = timed(
        f"per-case orders for {len(cases):,} court cases (PDF + DOCX each)", _render_case_orders, work, cases
    )
    result, assemble_seconds = timed("assemble: filing summary, index with SHA-256", assemble_filings, out)

    # The same Attachment A rendered alone, for per-format figures.
    from blueprint.engine.policy import pack_reliefs
    from blueprint.filings.exports import with_export_columns
    from blueprint.filings.decided import granted

    g = with_export_columns(granted(work.decided), reliefs=pack_reliefs())
    context = work.context()
    doc = render_document("filings/attachment-a.xml.j2", context)
    pages, pdf_seconds = timed("  of which Attachment A as PDF", render_pdf, doc, root / "a.pdf", {"attachment_a": g})
    _, docx_seconds = timed("  of which Attachment A as DOCX", render_docx, doc, root / "a.docx", {"attachment_a": g})

    n = min(args.baseline_rows, len(g))
    columns = [(c.key, c.label) for c in doc.blocks[0].columns]
    rows = g.head(n).to_dict("records")
    ours_small_pdf = time.perf_counter()
    render_pdf(doc, root / "small.pdf", {"attachment_a": g.head(n)})
    ours_small_pdf = time.perf_counter() - ours_small_pdf
    ours_small_docx = time.perf_counter()
    render_docx(doc, root / "small.docx", {"attachment_a": g.head(n)})
    ours_small_docx = time.perf_counter() - ours_small_docx
    base_pdf, base_docx = baseline_attachment(rows, columns, root)
    scale = len(g) / n

    bulk_total = plan_seconds + bulk_seconds
    notices_per_second = len(people) / notice_seconds if notice_seconds else float("inf")
    orders_per_second = len(cases) / order_seconds if order_seconds else float("inf")
    print()
    print("Results")
    print(
        f"  files produced: {len(result.files):,}, {sum(f['bytes'] for f in result.files) / 1e6:,.1f} MB; Attachment A: {pages:,} pages"
    )
    print(
        f"  bulk set (plan + bulk task) for {len(g):,} convictions:   {bulk_total:6.1f} s   (goal < 60 s: {'met' if bulk_total < 60 else 'NOT met'})"
    )
    print(
        f"  whole filing set incl. review read and assembly:      {review_seconds + plan_seconds + bulk_seconds + notice_seconds + order_seconds + assemble_seconds:6.1f} s"
    )
    print(f"  Attachment A rows per second: PDF {len(g) / pdf_seconds:,.0f}, DOCX {len(g) / docx_seconds:,.0f}")
    print(
        f"  notices of challenge: {notices_per_second:,.0f} per second = {2 * notices_per_second:,.0f} documents per second on one core (goal >= 100)"
    )
    print(
        f"  per-case orders:      {orders_per_second:,.0f} per second = {2 * orders_per_second:,.0f} documents per second on one core"
    )
    print(
        f"  baseline on {n:,} rows: platypus PDF {base_pdf:.2f} s vs ours {ours_small_pdf:.2f} s ({base_pdf / ours_small_pdf:.0f}x); "
        f"python-docx {base_docx:.2f} s vs ours {ours_small_docx:.2f} s ({base_docx / ours_small_docx:.0f}x)"
    )
    print(
        f"  baseline extrapolated linearly to {len(g):,} rows: PDF {base_pdf * scale:,.0f} s (ours {pdf_seconds:.1f} s), "
        f"DOCX {base_docx * scale:,.0f} s (ours {docx_seconds:.1f} s)"
    )
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
