"""Which AWS failures pass on their own (throttling, a 5xx, a lost connection), and the error that
tells Step Functions and Lambda to try again."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

#: Error codes that mean "try again later", not "this will never work".
_TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
}


class TransientError(Exception):
    """An AWS call kept failing for a reason that usually passes (throttling, a 5xx, a lost connection).

    The state machine retries this error with backoff (see cdk/processing.py TRANSIENT_ERRORS); an
    S3-triggered function raising it is retried by Lambda and then kept in the dead-letter queue.
    """


def transient_cause(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying, or None. Looks through the chain of causes, because boto3's
    transfers wrap the AWS error (``S3UploadFailedError`` from ``upload_file``, s3transfer's
    ``RetriesExceededError``) and Powertools wraps DynamoDB's (idempotency errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            code = current.response.get("Error", {}).get("Code", "")
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _TRANSIENT_CODES or status >= 500:
                return f"AWS error {code or status}"
        elif isinstance(current, BotoCoreError):  # connection resets, timeouts, endpoint unreachable
            return f"AWS connection problem: {type(current).__name__}"
        elif type(current).__name__ == "RetriesExceededError":  # s3transfer: a download kept failing
            return "S3 download kept failing"
        elif type(current).__name__ == "IdempotencyAlreadyInProgressError":  # an earlier attempt still runs
            return "an earlier attempt is still in progress"
        current = current.__cause__ or current.__context__
    return None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
