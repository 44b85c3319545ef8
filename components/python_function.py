"""PythonFunction: how every Lambda function of the stack is packaged and run.

One archive of the handler files only (no tests, caches or Pulumi code) with a content hash, so
an unchanged tree never redeploys; Python 3.13 on arm64 with the AWS-managed Powertools layer;
JSON logs into a log group with retention; X-Ray active; a role that can write its own logs and
traces plus exactly the statements the caller grants.
"""

import base64
import hashlib
from functools import cache
from typing import Required, TypedDict

import pulumi
import pulumi_aws as aws

from .iam import Statement, service_role
from .layout import HANDLERS_DIR, model
from .logs import checked_retention, log_group
from .validation import checked, int_between, reject_unknown, require

COMPONENT = "PythonFunction"
RUNTIME = "python3.13"
ARCHITECTURE = "arm64"
PACKAGED_SUFFIXES = {".py", ".json"}
EXCLUDED_DIRECTORIES = {"__pycache__", "tests", "api"}  # api: AppSync's, not Lambda's
POWERTOOLS_ACCOUNT = "017000801446"
DEFAULT_POWERTOOLS_LAYER_VERSION = 27
METRICS_NAMESPACE: str = model()["metrics"]["namespace"]


class PythonFunctionArgs(TypedDict, total=False):
    """A function of the stack: its handler and what it may do."""

    handler: Required[str]
    """`module.function` inside `handlers/`, e.g. `payment.handler`. Plain: it picks the file
    the archive must hold."""

    description: pulumi.Input[str]
    """What the function is for."""

    environment: dict[str, pulumi.Input[str]]
    """Environment variables besides the Powertools ones."""

    policy_statements: list[Statement]
    """IAM statements granted to the function's role; no `*` actions."""

    memory_mb: pulumi.Input[int]
    """Memory in MB, 128-10240. Default 256."""

    timeout_seconds: pulumi.Input[int]
    """Timeout in seconds, 1-900. Default 10."""

    log_retention_days: pulumi.Input[int]
    """How long its logs are kept (a CloudWatch retention value). Default 14."""

    powertools_layer_version: pulumi.Input[int]
    """Version of the AWS-managed Powertools for AWS Lambda (Python) V3 layer. Default 27."""

    tags: dict[str, pulumi.Input[str]]
    """Tags applied to the function, its role and its log group."""


class PythonFunction(pulumi.ComponentResource):
    """A Lambda function running a handler from `handlers/`: the other components' building
    block, not part of the package's public API."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: PythonFunctionArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        owner: str = COMPONENT,
    ) -> None:
        """`owner`: the component the user called, which argument errors name (its
        `log_retention_days`, say, not this inner function's)."""
        super().__init__(f"slate:index:{COMPONENT}", name, {}, opts)
        require(owner, args, "handler")
        reject_unknown(owner, args, PythonFunctionArgs)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.get("tags", {})
        retention = checked_retention(owner, args)
        layer_version = checked(
            owner,
            "powertools_layer_version",
            args.get("powertools_layer_version", DEFAULT_POWERTOOLS_LAYER_VERSION),
            int_between(1, 10_000),
        )

        logs = log_group(name, "/aws/lambda", retention, tags, child)
        role = service_role(
            owner,
            name,
            service="lambda.amazonaws.com",
            statements=[
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(logs.arn, ":*"),
                },
                {
                    # X-Ray has no resource-level permissions.
                    "Effect": "Allow",
                    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    "Resource": "*",
                },
                *args.get("policy_statements", []),
            ],
            tags=tags,
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            description=args.get("description"),
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args["handler"],
            code=handler_archive(),
            source_code_hash=handler_archive_hash(),
            role=role.arn,
            layers=[powertools_layer_arn(layer_version)],
            memory_size=checked(
                owner, "memory_mb", args.get("memory_mb", 256), int_between(128, 10240)
            ),
            timeout=checked(
                owner, "timeout_seconds", args.get("timeout_seconds", 10), int_between(1, 900)
            ),
            tracing_config={"mode": "Active"},
            logging_config={
                "log_format": "JSON",
                "log_group": logs.name,
                "application_log_level": "INFO",
                "system_log_level": "WARN",
            },
            environment={
                "variables": {
                    "POWERTOOLS_SERVICE_NAME": name,
                    "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                    **args.get("environment", {}),
                }
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )

        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = role.arn
        self.log_group_name = logs.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "role_arn": self.role_arn,
                "log_group_name": self.log_group_name,
            }
        )


def powertools_layer_arn(version: pulumi.Input[int]) -> pulumi.Output[str]:
    """The AWS-managed Powertools layer for the stack's region, runtime and architecture."""
    return pulumi.Output.format(
        "arn:aws:lambda:{0}:{1}:layer:AWSLambdaPowertoolsPythonV3-{2}-{3}:{4}",
        aws.get_region_output().region,
        POWERTOOLS_ACCOUNT,
        RUNTIME.replace(".", ""),
        ARCHITECTURE,
        version,
    )


@cache
def packaged_files() -> dict[str, str]:
    """Archive path → file path for every handler file that is deployed."""
    files = {}
    for path in sorted(HANDLERS_DIR.rglob("*")):
        relative = path.relative_to(HANDLERS_DIR)
        packaged = path.is_file() and path.suffix in PACKAGED_SUFFIXES
        if packaged and not EXCLUDED_DIRECTORIES.intersection(relative.parts):
            files[relative.as_posix()] = str(path)
    return files


def handler_archive() -> pulumi.AssetArchive:
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(path) for name, path in packaged_files().items()}
    )


@cache
def handler_archive_hash() -> str:
    """base64 SHA-256 over the archive's paths and contents: stable while the files are."""
    digest = hashlib.sha256()
    for name, path in packaged_files().items():
        digest.update(name.encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read() + b"\0")
    return base64.b64encode(digest.digest()).decode()
