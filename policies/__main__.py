"""The Slate policy pack: `pulumi preview --policy-pack policies`. Only builds the pack; the
rules live in `slate_policies`, importable without starting the pack's server."""

from pulumi_policy import EnforcementLevel, PolicyPack

from slate_policies import POLICIES

PolicyPack(
    name="slate",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Slate's rules for its resource types.",
)
