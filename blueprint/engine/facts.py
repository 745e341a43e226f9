"""The facts about each evaluated conviction that the policy's predicates read.

An *evaluated* conviction is a cannabis conviction (the rule pack's ``cannabis`` list) whose court is
in the run's county, or a conviction there whose own charge names a cannabis section the reader
could not resolve (``section_unresolved``: it is evaluated so that it goes to hand review, never
silently left out). Everything else on the person's record, in any county, is context: earlier
serious offenses, PC 290 registration, earlier convictions of the same section, the person's most
recent conviction, whether every conviction is a cannabis one, sentences still running.

Facts that depend on dates are kept as ranges (earliest, latest) so that predicates can answer
"true", "false" or "unknown" honestly (see ``blueprint.engine.dates``). Nothing here knows the evaluation
date: that is a parameter of the predicates, never the wall clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import current_law, dates, priors
from . import fact_names as F
from .current_law import CurrentLaw
from .offenses import comment_mentions
from .records import Records, case_numbers, court_case_keys
from .rulepack import RulePack

NAT = np.datetime64("NaT", "D")


def build_facts(records: Records, pack: RulePack, county: str) -> pd.DataFrame:
    """One row per evaluated conviction with every fact a predicate or an output needs.

    The evaluated offenses are the rule pack's ``evaluated_list`` (HS 11357-11360 in California);
    ``super_strikes`` and ``pc290`` lists are optional, so a pack for another state may omit them.
    """
    return build_facts_and_priors(records, pack, county)[0]


def build_facts_and_priors(records: Records, pack: RulePack, county: str) -> tuple[pd.DataFrame, "PriorIndex"]:
    """:func:`build_facts`, and the priors of every evaluated conviction (:class:`PriorIndex`), so that
    the few decisions that name a prior can name it without the others paying for it."""
    conv = records.convictions
    people = records.people
    county = county.strip().upper()

    evaluated = pack.evaluated
    is_cannabis = conv[f"on_{pack.evaluated_list}"].to_numpy(dtype=bool)
    unresolved = _flag(conv, "section_unresolved")
    offense_dates(conv)
    candidates = conv[(is_cannabis | unresolved) & (conv["county"].to_numpy() == county)].copy()
    candidates["on_evaluated_list"] = is_cannabis[candidates.index.to_numpy()]

    law = pack.current_law
    # The age at the offense matters for the evaluated convictions and for the cannabis priors
    # (two-priors rule): computed for those only.
    needed = is_cannabis | unresolved
    minor = np.full(len(conv), pd.NA, dtype=object)
    columns = [c for c in ("person_id", "offense_lo", "offense_hi", "cycle_age") if c in conv]
    minor[needed] = under_18_at_offense(conv.loc[needed, columns], people)
    candidates[F.JUVENILE] = pd.array(minor[candidates.index.to_numpy()], dtype="boolean")
    prior_index = _prior_facts(candidates, records, law, minor, is_cannabis)
    if law is not None:
        _current_law_facts(candidates, records, law)
    super_strike = _flag(conv, "on_super_strikes")
    pc290 = _flag(conv, "on_pc290")
    two = is_cannabis & (_column(conv, "evaluated_sections", 0) == 2)

    # Person-level context over every conviction on the record, any county. People are numbered
    # once; every per-person figure is then a numpy reduction over those numbers.
    by = _PersonNumbers(conv["person_id"].to_numpy(dtype=object), candidates.index.to_numpy())
    conv_lo = conv["conv_lo"].to_numpy("datetime64[D]")
    conv_hi = conv["conv_hi"].to_numpy("datetime64[D]")
    # A conviction whose cannabis section could not be resolved is of unknown section, not "another offense".
    readable = conv["section_readable"].to_numpy(dtype=bool) & ~unresolved
    candidates[F.PERSON_LAST_CONV_LO] = by.latest(conv_lo)
    candidates[F.PERSON_LAST_CONV_HI] = np.where(by.any(np.isnat(conv_lo)), NAT, by.latest(conv_hi))
    non_cannabis_known = by.any(~is_cannabis & readable)
    only = pd.array(~non_cannabis_known, dtype="boolean")
    only[~non_cannabis_known & by.any(~readable)] = pd.NA
    candidates[F.ONLY_CANNABIS] = only
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
    candidates[F.SENTENCE_END_LO] = (
        conv_end_lo[candidates.index.to_numpy()] if len(candidates) else np.array([], "datetime64[D]")
    )
    candidates[F.SENTENCE_END_HI] = (
        conv_end_hi[candidates.index.to_numpy()] if len(candidates) else np.array([], "datetime64[D]")
    )
    candidates[F.PERSON_LATEST_END_LO] = by.latest(conv_end_lo)
    candidates[F.PERSON_LATEST_END_HI] = np.where(by.any(np.isnat(conv_end_hi)), NAT, by.latest(conv_end_hi))

    # Person identity and flags.
    pid = candidates["person_id"]
    person_cols = [
        "cii_number",
        "name",
        "other_names",
        "gender",
        "race",
        "date_of_birth_recorded",
        "dob_lo",
        "dob_hi",
        "dob_status",
        "deceased",
        "pc290_registration",
    ]
    pinfo = people.reindex(pid)[person_cols]
    for c in person_cols:
        candidates[c] = pinfo[c].to_numpy()

    # Sections on the record that reviewers need to see.
    candidates["superstrike_sections"] = _sections_by_person(conv, super_strike).reindex(pid).fillna("").to_numpy()
    candidates["pc290_sections"] = _sections_by_person(conv, pc290).reindex(pid).fillna("").to_numpy()
    court_keys = court_case_keys(records.court_rows) if records.court_rows.num_rows else None
    prior_index.court_keys = court_keys
    candidates["case_numbers"] = case_numbers(records.court_rows, candidates["case_key"], court_keys).to_numpy()
    candidates["possible_other_cannabis"] = _comment_hints(candidates, evaluated.numbers)
    for name in getattr(pack, "case_context_lists", ()):
        candidates[F.case_charge(name)] = _case_context(records.case_charges, candidates["case_key"], name)
    return candidates.reset_index(drop=True), prior_index


def offense_dates(conv: pd.DataFrame) -> None:
    """Add each conviction's offense date range, ``offense_lo``/``offense_hi``, from its arrest.

    The arrest (cycle) date is the evidence of the offense date; the offense cannot come after the
    conviction, so the conviction date caps it. With no usable arrest date the range is open below
    (``offense_lo`` NaT) and ends at the conviction date.
    """
    arrest_lo = conv["arrest_lo"].to_numpy("datetime64[D]") if "arrest_lo" in conv else np.full(len(conv), NAT)
    arrest_hi = conv["arrest_hi"].to_numpy("datetime64[D]") if "arrest_hi" in conv else np.full(len(conv), NAT)
    conv_hi = conv["conv_hi"].to_numpy("datetime64[D]")
    hi = np.where(np.isnat(arrest_hi), conv_hi, np.where(np.isnat(conv_hi), arrest_hi, np.minimum(arrest_hi, conv_hi)))
    conv[F.OFFENSE_LO] = arrest_lo
    conv[F.OFFENSE_HI] = hi


#: The age under which an offense follows the juvenile track (HS 11361.8(m)).
JUVENILE_AGE = 18


def under_18_at_offense(conv: pd.DataFrame, people: pd.DataFrame) -> np.ndarray:
    """Per conviction, three-valued: was the offense committed under 18? (True, False or pd.NA)

    From the date of birth and the offense date range (the arrest): True when even the oldest
    possible age is under 18, False when even the youngest is 18 or more. When the two dates cannot
    decide (an unknown or partial date of birth, an unknown arrest date), the cycle's age as DOJ
    recorded it (``CYC_AGE``, the age at the arrest) decides if it is a plain number.
    """
    n = len(conv)
    out = np.full(n, pd.NA, dtype=object)
    if n == 0:
        return out
    at = people.index.get_indexer(conv["person_id"].to_numpy(dtype=object))
    found = at >= 0
    dob_lo = np.where(found, people["dob_lo"].to_numpy("datetime64[D]")[np.maximum(at, 0)], NAT)
    dob_hi = np.where(found, people["dob_hi"].to_numpy("datetime64[D]")[np.maximum(at, 0)], NAT)
    youngest = dates.years_between(dob_hi, conv["offense_lo"].to_numpy("datetime64[D]"))
    oldest = dates.years_between(dob_lo, conv["offense_hi"].to_numpy("datetime64[D]"))
    yes = ~np.isnan(oldest) & (oldest < JUVENILE_AGE)
    no = ~np.isnan(youngest) & (youngest >= JUVENILE_AGE)
    out[yes] = True
    out[no] = False
    if "cycle_age" in conv:
        text = conv["cycle_age"].astype(str).str.strip()
        plain = text.str.fullmatch(r"\d{1,3}").to_numpy(dtype=bool)
        age = np.where(plain, pd.to_numeric(text.where(plain, "0")).to_numpy(), -1)
        open_ = ~yes & ~no & plain & (age <= 120)
        out[open_ & (age < JUVENILE_AGE)] = True
        out[open_ & (age >= JUVENILE_AGE)] = False
    return out


def _events(conv: pd.DataFrame, mask: np.ndarray, cls: np.ndarray | int, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The convictions where ``mask`` holds, as prior events (``lo``/``hi`` = the conviction date;
    ``row``: the conviction's position, where its section and court are read when it is named)."""
    cols = ["conviction_id", "person_id", "conv_lo", "conv_hi", "case_key", *extra]
    frame = conv.loc[mask, cols].rename(columns={"conv_lo": "lo", "conv_hi": "hi"})
    frame["row"] = np.flatnonzero(mask)
    frame["cls"] = np.asarray(cls, dtype=np.int8)[mask] if np.ndim(cls) else np.int8(cls)
    return frame


