"""The web app's reading of config.json (web/src/appConfig.js, which the app and the Node probe
share), run in Node: what `make web-config` writes becomes Amplify's configuration, and a file
the app cannot use is one clear error naming what is wrong."""

import json
import shutil
import subprocess

import pytest

from support import REPO

CONFIG = {
    "source": "stack prod",
    "region": "eu-west-1",
    "graphqlUrl": "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
    "userPoolId": "eu-west-1_pool",
    "userPoolClientId": "client",
    "demoLogins": [],
}


def read_in_node(config: object) -> dict:
    node = shutil.which("node")
    assert node, "make test installs Node (Debian's nodejs) when the machine has none"
    script = (
        "import { amplifyConfig, parseAppConfig } from './web/src/appConfig.js';\n"
        "try { console.log(JSON.stringify({ amplify: amplifyConfig(parseAppConfig("
        f"{json.dumps(config)})) }})); }}\n"
        "catch (error) { console.log(JSON.stringify({ error: error.message })); }\n"
    )
    run = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(run.stdout)


def test_a_deployed_stack_s_config_is_amplify_s_user_pool_and_api():
    assert read_in_node(CONFIG)["amplify"] == {
        "API": {
            "GraphQL": {
                "endpoint": CONFIG["graphqlUrl"],
                "region": "eu-west-1",
                "defaultAuthMode": "userPool",
            }
        },
        "Auth": {"Cognito": {"userPoolId": "eu-west-1_pool", "userPoolClientId": "client"}},
    }


def test_the_local_cloud_s_cognito_endpoint_is_passed_on():
    local = {**CONFIG, "userPoolEndpoint": "http://127.0.0.1:5000"}
    cognito = read_in_node(local)["amplify"]["Auth"]["Cognito"]
    assert cognito["userPoolEndpoint"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ([], "config.json is not a JSON object"),
        ({**CONFIG, "userPoolId": ""}, "config.json lacks userPoolId"),
        ({"source": "x"}, "lacks region, graphqlUrl, userPoolId, userPoolClientId"),
        ({**CONFIG, "graphqlUrl": "http://127.0.0.1:4000/graphql"}, "graphqlUrl must be https://"),
        ({**CONFIG, "demoLogins": "alice"}, "demoLogins must be a list"),
    ],
)
def test_a_config_the_app_cannot_use_is_one_clear_error(config, error):
    assert error in read_in_node(config)["error"]
