"""SNS: the office's notifications (ids, counts and locations only; an e-mail leaves the account)."""

from __future__ import annotations

from .clients import client

#: SNS refuses an e-mail subject longer than this.
SUBJECT_LIMIT = 100


def publish(topic_arn: str, subject: str, message: str) -> None:
    client("sns").publish(TopicArn=topic_arn, Subject=subject[:SUBJECT_LIMIT], Message=message)