def _prior_facts(
    candidates: pd.DataFrame, records: Records, law: CurrentLaw | None, minor: np.ndarray, is_cannabis: np.ndarray
) -> PriorIndex:
    """Count each evaluated conviction's priors, by kind, as of its offense and as of its conviction.

    Columns (definite and possible counts): ``prior_super_strike_*``, ``prior_pc290_*`` and
    ``prior_registration_*`` (before the offense; convictions only, a registration apart);
    ``counted_priors_*`` (the two-priors rule of the section, weighed under current law); and the
    earlier tools' readings, before the conviction: ``ss_before_conviction_*``,
    ``pc290_or_registration_before_conviction_*``, ``earlier_same_section_*``. And, for the
    evaluated convictions that have some, the priors themselves (``prior_detail_<kind>_<basis>``,
    see ``blueprint.engine.priors.details``).
    """
    conv = records.convictions
    n = len(candidates)
    ss_on = _flag(conv, "on_super_strikes")
    ss_maybe = _flag(conv, "maybe_super_strikes")
    p290_on = _flag(conv, "on_pc290")
    p290_maybe = _flag(conv, "maybe_pc290")
    # A section the record gives without the subdivision one list needs is decided by the other list
    # where that list decides it: a bare 261 PC is a PC 290(c) offense whatever its paragraph.
    ss_maybe = ss_maybe & ~p290_on
    p290_maybe = p290_maybe & ~ss_on
    kinds: dict[str, tuple[priors.Pairs, pd.DataFrame]] = {}

    ss_events = _events(conv, ss_on | ss_maybe, np.where(ss_on, priors.YES, priors.MAYBE))
    kinds["super_strike"] = (priors.pairs(candidates, ss_events), ss_events)
    p290_events = _events(conv, p290_on | p290_maybe, np.where(p290_on, priors.YES, priors.MAYBE))
    kinds["pc290"] = (priors.pairs(candidates, p290_events), p290_events)
    reg = records.registrations
    reg_events = pd.DataFrame(
        {
            "conviction_id": "",
            "person_id": reg["person_id"].to_numpy(dtype=object),
            "lo": reg["lo"].to_numpy("datetime64[D]"),
            "hi": reg["hi"].to_numpy("datetime64[D]"),
            "case_key": "",
            "section": reg.get("section", pd.Series("290 PC", index=reg.index)).to_numpy(dtype=object),
            "court": reg.get("court", pd.Series("", index=reg.index)).to_numpy(dtype=object),
            "cls": np.int8(priors.YES),
        }
    )
    kinds["registration"] = (priors.pairs(candidates, reg_events), reg_events)

    # Convictions of the same cannabis section: a line naming two evaluated sections (11357/11360 HS)
    # is a conviction of each; one whose section could not be read is possibly of the sections it
    # names. ``cls`` is the earlier tools' reading (any subdivision counts); ``law_cls`` the
    # two-priors rule's, weighed under current law (blueprint.engine.current_law).
    unresolved = _flag(conv, "section_unresolved")
    law_cls = _two_priors_classes(conv, law, minor, "number", "subsection", is_cannabis)
    same = _events(conv, is_cannabis, priors.YES, ("number",))
    same["law_cls"] = law_cls[is_cannabis]
    parts = [same]
    two = is_cannabis & (_column(conv, "evaluated_sections", 0) == 2)
    if two.any():
        second_cls = _two_priors_classes(conv, law, minor, "second_number", "second_subsection", two)
        extra = _events(conv, two, priors.YES, ("second_number",)).drop(columns="number", errors="ignore")
        extra = extra.rename(columns={"second_number": "number"})
        extra["law_cls"] = second_cls[two]
        parts.append(extra)
    if unresolved.any():
        maybe = _events(conv, unresolved, priors.MAYBE, ("named_sections",))
        maybe = (
            maybe.assign(number=maybe["named_sections"].str.split(", "))
            .explode("number")
            .drop(columns="named_sections")
        )
        maybe["law_cls"] = np.int8(priors.MAYBE)
        parts.append(maybe)
    same_events = pd.concat(parts, ignore_index=True) if len(parts) > 1 else same
    kinds["same_section"] = (priors.pairs(candidates, same_events, same_key="number"), same_events)
    law_pairs = priors.Pairs(
        *(getattr(kinds["same_section"][0], f) for f in ("cand", "event", "offense", "conviction")),  # type: ignore[call-arg]  # four fields
        same_events["law_cls"].to_numpy(dtype=np.int8)[kinds["same_section"][0].event],
        n,
    )
    kinds["two_priors"] = (law_pairs, same_events)

    def put(name: str, counts: tuple[np.ndarray, np.ndarray]) -> None:
        candidates[F.definite(name)], candidates[F.possible(name)] = counts

    put(F.PRIOR_SUPER_STRIKE, kinds["super_strike"][0].counts("offense"))
    put(F.PRIOR_PC290, kinds["pc290"][0].counts("offense"))
    put(F.PRIOR_REGISTRATION, kinds["registration"][0].counts("offense"))
    put(F.COUNTED_PRIORS, kinds["two_priors"][0].counts("offense"))
    strict = {k: _strict(kinds[k][0]) for k in ("super_strike", "pc290", "same_section")}
    put(F.SS_BEFORE_CONVICTION, strict["super_strike"].counts("conviction"))
    p_def, p_pos = strict["pc290"].counts("conviction")
    r_def, r_pos = kinds["registration"][0].counts("conviction")
    put(F.PC290_OR_REGISTRATION_BEFORE_CONVICTION, (p_def + r_def, p_pos + r_pos))
    put(F.EARLIER_SAME_SECTION, kinds["same_section"][0].counts("conviction"))

    return PriorIndex(
        records,
        {
            ("super_strike", "offense"): (kinds["super_strike"][0], kinds["super_strike"][1], 1),
            ("pc290", "offense"): (kinds["pc290"][0], kinds["pc290"][1], 1),
            ("registration", "offense"): (kinds["registration"][0], kinds["registration"][1], 1),
            ("two_priors", "offense"): (kinds["two_priors"][0], kinds["two_priors"][1], 2),
            ("super_strike", "conviction"): (strict["super_strike"], kinds["super_strike"][1], 1),
            ("pc290", "conviction"): (strict["pc290"], kinds["pc290"][1], 1),
            ("registration", "conviction"): (kinds["registration"][0], kinds["registration"][1], 1),
            ("two_priors", "conviction"): (kinds["same_section"][0], kinds["same_section"][1], 2),
        },
    )


