"""Lambda handlers of the county's cloud pipeline: one thin module per function.

Each handler reads its environment and its event into typed models (``environment.py``,
``contracts.py``), moves files between S3 and a private folder under /tmp through the small AWS
layer (``aws/``), calls one `blueprint` function, and returns its output model as the JSON Step
Functions passes on. Shared plumbing: the ``step`` decorator and Powertools (``common.py``), the run
registry (``registry.py``), where a run's files live (``layout.py``), starting a run
(``run_start.py``). The control functions (ingest, notify, resume_review) never import pandas or
`blueprint`.
"""
