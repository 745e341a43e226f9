"""The facts about each evaluated conviction that the policy's predicates read.

An *evaluated* conviction is a cannabis conviction (the rule pack's ``cannabis`` list) whose court is
in the run's county, or a conviction there whose own charge names a cannabis section the reader
could not resolve (``section_unresolved``: it is evaluated so that it goes to hand review, never
silently left out). Everything else on the person's record, in any county, is context: earlier
serious offenses, PC 290 registration, earlier convictions of the same section, the person's most
recent conviction, whether every conviction is a cannabis one, sentences still running.

Facts that depend on dates are kept as ranges (earliest, latest) so that predicates can answer
"true", "false" or "unknown" honestly (see ``blueprint.dates``). Nothing here knows the evaluation
date: that is a parameter of the predicates, never the wall clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .offenses import comment_mentions
from .records import Records, case_numbers
from .rulepack import RulePack

NAT = np.datetime64("NaT", "D")


def _three_valued_before(other_lo, other_hi, this_lo, this_hi) -> tuple[np.ndarray, np.ndarray]:
    """Is an *other* dated event strictly before *this* conviction? (definitely, possibly)."""
    unknown = np.isnat(other_lo) | np.isnat(this_lo)
    definitely = ~unknown & (other_hi < this_lo)
    definitely_not = ~unknown & (other_lo >= this_hi)
    possibly = ~definitely & ~definitely_not
    return definitely, possibly


def _prior_counts(candidates: pd.DataFrame, events: pd.DataFrame, same_key: str | None = None) -> pd.DataFrame:
    """Count, per candidate, the person's events definitely and possibly before the conviction.

    ``events`` has ``person_id``, ``lo``, ``hi`` (and optionally ``case_key``/``number``/``conviction_id``).
    When ``same_key`` is given, only events sharing that column's value are counted (same section).
    Events in the same court case as the conviction never count as "prior" (People v. Smit: a
    disqualifying offense must come before the cannabis offense, not with it), unless the rows of
    that court step disagree on the date (``step_dates_differ``, ``blueprint.contradictions``): the
    "case" may then be two, and an event of it that may be earlier counts as *possibly* prior.
    """
    cols = ["conviction_id", "person_id", "conv_lo", "conv_hi", "case_key", "step_dates_differ"] + (
        [same_key] if same_key else [])
    left = candidates[cols].reset_index(drop=True)
    if len(events) == 0 or len(left) == 0:
        return pd.DataFrame({"definite": np.zeros(len(left), int), "possible": np.zeros(len(left), int)},
                            index=candidates.index)
    on = ["person_id"] + ([same_key] if same_key else [])
    pairs = left.merge(events, on=on, how="inner", suffixes=("", "_event"))
    if "conviction_id_event" in pairs:
        pairs = pairs[pairs["conviction_id_event"] != pairs["conviction_id"]]
    doubtful = np.zeros(len(pairs), dtype=bool)
    if "case_key_event" in pairs:
        same = (pairs["case_key_event"] == pairs["case_key"]).to_numpy(dtype=bool)
        doubtful = same & pairs["step_dates_differ"].to_numpy(dtype=bool)
        pairs = pairs[~same | doubtful]
        doubtful = doubtful[~same | doubtful]
    definitely, possibly = _three_valued_before(
        pairs["lo"].to_numpy("datetime64[D]"), pairs["hi"].to_numpy("datetime64[D]"),
        pairs["conv_lo"].to_numpy("datetime64[D]"), pairs["conv_hi"].to_numpy("datetime64[D]"),
    )
    possibly = possibly | (definitely & doubtful)
    definitely = definitely & ~doubtful
    counts = pd.DataFrame({"conviction_id": pairs["conviction_id"].to_numpy(), "definite": definitely, "possible": possibly})
    agg = counts.groupby("conviction_id", sort=False)[["definite", "possible"]].sum()
    out = agg.reindex(left["conviction_id"]).fillna(0).astype(int)
    out.index = candidates.index
    return out


def build_facts(records: Records, pack: RulePack, county: str) -> pd.DataFrame:
    """One row per evaluated conviction with every fact a predicate or an output needs.

    The evaluated offenses are the rule pack's ``evaluated_list`` (HS 11357-11360 in California);
    ``super_strikes`` and ``pc290`` lists are optional, so a pack for another state may omit them.
    """
    conv = records.convictions
    people = records.people
    county = county.strip().upper()

    evaluated = pack.evaluated
    is_cannabis = conv[f"on_{pack.evaluated_list}"].to_numpy(dtype=bool)
    unresolved = _flag(conv, "section_unresolved")
    candidates = conv[(is_cannabis | unresolved) & (conv["county"].to_numpy() == county)].copy()

    # Same-case companions: some super strikes count only with a gang enhancement in the same case.
    super_strike = conv["on_super_strikes"].to_numpy(dtype=bool) if "on_super_strikes" in conv else np.zeros(len(conv), bool)
    pc290 = conv["on_pc290"].to_numpy(dtype=bool) if "on_pc290" in conv else np.zeros(len(conv), bool)

    def events(mask: np.ndarray, extra: list[str] | None = None) -> pd.DataFrame:
        cols = ["conviction_id", "person_id", "conv_lo", "conv_hi", "case_key"] + (extra or [])
        return conv.loc[mask, cols].rename(columns={"conv_lo": "lo", "conv_hi": "hi"})

    ss = _prior_counts(candidates, events(super_strike))
    candidates["prior_super_strike_definite"] = ss["definite"].to_numpy()
    candidates["prior_super_strike_possible"] = ss["possible"].to_numpy()

    p290 = _prior_counts(candidates, events(pc290))
    reg = records.registrations.assign(conviction_id="", case_key="")
    preg = _prior_counts(candidates, reg)
    candidates["prior_pc290_definite"] = p290["definite"].to_numpy() + preg["definite"].to_numpy()
    candidates["prior_pc290_possible"] = p290["possible"].to_numpy() + preg["possible"].to_numpy()

    # Earlier convictions of the same section: a line naming two evaluated sections (11357/11360 HS)
    # is a conviction of each; one whose section could not be read is possibly of the sections it
    # names, so it can only make the count "possibly" higher.
    same_events = events(is_cannabis, ["number"])
    two = is_cannabis & (_column(conv, "evaluated_sections", 0) == 2)
    if two.any():
        same_events = pd.concat([same_events, events(two, ["second_number"]).rename(columns={"second_number": "number"})],
                                ignore_index=True)
    same = _prior_counts(candidates, same_events, same_key="number")
    maybe = events(unresolved, ["named_sections"]) if unresolved.any() else None
    if maybe is not None:
        maybe = maybe.assign(number=maybe["named_sections"].str.split(", ")).explode("number")
        unsure = _prior_counts(candidates, maybe.drop(columns="named_sections"), same_key="number")
        possible_extra = unsure["definite"].to_numpy() + unsure["possible"].to_numpy()
    else:
        possible_extra = 0
    candidates["earlier_same_section_definite"] = same["definite"].to_numpy()
    candidates["earlier_same_section_possible"] = same["possible"].to_numpy() + possible_extra

    # Person-level context over every conviction on the record, any county. People are numbered
    # once; every per-person figure is then a numpy reduction over those numbers.
    by = _PersonNumbers(conv["person_id"].to_numpy(dtype=object), candidates.index.to_numpy())
    conv_lo = conv["conv_lo"].to_numpy("datetime64[D]")
    conv_hi = conv["conv_hi"].to_numpy("datetime64[D]")
    # A conviction whose cannabis section could not be resolved is of unknown section, not "another offense".
    readable = conv["section_readable"].to_numpy(dtype=bool) & ~unresolved
    candidates["person_last_conv_lo"] = by.latest(conv_lo)
    candidates["person_last_conv_hi"] = np.where(by.any(np.isnat(conv_lo)), NAT, by.latest(conv_hi))
    non_cannabis_known = by.any(~is_cannabis & readable)
    only = pd.array(~non_cannabis_known, dtype="boolean")
    only[~non_cannabis_known & by.any(~readable)] = pd.NA
    candidates["only_cannabis"] = only
    candidates["convictions_on_record"] = by.count(np.ones(len(conv), dtype=bool))
    candidates["cannabis_on_record"] = by.count(is_cannabis)
    number = conv["number"].to_numpy(dtype=object)
    second = _column(conv, "second_number", "")
    for section in evaluated.numbers:
        candidates[f"count_{section}"] = by.count(is_cannabis & ((number == section) | (two & (second == section))))

    # Sentence end of every conviction, for "all sentences complete" (person) and this conviction.
    days = conv["sentence_days"].to_numpy(dtype=float)
    whole = np.where(np.isnan(days), 0, np.ceil(days)).astype("timedelta64[D]")
    conv_end_lo = np.where(np.isnan(days), NAT, conv_lo + whole)
    conv_end_hi = np.where(np.isnan(days), NAT, conv_hi + whole)
    candidates["sentence_end_lo"] = conv_end_lo[candidates.index.to_numpy()] if len(candidates) else np.array([], "datetime64[D]")
    candidates["sentence_end_hi"] = conv_end_hi[candidates.index.to_numpy()] if len(candidates) else np.array([], "datetime64[D]")
    candidates["person_latest_end_lo"] = by.latest(conv_end_lo)
    candidates["person_latest_end_hi"] = np.where(by.any(np.isnat(conv_end_hi)), NAT, by.latest(conv_end_hi))

    # Person identity and flags.
    pid = candidates["person_id"]
    person_cols = ["cii_number", "name", "other_names", "gender", "race", "date_of_birth_recorded",
                   "dob_lo", "dob_hi", "dob_status", "deceased", "pc290_registration"]
    pinfo = people.reindex(pid)[person_cols]
    for c in person_cols:
        candidates[c] = pinfo[c].to_numpy()

    # Sections on the record that reviewers need to see.
    candidates["superstrike_sections"] = _sections_by_person(conv, super_strike).reindex(pid).fillna("").to_numpy()
    candidates["pc290_sections"] = _sections_by_person(conv, pc290).reindex(pid).fillna("").to_numpy()
    candidates["case_numbers"] = case_numbers(records.court_rows, candidates["case_key"]).to_numpy()
    candidates["possible_other_cannabis"] = _comment_hints(candidates, evaluated.numbers)
    for name in getattr(pack, "case_context_lists", ()):
        candidates[f"case_charge_{name}"] = _case_context(records.case_charges, candidates["case_key"], name)
    return candidates.reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str, default) -> np.ndarray:
    """A column as numpy, or ``default`` everywhere when the frame has no such column."""
    if name in frame:
        return frame[name].to_numpy()
    return np.full(len(frame), default)


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    return np.asarray(_column(frame, name, False), dtype=bool)


class _PersonNumbers:
    """Per-person reductions over every conviction, read back for the evaluated convictions.

    ``person_ids`` are the convictions' people; ``wanted`` the positions of the evaluated
    convictions among them. Each method reduces a per-conviction array by person and returns the
    value of each evaluated conviction's person.
    """

    def __init__(self, person_ids: np.ndarray, wanted: np.ndarray):
        self.numbers, people = pd.factorize(person_ids)
        self.people = len(people)
        self.wanted = self.numbers[wanted]

    def any(self, flag: np.ndarray) -> np.ndarray:
        return (np.bincount(self.numbers, weights=flag, minlength=self.people) > 0)[self.wanted]

    def count(self, flag: np.ndarray) -> np.ndarray:
        return np.bincount(self.numbers, weights=flag, minlength=self.people).astype(int)[self.wanted]

    def latest(self, days: np.ndarray) -> np.ndarray:
        """The latest known day per person (NaT when none is known), like a max that skips NaT."""
        out = np.full(self.people, np.iinfo(np.int64).min, dtype=np.int64)  # the bit pattern of NaT
        np.maximum.at(out, self.numbers, np.asarray(days, dtype="datetime64[D]").view(np.int64))
        return out.view("datetime64[D]")[self.wanted]


def _case_context(case_charges: pd.DataFrame | None, case_keys: pd.Series, name: str) -> pd.arrays.BooleanArray:
    """Three-valued: a charge of the conviction's court case (any disposition) is on list ``name``.

    Unknown when the case itself is unknown (an unreadable CNT_ORDER) or when no charge matched but
    some charge of the case has a section that cannot be read.
    """
    out = pd.array(np.full(len(case_keys), pd.NA), dtype="boolean")
    if case_charges is None or len(case_keys) == 0:
        return out
    found = case_charges.reindex(case_keys.to_numpy())
    known = found["unreadable"].notna().to_numpy(dtype=bool)
    hit = found[f"on_{name}"].fillna(False).to_numpy(dtype=bool)
    unreadable = found["unreadable"].fillna(True).to_numpy(dtype=bool)
    out[known & hit] = True
    out[known & ~hit & ~unreadable] = False
    return out


def _sections_by_person(conv: pd.DataFrame, mask: np.ndarray) -> pd.Series:
    sub = conv.loc[mask, ["person_id", "code_section"]].drop_duplicates()
    return sub.groupby("person_id", sort=False)["code_section"].agg(";".join)


def _comment_hints(candidates: pd.DataFrame, numbers: tuple[str, ...]) -> np.ndarray:
    """Evaluated sections mentioned in the comment other than the one convicted: for review.

    Comments repeat a great deal, so each distinct comment is searched once, and each distinct
    (mentioned sections, own section) pair is worded once.
    """
    comment_codes, comments = pd.factorize(candidates["comment"].to_numpy(dtype=object), use_na_sentinel=False)
    mentioned = comment_mentions(pd.Series(comments, dtype=object), list(numbers)).fillna("").to_numpy(dtype=object)
    own = candidates["number"].astype(str).to_numpy(dtype=object)
    pair_codes, pairs = pd.factorize(pd.MultiIndex.from_arrays([mentioned[comment_codes], own]))
    worded = []
    for m, n in pairs:
        others = [s.strip() for s in str(m).split(",") if s.strip() and s.strip() != n]
        worded.append(";".join(others))
    return np.array(worded, dtype=object)[pair_codes] if len(pair_codes) else np.array([], dtype=object)
