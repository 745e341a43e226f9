"""What every handler shares: Powertools (set up once), the ``step`` decorator that reads the
function's environment and event into their models, a private /tmp workspace, and the expected
refusal (:class:`Rejected`) a step returns instead of failing.

Privacy: log and metric only run ids, step names, counts and sizes. Never log an event, an object key
under ``incoming/`` (it may carry a file name), a row, a name, a date of birth or a case number.
Exceptions raised to Step Functions carry the same kind of text, because Step Functions records it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from .aws.clients import reset_clients
from .aws.errors import TransientError, transient_cause
from .contracts import Contract, Rejection, StepError, parse
from .environment import FunctionEnvironment

__all__ = [
    "MetricUnit",
    "Rejected",
    "TransientError",
    "logger",
    "metrics",
    "step",
    "tracer",
    "transient_errors",
    "workspace",
    "safe_id",
]

#: Set up once per process. In Lambda the environment (cdk/processing.py) names the service per
#: function; the defaults keep the same names when a handler runs elsewhere (tests, a laptop).
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ClearanceKit")
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "clearance"))
#: X-Ray traces each invocation but patches no library: the X-Ray SDK's botocore and http.client
#: patches record every S3 call's object key (and so the office's file names) in the trace. The
#: handlers' responses stay out of traces too (``capture_response=False`` below).
TRACED_MODULES: tuple[str, ...] = ()
tracer = Tracer(service="clearance", patch_modules=TRACED_MODULES)
#: One "service" dimension for every function, so the dashboard sums each figure over the pipeline.
metrics = Metrics(namespace=METRICS_NAMESPACE, service="clearance")

E = TypeVar("E", bound=FunctionEnvironment)
V = TypeVar("V")


class Rejected(Exception):
    """An expected outcome that ends a step without an error of the pipeline: an upload that is not
    a usable DOJ file, a review that cannot be accepted. The handler returns it as
    ``{"rejected": {"Error": <error>, "Cause": <message>}}`` and the state machine routes it
    (cdk/processing.py), so Lambda's error metrics and alarms count only unexpected failures.

    ``error`` is the name Step Functions and the failure notice know the refusal by: the class name,
    or the name of the engine's exception it stands for (``blueprint.run.cloud_steps.InputRejected``,
    ``blueprint.review.reader.ReviewRejected``), so each refusal is defined once. The message is recorded
    by Step Functions: ids and counts only, never a file name."""

    def __init__(self, message: str, *, error: str | None = None):
        super().__init__(message)
        self.error = error or type(self).__name__

    @classmethod
    def because(cls, engine_error: type[BaseException], message: str) -> "Rejected":
        """The engine's refusal ``engine_error``, told to Step Functions with ``message`` only."""
        return cls(message, error=engine_error.__name__)


class InputTooLarge(Rejected):
    """The upload is larger than one run accepts (functions/limits.py), or does not fit this
    function's /tmp."""


def rejection(exc: Rejected) -> Rejection:
    return Rejection(rejected=StepError(Error=exc.error, Cause=str(exc)))


@contextmanager
def transient_errors() -> Iterator[None]:
    """Turn throttling, server-side and connection errors of AWS, however wrapped, into :class:`TransientError`."""
    try:
        yield
    except (TransientError, Rejected):
        raise
    except Exception as exc:
        cause = transient_cause(exc)
        if cause is not None:
            raise TransientError(f"{cause}; retry later") from None
        raise


def step(
    environment: type[E], event: Any, *, what: str = "event"
) -> Callable[[Callable[[Any, E, Any], Contract]], Callable[[dict, Any], dict]]:
    """Decorate a Lambda handler ``function(event, env, context) -> Contract``.

    Per invocation: fresh AWS clients; the environment read into ``environment`` and the event into
    ``event`` (a contract model), each refused with a message naming the fields at fault; Powertools'
    context, tracing and metrics; AWS's passing failures raised as :class:`TransientError`; a
    :class:`Rejected` returned as the state machine's rejection. The result is the model's JSON.
    """

    def decorate(function: Callable[[Any, E, Any], Contract]) -> Callable[[dict, Any], dict]:
        @functools.wraps(function)
        def run(raw: dict, context: Any) -> dict:
            reset_clients()
            settings = environment.load()
            parsed = parse(event, raw, what)
            try:
                with transient_errors():
                    return function(parsed, settings, context).dump()
            except Rejected as exc:
                logger.warning("step rejected its input", extra={"rejection": exc.error})
                metrics.add_metric(name="Rejections", unit=MetricUnit.Count, value=1)
                return rejection(exc).dump()

        traced = tracer.capture_lambda_handler(run, capture_response=False)
        with_metrics = metrics.log_metrics(traced)
        return logger.inject_lambda_context(with_metrics, clear_state=True, log_event=False)

    return decorate


@contextmanager
def workspace(step_name: str, root: Path | None = None) -> Iterator[Path]:
    """A private folder under /tmp (or ``root``) for one invocation, removed afterwards (Lambda reuses /tmp)."""
    folder = Path(root or tempfile.gettempdir()) / f"clearance-{step_name}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_id(text: str, limit: int = 80) -> str:
    """A run id from outside (an upload's key) made safe to echo in a log or a message."""
    return _SAFE.sub("_", text)[:limit] or "_"
