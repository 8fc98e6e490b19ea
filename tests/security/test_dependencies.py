"""Dependencies: floors above known advisories, and a constraints file every test run installs from."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# package: (first fixed version, the advisory it fixes)
ADVISORIES = {
    "jinja2": ("3.1.6", "CVE-2025-27516: sandbox breakout through |attr (and CVE-2024-56201, CVE-2024-56326)"),
    "starlette": ("0.49.1", "CVE-2025-62727: Range header DoS in FileResponse (and CVE-2025-54121)"),
    "h11": ("0.16.0", "CVE-2025-43859: request smuggling through chunked-encoding leniency"),
    "httpcore": ("1.0.9", "requires h11 0.16 (CVE-2025-43859)"),
    "orjson": ("3.9.15", "CVE-2024-27454: unbounded recursion on deeply nested JSON"),
    "pillow": ("10.3.0", "CVE-2024-28219: buffer overflow in _imagingcms"),
    "pyjwt": ("2.10.1", "CVE-2024-53861: issuer checked by substring (and CVE-2022-29217, algorithm confusion)"),
    "redis": ("4.5.4", "CVE-2023-28858/28859: responses sent to the wrong client after a cancellation"),
}


def floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    found = {}
    for requirement in map(Requirement, requirements):
        minimum = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
        if minimum:
            found[canonicalize_name(requirement.name)] = max(minimum)
    return found


def test_declared_floors_sit_above_known_advisories():
    declared = floors()
    for package, (fixed, advisory) in ADVISORIES.items():
        assert package in declared, f"{package} needs a floor in pyproject.toml ({advisory})"
        assert declared[package] >= Version(fixed), f"{package} >= {fixed}: {advisory}"


def test_the_constraints_pin_every_package_at_or_above_the_floors_and_are_what_is_installed():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = Version(pinned)
    for package, floor in floors().items():
        assert package in pins, f"constraints.txt does not pin {package}"
        assert pins[package] >= floor, f"constraints.txt pins {package} below pyproject.toml's floor"
    for package in ("jinja2", "starlette", "uvicorn", "httpx", "h11", "orjson"):
        assert Version(version(package)) == pins[package], f"{package} installed differs from constraints.txt"


def test_the_test_command_installs_from_the_constraints():
    script = (ROOT / "scripts" / "test").read_text()
    assert "-c constraints.txt" in script
