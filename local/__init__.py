"""Runs Pulumi Python programs on this machine: the in-process engine and `plan`.

Knows AWS resource types, never the domain of the program it runs.
"""

from .moto_imports import defer_batch_models

defer_batch_models()  # before anything here imports moto's Step Functions interpreter
