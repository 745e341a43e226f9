"""A small evaluator of IAM policy statements, for checking the synthesized template's grants.

moto does not enforce IAM, so a role that lacks a grant passes every mocked test and fails in a
real account. This module decides, the way AWS's policy evaluation logic does for a request inside
one account, whether a request is allowed by a set of identity-based and resource-based statements:

* an explicit ``Deny`` in any applicable statement wins;
* otherwise an ``Allow`` in the principal's identity policies or in the resource's policy (naming
  the principal) allows, except for KMS keys: there the key policy must allow the principal itself,
  or allow the account (``arn:...:iam::<account>:root``) and so delegate to the identity policies;
* otherwise the request is denied (implicit deny).

Statement semantics implemented: ``Action``/``NotAction`` (case-insensitive, ``*`` and ``?``
wildcards), ``Resource``/``NotResource`` (case-sensitive wildcards), ``Principal`` (``*``, ``AWS``
ARNs and account roots, ``Service``), and ``Condition`` with the operators below, their
``...IfExists`` forms, several values (any matches) and several keys or operators (all must match).
An operator this module does not know is an error, never silently true or false.

Not modelled: permission boundaries, SCPs, session policies, cross-account access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable


@dataclass(frozen=True)
class Request:
    """One authorization question: may ``principal`` do ``action`` on ``resource``?

    ``principal`` is a role ARN (``arn:aws:iam::<account>:role/<name>``) or ``service:<host>`` for
    an AWS service principal (``service:cloudwatch.amazonaws.com``). ``context`` holds the request's
    condition keys (``aws:SecureTransport``, ``s3:prefix``, ``kms:ViaService``, ...), values as strings.
    """

    principal: str
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def account(self) -> str:
        if self.principal.startswith("service:"):
            return ""
        return self.principal.split(":")[4]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "explicit deny", "allowed by identity policy", "implicit deny", ...


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: ``*`` any run of characters (``:`` and ``/`` included), ``?`` one."""
    return bool(_pattern(glob, ignore_case).match(value))


def _action_matches(statement: dict, action: str) -> bool:
    if "Action" in statement:
        return any(glob_match(a, action, ignore_case=True) for a in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(glob_match(a, action, ignore_case=True) for a in _as_list(statement["NotAction"]))
    raise ValueError(f"statement has neither Action nor NotAction: {statement}")


def _resource_matches(statement: dict, resource: str) -> bool:
    if "Resource" in statement:
        return any(glob_match(r, resource) for r in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(glob_match(r, resource) for r in _as_list(statement["NotResource"]))
    raise ValueError(f"statement has neither Resource nor NotResource: {statement}")


def _principal_matches(statement: dict, principal: str) -> bool:
    """Whether a resource policy statement's Principal names the requester (AWS account root
    principals are handled by the caller, because their meaning differs between S3/SNS and KMS)."""
    if "NotPrincipal" in statement:
        raise ValueError("NotPrincipal is not supported by this evaluator")
    named = statement.get("Principal")
    if named == "*" or named == {"AWS": "*"}:
        return True
    if not isinstance(named, dict):
        return False
    if principal.startswith("service:"):
        return principal[len("service:") :] in _as_list(named.get("Service"))
    return any(p == principal for p in _as_list(named.get("AWS")))


def _names_account_root(statement: dict, account: str) -> bool:
    named = statement.get("Principal")
    if not isinstance(named, dict) or not account:
        return False
    return any(
        p in (account, f"arn:aws:iam::{account}:root", f"arn:aws-us-gov:iam::{account}:root")
        for p in _as_list(named.get("AWS"))
    )


# -- conditions -------------------------------------------------------------------------------------


def _string_equals(actual: str, expected: str) -> bool:
    return actual == expected


def _string_like(actual: str, expected: str) -> bool:
    return glob_match(expected, actual)


def _string_equals_ignore_case(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


def _bool(actual: str, expected: str) -> bool:
    return str(actual).lower() == str(expected).lower()


def _numeric(compare):
    return lambda actual, expected: compare(float(actual), float(expected))


#: operator -> (test of one value, negated). Arn* compare like String* (AWS matches ARN segments,
#: which wildcard matching over the whole ARN reproduces for the ARNs used here).
_OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_like, False),
    "ArnLike": (_string_like, False),
    "ArnNotEquals": (_string_like, True),
    "ArnNotLike": (_string_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(lambda a, b: a == b), False),
    "NumericLessThan": (_numeric(lambda a, b: a < b), False),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b), False),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b), False),
}


