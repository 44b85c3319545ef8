"""`make web-config`: the web app's config.json from the local cloud running here, or from a
deployed stack's outputs (`pulumi stack output --json`, a stand-in CLI here), holding only what
a browser may know, in the shape web/src/appConfig.js reads."""

import json

import pytest

import web_config
from stack_target_support import OUTPUTS, local_cloud

LOCAL = {
    "graphqlUrl": "http://127.0.0.1:4000/graphql",
    "realtimeUrl": "ws://127.0.0.1:4000/graphql/realtime",
    "httpsGraphqlUrl": "https://localhost:4443/graphql",
    "region": "eu-west-1",
    "userPoolId": "eu-west-1_local",
    "userPoolClientId": "local-client",
    "awsEndpoint": "http://127.0.0.1:5000",
    "iamCredentials": {"accessKeyId": "local", "secretAccessKey": "local-secret"},
    "caFile": "/somewhere/ca.pem",
    "users": [{"username": "alice@example.com", "password": "pw", "groups": []}],
}


def written(tmp_path, *args: str) -> dict:
    out = tmp_path / "config.json"
    assert web_config.main(["-C", str(tmp_path), "--out", str(out), *args]) == 0
    return json.loads(out.read_text())


def test_a_deployed_stack_gives_its_https_endpoint_and_pool_and_nothing_else(fake_pulumi, tmp_path):
    install, args = fake_pulumi
    install(json.dumps({**OUTPUTS, "tableName": "t", "apiKey": "da2-secret"}))
    assert written(tmp_path, "--stack", "prod") == {
        "source": "stack prod",
        "region": "eu-west-1",
        "graphqlUrl": OUTPUTS["graphqlUrl"],
        "userPoolId": "eu-west-1_pool",
        "userPoolClientId": "client",
        "demoLogins": [],
    }
    assert args.read_text().split()[-2:] == ["--stack", "prod"]


def test_the_running_local_cloud_gives_its_https_endpoint_cognito_and_demo_logins(
    fake_pulumi, tmp_path
):
    install, args = fake_pulumi
    install("{}")
    with local_cloud(tmp_path, running=True):
        (tmp_path / ".slate" / "local.json").write_text(json.dumps(LOCAL))
        config = written(tmp_path)
    assert config == {
        "source": "the local cloud",
        "region": "eu-west-1",
        "graphqlUrl": "https://localhost:4443/graphql",
        "userPoolId": "eu-west-1_local",
        "userPoolClientId": "local-client",
        "userPoolEndpoint": "http://127.0.0.1:5000",
        "demoLogins": [{"username": "alice@example.com", "password": "pw", "groups": []}],
    }
    assert not args.exists()  # the CLI was not asked
    assert "local-secret" not in json.dumps(config) and "caFile" not in config


def test_an_outputs_file_is_read_as_the_cli_prints_it(tmp_path):
    outputs = tmp_path / "prod.json"
    outputs.write_text(json.dumps(OUTPUTS))
    assert written(tmp_path, "--outputs", str(outputs))["source"] == "the outputs in prod.json"


@pytest.mark.parametrize(
    ("outputs", "error"),
    [
        ({**OUTPUTS, "graphqlUrl": "http://api.example.com/graphql"}, "no HTTPS GraphQL"),
        ({"graphqlUrl": OUTPUTS["graphqlUrl"]}, "lack realtimeUrl, region, userPoolId"),
    ],
)
def test_outputs_a_browser_cannot_use_are_one_clear_error_and_write_nothing(
    tmp_path, capsys, outputs, error
):
    source = tmp_path / "outputs.json"
    source.write_text(json.dumps(outputs))
    out = tmp_path / "config.json"
    assert web_config.main(["--outputs", str(source), "--out", str(out)]) == 1
    assert error in capsys.readouterr().err
    assert not out.exists()


def test_make_demo_without_a_built_app_says_how_to_build_it(tmp_path, monkeypatch, capsys):
    import demo

    monkeypatch.setattr(demo, "DIST", tmp_path / "dist")
    assert demo.main(["-C", str(tmp_path)]) == 1
    assert "web/dist is not built" in capsys.readouterr().err
