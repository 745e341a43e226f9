"""The IAM evaluator the access-checked run relies on, on policies written by hand from AWS's
documented evaluation logic (explicit deny wins; identity or resource policy allows within an
account; a KMS key policy must allow the principal or delegate to IAM)."""

import pytest

from tests.e2e.iam_policy import Request, condition_holds, evaluate, glob_match

ROLE = "arn:aws:iam::111122223333:role/clearance-evaluate"
BUCKET = "arn:aws:s3:::county-results"
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def allow(action, resource, condition=None, **extra):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def request(action, resource, principal=ROLE, **context):
    return Request(principal, action, resource, context)


def test_wildcards_in_actions_are_case_insensitive_and_in_resources_case_sensitive():
    assert glob_match("s3:Get*", "s3:getobject", ignore_case=True)
    assert not glob_match("s3:Get*", "s3:PutObject", ignore_case=True)
    assert glob_match(f"{BUCKET}/work/*", f"{BUCKET}/work/run-1/split/part.parquet")  # * crosses '/'
    assert not glob_match(f"{BUCKET}/work/*", f"{BUCKET}/Work/run-1")
    assert glob_match(f"{BUCKET}/runs/?/STATUS.json", f"{BUCKET}/runs/1/STATUS.json")
    assert not glob_match(f"{BUCKET}/runs/?/STATUS.json", f"{BUCKET}/runs/12/STATUS.json")


def test_an_allow_covers_only_its_actions_and_resources():
    identity = [allow(["s3:GetObject", "s3:GetObjectVersion"], f"{BUCKET}/work/*")]
    assert evaluate(request("s3:GetObject", f"{BUCKET}/work/r/x"), identity).allowed
    assert not evaluate(request("s3:GetObject", f"{BUCKET}/runs/r/x"), identity).allowed
    assert not evaluate(request("s3:PutObject", f"{BUCKET}/work/r/x"), identity).allowed
    assert evaluate(request("s3:PutObject", f"{BUCKET}/work/r/x"), identity).reason == "implicit deny"


def test_an_explicit_deny_wins_over_any_allow():
    identity = [allow("s3:*", f"{BUCKET}/*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]
    assert evaluate(request("s3:PutObject", f"{BUCKET}/a"), identity).allowed
    decision = evaluate(request("s3:DeleteObject", f"{BUCKET}/a"), identity)
    assert not decision.allowed and decision.reason.startswith("explicit deny")


def test_not_action_and_not_resource_invert_the_match():
    identity = [
        {"Effect": "Allow", "NotAction": "s3:Delete*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "NotResource": f"{BUCKET}/work/*"},
    ]
    assert evaluate(request("s3:PutObject", f"{BUCKET}/work/x"), identity).allowed
    assert not evaluate(request("s3:PutObject", f"{BUCKET}/runs/x"), identity).allowed
    assert not evaluate(request("s3:DeleteObject", f"{BUCKET}/work/x"), identity).allowed


def test_a_listing_condition_on_the_prefix_must_hold_and_a_missing_key_fails_it():
    identity = [allow("s3:ListBucket", BUCKET, {"StringLike": {"s3:prefix": ["work/*"]}})]
    assert evaluate(request("s3:ListBucket", BUCKET, **{"s3:prefix": "work/r1/split/"}), identity).allowed
    assert not evaluate(request("s3:ListBucket", BUCKET, **{"s3:prefix": "runs/r1/"}), identity).allowed
    assert not evaluate(request("s3:ListBucket", BUCKET), identity).allowed  # no Prefix: the whole bucket


def test_condition_operators_if_exists_negation_and_several_keys():
    context = {
        "aws:SourceAccount": "111122223333",
        "aws:SourceArn": "arn:aws:cloudwatch:us-west-2:111122223333:alarm:clearance-x",
    }
    assert condition_holds(
        {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-west-2:111122223333:alarm:clearance-*"},
        },
        context,
    )
    assert not condition_holds(
        {
            "StringEquals": {"aws:SourceAccount": "111122223333"},
            "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:*:alarm:other-*"},
        },
        context,
    )
    assert condition_holds({"StringEqualsIfExists": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}, context)
    assert not condition_holds({"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}, context)
    assert condition_holds({"StringNotEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}, context)
    assert condition_holds({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"})
    assert not condition_holds({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"})
    assert condition_holds({"Null": {"s3:prefix": "true"}}, {})
    assert condition_holds({"StringEquals": {"AWS:SourceAccount": ["1", "111122223333"]}}, context)  # keys ignore case


def test_an_unknown_condition_operator_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="DateGreaterThan"):
        condition_holds({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {})


def test_a_bucket_policy_deny_of_plain_http_applies_to_everyone_only_without_tls():
    bucket_policy = [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    identity = [allow("s3:GetObject", f"{BUCKET}/*")]
    assert evaluate(
        request("s3:GetObject", f"{BUCKET}/a", **{"aws:SecureTransport": "true"}), identity, bucket_policy
    ).allowed
    assert not evaluate(
        request("s3:GetObject", f"{BUCKET}/a", **{"aws:SecureTransport": "false"}), identity, bucket_policy
    ).allowed


def test_a_kms_key_needs_its_key_policy_to_allow_or_delegate_to_iam():
    identity = [allow(["kms:Decrypt"], KEY, {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}})]
    delegating = [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}
    ]
    via_s3 = {"kms:ViaService": "s3.us-west-2.amazonaws.com"}
    assert evaluate(request("kms:Decrypt", KEY, **via_s3), identity, delegating, key_policy=True).allowed
    # the same identity grant, called directly rather than through S3
    assert not evaluate(request("kms:Decrypt", KEY), identity, delegating, key_policy=True).allowed
    # a key policy that does not name the account: IAM grants are not enough
    decision = evaluate(request("kms:Decrypt", KEY, **via_s3), identity, [], key_policy=True)
    assert not decision.allowed and "does not delegate" in decision.reason


def test_a_service_principal_is_allowed_only_by_the_resource_policy():
    topic = "arn:aws:sns:us-west-2:111122223333:clearance"
    cloudwatch = "service:cloudwatch.amazonaws.com"
    alarm = "arn:aws:cloudwatch:us-west-2:111122223333:alarm:clearance-sacramento-RunsFailed"
    topic_policy = [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111122223333"},
                "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-west-2:111122223333:alarm:clearance-sacramento-*"},
            },
        }
    ]
    ok = request(
        "sns:Publish", topic, principal=cloudwatch, **{"aws:SourceAccount": "111122223333", "aws:SourceArn": alarm}
    )
    assert evaluate(ok, [allow("sns:Publish", "*")], topic_policy).allowed
    other_account = request(
        "sns:Publish", topic, principal=cloudwatch, **{"aws:SourceAccount": "999999999999", "aws:SourceArn": alarm}
    )
    assert not evaluate(other_account, [], topic_policy).allowed
    assert not evaluate(ok, [allow("sns:Publish", "*")], []).allowed  # identity policies do not apply to services
