"""Cognito user pools: a password policy, deletion protection in production, threat protection."""

from pulumi_policy import EnforcementLevel, Severity

from .common import PRODUCTION_STACKS, is_production, resource_rule, truthy

POOL = "aws:cognito/userPool:UserPool"
CHARACTER_CLASSES = ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols")


def _password_policy(props, config, args):
    policy = props.get("passwordPolicy") or {}
    minimum = config.get("minimumLength", 12)
    problems = []
    if (policy.get("minimumLength") or 8) < minimum:
        problems.append(f"passwords may be shorter than {minimum} characters")
    missing = [c for c in CHARACTER_CLASSES if not policy.get(c)]
    if config.get("requireCharacterClasses", True) and missing:
        problems.append(f"the password policy does not set {', '.join(missing)}")
    return problems


password_policy = resource_rule(
    "cognito-password-policy",
    "User pools require long passwords mixing character classes.",
    POOL,
    _password_policy,
    config={
        "minimumLength": {"type": "integer", "minimum": 6, "default": 12},
        "requireCharacterClasses": {"type": "boolean", "default": True},
    },
)

deletion_protection = resource_rule(
    "cognito-deletion-protection-in-production",
    "User pools of production stacks are protected from deletion.",
    POOL,
    lambda props, config, args: (
        ["deletion protection is off on a production stack: set deletionProtection ACTIVE"]
        if is_production(args, config) and props.get("deletionProtection") != "ACTIVE"
        else []
    ),
    severity=Severity.CRITICAL,
    config=PRODUCTION_STACKS,
)

threat_protection = resource_rule(
    "cognito-threat-protection",
    "User pools detect compromised credentials and risky sign-ins (threat protection; a paid "
    "feature, hence advisory).",
    POOL,
    lambda props, config, args: (
        []
        if truthy(props, "userPoolAddOns", "advancedSecurityMode") in ("AUDIT", "ENFORCED")
        else ["threat protection is off: set userPoolAddOns.advancedSecurityMode"]
    ),
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)

POLICIES = [password_policy, deletion_protection, threat_protection]
