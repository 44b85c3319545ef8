"""Fixtures shared by every tier."""

from collections.abc import Callable
from pathlib import Path

import pytest

from local.pulumi import engine, predicted
from support import COMPONENT_PROGRAM, REPO, component_config, write_project


@pytest.fixture(scope="session")
def dev() -> engine.Deployment:
    """The dev stack as the engine records it (offline): read-only, shared by every test."""
    return engine.run(REPO, "dev", predicted.PredictedBackend)


@pytest.fixture(scope="session")
def deployment(dev: engine.Deployment) -> engine.Deployment:
    return dev


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(program: str, config: dict | None = None, **kwargs) -> Path:
        return write_project(tmp_path / f"project{next(counter)}", program, config, **kwargs)

    return make


@pytest.fixture
def run_component(make_project):
    """Construct one Slate component with `args` in a project of its own, under the engine."""

    def run(component: str, args: dict, as_outputs: tuple[str, ...] = ()) -> engine.Deployment:
        config = component_config(component, args, as_outputs)
        return engine.run(
            make_project(COMPONENT_PROGRAM, config), "test", predicted.PredictedBackend
        )

    return run
