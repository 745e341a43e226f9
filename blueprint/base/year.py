"""The one year length the kit uses to turn days into years and years into days.

``DAYS_PER_YEAR`` is the mean length of a year in the Gregorian calendar: 97 leap years in every 400
(365 + 97/400 = 365.2425 days). It is the right average for spans of decades, which is what the kit
measures: years since a conviction, a sentence of N years or months, a fractional-year threshold.
A month is a twelfth of it, so twelve months make one year exactly.

Whole-year rules (an age, "N or more years before the evaluation date") do not use it: they use
calendar arithmetic (``blueprint.engine.dates.add_years`` and ``years_between``), which is exact.
``docs/reference/results.md`` says where the length shows in the results.
"""

#: Mean Gregorian year in days (97 leap years in 400).
DAYS_PER_YEAR = 365.2425
