"""AuthPool: the Cognito user pool that signs Slate's users in, with its app client and groups."""

from typing import TypedDict

import pulumi
import pulumi_aws as aws

from .layout import model
from .validation import checked, checked_tags, int_between, is_bool, one_of, reject_unknown

COMPONENT = "AuthPool"
ADMINS_GROUP = model()["groups"]["admins"]
OWNERS_GROUP = model()["groups"]["owners"]
GROUPS = {
    ADMINS_GROUP: (0, "Operators: manage any venue, see any booking."),
    OWNERS_GROUP: (10, "Venue owners: create venues, publish slots, see their venues' bookings."),
}


class AuthPoolArgs(TypedDict, total=False):
    """Settings for an AuthPool; every field is optional."""

    deletion_protection: pulumi.Input[bool]
    """Refuse deletion of the user pool (and its users). Default false; turn it on for
    production."""

    password_minimum_length: pulumi.Input[int]
    """Minimum password length, 8-99. Default 12. Lower, upper case, digits and symbols are always
    required."""

    mfa: pulumi.Input[str]
    """Multi-factor authentication: OFF or OPTIONAL (TOTP authenticator apps). Default OFF."""

    access_token_minutes: pulumi.Input[int]
    """Lifetime of access and ID tokens in minutes, 5-1440. Default 60."""

    refresh_token_days: pulumi.Input[int]
    """Lifetime of refresh tokens in days, 1-3650. Default 30."""

    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags applied to the user pool."""


class AuthPool(pulumi.ComponentResource):
    """A Cognito user pool for Slate: email as the username, verified email, a strict password
    policy and recovery by email, one public app client (SRP and password sign-in, refresh
    tokens, revocation, no user-existence leaks) and the `admins` and `owners` groups that the
    API's authorization reads from `cognito:groups`."""

    user_pool_id: pulumi.Output[str]
    """The user pool's id."""

    user_pool_arn: pulumi.Output[str]
    """The user pool's ARN."""

    client_id: pulumi.Output[str]
    """The app client id that web and API clients sign in with (no client secret)."""

    issuer_url: pulumi.Output[str]
    """The token issuer (`iss`); its `/.well-known/jwks.json` holds the signing keys."""

    admins_group: pulumi.Output[str]
    """Name of the group whose members administer every venue."""

    owners_group: pulumi.Output[str]
    """Name of the group whose members may create and run venues."""

    def __init__(
        self,
        name: str,
        args: AuthPoolArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        args = args or {}
        reject_unknown(COMPONENT, args, AuthPoolArgs)
        child = pulumi.ResourceOptions(parent=self)
        mfa = checked(COMPONENT, "mfa", args.get("mfa", "OFF"), one_of("OFF", "OPTIONAL"))
        token_minutes = checked(
            COMPONENT,
            "access_token_minutes",
            args.get("access_token_minutes", 60),
            int_between(5, 1440),
        )
        deletion_protection = checked(
            COMPONENT, "deletion_protection", args.get("deletion_protection", False), is_bool
        )

        pool = aws.cognito.UserPool(
            f"{name}-user-pool",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration={"case_sensitive": False},
            password_policy={
                "minimum_length": checked(
                    COMPONENT,
                    "password_minimum_length",
                    args.get("password_minimum_length", 12),
                    int_between(8, 99),
                ),
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 3,
            },
            account_recovery_setting={
                "recovery_mechanisms": [{"name": "verified_email", "priority": 1}]
            },
            admin_create_user_config={"allow_admin_create_user_only": False},
            mfa_configuration=mfa,
            software_token_mfa_configuration=pulumi.Output.from_input(mfa).apply(
                lambda value: {"enabled": True} if value != "OFF" else None
            ),
            deletion_protection=pulumi.Output.from_input(deletion_protection).apply(
                lambda protect: "ACTIVE" if protect else "INACTIVE"
            ),
            tags=checked_tags(COMPONENT, args),
            opts=child,
        )

        client = aws.cognito.UserPoolClient(
            f"{name}-client",
            name=f"{name}-client",
            user_pool_id=pool.id,
            generate_secret=False,
            explicit_auth_flows=[
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
            # What its ID tokens tell the app about the user (the app shows who is signed in).
            read_attributes=["email", "email_verified"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=token_minutes,
            id_token_validity=token_minutes,
            refresh_token_validity=checked(
                COMPONENT,
                "refresh_token_days",
                args.get("refresh_token_days", 30),
                int_between(1, 3650),
            ),
            token_validity_units={
                "access_token": "minutes",
                "id_token": "minutes",
                "refresh_token": "days",
            },
            opts=child,
        )

        groups = {
            group: aws.cognito.UserGroup(
                f"{name}-group-{group}",
                name=group,
                user_pool_id=pool.id,
                precedence=precedence,
                description=description,
                opts=child,
            )
            for group, (precedence, description) in GROUPS.items()
        }

        self.user_pool_id = pool.id
        self.user_pool_arn = pool.arn
        self.client_id = client.id
        self.issuer_url = pool.endpoint.apply(lambda endpoint: f"https://{endpoint}")
        self.admins_group = groups[ADMINS_GROUP].name
        self.owners_group = groups[OWNERS_GROUP].name
        self.register_outputs(
            {
                "user_pool_id": self.user_pool_id,
                "user_pool_arn": self.user_pool_arn,
                "client_id": self.client_id,
                "issuer_url": self.issuer_url,
                "admins_group": self.admins_group,
                "owners_group": self.owners_group,
            }
        )
