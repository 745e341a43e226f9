"""Entry point of the CDK app (named by `cdk.json`): one county's stack, checked by cdk-nag.

    npx cdk synth                                   # uses the defaults in cdk.json
    npx cdk deploy -c clearance:county="LOS ANGELES" -c clearance:notificationEmails=it@county.gov
    python cdk/app.py clearance:lambdaBundling=source   # offline, without the CDK command line

The AWS Solutions and NIST 800-53 rev 5 rule packs run on every synthesis; an unsuppressed error
stops it. Reviewed exceptions, each with its reason, are in `cdk/nag.py`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aws_cdk as cdk  # noqa: E402

from cdk.nag import add_nag_checks  # noqa: E402
from cdk.settings import DeploymentSettings, SettingsError  # noqa: E402
from cdk.stack import CountyStack  # noqa: E402


CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def default_context() -> dict:
    """The context in `cdk.json` (county defaults and CDK feature flags), for apps built outside the CLI."""
    return json.loads(CDK_JSON.read_text())["context"]


def build(app: cdk.App) -> CountyStack:
    """The county's stack, from the app's context. Raises :class:`SettingsError` (one line per problem)
    for unknown keys and bad values, and for a deployable build (``lambdaBundling`` ``pip``) without
    notification addresses or office profile unless waived (``cdk/settings.py``)."""
    settings = DeploymentSettings.from_context(app.node.try_get_context, app.node.get_all_context(), deployable=True)
    stack = CountyStack(
        app,
        f"ClearanceKit-{settings.slug}",
        settings=settings,
        # The account and region of the credentials `cdk deploy` runs with; none when synthesizing offline.
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    add_nag_checks(app)
    return stack


def standalone_app(arguments: list[str]) -> cdk.App:
    """An app run without the CDK command line (``make synth``): cdk.json's context, then any
    ``key=value`` arguments, e.g. ``python cdk/app.py clearance:lambdaBundling=source``."""
    context = default_context()
    for argument in arguments:
        key, _, value = argument.partition("=")
        context[key] = value
    return cdk.App(context=context, outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))


if __name__ == "__main__":
    # Under `cdk synth`/`cdk deploy` the CLI passes cdk.json and -c values itself (CDK_CONTEXT_JSON).
    app = cdk.App() if "CDK_CONTEXT_JSON" in os.environ else standalone_app(sys.argv[1:])
    try:
        build(app)
    except SettingsError as exc:  # one line per problem, no traceback: the county fixes its settings
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("Nothing was synthesized. The settings are described in docs/deployment.md, section 3.", file=sys.stderr)
        sys.exit(1)
    app.synth()
