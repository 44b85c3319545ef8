"""Demo data for `make dev`: users to sign in as, and a venue with open slots.

Run by the local cloud once everything is up (`python -m local up --seed devtools/seed.py`);
users go into the stack's user pool, the venue through the API itself, as its owner.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from local.aws.appsync import Caller

PASSWORD = "Slate-demo-2026!"
USERS = [
    ("alice@example.com", []),
    ("bob@example.com", []),
    ("olivia@example.com", ["owners"]),
    ("ada@example.com", ["admins"]),
]
CREATE_VENUE = "mutation($name: String!) { createVenue(name: $name) { venueId } }"
PUBLISH = """mutation($venueId: ID!, $slots: [NewSlotInput!]!) {
  publishSlots(venueId: $venueId, slots: $slots) { slotId }
}"""


def seed(cloud: Any) -> list[dict[str, Any]]:
    pool = cloud.user_pool_id
    cognito = cloud.client("cognito-idp")
    subs = {}
    for username, groups in USERS:
        user = cognito.admin_create_user(
            UserPoolId=pool,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )["User"]
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
        subs[username] = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    owner = Caller.cognito({"sub": subs["olivia@example.com"], "cognito:groups": ["owners"]})
    venue = _data(cloud, owner, CREATE_VENUE, name="Chez Slate")["createVenue"]["venueId"]
    evening = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0)
    evening += timedelta(days=1)
    slots = [
        {
            "startsAt": (evening + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endsAt": (evening + timedelta(hours=h + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "price": 4500,
        }
        for h in range(4)
    ]
    _data(cloud, owner, PUBLISH, venueId=venue, slots=slots)
    return [
        {"username": username, "password": PASSWORD, "groups": groups} for username, groups in USERS
    ]


def _data(cloud: Any, caller: Caller, query: str, **variables: Any) -> dict[str, Any]:
    body = cloud.engine.execute(query, caller, variables=variables).body
    if body.get("errors"):
        raise RuntimeError(f"seeding failed: {body['errors']}")
    return body["data"]
