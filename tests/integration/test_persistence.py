"""The local cloud's snapshots: moto's state round-trips whole (items, users and their passwords,
queued messages), only changes cause writes, and a snapshot that cannot be read is set aside."""

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict

from local import persistence
from local.persistence import Snapshots

REGION = "us-east-1"


def client(service: str):
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def aws(aws_env):
    with mock_aws(), persistence.counting_changes():
        yield


def build_state() -> dict:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="things",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    dynamodb.put_item(TableName="things", Item={"id": {"S": "kept"}, "n": {"N": "7"}})
    cognito = client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    app = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="ada")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="ada", Password="Passw0rd!Kept", Permanent=True
    )
    url = client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    client("sqs").send_message(QueueUrl=url, MessageBody="poison")
    return {"pool": pool, "client": app, "queue": url}


def test_a_snapshot_brings_back_items_users_passwords_and_messages(aws, tmp_path):
    state = build_state()
    snapshots = Snapshots(tmp_path / "cloud.pickle", lambda: {"users": ["ada"]})
    snapshots.save()
    BackendDict.reset()  # moto forgets everything, as a new process starts with nothing
    assert client("dynamodb").list_tables()["TableNames"] == []

    assert snapshots.load() == {"users": ["ada"]}
    item = client("dynamodb").get_item(TableName="things", Key={"id": {"S": "kept"}})["Item"]
    assert item == {"id": {"S": "kept"}, "n": {"N": "7"}}
    signed_in = client("cognito-idp").initiate_auth(
        ClientId=state["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": "Passw0rd!Kept"},
    )
    assert signed_in["AuthenticationResult"]["IdToken"]
    [message] = client("sqs").receive_message(QueueUrl=state["queue"])["Messages"]
    assert message["Body"] == "poison"


def test_only_a_change_causes_a_snapshot(aws, tmp_path, monkeypatch):
    build_state()
    snapshots = Snapshots(tmp_path / "cloud.pickle", dict)
    writes = []
    save = snapshots.save
    monkeypatch.setattr(snapshots, "save", lambda: (writes.append(1), save()))
    snapshots.pump()
    assert len(writes) == 1  # the first look always writes
    client("dynamodb").get_item(TableName="things", Key={"id": {"S": "kept"}})
    client("dynamodb").scan(TableName="things")
    client("cognito-idp").list_user_pools(MaxResults=10)
    snapshots.pump()
    assert len(writes) == 1  # reads change nothing
    client("dynamodb").put_item(TableName="things", Item={"id": {"S": "new"}})
    snapshots.pump()
    snapshots.pump()
    assert len(writes) == 2
    persistence.touch()  # a change no request made (TTL expiry)
    snapshots.pump()
    assert len(writes) == 3


def test_an_unreadable_snapshot_is_set_aside_not_half_read(aws, tmp_path):
    path = tmp_path / "cloud.pickle"
    path.write_bytes(b"not a pickle")
    assert Snapshots(path, dict).load() is None
    assert not path.exists() and path.with_suffix(".unreadable").read_bytes() == b"not a pickle"
    assert Snapshots(tmp_path / "missing.pickle", dict).load() is None


def test_a_write_interrupted_midway_leaves_the_previous_snapshot(aws, tmp_path, monkeypatch):
    build_state()
    path = tmp_path / "cloud.pickle"
    Snapshots(path, lambda: {"generation": 1}).save()
    monkeypatch.setattr(persistence.os, "replace", lambda *_: (_ for _ in ()).throw(OSError))
    with pytest.raises(OSError):
        Snapshots(path, lambda: {"generation": 2}).save()  # killed between write and rename
    monkeypatch.undo()
    assert Snapshots(path, dict).load() == {"generation": 1}
