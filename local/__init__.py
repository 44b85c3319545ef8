"""Slate's stack on this machine, with no AWS account: `python -m local up | plan | policy`.

Two halves and a composition root: `local.pulumi` runs the Pulumi program, `local.aws` is the
AWS it deploys into (moto, with a patch for each service where moto differs from AWS), and
`cloud` wires them into the local cloud that `make dev` serves. Knows AWS resource types, never
the domain of the program it runs.
"""

from local.aws.moto_imports import defer_batch_models

defer_batch_models()  # before anything here imports moto's Step Functions interpreter
