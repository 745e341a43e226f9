"""The small typed layer between the handlers and boto3: one module per AWS service the pipeline
uses, each call named for what it does (``s3.download``, ``stepfunctions.start_execution``,
``sns.publish``), with the clients set up once (``clients``) and AWS's passing failures recognised in
one place (``errors``).

Nothing here imports pandas or ``blueprint``: the control functions (ingest, notify, resume-review)
use this layer and are packaged without the engine's libraries (cdk/packaging.py).
"""
