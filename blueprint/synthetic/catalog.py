"""What the synthetic DOJ records are made of: offenses, counties, agencies, people, labels.

The generator in ``blueprint.synthetic.doj_file`` draws from these tables. They are kept apart from the
drawing logic so a reviewer can read, in one place, every offense, label and proportion the test
data uses, and check it against the format as ``docs/reference/input.md`` describes it.

Facts (code sections, county names, label spellings) follow the DOJ research file as the domain
notes describe it. Where the notes do not say what a column holds (``OFFENSE_CODE``, the ``*_CODE``
columns next to a description, ``CII_TYPE``), the values here are plausible placeholders, not DOJ's
real code tables. Every value in these tables is already safe to write into a CSV line: anything
holding a comma or a double quote is pre-quoted with :func:`csv_field`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


def csv_field(value: str) -> str:
    """Quote a value the RFC 4180 way when it holds a comma, a quote or a line break."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# --------------------------------------------------------------------------------------------------
# Offenses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader must make of one written offense text: the generator's own record of the section.

    Kept next to every written form so that tests can check the engine's reader against what the
    generator meant, form by form (``written_forms``), rather than against the reader itself.
    """

    number: str
    subsection: str
    code: str
    attempt: bool = False
    second_number: str = ""
    second_subsection: str = ""
    second_code: str = ""


@dataclass(frozen=True, slots=True)
class Offense:
    """One offense as DOJ writes it in ``OFFENSE_DESCR``: ``<section> <code>-<description>``.

    ``descr`` is the full ``OFFENSE_DESCR`` text (CSV-safe). ``toc`` is the type of charge
    (``F``/``M``/``I``) and ``level`` the usual level of a conviction for it. The flags say what the
    rules will make of it, so the generator can count what the engine should find:
    ``cannabis`` (HS 11357-11360, attempts included), ``super_strike`` (PC 667(e)(2)(C)(iv)),
    ``registrable`` (PC 290(c)). ``wobbler`` marks offenses punishable as felony or misdemeanor,
    the only ones a court can reduce to a misdemeanor under PC 17(b). ``text`` is the description
    after the dash and ``reading`` what the section is (None only for a form no reader can resolve).
    """

    section: str
    descr: str
    code: str
    toc: str
    level: str
    cannabis: bool = False
    attempt: bool = False
    super_strike: bool = False
    registrable: bool = False
    wobbler: bool = False
    text: str = ""
    reading: Reading | None = None


#: Felonies that may also be punished as misdemeanors ("wobblers"), so may be reduced (PC 17(b)).
WOBBLERS = frozenset(
    {
        "11357(A) HS",
        "459 PC",
        "487(A) PC",
        "666 PC",
        "496(A) PC",
        "10851(A) VC",
        "245(A)(1) PC",
        "273.5(A) PC",
        "422 PC",
        "1320(B) PC",
        "11377(A) HS",
        "23153(A) VC",
        "2800.2 VC",
        "12025(A)(1) PC",
        "12020(A) PC",
        "470(A) PC",
        "261.5(C) PC",
        "243.4(A) PC",
        "311.11(A) PC",
    }
)

#: Charged at arrest (a probation revocation) but never a conviction of its own.
ARREST_ONLY = frozenset({"1203.2 PC"})


#: The catalog's own sections, as it writes them by hand: an optional PC 664 attempt, the number
#: (with the letters of a lettered section such as 273AB), subdivisions, and the code.
_CANONICAL = re.compile(r"^(?P<attempt>664/)?(?P<n>\d+(?:\.\d+)?[A-Z]{0,2})(?P<s>(?:\([A-Z0-9]+\))*) (?P<c>[A-Z]{2})$")


def canonical_reading(section: str) -> Reading:
    """The parts of a section the catalog writes in the canonical form (``11357(B) HS``, ``664/187 PC``)."""
    m = _CANONICAL.match(section)
    if m is None:
        raise ValueError(f"not a canonical catalog section: {section!r}")
    return Reading(m.group("n"), m.group("s"), m.group("c"), attempt=bool(m.group("attempt")))


def _offense(section: str, text: str, code: str, toc: str, reading: Reading | None = None, **flags: bool) -> Offense:
    level = {"F": "FELONY", "M": "MISDEMEANOR", "I": "INFRACTION"}[toc]
    return Offense(
        section,
        csv_field(f"{section}-{text}"),
        code,
        toc,
        level,
        wobbler=section in WOBBLERS,
        text=text,
        reading=reading or canonical_reading(section),
        **flags,
    )


def _cannabis(section: str, text: str, code: str, toc: str) -> Offense:
    return _offense(section, text, code, toc, cannabis=True)


# HS 11357-11360 as recorded before Proposition 64 (9 November 2016). Subsection meanings changed in
# 2016 (see california-prop64.md): before it, 11357(a) was concentrated cannabis, (b) up to 28.5 g
# (an infraction from 2011, a misdemeanor before), (c) more than 28.5 g, (d)/(e) school grounds.
CANNABIS_BEFORE_2016: tuple[tuple[Offense, float], ...] = (
    (_cannabis("11357 HS", "POSSESS MARIJUANA", "32010", "M"), 4),
    (_cannabis("11357(A) HS", "POSSESS CONCENTRATED CANNABIS", "32011", "F"), 6),
    (_cannabis("11357(B) HS", "POSSESS MARIJUANA 28.5 GRAMS OR LESS", "32012", "M"), 14),
    (_cannabis("11357(C) HS", "POSSESS MARIJUANA OVER 28.5 GRAMS", "32013", "M"), 14),
    (_cannabis("11357(E) HS", "POSSESS MARIJUANA ON SCHOOL GROUNDS", "32015", "M"), 1),
    (_cannabis("11358 HS", "CULTIVATE MARIJUANA", "32020", "F"), 10),
    (_cannabis("11359 HS", "POSSESS MARIJUANA FOR SALE", "32030", "F"), 25),
    (_cannabis("11360(A) HS", "SELL/TRANSPORT/ETC MARIJUANA", "32041", "F"), 15),
    (_cannabis("11360 HS", "SELL/FURNISH/ETC MARIJUANA", "32040", "F"), 4),
    (_cannabis("11360(B) HS", "GIVE/TRANSPORT/ETC 28.5 GRAMS MARIJUANA", "32042", "M"), 5),
)

#: From 2011 simple possession of up to 28.5 g (HS 11357(b)) and giving it away (11360(b)) were
#: infractions; the generator lowers these two to infractions for convictions dated 2011 or later.
INFRACTION_FROM_2011 = frozenset({"11357(B) HS", "11360(B) HS"})

# HS 11357-11360 as recorded after Proposition 64 took effect (subsections renumbered).
CANNABIS_AFTER_2016: tuple[tuple[Offense, float], ...] = (
    (_cannabis("11357(B)(2) HS", "POSSESS MARIJUANA OVER 28.5 GRAMS", "32112", "M"), 3),
    (_cannabis("11358(C) HS", "CULTIVATE MARIJUANA OVER 6 PLANTS", "32123", "M"), 2),
    (_cannabis("11358(D) HS", "CULTIVATE MARIJUANA W/PRIOR", "32124", "F"), 1),
    (_cannabis("11359(B) HS", "POSSESS MARIJUANA FOR SALE", "32132", "M"), 4),
    (_cannabis("11359(C) HS", "POSSESS MARIJUANA FOR SALE W/PRIOR", "32133", "F"), 1),
    (_cannabis("11360(A)(2) HS", "SELL/TRANSPORT MARIJUANA", "32142", "M"), 3),
    (_cannabis("11360(A)(3) HS", "SELL/TRANSPORT/ETC MARIJUANA W/PRIOR", "32143", "F"), 1),
)

#: The ways DOJ records an attempt (PC 664) of a cannabis offense. ``{n}`` is the bare section
#: number (``11359``), ``{s}`` the section as recorded (``11359 HS``).
ATTEMPT_FORMS: tuple[str, ...] = ("664/{s}", "664{s}", "664.{n}", "664-{s}")


def attempt_of(offense: Offense, form: str) -> Offense:
    """The attempted form of a cannabis offense, written in one of :data:`ATTEMPT_FORMS`.

    The ``664-11359 HS`` form is a trap on purpose: splitting it at the first ``-`` (a defect of
    the earlier tool) loses the cannabis section.
    """
    number = offense.section.split("(")[0].split(" ")[0]
    section = form.format(s=offense.section, n=number)
    text = offense.descr.split("-", 1)[1].strip('"')
    base = offense.reading
    assert base is not None, "a cannabis offense of the catalog has its reading"
    return Offense(
        section,
        csv_field(f"{section}-ATTEMPT {text}"),
        offense.code,
        offense.toc,
        offense.level,
        cannabis=True,
        attempt=True,
        text=f"ATTEMPT {text}",
        # 664.11359 is written with the bare number: no subdivision, no code.
        reading=replace(base, attempt=True) if "{s}" in form else Reading(base.number, "", "", attempt=True),
    )


# --------------------------------------------------------------------------------------------------
# How real extracts write a section (the OFFENSE_DESCR forms of the domain note)
# --------------------------------------------------------------------------------------------------

#: The ways a cannabis charge is written, with the share of cannabis charges written each way. Most
#: are canonical (``11357(B) HS-...``); about three in ten are not, as in real extracts. Forms that
#: do not apply to an offense (no subdivision to write without parentheses) fall back to canonical.
CANNABIS_FORMS: tuple[tuple[str, float], ...] = (
    ("canonical", 71.0),
    ("no_parentheses", 9.0),  # 11357B2 HS-...
    ("no_code", 3.0),  # 11360(B) SELL/FURNISH...
    ("no_code_dash", 2.0),  # 11358 -CULTIVATE...
    ("glued_code", 4.0),  # 11357(B)HS-...
    ("spaced", 4.0),  # 11357 (B) HS-...
    ("lower_case", 3.0),  # 11357(b) hs-possess...
    ("padded", 2.0),  # leading spaces
    ("two_cannabis_sections", 1.0),  # 11359/11360 HS-...
    ("other_then_cannabis", 0.5),  # 11364/11357 HS-...
    ("code_first", 0.5),  # HS 11359-...: cannot be resolved; must reach hand review
)

#: Non-cannabis charges sometimes written with their subdivisions unparenthesised (647F PC), none of
#: them a section that carries letters of its own; share of such charges written that way.
NO_PARENTHESES_OTHER = frozenset({"647(F) PC", "245(A)(1) PC", "23152(A) VC", "11350(A) HS", "148(A)(1) PC"})
SHARE_NO_PARENTHESES_OTHER = 0.1

#: The other cannabis section a two-section line names.
_PARTNER = {"11357": "11360", "11358": "11359", "11359": "11360", "11360": "11359"}


def _bare(subsection: str) -> str:
    """``(B)(2)`` written without parentheses: ``B2``."""
    return subsection.replace("(", "").replace(")", "")


def write_form(offense: Offense, form: str) -> tuple[str, Reading | None]:
    """``offense`` written in ``form``: the OFFENSE_DESCR text (not CSV-quoted) and what it reads as.

    ``None`` as the reading means the form names the section in a way no reader can resolve (the
    engine must send such a conviction to hand review). Attempts keep their own forms.
    """
    r = offense.reading
    if r is None or offense.attempt or r.second_number or form == "canonical":
        return offense.descr.strip('"').replace('""', '"'), r
    n, sub, code, text = r.number, r.subsection, r.code, offense.text
    if form == "no_parentheses" and sub:
        return f"{n}{_bare(sub)} {code}-{text}", r
    if form == "no_code":
        return f"{n}{sub} {text}", replace(r, code="")
    if form == "no_code_dash":
        return f"{n}{sub} -{text}", replace(r, code="")
    if form == "glued_code":
        return f"{n}{sub}{code}-{text}", r
    if form == "spaced" and sub:
        return f"{n} {sub} {code}-{text}", r
    if form == "lower_case":
        return f"{n}{sub} {code}-{text}".lower(), r
    if form == "padded":
        return f"   {n}{sub} {code}-{text}", r
    if form == "two_cannabis_sections" and n in _PARTNER:
        return f"{n}{sub}/{_PARTNER[n]} {code}-{text}", replace(r, second_number=_PARTNER[n], second_code=code)
    if form == "other_then_cannabis" and code == "HS":
        return (
            f"11364/{n}{sub} HS-PARAPHERNALIA/{text}",
            Reading("11364", "", "HS", second_number=n, second_subsection=sub, second_code="HS"),
        )
    if form == "code_first":
        return f"{code} {n}{sub}-{text}", None
    return write_form(offense, "canonical")


def written_forms(offense: Offense) -> list[tuple[str, str, Reading | None]]:
    """Every form of :data:`CANNABIS_FORMS` for ``offense``: ``(form, text, reading)``.

    A test-only view of what the generator writes: each text with the section it stands for.
    """
    return [(form, *write_form(offense, form)) for form, _ in CANNABIS_FORMS]


# Everything else people in the file were charged with. Weights are rough frequencies.
OTHER_OFFENSES: tuple[tuple[Offense, float], ...] = (
    (_offense("459 PC", "BURGLARY", "22010", "F"), 6),
    (_offense("484(A) PC", "THEFT", "23010", "M"), 6),
    (_offense("487(A) PC", "GRAND THEFT", "23030", "F"), 2),
    (_offense("488 PC", "PETTY THEFT", "23020", "M"), 3),
    (_offense("666 PC", "PETTY THEFT W/PRIOR JAIL:SPECIFIED OFFENSES", "23021", "F"), 2),
    (_offense("496(A) PC", "RECEIVE KNOWN STOLEN PROPERTY", "24010", "F"), 3),
    (_offense("10851(A) VC", "TAKE VEHICLE W/O OWNER'S CONSENT/VEHICLE THEFT", "24020", "F"), 2),
    (_offense("211 PC", "ROBBERY", "12010", "F"), 2),
    (_offense("242 PC", "BATTERY", "13010", "M"), 4),
    (_offense("245(A)(1) PC", "ASSAULT W/DEADLY WEAPON OTHER THAN FIREARM", "13020", "F"), 3),
    (_offense("273.5(A) PC", "INFLICT CORPORAL INJ ON SPOUSE/COHABITANT", "13030", "F"), 3),
    (_offense("422 PC", "THREATEN CRIME W/INTENT TO TERRORIZE", "13040", "F"), 1),
    (_offense("415 PC", "FIGHT/NOISE/OFFENSIVE WORDS", "53010", "M"), 1),
    (_offense("148(A)(1) PC", "OBSTRUCT/RESIST PUBLIC OFFICER/ETC", "53020", "M"), 5),
    (_offense("148 PC", "RESIST/OBSTRUCT/DELAY PEACE OFFICER", "53021", "M"), 2),
    (_offense("148.9 PC", "FALSE IDENTIFICATION TO PEACE OFFICER", "53022", "M"), 1),
    (_offense("647(F) PC", "DISORDERLY CONDUCT:INTOXICATED DRUG/ALCOHOL", "53030", "M"), 6),
    (_offense("602 PC", "TRESPASSING", "53040", "M"), 3),
    (_offense("602(K) PC", "TRESPASS:INTENT TO INTERFERE W/BUSINESS", "53041", "M"), 1),
    (_offense("166(A)(4) PC", "CONTEMPT:DISOBEY COURT ORDER/ETC", "53050", "M"), 2),
    (_offense("853.7 PC", "FAIL TO APPEAR AFTER WRITTEN PROMISE", "53060", "M"), 2),
    (_offense("1320(B) PC", "FAIL TO APPEAR WHILE ON BAIL/OWN RECOG", "53061", "F"), 1),
    (_offense("11350(A) HS", "POSSESS NARCOTIC CONTROLLED SUBSTANCE", "31010", "F"), 6),
    (_offense("11351 HS", "POSSESS/PURCHASE FOR SALE NARCOTIC/CONTROLLED SUBSTANCE", "31020", "F"), 2),
    (_offense("11352(A) HS", "TRANSPORT/SELL NARCOTIC/CONTROLLED SUBSTANCE", "31030", "F"), 1),
    (_offense("11377(A) HS", "POSSESS CONTROLLED SUBSTANCE", "31040", "M"), 5),
    (_offense("11378 HS", "POSSESS CONTROLLED SUBSTANCE FOR SALE", "31050", "F"), 2),
    (_offense("11364 HS", "POSSESS CONTROLLED SUBSTANCE PARAPHERNALIA", "31060", "M"), 5),
    (_offense("11364.1 HS", "POSSESS CONTROLLED SUBSTANCE PARAPHERNALIA", "31061", "M"), 1),
    (_offense("11366 HS", "OPEN/MAINTAIN PLACE:SELL/USE CONTROLLED SUBSTANCE", "31070", "F"), 1),
    (_offense("11550(A) HS", "UNDER INFLUENCE OF CONTROLLED SUBSTANCE", "31080", "M"), 4),
    # HS 11357.5 (synthetic cannabinoids) is NOT HS 11357: a trap for unanchored section matching.
    (_offense("11357.5(A) HS", "SELL/DISPENSE SYNTHETIC CANNABINOID", "31090", "I"), 0.3),
    (_offense("4060 BP", "POSSESS CONTROLLED SUBSTANCE W/O PRESCRIPTION", "31100", "M"), 1),
    (_offense("4140 BP", "POSSESS HYPODERMIC NEEDLE/SYRINGE", "31110", "M"), 1),
    (_offense("23152(A) VC", "DUI ALCOHOL/DRUGS", "54010", "M"), 6),
    (_offense("23152(B) VC", "DUI ALCOHOL/0.08 PERCENT", "54011", "M"), 4),
    (_offense("23153(A) VC", "DUI ALCOHOL/DRUGS CAUSING BODILY INJURY", "54012", "F"), 1),
    (_offense("14601.1(A) VC", "DRIVE WHILE LICENSE SUSPENDED/ETC", "54020", "M"), 4),
    (_offense("12500(A) VC", "DRIVE W/O LICENSE", "54030", "M"), 3),
    (_offense("20002(A) VC", "HIT AND RUN:PROPERTY DAMAGE", "54040", "M"), 1),
    (_offense("2800.2 VC", "EVADE PEACE OFFICER:DISREGARD SAFETY", "54050", "F"), 1),
    (_offense("40508(A) VC", "FAIL TO APPEAR:WRITTEN PROMISE", "54060", "M"), 1),
    (_offense("22350 VC", "UNSAFE SPEED", "55010", "I"), 2),
    (_offense("4000(A) VC", "NO EVIDENCE OF CURRENT REGISTRATION", "55020", "I"), 2),
    (_offense("25620 BP", "POSSESS OPEN CONTAINER IN PUBLIC", "55030", "I"), 1),
    (_offense("490.1 PC", "PETTY THEFT", "55040", "I"), 1),
    (_offense("12025(A)(1) PC", "CARRY CONCEALED WEAPON IN VEHICLE", "41010", "F"), 1),
    (_offense("12020(A) PC", "POSSESS/MANUFACTURE/SELL DANGEROUS WEAPON", "41020", "F"), 1),
    (_offense("29800(A)(1) PC", "FELON/ADDICT/ETC POSSESS/ETC FIREARM", "41030", "F"), 1),
    (_offense("594(A) PC", "VANDALISM", "25010", "M"), 2),
    (_offense("470(A) PC", "FORGERY", "26010", "F"), 1),
    # PC 261.5 (unlawful intercourse with a minor) is NOT PC 261: not a super strike, not PC 290(c).
    (_offense("261.5(C) PC", "UNLAWFUL SEX W/MINOR 3+ YEARS YOUNGER", "11090", "F"), 0.3),
    (_offense("1203.2 PC", "PROBATION VIOLATION:REARREST/REVOKE", "59010", "F"), 3),
)

#: Offenses often charged in the same case as a cannabis offense (the "related" charges some
#: counties also dismissed).
RELATED_TO_CANNABIS: tuple[tuple[Offense, float], ...] = tuple(
    (o, w)
    for o, w in OTHER_OFFENSES
    if o.section.split(" ")[0]
    in {
        "11364",
        "148(A)(1)",
        "148",
        "647(F)",
        "11550(A)",
        "4060",
        "602",
        "12500(A)",
        "853.7",
        "148.9",
        "12025(A)(1)",
        "11350(A)",
        "11377(A)",
    }
)

# "Super strikes", PC 667(e)(2)(C)(iv). Some are also registrable sex offenses (PC 290(c)).
SUPER_STRIKES: tuple[tuple[Offense, float], ...] = (
    (_offense("187 PC", "MURDER", "09010", "F", super_strike=True), 3),
    (_offense("187(A) PC", "MURDER", "09011", "F", super_strike=True), 2),
    # Attempted murder counts (attempts count only for PC 187 and 191.5).
    (_offense("664/187 PC", "ATTEMPTED MURDER", "09012", "F", super_strike=True), 3),
    (_offense("664/187(A) PC", "ATTEMPTED MURDER", "09013", "F", super_strike=True), 1),
    (_offense("191.5(A) PC", "GROSS VEHICULAR MANSLAUGHTER WHILE INTOXICATED", "09020", "F", super_strike=True), 1),
    (_offense("207(A) PC", "KIDNAPPING", "10010", "F", super_strike=True), 1),
    (_offense("220 PC", "ASSAULT TO COMMIT RAPE/SODOMY/ETC", "11010", "F", super_strike=True), 1),
    (_offense("261(A)(2) PC", "RAPE BY FORCE/FEAR/ETC", "11020", "F", super_strike=True, registrable=True), 3),
    (
        _offense(
            "288(A) PC", "LEWD OR LASCIV ACTS W/CHILD UNDER 14", "11030", "F", super_strike=True, registrable=True
        ),
        3,
    ),
    (_offense("288.5(A) PC", "CONTINUOUS SEXUAL ABUSE OF CHILD", "11031", "F", super_strike=True, registrable=True), 1),
    (
        _offense(
            "269(A)(1) PC", "AGGRAVATED SEXUAL ASSAULT OF CHILD", "11032", "F", super_strike=True, registrable=True
        ),
        0.5,
    ),
    # Super strikes only with a PC 186.22(b)(4) gang enhancement in the same case, written with the
    # enhancement on the same line (PC 667(e)(2)(C)(iv)(VIII)).
    (
        _offense(
            "246/186.22(B)(4) PC",
            "SHOOT AT INHABITED DWELLING W/GANG ENHANCEMENT",
            "09030",
            "F",
            super_strike=True,
            reading=Reading("246", "", "PC", second_number="186.22", second_subsection="(B)(4)", second_code="PC"),
        ),
        0.5,
    ),
    (
        _offense(
            "186.22(B)(4)-136.1 PC",
            "DISSUADE WITNESS W/GANG ENHANCEMENT",
            "09031",
            "F",
            super_strike=True,
            reading=Reading("186.22", "(B)(4)", "PC", second_number="136.1", second_code="PC"),
        ),
        0.5,
    ),
)

# Offenses requiring sex-offender registration, PC 290(c), that are not super strikes.
REGISTRABLE_SEX: tuple[tuple[Offense, float], ...] = (
    (_offense("243.4(A) PC", "SEXUAL BATTERY", "11040", "F", registrable=True), 4),
    (_offense("243.4(E)(1) PC", "SEXUAL BATTERY", "11041", "M", registrable=True), 2),
    (_offense("311.11(A) PC", "POSSESS/ETC CHILD PORNOGRAPHY", "11050", "F", registrable=True), 3),
    (_offense("647.6(A) PC", "ANNOY/MOLEST CHILD", "11060", "M", registrable=True), 2),
    (_offense("314.1 PC", "INDECENT EXPOSURE", "11070", "M", registrable=True), 2),
    (_offense("288(C)(1) PC", "LEWD ACT W/CHILD 14/15 YEARS OLD", "11080", "F", registrable=True), 1),
)

#: A registered sex offender's later offense: failing to register (PC 290 family, not 290(c)).
FAIL_TO_REGISTER = _offense("290.018(B) PC", "FAIL TO REGISTER AS SEX OFFENDER", "11100", "F")

# What ``REGISTRATION`` steps carry in ``OFFENSE_DESCR``. Only PC 290 is sex-offender registration;
# HS 11590 (narcotics offender) and PC 457.1 (arson) registrations must not be mistaken for it.
REGISTRATION_290 = _offense("290 PC", "REGISTRATION OF SEX OFFENDER", "90010", "M")
REGISTRATION_290_VARIANTS = (REGISTRATION_290, _offense("290(A) PC", "SEX OFFENDER REGISTRATION", "90011", "M"))
REGISTRATION_11590 = _offense("11590 HS", "REGISTRATION OF CONTROLLED SUBSTANCE OFFENDER", "90020", "M")
REGISTRATION_457 = _offense("457.1 PC", "REGISTRATION OF ARSON OFFENDER", "90030", "M")


# --------------------------------------------------------------------------------------------------
# Dispositions, levels, sentences, step types
# --------------------------------------------------------------------------------------------------

#: ``DISP_DESCR`` of an arrest that was not followed by a court action, with weights.
ARREST_RELEASES: tuple[tuple[str, float], ...] = (
    ("PROS REL-DETENTION ONLY", 4),
    ("PROS REL-INSUFFICIENT EVIDENCE", 3),
    ("PROS REL-INTERESTS OF JUSTICE", 2),
    ("DETENTION ONLY", 2),
    ("PROS REL-COMPLAINING WITNESS REFUSES", 1),
    ("", 2),
)

#: ``DISP_DESCR`` of a court count that did not end in a conviction.
NOT_CONVICTED: tuple[tuple[str, float], ...] = (
    ("DISMISSED", 8),
    ("DISMISSED-FURTHERANCE OF JUSTICE", 4),
    ("DISMISSED-PLEA BARGAIN", 2),
    ("ACQUITTED", 1),
    ("DIVERSION SUCCESSFUL-DISMISSED", 1),
)

#: ``DISP_CODE`` next to each ``DISP_DESCR`` (placeholder codes).
DISP_CODES: dict[str, str] = {
    "CONVICTED": "CV",
    "CONVICTED-PROBATION": "CP",
    "CONVICTED-JAIL": "CJ",
    "PROS REL-DETENTION ONLY": "RD",
    "PROS REL-INSUFFICIENT EVIDENCE": "RI",
    "PROS REL-INTERESTS OF JUSTICE": "RJ",
    "DETENTION ONLY": "DO",
    "PROS REL-COMPLAINING WITNESS REFUSES": "RW",
    "DISMISSED": "DM",
    "DISMISSED-FURTHERANCE OF JUSTICE": "DF",
    "DISMISSED-PLEA BARGAIN": "DP",
    "ACQUITTED": "AQ",
    "DIVERSION SUCCESSFUL-DISMISSED": "DV",
    "": "",
}

#: ``CONV_STAT_CODE`` next to each ``CONV_STAT_DESCR``.
LEVEL_CODES: dict[str, str] = {"FELONY": "F", "MISDEMEANOR": "M", "INFRACTION": "I", "": ""}

#: Sentence places: ``SENT_LOC_DESCR`` -> ``SENT_LOC_CODE``.
SENTENCE_PLACES: dict[str, str] = {"JAIL": "J", "PRISON": "P", "PROBATION": "B", "FINE": "F"}

#: Sentence units: ``SENT_TIME_CODE`` -> ``SENT_TIME_DESCR``.
SENTENCE_UNITS: dict[str, str] = {"D": "DAYS", "M": "MONTHS", "Y": "YEARS"}

#: ``STP_TYPE_DESCR`` -> ``STP_TYPE_CODE`` (placeholder codes).
STEP_TYPES: dict[str, str] = {
    "ARREST/DETAINED/CITED": "A",
    "COURT ACTION": "C",
    "PROBATION": "P",
    "CUSTODY": "U",
    "REGISTRATION": "R",
    "DECEASED": "D",
}

# --------------------------------------------------------------------------------------------------
# Counties and agencies
# --------------------------------------------------------------------------------------------------

#: California's 58 counties in alphabetical order (DOJ county codes 01-58 follow this order), each
#: with its largest or best-known city (for police department names) and a rough weight by
#: population, used to place events outside the run's county.
COUNTIES: tuple[tuple[str, str, float], ...] = (
    ("ALAMEDA", "OAKLAND", 16),
    ("ALPINE", "MARKLEEVILLE", 0.1),
    ("AMADOR", "JACKSON", 0.4),
    ("BUTTE", "CHICO", 2),
    ("CALAVERAS", "SAN ANDREAS", 0.5),
    ("COLUSA", "COLUSA", 0.3),
    ("CONTRA COSTA", "RICHMOND", 11),
    ("DEL NORTE", "CRESCENT CITY", 0.3),
    ("EL DORADO", "PLACERVILLE", 2),
    ("FRESNO", "FRESNO", 10),
    ("GLENN", "WILLOWS", 0.3),
    ("HUMBOLDT", "EUREKA", 1.4),
    ("IMPERIAL", "EL CENTRO", 1.8),
    ("INYO", "BISHOP", 0.2),
    ("KERN", "BAKERSFIELD", 9),
    ("KINGS", "HANFORD", 1.5),
    ("LAKE", "CLEARLAKE", 0.6),
    ("LASSEN", "SUSANVILLE", 0.3),
    ("LOS ANGELES", "LOS ANGELES", 100),
    ("MADERA", "MADERA", 1.5),
    ("MARIN", "SAN RAFAEL", 2.5),
    ("MARIPOSA", "MARIPOSA", 0.2),
    ("MENDOCINO", "UKIAH", 0.9),
    ("MERCED", "MERCED", 2.8),
    ("MODOC", "ALTURAS", 0.1),
    ("MONO", "MAMMOTH LAKES", 0.1),
    ("MONTEREY", "SALINAS", 4.3),
    ("NAPA", "NAPA", 1.4),
    ("NEVADA", "GRASS VALLEY", 1),
    ("ORANGE", "SANTA ANA", 31),
    ("PLACER", "ROSEVILLE", 4),
    ("PLUMAS", "QUINCY", 0.2),
    ("RIVERSIDE", "RIVERSIDE", 24),
    ("SACRAMENTO", "SACRAMENTO", 15),
    ("SAN BENITO", "HOLLISTER", 0.6),
    ("SAN BERNARDINO", "SAN BERNARDINO", 21),
    ("SAN DIEGO", "SAN DIEGO", 33),
    ("SAN FRANCISCO", "SAN FRANCISCO", 9),
    ("SAN JOAQUIN", "STOCKTON", 7.5),
    ("SAN LUIS OBISPO", "SAN LUIS OBISPO", 2.8),
    ("SAN MATEO", "SAN MATEO", 7.6),
    ("SANTA BARBARA", "SANTA BARBARA", 4.4),
    ("SANTA CLARA", "SAN JOSE", 19),
    ("SANTA CRUZ", "SANTA CRUZ", 2.7),
    ("SHASTA", "REDDING", 1.8),
    ("SIERRA", "DOWNIEVILLE", 0.05),
    ("SISKIYOU", "YREKA", 0.4),
    ("SOLANO", "VALLEJO", 4.4),
    ("SONOMA", "SANTA ROSA", 4.9),
    ("STANISLAUS", "MODESTO", 5.5),
    ("SUTTER", "YUBA CITY", 1),
    ("TEHAMA", "RED BLUFF", 0.6),
    ("TRINITY", "WEAVERVILLE", 0.1),
    ("TULARE", "VISALIA", 4.6),
    ("TUOLUMNE", "SONORA", 0.5),
    ("VENTURA", "OXNARD", 8.4),
    ("YOLO", "WOODLAND", 2.2),
    ("YUBA", "MARYSVILLE", 0.8),
)
assert len(COUNTIES) == 58

COUNTY_NAMES: tuple[str, ...] = tuple(name for name, _, _ in COUNTIES)

# ``STP_ORI_TYPE`` / ``STP_ORI_TYPE_DESCR`` and the prefix of ``STP_ORI_DESCR`` per kind of agency.
# Courts are superior courts (``CASC``); before court unification (1998-2001) misdemeanors were
# heard in municipal courts (``CAMC``).
AGENCY_KINDS: dict[str, tuple[str, str, str]] = {
    "police": ("P", "POLICE DEPARTMENT", "CAPD"),
    "sheriff": ("S", "SHERIFF", "CASO"),
    "highway": ("H", "HIGHWAY PATROL", "CAHP"),
    "court": ("C", "SUPERIOR COURT", "CASC"),
    "municipal": ("M", "MUNICIPAL COURT", "CAMC"),
    "probation": ("B", "PROBATION DEPARTMENT", "CAPR"),
    "corrections": ("D", "CORRECTIONS", "CACD"),
    "coroner": ("O", "CORONER", "CACO"),
}

#: Prisons (for ``CUSTODY`` steps): the name used in ``STP_ORI_DESCR`` and the county it is in.
PRISONS: tuple[tuple[str, str], ...] = (
    ("FOLSOM STATE PRISON", "SACRAMENTO"),
    ("SAN QUENTIN", "MARIN"),
    ("NORTH KERN STATE PRISON", "KERN"),
    ("SAN JOAQUIN CTY RECEPTION", "SAN JOAQUIN"),
    ("CALIFORNIA MEN'S COLONY", "SAN LUIS OBISPO"),
    ("WASCO STATE PRISON", "KERN"),
    ("CA INSTITUTION FOR WOMEN", "SAN BERNARDINO"),
)

# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------

#: ``RACE_CODE``, ``RACE_DESCR`` and a weight (per cent), roughly the make-up of California
#: cannabis prosecutions: Hispanic ~40, White ~30, Black ~20, the rest Asian, other and unknown.
RACES: tuple[tuple[str, str, float], ...] = (
    ("H", "HISPANIC", 40),
    ("W", "WHITE", 30),
    ("B", "BLACK", 20),
    ("A", "OTHER ASIAN", 1.2),
    ("F", "FILIPINO", 0.9),
    ("V", "VIETNAMESE", 0.8),
    ("C", "CHINESE", 0.6),
    ("K", "KOREAN", 0.3),
    ("J", "JAPANESE", 0.3),
    ("Z", "ASIAN INDIAN", 0.4),
    ("D", "CAMBODIAN", 0.3),
    ("L", "LAOTIAN", 0.3),
    ("P", "PACIFIC ISLANDER", 0.4),
    ("S", "SAMOAN", 0.2),
    ("G", "GUAMANIAN", 0.1),
    ("U", "HAWAIIAN", 0.1),
    ("I", "AMERICAN INDIAN", 0.9),
    ("O", "OTHER", 1.7),
    ("X", "UNKNOWN", 1.5),
)

#: Share of men among people with a cannabis conviction.
MALE_SHARE = 0.85

SURNAMES_BY_RACE: dict[str, tuple[str, ...]] = {
    "HISPANIC": (
        "GARCIA",
        "HERNANDEZ",
        "LOPEZ",
        "MARTINEZ",
        "GONZALEZ",
        "RODRIGUEZ",
        "SANCHEZ",
        "RAMIREZ",
        "PEREZ",
        "FLORES",
        "TORRES",
        "RIVERA",
        "GOMEZ",
        "DIAZ",
        "REYES",
        "CRUZ",
        "MORALES",
        "ORTIZ",
        "GUTIERREZ",
        "CHAVEZ",
        "RAMOS",
        "RUIZ",
        "MENDOZA",
        "ALVAREZ",
        "CASTILLO",
        "JIMENEZ",
        "VASQUEZ",
        "MORENO",
        "HERRERA",
        "MEDINA",
        "AGUILAR",
        "VARGAS",
        "GUZMAN",
        "MUNOZ",
        "SALAZAR",
        "DE LA CRUZ",
        "GARCIA-LOPEZ",
        "HERNANDEZ-RUIZ",
    ),
    "WHITE": (
        "SMITH",
        "JOHNSON",
        "MILLER",
        "BROWN",
        "DAVIS",
        "WILSON",
        "ANDERSON",
        "TAYLOR",
        "THOMAS",
        "MOORE",
        "MARTIN",
        "THOMPSON",
        "WHITE",
        "CLARK",
        "LEWIS",
        "HALL",
        "ALLEN",
        "YOUNG",
        "KING",
        "WRIGHT",
        "SCOTT",
        "GREEN",
        "BAKER",
        "ADAMS",
        "NELSON",
        "HILL",
        "CAMPBELL",
        "MITCHELL",
        "ROBERTS",
        "CARTER",
        "PHILLIPS",
        "EVANS",
        "TURNER",
        "PARKER",
        "COLLINS",
        "EDWARDS",
        "STEWART",
        "MURPHY",
        "O'BRIEN",
        "MCDONALD",
        "SULLIVAN",
        "MILLER JR",
    ),
    "BLACK": (
        "WILLIAMS",
        "JOHNSON",
        "SMITH",
        "JONES",
        "BROWN",
        "JACKSON",
        "DAVIS",
        "THOMAS",
        "HARRIS",
        "ROBINSON",
        "TAYLOR",
        "WILSON",
        "MOORE",
        "WHITE",
        "WASHINGTON",
        "WALKER",
        "THOMPSON",
        "ANDERSON",
        "SCOTT",
        "CARTER",
        "GREEN",
        "LEWIS",
        "HILL",
        "JENKINS",
        "BANKS",
        "COLEMAN",
        "MITCHELL",
        "GRAHAM",
        "JAMES",
        "WILLIAMS III",
    ),
    "ASIAN": (
        "NGUYEN",
        "TRAN",
        "LE",
        "PHAM",
        "WONG",
        "CHEN",
        "LEE",
        "KIM",
        "PARK",
        "SANTOS",
        "REYES",
        "CRUZ",
        "PATEL",
        "SINGH",
        "NAKAMURA",
        "TANAKA",
        "CHANG",
        "LIU",
        "VANG",
        "XIONG",
        "SOK",
        "PHAN",
    ),
    "OTHER": (
        "SMITH",
        "JOHNSON",
        "GARCIA",
        "LEE",
        "BROWN",
        "MARTINEZ",
        "TUPUOLA",
        "FAAMAUSILI",
        "BEGAY",
        "YAZZIE",
        "NGUYEN",
        "KHAN",
    ),
}

RACE_NAME_GROUP: dict[str, str] = {
    "HISPANIC": "HISPANIC",
    "WHITE": "WHITE",
    "BLACK": "BLACK",
    "OTHER ASIAN": "ASIAN",
    "FILIPINO": "ASIAN",
    "VIETNAMESE": "ASIAN",
    "CHINESE": "ASIAN",
    "KOREAN": "ASIAN",
    "JAPANESE": "ASIAN",
    "ASIAN INDIAN": "ASIAN",
    "CAMBODIAN": "ASIAN",
    "LAOTIAN": "ASIAN",
}

FIRST_NAMES_MALE: tuple[str, ...] = (
    "JOSE",
    "JUAN",
    "LUIS",
    "CARLOS",
    "JESUS",
    "MIGUEL",
    "ANTONIO",
    "FRANCISCO",
    "JORGE",
    "RICARDO",
    "MICHAEL",
    "DAVID",
    "JAMES",
    "ROBERT",
    "JOHN",
    "WILLIAM",
    "RICHARD",
    "JOSEPH",
    "DANIEL",
    "CHRISTOPHER",
    "ANTHONY",
    "MARK",
    "STEVEN",
    "KEVIN",
    "BRIAN",
    "JASON",
    "JUSTIN",
    "BRANDON",
    "TYRONE",
    "DARNELL",
    "ANDRE",
    "MARCUS",
    "DEANDRE",
    "TERRELL",
    "CHARLES",
    "KENNETH",
    "RONALD",
    "GARY",
    "LARRY",
    "DENNIS",
    "MINH",
    "TUAN",
    "KHANH",
    "JIN",
    "SOPHEAP",
    "VIRAJ",
    "SIONE",
    "RAFAEL",
    "EDGAR",
    "OSCAR",
)

FIRST_NAMES_FEMALE: tuple[str, ...] = (
    "MARIA",
    "GUADALUPE",
    "ROSA",
    "ANA",
    "VERONICA",
    "CLAUDIA",
    "JENNIFER",
    "JESSICA",
    "MICHELLE",
    "LISA",
    "KIMBERLY",
    "ANGELA",
    "MELISSA",
    "AMY",
    "SARAH",
    "ELIZABETH",
    "PATRICIA",
    "LINDA",
    "BARBARA",
    "TANYA",
    "KEISHA",
    "LATOYA",
    "SHANICE",
    "MONIQUE",
    "TIFFANY",
    "CRYSTAL",
    "LINH",
    "MAI",
    "HUONG",
    "GRACE",
    "PRIYA",
    "LEILANI",
)

#: ``EYE_COLOR_CODE`` / ``EYE_COLOR_DESCR`` and ``HAIR_COLOR_CODE`` / ``HAIR_COLOR_DESCR``.
EYE_COLORS: tuple[tuple[str, str, float], ...] = (
    ("BRO", "BROWN", 70),
    ("BLK", "BLACK", 8),
    ("BLU", "BLUE", 10),
    ("HAZ", "HAZEL", 7),
    ("GRN", "GREEN", 5),
)
HAIR_COLORS: tuple[tuple[str, str, float], ...] = (
    ("BLK", "BLACK", 55),
    ("BRO", "BROWN", 30),
    ("BLN", "BLOND", 6),
    ("GRY", "GRAY", 4),
    ("RED", "RED", 1),
    ("BAL", "BALD", 4),
)

#: Place of birth: ``POB_CODE``, ``POB_NAME``, ``POB_TYPE`` (S state, C country), citizenship.
BIRTH_PLACES: tuple[tuple[str, str, str, str, float], ...] = (
    ("CA", "CALIFORNIA", "S", "US", 70),
    ("MX", "MEXICO", "C", "MX", 14),
    ("TX", "TEXAS", "S", "US", 3),
    ("NY", "NEW YORK", "S", "US", 2),
    ("IL", "ILLINOIS", "S", "US", 1),
    ("LA", "LOUISIANA", "S", "US", 1),
    ("AZ", "ARIZONA", "S", "US", 1),
    ("SV", "EL SALVADOR", "C", "SV", 2),
    ("GT", "GUATEMALA", "C", "GT", 1),
    ("VN", "VIETNAM", "C", "VN", 1),
    ("PH", "PHILIPPINES", "C", "PH", 1),
    ("", "", "", "", 3),
)

# --------------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------------

#: Everyday ``COMMENT_TEXT`` on court rows. Some hold commas or quotes (so they are CSV-quoted).
COURT_COMMENTS: tuple[tuple[str, float], ...] = tuple(
    (csv_field(text), weight)
    for text, weight in (
        ("", 70),
        ("CONCURRENT", 3),
        ("CONSECUTIVE", 1),
        ("FINE $150", 2),
        ("FINE $500, RESTN", 2),
        ("SEN SUSP, 3 YRS PROB", 2),
        ("17(B) PC REDUCED TO MISD", 1),
        ("PC 1203.4 DISMISSED", 2),
        ("PLEA BARGAIN", 2),
        ("CREDIT TIME SERVED", 2),
        ('DEF AKA "JR"', 0.3),
        ("NULL", 1),
    )
)

#: Comments on a conviction that hint at another cannabis charge than the one recorded (the review
#: must surface these). ``{s}`` is replaced by another cannabis section.
CANNABIS_HINTS: tuple[str, ...] = (
    "ORIG CHRG {s}",
    "PLEA TO LESSER, CHRGD {s}",
    "AMENDED FROM {s}",
    "ALSO {s} SEE CASE FILE",
    "CNT 2 {s} DISMISSED IN PLEA",
)

#: The sections the hints mention.
HINT_SECTIONS: tuple[str, ...] = ("11357 HS", "11357(C) HS", "11358 HS", "11359 HS", "11360(A) HS", "11360 HS")
