"""The AWS half of the local cloud: moto, made to behave as the services do, one folder per
emulated service (`dynamodb`, `awslambda`, `stepfunctions`, `sqs`, `appsync`), each moto patch
beside the service it fixes; `session.local_aws` applies them all to an in-process session.

Knows AWS resource types (`resource_types`) and their inputs as pulumi-aws spells them, never
the Pulumi engine (`local.pulumi`) nor the domain of the program that declared them.
"""
