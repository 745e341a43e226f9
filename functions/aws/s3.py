"""S3: downloads (an exact object version, or every object under a prefix), uploads (one file, many
files in parallel, a folder with its index last), JSON objects, listings and deletions.

Privacy: nothing here logs; keys under ``incoming/`` may carry the office's file names, so callers
never put a key in a log, a metric or an error Step Functions records.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import ClientError
from pydantic import BaseModel

from .clients import client
from .errors import error_code

#: Parallel transfers: a filing set has tens of thousands of small files (two per challenged person),
#: and one request at a time would spend minutes waiting on the network.
TRANSFER_THREADS = 32

#: The codes S3 answers for an object that is not there (403 without s3:ListBucket on the bucket).
_MISSING = ("404", "NoSuchKey", "NotFound")


class ObjectVersion(BaseModel):
    """The current version of one object, as a listing of versions gives it."""

    key: str
    version_id: str
    size: int


def _in_parallel(work: Callable[[Any], Any], items: list) -> list:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=TRANSFER_THREADS) as pool:
        return list(pool.map(work, items))


def download(bucket: str, key: str, path: Path, *, version_id: str | None = None) -> Path:
    """One object (at ``version_id`` when given) into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"VersionId": version_id} if version_id else None
    client("s3").download_file(bucket, key, str(path), ExtraArgs=extra)
    return path


def list_keys(bucket: str, prefix: str) -> list[str]:
    """Every object key under ``prefix`` (folder markers left out)."""
    keys: list[str] = []
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")]
    return keys


def download_prefix(bucket: str, prefix: str, folder: Path) -> list[Path]:
    """Every object under ``prefix`` into ``folder``, keeping the relative paths."""
    s3 = client("s3")

    def fetch(key: str) -> Path:
        path = folder / key[len(prefix) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
        return path

    return _in_parallel(fetch, [k for k in list_keys(bucket, prefix) if k != prefix])


def current_versions(bucket: str, prefix: str) -> list[ObjectVersion]:
    """The current version of every object under ``prefix`` (folder markers left out), by key."""
    found = []
    pages = client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for version in page.get("Versions", []):
            if version.get("IsLatest") and not version["Key"].endswith("/"):
                found.append(
                    ObjectVersion(
                        key=version["Key"], version_id=version.get("VersionId") or "", size=version.get("Size", 0)
                    )
                )
    return sorted(found, key=lambda v: v.key)


def delete_prefix(bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix`` (an earlier attempt's intermediate files); return the count."""
    s3 = client("s3")
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def upload_file(path: Path, bucket: str, key: str) -> str:
    client("s3").upload_file(str(path), bucket, key)
    return key


def upload_files(files: list[tuple[Path, str]], bucket: str) -> list[str]:
    """Upload (path, key) pairs in parallel."""
    s3 = client("s3")

    def send(pair: tuple[Path, str]) -> str:
        s3.upload_file(str(pair[0]), bucket, pair[1])
        return pair[1]

    return _in_parallel(send, files)


def upload_dir(folder: Path, bucket: str, prefix: str, *, last: tuple[str, ...] = ()) -> list[str]:
    """Upload every file under ``folder`` to ``prefix``; the names in ``last`` go after all others.

    Uploading the manifest or index last means a reader who sees it also sees everything it lists.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    first = [
        (p, prefix + p.relative_to(folder).as_posix()) for p in files if p.relative_to(folder).as_posix() not in last
    ]
    final = [(folder / name, prefix + name) for name in last if (folder / name).is_file()]
    return upload_files(first, bucket) + [upload_file(p, bucket, k) for p, k in final]


def put_json(bucket: str, key: str, value: Any) -> None:
    """Write ``value`` (plain JSON data, or a pydantic model) as an indented JSON object."""
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    client("s3").put_object(
        Bucket=bucket, Key=key, Body=json.dumps(data, indent=2, default=str).encode(), ContentType="application/json"
    )


def get_json(bucket: str, key: str) -> Any | None:
    """The JSON object at ``key``, or None when there is no such object."""
    try:
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if error_code(exc) in _MISSING:
            return None
        raise
    return json.loads(body)


def exists(bucket: str, key: str) -> bool:
    """Whether ``key`` exists. A 403 counts as absent: without s3:ListBucket S3 answers a missing key so."""
    try:
        client("s3").head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if error_code(exc) in (*_MISSING, "403"):
            return False
        raise
