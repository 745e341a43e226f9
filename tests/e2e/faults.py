"""Inject AWS failures into the handlers' calls: throttling, server errors, lost connections.

``Faults`` patches botocore's client creation (as the access check does) and registers a
``before-call`` hook on every client created while it is active: a call whose operation is in
``failing`` raises the chosen error instead of reaching moto, as if botocore's own retries had
been used up. It also records every operation called, so a test can fail each one in turn.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from typing import Iterator

import botocore.session
from botocore.exceptions import ClientError, EndpointConnectionError

#: One of each kind of passing failure AWS documents: throttling, a 5xx, a connection that fails.
KINDS = ("throttled", "server_error", "no_connection")


def error(kind: str, service: str, operation: str) -> Exception:
    if kind == "throttled":
        code, status = {"s3": ("SlowDown", 503), "dynamodb": ("ProvisionedThroughputExceededException", 400)}.get(
            service, ("ThrottlingException", 400)
        )
    elif kind == "server_error":
        code, status = ("InternalError", 500) if service == "s3" else ("ServiceUnavailable", 503)
    elif kind == "no_connection":
        return EndpointConnectionError(endpoint_url=f"https://{service}.us-west-2.amazonaws.com")
    else:
        raise ValueError(kind)
    return ClientError(
        {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


class Faults:
    def __init__(self) -> None:
        self.failing: dict[tuple[str, str], str] = {}  # (service, operation) -> kind
        self.called: list[tuple[str, str]] = []
        self.injected = 0

    def _before_call(self, service: str, model, **_) -> None:
        self.called.append((service, model.name))
        kind = self.failing.get((service, model.name))
        if kind is not None:
            self.injected += 1
            raise error(kind, service, model.name)

    @contextmanager
    def active(self) -> Iterator["Faults"]:
        original = botocore.session.Session.create_client
        faults = self

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            client.meta.events.register("before-call", partial(faults._before_call, service_name))
            return client

        botocore.session.Session.create_client = create_client
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original

    @contextmanager
    def failing_on(self, service: str, operation: str, kind: str) -> Iterator[None]:
        self.failing = {(service, operation): kind}
        self.injected = 0
        try:
            yield
        finally:
            self.failing = {}

    def operations(self) -> list[tuple[str, str]]:
        """Every distinct (service, operation) called so far, in first-call order."""
        return list(dict.fromkeys(self.called))
