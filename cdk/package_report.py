"""Report the size of each Lambda package of a synthesized cloud assembly (``make synth``).

    python -m cdk.package_report cdk.out

Reads each function's code asset from the template and the asset manifest, and prints one line per
package: its code group, the functions that run it, and its unzipped size against Lambda's limit and
the kit's budget (cdk/packaging.py). Exits non-zero if a package is over the budget.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cdk.packaging import LAMBDA_UNZIPPED_LIMIT, SIZE_BUDGET, package_size
from cdk.processing import FUNCTIONS

GROUP_OF = {f"functions.{spec.name}.handler": spec.group for spec in FUNCTIONS}


def packages(assembly: Path) -> list[tuple[str, list[str], int]]:
    """(group, function names, size in bytes) of every function package in the assembly."""
    found: dict[tuple[str, str], tuple[str, list[str], Path]] = {}
    for manifest in sorted(assembly.glob("*.assets.json")):
        assets = json.loads(manifest.read_text())["files"]
        template = json.loads((assembly / manifest.name.replace(".assets.json", ".template.json")).read_text())
        for resource in template["Resources"].values():
            props = resource.get("Properties", {})
            group = GROUP_OF.get(props.get("Handler", "")) if resource["Type"] == "AWS::Lambda::Function" else None
            if group is None:
                continue
            asset = props["Code"]["S3Key"].removesuffix(".zip")
            path = assembly / assets[asset]["source"]["path"]
            found.setdefault((asset, group), (group, [], path))[1].append(props["Handler"].split(".")[1])
    return sorted((group, names, package_size(path)) for group, names, path in found.values())


def main(arguments: list[str]) -> int:
    assembly = Path(arguments[0] if arguments else "cdk.out")
    over = False
    for group, names, size in packages(assembly):
        over |= size > SIZE_BUDGET
        print(
            f"{group:<10} {size / 2**20:8.1f} MiB  {size / LAMBDA_UNZIPPED_LIMIT:6.1%} of Lambda's limit "
            f"(budget {SIZE_BUDGET / LAMBDA_UNZIPPED_LIMIT:.0%})  {', '.join(sorted(names))}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
