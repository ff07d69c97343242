"""The formulas folder: discovery, and linking their reclass classes into the model.

``reclass_model/classes/service/<formula>`` is a link to ``formulas/<formula>/metadata/service``
(the classes a formula ships); :func:`link_service_classes` creates and repairs the links.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Formula:
    name: str
    path: Path

    @property
    def metadata(self) -> Path:
        return self.path / "metadata" / "service"

    @property
    def schema(self) -> Path:
        return self.path / "schema.yaml"

    @property
    def states(self) -> Path:
        return self.path / self.name


def discover(formulas_dir: Path) -> list[Formula]:
    """Every folder ``formulas/<name>`` holding a ``<name>/`` state tree, sorted by name."""
    out = []
    for child in sorted(formulas_dir.iterdir()):
        if child.is_dir() and (child / child.name).is_dir():
            out.append(Formula(child.name, child))
    return out


def link_service_classes(root: Path) -> list[str]:
    """Link each formula's ``metadata/service`` into ``reclass_model/classes/service``.

    Returns a line per link made or repaired; existing correct links are left alone.
    Raises ``FileExistsError`` when a real file or folder is in the way (never deleted).
    """
    service_dir = root / "reclass_model" / "classes" / "service"
    service_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for formula in discover(root / "formulas"):
        if not formula.metadata.is_dir():
            continue
        link = service_dir / formula.name
        target = os.path.relpath(formula.metadata, service_dir)
        if link.is_symlink():
            if os.readlink(link) == target:
                continue
            link.unlink()
            done.append(f"repaired service.{formula.name} -> {target}")
        elif link.exists():
            raise FileExistsError(
                f"{link} is a real file or folder, not a link: move it away, the classes of "
                f"formula '{formula.name}' belong in {formula.metadata}"
            )
        else:
            done.append(f"linked service.{formula.name} -> {target}")
        link.symlink_to(target)
    return done
