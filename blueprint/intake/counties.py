"""Is the county asked for in the input at all? If not, say which counties are, and the closest.

A run evaluates the convictions recorded in one county (``STP_ORI_CNTY_NAME`` of the conviction's
row, upper case as DOJ writes it). A county name the input does not contain at all, usually a typing
slip (``SACRAMENT``) or a name written differently (``Los Angeles County``), would otherwise give an
empty result that looks like "nobody is eligible". So the run stops before evaluating, lists the
counties the input holds with their number of conviction rows, and suggests the closest name.

The check is one vectorised comparison over the rows already in memory; the listing is only built
when the county is missing.
"""

from __future__ import annotations

import difflib

import pyarrow as pa
import pyarrow.compute as pc

from ..base.errors import UsageError

COUNTY_COLUMN = "STP_ORI_CNTY_NAME"


class CountyNotFound(UsageError):
    """The input has no row in the county the run was asked to evaluate."""


def _normalised(values) -> pa.ChunkedArray | pa.Array:
    return pc.utf8_upper(pc.utf8_trim_whitespace(values))


def county_counts(rows: pa.Table) -> dict[str, int]:
    """Conviction rows per county (every county that appears in the rows, most convictions first)."""
    if rows.num_rows == 0 or COUNTY_COLUMN not in rows.column_names:
        return {}
    county = _normalised(rows[COUNTY_COLUMN])
    convicted = (
        pc.starts_with(_normalised(rows["DISP_DESCR"]), "CONVICTED")
        if "DISP_DESCR" in rows.column_names
        else pa.chunked_array([pa.array([False] * rows.num_rows)])
    )
    table = pa.table({"county": county, "convicted": pc.cast(convicted, pa.int64())})
    grouped = table.group_by("county").aggregate([("convicted", "sum")]).to_pydict()
    pairs = [(name, int(n)) for name, n in zip(grouped["county"], grouped["convicted_sum"]) if name]
    return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


def closest_county(county: str, names: list[str]) -> str | None:
    """The county name most like ``county`` (a typing slip, a missing word), or None."""
    county = county.strip().upper()
    match = difflib.get_close_matches(county, names, n=1, cutoff=0.6)
    if match:
        return match[0]
    starting = [name for name in names if name.startswith(county) or county.startswith(name)]
    return starting[0] if len(starting) == 1 else None


def check_county(rows: pa.Table, county: str) -> None:
    """Raise :class:`CountyNotFound` if no row of ``rows`` is recorded in ``county``."""
    county = county.strip().upper()
    if COUNTY_COLUMN not in rows.column_names:
        return
    column = rows[COUNTY_COLUMN]
    if rows.num_rows and (
        pc.any(pc.equal(column, county)).as_py() or pc.any(pc.equal(_normalised(column), county)).as_py()
    ):
        return
    counts = county_counts(rows)
    if not counts:
        raise CountyNotFound(
            f"--county {county}: the input has no rows with a county ({COUNTY_COLUMN} is empty "
            "everywhere), so nothing can be evaluated"
        )
    shown = list(counts.items())[:8]
    listing = ", ".join(f"{name} ({n:,} conviction{'s' if n != 1 else ''})" for name, n in shown)
    if len(counts) > len(shown):
        listing += f", and {len(counts) - len(shown)} more"
    guess = closest_county(county, list(counts))
    hint = f" Did you mean {guess}?" if guess else ""
    raise CountyNotFound(
        f"--county {county}: no row of the input is in this county ({COUNTY_COLUMN}); the input has: {listing}.{hint}"
    )


__all__ = ["CountyNotFound", "check_county", "closest_county", "county_counts"]
