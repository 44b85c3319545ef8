"""The documentation stays true: every `make` target it names exists; every `slate:` config key
is documented with the type and default `Pulumi.yaml` declares; every component argument it
lists exists, with its type, and every argument is listed. Each check also runs on a doctored
text, to show it fails when it should."""

import ast
import re

import pytest
import yaml

from support import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMPONENTS_PAGE = REPO / "docs" / "components.md"
OPERATIONS_PAGE = REPO / "docs" / "operations.md"
MAKE_IN_CODE = re.compile(r"(?:`|^(?:\$ )?)make ([a-z][\w-]*)", re.M)
CONFIG_ROW = re.compile(r"^\| `slate:(\w+)` \| (\w+) \| `([^`]*)` \|", re.M)
SECTION = re.compile(r"^### (\w+)$", re.M)
ARGUMENT_ROW = re.compile(r"^\| `(\w+)`( \(required\))? \| `([^`]+)` \|", re.M)


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def unknown_make_targets(text: str, targets: set[str]) -> set[str]:
    """`make X` in code (inline or a code block's line) for an X the Makefile lacks."""
    return set(MAKE_IN_CODE.findall(text)) - targets


def declared_config() -> dict[str, tuple[str, str]]:
    """Pulumi.yaml's `slate:` keys: type, and the default as the docs spell it."""
    config = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    return {key: (spec["type"], _spelled(spec["default"])) for key, spec in config.items()}


def _spelled(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return '""' if value == "" else str(value)


def differences(prefix: str, documented: dict, declared: dict, *, unknown: str) -> list[str]:
    """Where the docs and the code part: entries missing from the docs, entries the code lacks
    (`unknown` says so), and entries the docs describe otherwise."""
    problems = [f"{prefix}{key} is not documented" for key in declared.keys() - documented.keys()]
    problems += [f"{prefix}{key} {unknown}" for key in documented.keys() - declared.keys()]
    problems += [
        f"{prefix}{key} is documented as {documented[key]}, declared as {declared[key]}"
        for key in declared.keys() & documented.keys()
        if documented[key] != declared[key]
    ]
    return problems


def config_problems(page: str, declared: dict[str, tuple[str, str]]) -> list[str]:
    documented = {key: (kind, default) for key, kind, default in CONFIG_ROW.findall(page)}
    return differences("slate:", documented, declared, unknown="is not declared")


def component_arguments() -> dict[str, dict[str, tuple[bool, str]]]:
    """Each component's arguments (and TableReference's fields) from the code: required, and the
    type as the docs spell it."""
    classes = {}
    for path in (REPO / "components").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base) == "TypedDict" for base in node.bases
            ):
                classes[node.name] = {
                    item.target.id: _argument_type(ast.unparse(item.annotation))
                    for item in node.body
                    if isinstance(item, ast.AnnAssign)
                }
    names = ("BookingTable", "AuthPool", "BookingSaga", "BookingQueue", "BookingApi")
    components = {name: classes[f"{name}Args"] for name in (*names, "RealtimeFanout")}
    return {**components, "TableReference": classes["TableReference"]}


def _argument_type(annotation: str) -> tuple[bool, str]:
    required = annotation.startswith("Required[")
    kind = annotation.removeprefix("Required[").removesuffix("]") if required else annotation
    kind = kind.replace("pulumi.Input[dict[str, pulumi.Input[str]]]", "Input[dict[str, str]]")
    return required, kind.replace("pulumi.Input", "Input")


def argument_problems(page: str, code: dict[str, dict[str, tuple[bool, str]]]) -> list[str]:
    parts = SECTION.split(page)
    documented = {
        parts[i]: {
            name: (bool(required), kind)
            for name, required, kind in ARGUMENT_ROW.findall(parts[i + 1])
        }
        for i in range(1, len(parts), 2)
    }
    problems = [f"{name} has no section" for name in code.keys() - documented.keys()]
    for name in code.keys() & documented.keys():
        problems += differences(f"{name}.", documented[name], code[name], unknown="does not exist")
    return problems


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_every_make_target_the_docs_name_exists(page):
    assert unknown_make_targets(page.read_text(), makefile_targets()) == set()


