"""The lock files pin every dependency pyproject.toml declares, within its range, with hashes, and
agree with each other: after a dependency changes, `scripts/lock.sh` was not forgotten."""

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.core.config import PROJECT_DIR

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def pins(file: str) -> dict[str, str]:
    text = (PROJECT_DIR / file).read_text()
    found = {canonicalize_name(m[1]): m[2] for m in map(PIN.match, text.splitlines()) if m}
    # every pin is followed by its hashes
    assert text.count("--hash=sha256:") >= len(found)
    return found


def declared(*groups: str) -> list[Requirement]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for group in groups:
        requirements += project["optional-dependencies"][group]
    return [Requirement(line) for line in requirements]


@pytest.mark.parametrize(
    ("file", "groups"), [("requirements.lock", ()), ("requirements-dev.lock", ("dev",))]
)
def test_every_dependency_is_pinned_within_its_range(file: str, groups: tuple[str, ...]) -> None:
    locked = pins(file)
    for requirement in declared(*groups):
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # not for this platform
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {file}: run scripts/lock.sh"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{file} pins {name}=={locked[name]}, outside {requirement.specifier}: "
            "run scripts/lock.sh"
        )


def test_both_lock_files_pin_the_same_versions() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
