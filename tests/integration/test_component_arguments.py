"""What every component shares: its tags are checked as AWS checks them, and a refusal names
the component the user called."""

import pytest

from local.pulumi import engine

TABLE = {
    "name": "bookings",
    "arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings",
    "stream_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings/stream/2026",
}
SAGA = "arn:aws:states:eu-west-1:123456789012:stateMachine:saga"
REQUIRED = {
    "BookingTable": {},
    "AuthPool": {},
    "BookingSaga": {"table": TABLE},
    "BookingQueue": {"table": TABLE, "state_machine_arn": SAGA},
    "BookingApi": {"table": TABLE, "state_machine_arn": SAGA, "user_pool_id": "eu-west-1_abc"},
    "Monitoring": {"table_name": "bookings", "functions": {"payment": "pay"}},
    "RealtimeFanout": {
        "table": TABLE,
        "graphql_url": "https://example.appsync-api.eu-west-1.amazonaws.com/graphql",
        "publish_field_arn": (
            "arn:aws:appsync:eu-west-1:123456789012:apis/a/types/Mutation/fields/publishSlotUpdate"
        ),
    },
}


@pytest.mark.parametrize("component", sorted(REQUIRED))
@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ({"aws:owner": "me"}, "has a tag name in the reserved aws: namespace"),
        ({"team": 7}, "has a value for tag 'team' that is not text"),
        (["team"], "must be a mapping of tag names to values"),
    ],
)
def test_bad_tags_are_refused_naming_the_component(run_component, component, tags, problem):
    with pytest.raises(engine.EngineError, match=f"{component}: argument 'tags' {problem}"):
        run_component(component, {**REQUIRED[component], "tags": tags})


@pytest.mark.parametrize("component", sorted(REQUIRED))
def test_good_tags_reach_every_taggable_resource(run_component, component):
    deployment = run_component(component, {**REQUIRED[component], "tags": {"team": "bookings"}})
    tagged = [r for r in deployment.resources if r.custom and "tags" in r.inputs]
    assert tagged
    assert all(r.inputs["tags"] == {"team": "bookings"} for r in tagged)