class PriorIndex:
    """The pairs behind every evaluated conviction's prior counts, by (kind, basis), to name the
    priors of the few decisions that need them (``blueprint.engine.priors.details``): the kinds are
    ``super_strike``, ``pc290``, ``registration`` and ``two_priors``; the basis ``offense`` (the
    statute's reading) or ``conviction`` (the earlier tools')."""

    def __init__(self, records: Records, kinds: dict):
        self.records = records
        self.kinds = kinds
        self._numbers: dict[str, str] = {}
        self.court_keys: tuple | None = None  # records.court_case_keys of the court rows, set by build_facts

    def covered(self, kind: str, basis: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``rows`` (positions among the facts) have such a prior, and the case keys of the
        events that would be named for them (no text is built)."""
        pp, events, need = self.kinds[(kind, basis)]
        wanted = np.zeros(pp.n, dtype=bool)
        wanted[np.asarray(rows, dtype=np.int64)] = True
        chosen = priors.chosen(pp, basis, wanted, need)
        has = np.zeros(pp.n, dtype=bool)
        has[pp.cand[chosen]] = True
        keys = (
            events["case_key"].to_numpy(dtype=object)[pp.event[chosen]]
            if "case_key" in events
            else np.array([], object)
        )
        return has[rows], keys

    def prefetch(self, case_keys) -> None:
        """Look up the case numbers of these case keys at once (one pass over the court rows)."""
        missing = [k for k in pd.unique(np.asarray(case_keys, dtype=object)) if k and k not in self._numbers]
        if missing:
            found = case_numbers(self.records.court_rows, pd.Series(missing, dtype=object), self.court_keys)
            self._numbers.update(zip(missing, found.to_numpy(dtype=object)))

    def details(self, kind: str, basis: str, rows: np.ndarray) -> np.ndarray:
        """``section\x1fdate\x1fcourt\x1fcase numbers`` for each evaluated conviction at ``rows``
        (positions among the facts), ``""`` where it has no such prior."""
        pp, events, need = self.kinds[(kind, basis)]
        wanted = np.zeros(pp.n, dtype=bool)
        wanted[np.asarray(rows, dtype=np.int64)] = True
        used = priors.used_events(pp, basis, wanted, need)
        events = events.reset_index(drop=True)
        numbers = np.full(len(events), "", dtype=object)
        if len(used) and "case_key" in events:
            keys = events["case_key"].to_numpy(dtype=object)[used]
            self.prefetch(keys)
            numbers[used] = [self._numbers.get(k, "") for k in keys]
        if "row" in events:  # a conviction: its section and court, for the named ones only
            section = np.full(len(events), "", dtype=object)
            court = np.full(len(events), "", dtype=object)
            at = events["row"].to_numpy(dtype=np.int64)[used]
            conv = self.records.convictions
            section[used] = conv["code_section"].to_numpy(dtype=object)[at]
            court[used] = conv["court"].iloc[at].astype(str).to_numpy(dtype=object)
            events = events.assign(section=section, court=court)
        return priors.details(pp, events.assign(case_numbers=numbers), basis, wanted, need)[rows]


def _strict(pp: priors.Pairs) -> priors.Pairs:
    """The pairs with only the events that surely are on the list (the earlier tools knew no 'possible')."""
    keep = pp.cls == priors.YES
    return priors.Pairs(pp.cand[keep], pp.event[keep], pp.offense[keep], pp.conviction[keep], pp.cls[keep], pp.n)


def _two_priors_classes(
    conv: pd.DataFrame, law: CurrentLaw | None, minor: np.ndarray, number: str, subsection: str, mask: np.ndarray
) -> np.ndarray:
    """Per conviction (where ``mask`` holds), its class under the two-priors rule of its own section
    (current law); YES elsewhere."""
    n = len(conv)
    out = np.full(n, priors.YES, dtype=np.int8)
    if law is None or n == 0:
        return out
    rows = np.flatnonzero(mask)
    sub = conv.iloc[rows]
    r = law.readings(sub[number].to_numpy(dtype=object), _column(sub, subsection, ""))
    era = law.eras(sub["offense_lo"].to_numpy("datetime64[D]"), sub["conv_hi"].to_numpy("datetime64[D]"))
    young = np.asarray([v is True for v in minor[rows]], dtype=bool)
    old = np.asarray([v is False for v in minor[rows]], dtype=bool)
    unknown_age = ~young & ~old
    before_ok, after_ok = era != current_law.AFTER, era != current_law.BEFORE
    out[rows] = current_law.combine(
        [r["class_before_adult"], r["class_before_minor"], r["class_after_adult"], r["class_after_minor"]],
        [
            before_ok & (old | unknown_age),
            before_ok & (young | unknown_age),
            after_ok & (old | unknown_age),
            after_ok & (young | unknown_age),
        ],
    )
    return out


def _current_law_facts(candidates: pd.DataFrame, records: Records, law: CurrentLaw) -> None:
    """Whether the recorded subdivision exists, whether the offense is after the line, and the felony hints."""
    n = len(candidates)
    if n == 0:
        for column in (F.SUBDIVISION_UNKNOWN, "crossed_line"):
            candidates[column] = np.zeros(0, dtype=bool)
        candidates[F.FELONY_HINT] = np.array([], dtype=object)
        return
    number = candidates["number"].astype(str).to_numpy(dtype=object)
    r = law.readings(number, candidates["subsection"].astype(str).to_numpy(dtype=object))
    era = law.eras(candidates["offense_lo"].to_numpy("datetime64[D]"), candidates["conv_hi"].to_numpy("datetime64[D]"))
    exists = np.where(
        era == current_law.BEFORE,
        r["exists_before"] > 0,
        np.where(era == current_law.AFTER, r["exists_after"] > 0, (r["exists_before"] > 0) | (r["exists_after"] > 0)),
    )
    on_list = _flag(candidates, "on_evaluated_list") & ~_flag(candidates, "section_unresolved")
    candidates[F.SUBDIVISION_UNKNOWN] = on_list & ~exists
    # Arrested before the line, convicted on or after it (definitely both).
    conv_lo = candidates["conv_lo"].to_numpy("datetime64[D]")
    off_hi = candidates["offense_hi"].to_numpy("datetime64[D]")
    candidates["crossed_line"] = ~np.isnat(off_hi) & (off_hi < law.line) & ~np.isnat(conv_lo) & (conv_lo >= law.line)

    # Hints that a felony stays a felony: the conviction's own words, a companion on its own line
    # (11360/11361 HS), a companion count in its court case.
    text = (candidates["offense"].astype(str) + " " + candidates["comment"].astype(str)).to_numpy(dtype=object)
    ids = law.hints_in_text(text, number).astype(object)
    labels = law.hint_labels(ids)
    if law.companions is not None:
        second = candidates["second_number"].astype(str).to_numpy(dtype=object)
        for entry in law.companions.entries:
            hint = law.companion_hints[entry.label]
            own_line = (second == entry.number) & np.isin(number, list(law.hint_sections(hint)))
            labels = _add_label(labels, own_line, entry.label)
            ids = _add_label(ids, own_line, hint, ";")
        if records.hint_cases is not None:
            found = records.hint_cases.reindex(candidates["case_key"].to_numpy(dtype=object))
            case_hints = found["hints"].fillna("").to_numpy(dtype=object)
            case_labels = found["labels"].fillna("").to_numpy(dtype=object)
            for k in np.flatnonzero(case_hints != ""):
                for hint, label in zip(case_hints[k].split(";"), case_labels[k].split("; ")):
                    if number[k] in law.hint_sections(hint) and label not in labels[k]:
                        labels[k] = f"{labels[k]}; {label}" if labels[k] else label
                        ids[k] = f"{ids[k]};{hint}" if ids[k] else hint
    candidates[F.FELONY_HINT] = labels
    candidates["felony_hint_ids"] = ids


def _add_label(values: np.ndarray, mask: np.ndarray, label: str, sep: str = "; ") -> np.ndarray:
    values = np.asarray(values, dtype=object).copy()
    rows = np.flatnonzero(mask)
    values[rows] = [f"{v}{sep}{label}" if v else label for v in values[rows]]
    return values


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
