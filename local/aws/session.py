"""One in-process moto session with every patch the local cloud needs (`local_aws`).

Each patch lives beside the service it fixes, and says why there: `dynamodb.moto_patches`,
`dynamodb.expressions`, `dynamodb.in_process`, `awslambda.moto_patches`,
`stepfunctions.moto_patches`, `cognito.moto_patches`, `appsync.listing`, `wakeups` (writes
wake their readers) and `moto_core` (what every service needs).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from local.aws import wakeups
from local.aws.appsync.listing import answering_endpoints
from local.aws.awslambda.moto_patches import direct_lambda_tasks, route_lambda
from local.aws.awslambda.runtime import LambdaRuntime
from local.aws.cognito.moto_patches import verified_srp
from local.aws.dynamodb.expressions import parsing_once
from local.aws.dynamodb.in_process import answering_in_process
from local.aws.dynamodb.moto_patches import (
    indexed_tables,
    item_level_transactions,
    items_sized_once,
    plain_data_as_is,
    serialized_dynamodb,
)
from local.aws.moto_core import listing_actions_once, untracked_models
from local.aws.stepfunctions.moto_patches import step_functions_interpreter


@contextmanager
def local_aws(runtime: LambdaRuntime) -> Iterator[None]:
    """Every patch, for as long as the session runs (`runtime` runs its Lambda functions)."""
    # Item-level transactions go inside the serialization, so their backups are taken under it.
    with (
        route_lambda(runtime),
        direct_lambda_tasks(),
        indexed_tables(),
        parsing_once(),
        item_level_transactions(),
        items_sized_once(),
        plain_data_as_is(),
        serialized_dynamodb(),
        step_functions_interpreter(),
        verified_srp(),
        wakeups.watching_writes(),
        answering_in_process(),
        listing_actions_once(),
        untracked_models(),
        answering_endpoints(),
    ):
        yield
