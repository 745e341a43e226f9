"""Clearance kit engine: from DOJ criminal-history extracts to explained cannabis-relief decisions.

Everything that knows the law, the data or the documents lives in this package, and nothing here
knows about AWS: the `clearance` command, the Lambda functions in `functions/` and the tests are
three front doors onto the same code.
"""

__version__ = "0.1.0"
