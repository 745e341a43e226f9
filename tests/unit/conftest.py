"""The unit tests live in one folder per package (tests/unit/<package>/); the helpers they share
(``doj_builder``, ``filing_rows``, ``sample_run``) and the offense examples stay here, and this
folder is put on the import path so every test imports the helpers by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
