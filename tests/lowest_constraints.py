"""Print a pip constraints file that pins every direct dependency to its declared lower bound.

`make test-lowest` installs the package with these constraints into a scratch environment and runs
`make unit` there, so a floor in pyproject.toml that the code does not actually run on fails.

Every requirement of the `dependencies` list and of the `dev` extra must carry a `>=` floor; each
becomes `name==floor`, its extras left out (`lightgbm[scikit-learn]>=4.7` gives `lightgbm==4.7`,
which pip matches to 4.7.0). PyTorch is the exception: it keeps the tested CPU build that
constraints.txt pins (torch==2.13.0+cpu), since older CPU wheels are not on PyPI.

    python tests/lowest_constraints.py > _build/lowest-constraints.txt
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ["dev", "serve"]
# Kept at the version constraints.txt pins instead of the floor (see the module docstring).
AT_TESTED_VERSION = ["torch"]

# A name, optional [extras], then the version specifiers, optionally followed by "; marker".
REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<specs>[^;]*)(?:;.*)?$")


def normalized(name: str) -> str:
    """A project name as pip compares it (PEP 503): `Foo_Bar.baz` and `foo-bar-baz` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def floor_pin(requirement: str) -> str:
    """`name==X` for a requirement `name[extras]>=X,...`; an error naming it if it has no `>=` floor.

    >>> floor_pin("lightgbm[scikit-learn]>=4.7")
    'lightgbm==4.7'
    >>> floor_pin("jupyter-book>=1.0.2,<2")
    'jupyter-book==1.0.2'
    >>> floor_pin("tqdm")
    Traceback (most recent call last):
        ...
    ValueError: 'tqdm' has no '>=' lower bound: declare one in pyproject.toml
    """
    match = REQUIREMENT.match(requirement)
    if match is None:
        raise ValueError(f"{requirement!r} is not a requirement this script understands")
    floors = [spec.strip()[2:].strip() for spec in match["specs"].split(",") if spec.strip().startswith(">=")]
    if len(floors) != 1:
        raise ValueError(f"{requirement!r} has no '>=' lower bound: declare one in pyproject.toml")
    return f"{match['name']}=={floors[0]}"


def tested_pin(name: str, constraints: str) -> str:
    """The `name==X` line of constraints.txt (the tested version).

    >>> tested_pin("torch", "sympy==1.14.0\\ntorch==2.13.0+cpu\\n")
    'torch==2.13.0+cpu'
    """
    for line in constraints.splitlines():
        pinned, _, version = line.partition("==")
        if version and normalized(pinned) == normalized(name):
            return f"{name}=={version.strip()}"
    raise ValueError(f"constraints.txt pins no version of {name!r}")


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    constraints = (ROOT / "constraints.txt").read_text()
    kept = {normalized(name) for name in AT_TESTED_VERSION}
    pins = []
    try:
        for requirement in requirements:
            pin = floor_pin(requirement)
            name = pin.partition("==")[0]
            pins.append(tested_pin(name, constraints) if normalized(name) in kept else pin)
    except ValueError as error:
        sys.exit(f"tests/lowest_constraints.py: {error}")
    print(f"# The dependencies and the {', '.join(EXTRAS)} extra at their lower bounds in pyproject.toml")
    print(f"# ({', '.join(AT_TESTED_VERSION)} at the tested version): written by tests/lowest_constraints.py.")
    print("\n".join(pins))


if __name__ == "__main__":
    main()
