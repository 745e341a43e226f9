"""boto3 clients: one per service and invocation, with standard retries and bounded timeouts."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=120)

_local = threading.local()


def client(service: str) -> Any:
    """A boto3 client for this invocation (created on first use, reused within the invocation)."""
    cache = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    if service not in cache:
        cache[service] = boto3.client(service, config=_BOTO_CONFIG)
    return cache[service]


def reset_clients() -> None:
    """Forget this thread's clients: each invocation starts with fresh ones (credentials, endpoints)."""
    _local.clients = {}
