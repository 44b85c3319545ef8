"""moto without the imports Slate never uses.

moto's Step Functions interpreter imports `moto.batch` for the job statuses of its Batch
integration, and `moto/batch/__init__.py` imports Batch's models, which load moto's EC2 models
and their region and instance-type data: 0.7 s of every start of the local cloud, and of every
test process. `moto.batch` is put in place as a package that imports its models only when one
of its names is asked for; its modules import as before.
"""

import importlib
import importlib.util
import sys
import types
from typing import Any

DEFERRED = "moto.batch"


class _DeferredPackage(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module(f"{self.__name__}.models"), name)


def defer_batch_models() -> None:
    if DEFERRED in sys.modules:
        return
    spec = importlib.util.find_spec(DEFERRED)
    if spec is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)  # its __init__ is not run
    package.__class__ = _DeferredPackage
    sys.modules[DEFERRED] = package
    parent, _, child = DEFERRED.rpartition(".")
    setattr(importlib.import_module(parent), child, package)
