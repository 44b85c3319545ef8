"""Reading Pulumi.yaml and Pulumi.<stack>.yaml the way the CLI does."""

import json

import pytest

from local.pulumi.project import Project, ProjectError


def _project(tmp_path, pulumi_yaml: str, stack_yaml: str | None = None, main: bool = True):
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    if stack_yaml is not None:
        (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    if main:
        (tmp_path / "__main__.py").write_text("")
    return tmp_path


def test_config_is_qualified_and_stringified_as_the_cli_passes_it(tmp_path):
    directory = _project(
        tmp_path,
        "name: shop\nruntime: python\n",
        "config:\n  aws:region: eu-west-2\n  count: 3\n  enabled: true\n"
        "  tags: {team: a}\n  shop:title: Hi\n",
    )
    config = Project.load(directory).stack_config("dev")
    assert config == {
        "aws:region": "eu-west-2",
        "shop:count": "3",
        "shop:enabled": "true",
        "shop:tags": json.dumps({"team": "a"}),
        "shop:title": "Hi",
    }


def test_project_config_defaults_apply_under_stack_values(tmp_path):
    directory = _project(
        tmp_path,
        "name: shop\nruntime: {name: python}\nconfig:\n"
        "  shop:size: {type: integer, default: 5}\n"
        "  retries: {type: integer, default: 2}\n"
        "  shop:noDefault: {type: string}\n",
        "config:\n  shop:size: 9\n",
    )
    config = Project.load(directory).stack_config("dev")
    assert config == {"shop:size": "9", "shop:retries": "2"}


def test_main_may_name_a_directory(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text("")
    directory = _project(tmp_path, "name: shop\nruntime: python\nmain: app\n", main=False)
    assert Project.load(directory).main == tmp_path / "app" / "__main__.py"


@pytest.mark.parametrize(
    ("pulumi_yaml", "message"),
    [
        ("runtime: python\n", "'name' must be a non-empty string"),
        ("name: shop\nruntime: nodejs\n", "runtime is 'nodejs'"),
        ("name: shop\nruntime: python\nmain: nowhere.py\n", "does not exist"),
        ("- a\n- b\n", "expected a mapping"),
        ("name: [shop\n", "not valid YAML at line"),
    ],
)
def test_malformed_project_files_are_named(tmp_path, pulumi_yaml, message):
    directory = _project(tmp_path, pulumi_yaml)
    with pytest.raises(ProjectError, match=message):
        Project.load(directory)


def test_missing_project_file(tmp_path):
    with pytest.raises(ProjectError, match="no such project file"):
        Project.load(tmp_path)


@pytest.mark.parametrize(
    ("stack_yaml", "message"),
    [
        (None, "no such stack file for stack 'dev'"),
        ("config: [1, 2]\n", "'config' must be a mapping"),
        ("config:\n  key:\n", "shop:key has no value"),
        ("config:\n  pw:\n    secure: AAABAx==\n", "shop:pw is an encrypted secret"),
    ],
)
def test_malformed_stack_files_are_named(tmp_path, stack_yaml, message):
    directory = _project(tmp_path, "name: shop\nruntime: python\n", stack_yaml)
    with pytest.raises(ProjectError, match=message):
        Project.load(directory).stack_config("dev")


def test_stack_values_must_have_the_declared_type(tmp_path):
    directory = _project(
        tmp_path,
        "name: shop\nruntime: python\nconfig:\n  size: {type: integer, default: 1}\n",
        "config:\n  shop:size: true\n",
    )
    with pytest.raises(ProjectError, match=r"shop:size must be of type integer .* got True"):
        Project.load(directory).stack_config("dev")


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("{type: integer, default: ten}", "the default of shop:size is not of type integer"),
        ("{type: float, default: 1.5}", "shop:size has unknown type 'float'"),
    ],
)
def test_declarations_are_checked(tmp_path, declaration, message):
    directory = _project(tmp_path, f"name: shop\nruntime: python\nconfig:\n  size: {declaration}\n")
    with pytest.raises(ProjectError, match=message):
        Project.load(directory)
