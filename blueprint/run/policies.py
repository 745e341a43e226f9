"""Which policy a run uses: a preset by name, a policy YAML file, or the earlier tool's settings JSON.

Kept apart from ``blueprint.engine.policy`` because the settings JSON is read by the earlier tool's
package (``blueprint.compat.gogen``), which itself builds on the policy: the engine does not import it.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.policy import DEFAULT_PACK, RULES_DIR, Policy, PolicyError, _load_yaml, list_presets, presets_dir


def load_policy(ref: str | Path, *, rule_pack: str = DEFAULT_PACK) -> Policy:
    """Load a preset by name, a policy YAML file, or the earlier tool's settings JSON.

    A preset of another rule pack is named ``<pack>:<preset>``, e.g. ``illinois/crta:default``.
    """
    path = Path(ref)
    if isinstance(ref, str) and ":" in ref and not path.exists():
        pack_name, _, preset_name = ref.rpartition(":")
        if pack_name and preset_name and (RULES_DIR / pack_name / "pack.yaml").is_file():
            rule_pack, ref = pack_name, preset_name
            path = Path(ref)
    if path.suffix.lower() == ".json" and path.exists():
        from ..compat.gogen.settings import policy_from_settings_file

        return policy_from_settings_file(path)
    if path.suffix.lower() in (".yaml", ".yml") and path.exists():
        return _load_yaml(path, source=str(path))
    preset = presets_dir(rule_pack) / f"{ref}.yaml"
    if preset.exists():
        return _load_yaml(preset, source=f"preset:{ref}")
    known = ", ".join(list_presets(rule_pack))
    raise PolicyError(f"policy '{ref}' is neither a preset ({known}) nor an existing .yaml or .json file")