def _lookup(context: dict[str, Any], key: str) -> list[str] | None:
    """The request's values for a condition key (keys are case-insensitive); None when absent."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v) for v in _as_list(value)]
    return None


def condition_holds(condition: dict, context: dict[str, Any]) -> bool:
    """Every operator block and every key in it must hold (AND); any listed value may match (OR)."""
    for operator, block in (condition or {}).items():
        if operator == "Null":
            for key, expected in block.items():
                absent = _lookup(context, key) is None
                if absent != (str(_as_list(expected)[0]).lower() == "true"):
                    return False
            continue
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        set_operator = None
        if ":" in base:
            set_operator, base = base.split(":", 1)
            if set_operator not in ("ForAnyValue", "ForAllValues"):
                raise ValueError(f"unknown condition set operator {set_operator}")
        if base not in _OPERATORS:
            raise ValueError(f"condition operator {operator} is not supported by this evaluator")
        test, negated = _OPERATORS[base]
        for key, expected_values in block.items():
            actual_values = _lookup(context, key)
            expected_values = [str(v) for v in _as_list(expected_values)]
            if actual_values is None:
                if if_exists or set_operator == "ForAllValues":
                    continue
                # A missing key fails a positive test; a negated test of a missing key holds.
                if negated:
                    continue
                return False

            def matches(actual: str) -> bool:
                return any(test(actual, e) for e in expected_values)  # noqa: B023 (used in this iteration only)

            if set_operator and negated:
                raise ValueError(f"negated set operator {operator} is not supported by this evaluator")
            ok = (
                all(matches(a) for a in actual_values)
                if set_operator == "ForAllValues"
                else any(matches(a) for a in actual_values)
            )
            if negated:
                ok = not ok
            if not ok:
                return False
    return True


def applies(statement: dict, request: Request) -> bool:
    """Whether a statement's action, resource and conditions cover the request (not its principal)."""
    return (
        _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource)
        and condition_holds(statement.get("Condition", {}), request.context)
    )


def evaluate(
    request: Request, identity: Iterable[dict], resource_policy: Iterable[dict] = (), *, key_policy: bool = False
) -> Decision:
    """Decide one request (see the module docstring). ``resource_policy`` are the statements of the
    resource's own policy (bucket, topic or queue policy; a KMS key policy with ``key_policy=True``)."""
    identity = list(identity) if not request.principal.startswith("service:") else []
    resource_policy = list(resource_policy)

    def in_resource_policy(statement: dict) -> bool:
        return _principal_matches(statement, request.principal) or _names_account_root(statement, request.account)

    for statement in identity:
        if statement["Effect"] == "Deny" and applies(statement, request):
            return Decision(False, f"explicit deny in identity policy {statement.get('Sid', '')}".strip())
    for statement in resource_policy:
        if statement["Effect"] == "Deny" and in_resource_policy(statement) and applies(statement, request):
            return Decision(False, f"explicit deny in resource policy {statement.get('Sid', '')}".strip())

    identity_allows = any(s["Effect"] == "Allow" and applies(s, request) for s in identity)
    direct = any(
        s["Effect"] == "Allow" and _principal_matches(s, request.principal) and applies(s, request)
        for s in resource_policy
    )
    delegated = any(
        s["Effect"] == "Allow" and _names_account_root(s, request.account) and applies(s, request)
        for s in resource_policy
    )
    if key_policy:
        if direct:
            return Decision(True, "allowed by the key policy")
        if delegated and identity_allows:
            return Decision(True, "allowed by identity policy (key policy delegates to IAM)")
        if identity_allows:
            return Decision(False, "implicit deny: the key policy does not delegate to IAM")
        return Decision(False, "implicit deny")
    if identity_allows:
        return Decision(True, "allowed by identity policy")
    if direct:
        return Decision(True, "allowed by resource policy")
    return Decision(False, "implicit deny")
