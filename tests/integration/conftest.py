"""Fixtures for tests that need AWS services: moto, in-process."""

import boto3
import pytest
from moto import mock_aws

from domain import layout
from queue_harness import provisioned
from support import AWS_TEST_ENV


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials and a region, so no call can reach a real account."""
    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def booking_table(aws_env):
    """A moto table with the BookingTable layout (keys and index from handlers/domain/model.json),
    and the list of DynamoDB operations made against it."""
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        table = resource.create_table(
            TableName="bookings",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": layout.PK, "KeyType": "HASH"},
                {"AttributeName": layout.SK, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in (layout.PK, layout.SK, layout.GSI1_PK, layout.GSI1_SK)
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": layout.GSI1,
                    "KeySchema": [
                        {"AttributeName": layout.GSI1_PK, "KeyType": "HASH"},
                        {"AttributeName": layout.GSI1_SK, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        operations: list[str] = []
        table.meta.client.meta.events.register(
            "before-call.dynamodb.*",
            lambda model, **_: operations.append(model.name),
        )
        table.operations = operations
        yield table


@pytest.fixture(scope="module")
def provisioned_stack():
    """The dev stack provisioned into moto (in-process), one per module."""
    with provisioned() as stack:
        yield stack


@pytest.fixture
def queued(provisioned_stack):
    """That stack with its booking queues empty."""
    provisioned_stack.empty()
    return provisioned_stack


@pytest.fixture
def fake_pulumi(tmp_path, monkeypatch):
    """`pulumi` on PATH: records its arguments, prints `answer`, exits with `status`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"

    def install(answer: str, status: int = 0) -> None:
        script.write_text(
            "#!/bin/sh\n"
            f'echo "$@" > {tmp_path / "args"}\n'
            f"cat <<'JSON'\n{answer}\nJSON\n"
            f"exit {status}\n"
        )
        script.chmod(0o755)

    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return install, tmp_path / "args"