def test_the_docs_name_make_targets_at_all():
    named = set().union(*(MAKE_IN_CODE.findall(page.read_text()) for page in DOCS))
    assert {"dev", "test", "plan", "policy", "bench", "smoke", "e2e"} <= named


def test_an_unknown_make_target_is_caught():
    text = "Run `make dev`, then:\n\n```sh\nmake deploy\n$ make smoke\n```\nto make it so."
    assert unknown_make_targets(text, makefile_targets()) == {"deploy"}


def test_every_config_key_is_documented_with_its_type_and_default():
    assert config_problems(OPERATIONS_PAGE.read_text(), declared_config()) == []


def test_a_config_key_documented_wrongly_is_caught():
    page = OPERATIONS_PAGE.read_text()
    wrong = page.replace(
        "| `slate:holdTtlSeconds` | integer | `900` |",
        "| `slate:holdTtlSeconds` | integer | `600` |",
    )
    wrong = wrong.replace("`slate:mfa`", "`slate:multiFactor`")
    assert wrong != page
    assert config_problems(wrong, declared_config()) == [
        "slate:mfa is not documented",
        "slate:multiFactor is not declared",
        "slate:holdTtlSeconds is documented as ('integer', '600'), declared as ('integer', '900')",
    ]


def test_every_component_argument_is_documented_as_it_is_declared():
    assert argument_problems(COMPONENTS_PAGE.read_text(), component_arguments()) == []


def test_an_argument_that_does_not_exist_or_is_missing_is_caught():
    page = COMPONENTS_PAGE.read_text()
    wrong = page.replace("| `hold_ttl_seconds` |", "| `hold_seconds` |", 1)
    wrong = wrong.replace("| `mfa` | `Input[str]` |", "| `mfa` | `str` |", 1)
    assert sorted(argument_problems(wrong, component_arguments())) == [
        "AuthPool.mfa is documented as (False, 'str'), declared as (False, 'Input[str]')",
        "BookingSaga.hold_seconds does not exist",
        "BookingSaga.hold_ttl_seconds is not documented",
    ]


def test_the_readme_stays_a_first_read():
    assert len((REPO / "README.md").read_text().splitlines()) <= 120
    for page in DOCS[1:]:
        assert page.name in (REPO / "README.md").read_text(), f"{page.name} is not linked"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_in_the_docs_resolves_to_a_page_and_heading():
    for page in DOCS:
        for target, fragment in re.findall(r"\]\(([^)#:]*\.md|)(?:#([^)]*))?\)", page.read_text()):
            linked = page.parent / target if target else page
            assert linked.is_file(), f"{page.name} links to missing {target}"
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            if fragment:
                assert fragment in {anchor(h) for h in headings}, f"{page.name}: #{fragment}"


def test_anchors_are_spelled_as_github_spells_them():
    assert anchor("What it costs (`make bench`)") == "what-it-costs-make-bench"
    assert anchor("Queued bookings (`requestBooking`)") == "queued-bookings-requestbooking"


def test_every_repository_path_the_docs_name_exists():
    pattern = re.compile(r"`((?:local|components|handlers|devtools|tests|policies|docs)/[\w./-]*)`")
    for page in DOCS:
        for path in pattern.findall(page.read_text()):
            assert (REPO / path).exists(), f"{page.name} names {path}, which does not exist"


def test_every_policy_rule_is_documented_with_its_default_level():
    from slate_policies import POLICIES

    page = (REPO / "docs" / "policy-pack.md").read_text()
    documented = dict(re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| (\w+) \|", page, re.M))
    declared = {rule.name: rule.enforcement_level.value for rule in POLICIES}
    assert documented == declared
