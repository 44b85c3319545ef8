"""The HTTP data source: AWS-signed calls answered by local services, other endpoints for real."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from local.aws.appsync.http_source import HttpSource

IAM = {"authorizationType": "AWS_IAM", "awsIamConfig": {"signingServiceName": "states"}}


class Echo(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.dumps(
            {
                "path": self.path,
                "header": self.headers.get("x-custom"),
                "body": self.rfile.read(length).decode(),
            }
        ).encode()
        self.send_response(201 if "created" in self.path else 200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_unsigned_endpoint_is_called_for_real(echo_server):
    source = HttpSource(echo_server, None, {})
    answer = source.call(
        {
            "method": "POST",
            "resourcePath": "/created",
            "params": {"headers": {"X-Custom": "yes"}, "query": {"a": "1"}, "body": "hello"},
        }
    )
    assert answer.error is None
    assert answer.result["statusCode"] == 201
    assert json.loads(answer.result["body"]) == {
        "path": "/created?a=1",
        "header": "yes",
        "body": "hello",
    }


def test_an_unreachable_endpoint_is_an_http_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = HttpSource(f"http://127.0.0.1:{port}", None, {}).call({"method": "GET"})
    assert answer.error["type"] == "Http"


def test_signed_calls_go_to_the_local_service_named_by_the_target():
    calls = []

    def start(body):
        if body.get("stateMachineArn") == "missing":
            raise ClientError(
                {"Error": {"Code": "StateMachineDoesNotExist", "Message": "no such machine"}},
                "StartExecution",
            )
        calls.append(body)
        return {"status": "SUCCEEDED", "output": "{}"}

    source = HttpSource("https://sync-states.us-east-1.amazonaws.com", IAM, {"Svc.Op": start})
    answer = source.call(
        {"method": "POST", "params": {"headers": {"X-Amz-Target": "Svc.Op"}, "body": '{"a": 1}'}}
    )
    assert (answer.result["statusCode"], json.loads(answer.result["body"])["status"]) == (
        200,
        "SUCCEEDED",
    )
    assert calls == [{"a": 1}]
    unknown = source.call({"method": "POST", "params": {"headers": {"x-amz-target": "Svc.Nope"}}})
    assert unknown.result["statusCode"] == 400
    assert json.loads(unknown.result["body"])["__type"] == "UnknownOperationException"
    garbled = source.call(
        {"method": "POST", "params": {"headers": {"x-amz-target": "Svc.Op"}, "body": "{"}}
    )
    assert json.loads(garbled.result["body"])["__type"] == "SerializationException"
    assert source.call({"no": "method"}).error["type"] == "MappingTemplate"
    refused = source.call(
        {
            "method": "POST",
            "params": {
                "headers": {"x-amz-target": "Svc.Op"},
                "body": '{"stateMachineArn": "missing"}',
            },
        }
    )
    assert refused.result["statusCode"] == 400
    assert json.loads(refused.result["body"])["__type"] == "StateMachineDoesNotExist"
