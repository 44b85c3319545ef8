"""Stand-ins for what devtools/stack_target reads: a deployed stack's outputs and a local
cloud's discovery file (the `pulumi` CLI that prints outputs is the `fake_pulumi` fixture)."""

import fcntl
import json

OUTPUTS = {
    "graphqlUrl": "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
    "realtimeUrl": "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql",
    "region": "eu-west-1",
    "userPoolId": "eu-west-1_pool",
    "userPoolClientId": "client",
    "apiKey": None,
}


def local_cloud(directory, *, running: bool):
    """A discovery file, and its lock held as a running cloud holds it (or left free)."""
    (directory / ".slate").mkdir()
    discovery = {**OUTPUTS, "awsEndpoint": "http://127.0.0.1:5000", "users": []}
    (directory / ".slate" / "local.json").write_text(json.dumps(discovery))
    lock = (directory / ".slate" / "lock").open("a")
    if running:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return lock
