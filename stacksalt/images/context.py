"""The images' inputs on disk: images.yml, the Dockerfile template, formulas, wheels, package.

Reads the tree and hashes what each image is built from (:func:`gather`), and writes a build
context holding exactly those files (:func:`write_context`). The decisions are in
:mod:`stacksalt.images.plan`; the Dockerfile text comes from :mod:`stacksalt.images.dockerfile`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from stacksalt.cluster import image as host_image
from stacksalt.images import dockerfile, plan, spec

IMAGES_FILE = Path("docker-salt") / "images.yml"
TEMPLATE = Path("docker-salt") / "Dockerfile.j2"
ENTRYPOINT = Path("docker-salt") / "entrypoint.py"
# The stacksalt package as pip builds it into a wheel (setup.py reads README.md for the long
# description only; it is copied for the build but is not an input of the images).
PACKAGE_TREES = ("stacksalt", "_modules", "_states")
PACKAGE_FILES = ("setup.py",)


class ImagesError(RuntimeError):
    pass


BUILD_TREES = ("formulas", "docker-salt", "stacksalt", "_modules", "_states")
BUILD_FILES = ("setup.py", "README.md", "constraints.txt")


def snapshot(root: Path, dest: Path) -> Path:
    """Copy the files image builds read from ``root`` to ``dest`` (never secrets.yml), so
    that a build or test is not disturbed by edits to the checkout meanwhile."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "secrets.yml")
    for tree in BUILD_TREES:
        shutil.copytree(root / tree, dest / tree, ignore=ignore, symlinks=True)
    for name in BUILD_FILES:
        shutil.copy2(root / name, dest / name)
    return dest


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(top: Path) -> list[Path]:
    """Every regular file under ``top``, sorted, without caches."""
    out = []
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        out += [Path(dirpath) / f for f in files if not f.endswith((".pyc", ".pyo"))]
    return sorted(out)


def minion_config() -> dict:
    """/etc/salt/minion in every image: masterless, formulas in /srv/salt, grain noservices."""
    return {
        "file_client": "local",
        "id": "stacksalt-image",
        "file_roots": {"base": ["/srv/salt"]},
        "pillar_roots": {"base": ["/srv/pillar"]},
        # Builds and entrypoints render config only; the runtime starts the one daemon.
        "grains": {"noservices": True},
        "enable_fqdns_grains": False,
        "enable_gpu_grains": False,
        "log_level": "warning",
        "log_level_logfile": "warning",
        "state_verbose": False,
    }


def pillar_sls(data: dict) -> bytes:
    """A pillar file rendered by the json renderer only (no Jinja: values are data)."""
    return b"#!json\n" + json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"


def salt_files() -> dict[str, bytes]:
    """Salt's config and the pillar tree of salt-base: the image's build pillar, then the
    overlay the entrypoint writes at run time (empty in the image)."""
    top = {"base": {"*": ["image", "runtime"]}}
    return {
        "salt/minion": yaml.safe_dump(minion_config(), sort_keys=True).encode(),
        "pillar/top.sls": b"#!yaml\n" + yaml.safe_dump(top, sort_keys=True).encode(),
        "pillar/image.sls": pillar_sls({}),
        "pillar/runtime.sls": pillar_sls({}),
    }


# The formula's description (meta/service.yml) is not an input of its images as a file: the
# image's own section is (its Dockerfile and build pillar are hashed), so a probe or a Job
# changed in the description rolls the workload without rebuilding the image.
NOT_IMAGE_INPUTS = ("meta/service.yml",)


def formula_files(root: Path, formula: str) -> dict[str, Path]:
    """The formula's state tree (``formulas/<f>/<f>/``) keyed by path inside ``formulas/<f>``
    (``etcd/files/etcd.default.jinja``): what the image copies and applies."""
    base = root / "formulas" / formula
    skip = {f"{formula}/{rel}" for rel in NOT_IMAGE_INPUTS}
    return {rel: p for p in _files(base / formula) if (rel := str(p.relative_to(base))) not in skip}


def package_digest(root: Path) -> str:
    h = hashlib.sha256()
    paths = [root / f for f in PACKAGE_FILES]
    for tree in PACKAGE_TREES:
        paths += _files(root / tree)
    for path in paths:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


_WHEEL_LOCK = threading.Lock()


def package_wheel(root: Path, state: Path, log=print) -> Path:
    """The stacksalt wheel (``pip wheel --no-deps --no-build-isolation``), built once (the
    images that build in parallel wait for it) from a copy of exactly the hashed sources and
    cached by their digest."""
    with _WHEEL_LOCK:
        return _package_wheel(root, state, log)


def _package_wheel(root: Path, state: Path, log=print) -> Path:
    out = state / "wheels" / f"stacksalt-{package_digest(root)[:16]}"
    found = sorted(out.glob("stacksalt-*.whl"))
    if found and (out / ".complete").exists():
        return found[0]
    log(f"building the stacksalt wheel into {out}")
    out.mkdir(parents=True, exist_ok=True)
    (state / "wheels").mkdir(parents=True, exist_ok=True)
    src = Path(tempfile.mkdtemp(prefix=".src-", dir=state / "wheels"))
    try:
        for name in (*PACKAGE_FILES, "README.md"):
            shutil.copyfile(root / name, src / name)
        for tree in PACKAGE_TREES:
            shutil.copytree(
                root / tree, src / tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        res = subprocess.run(
            [*cmd, "-w", str(out), str(src)], capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise ImagesError(f"pip wheel of stacksalt failed:\n{res.stderr[-2000:]}")
    finally:
        shutil.rmtree(src, ignore_errors=True)
    (out / ".complete").write_text("ok\n")
    return sorted(out.glob("stacksalt-*.whl"))[0]


@dataclass
class Project:
    """One tree's images: where they come from and how they are named."""

    root: Path
    state: Path
    images: spec.ImagesFile
    template: str

    @classmethod
    def load(cls, root: Path, state: Path, namespace: str | None = None) -> Project:
        """The images of ``docker-salt/images.yml`` and of every formula's description."""
        from stacksalt.service.catalog import CatalogError
        from stacksalt.service.catalog import load as load_catalog

        try:
            images = load_catalog(root).images
        except CatalogError as exc:
            raise ImagesError("the images' descriptions:\n  " + "\n  ".join(exc.problems)) from exc
        if namespace:
            images = spec.ImagesFile(namespace, images.images)
        template = (root / TEMPLATE).read_text(encoding="utf-8")
        return cls(root, state, images, template)

    def wheel_dir(self, image: spec.ImageSpec, log=print) -> Path:
        try:
            return host_image.wheels(self.root, self.state, log, spec=self.root / image.wheels)
        except host_image.ImageError as exc:
            raise ImagesError(str(exc)) from exc

    def requirements(self, image: spec.ImageSpec) -> list[str]:
        return host_image.requirement_lines(self.root / image.wheels)

    def dockerfile(self, image: spec.ImageSpec) -> str:
        wheels = self.requirements(image) if image.has_salt else []
        return dockerfile.render(self.template, self.images.namespace, image, wheels)

    def inputs(self, image: spec.ImageSpec, log=print) -> dict:
        """Everything ``image`` is built from, as content hashes (see plan.Image)."""
        text = self.dockerfile(image)
        inputs: dict = {
            "dockerfile": sha(text.encode()),
            "packages": list(image.packages),
            "formulas": {
                f: {rel: sha(p.read_bytes()) for rel, p in formula_files(self.root, f).items()}
                for f in image.formulas
            },
        }
        if image.formulas:
            inputs["pillar"] = sha(pillar_sls(image.pillar))
            inputs["package"] = package_digest(self.root)
        if image.has_salt:
            wheel_dir = self.wheel_dir(image, log)
            names = sorted(p.name for p in wheel_dir.glob("*.whl"))
            inputs["wheels"] = sha("\n".join(names).encode())
            files = {name: sha(body) for name, body in salt_files().items()}
            files["entrypoint.py"] = sha((self.root / ENTRYPOINT).read_bytes())
            inputs["files"] = files
        if image.base:
            image_id = host_image.docker_id(image.base)
            if not image_id:
                raise ImagesError(f"base image {image.base} is missing: run 'make setup'")
            inputs["base"] = f"{image.base}@{image_id}"
        return inputs

    def gather(self, names: set[str] | None = None, log=print) -> list[plan.Image]:
        """The images (parents first) with their inputs; ``names`` limits the set."""
        return [
            plan.Image(i.name, i.parent, self.inputs(i, log))
            for i in self.images.images
            if names is None or i.name in names
        ]

    def write_context(self, image: spec.ImageSpec, dest: Path, log=print) -> None:
        """Write the build context of ``image`` to ``dest``: exactly the hashed inputs."""

        def put(rel: str, body: bytes, mode: int = 0o644) -> None:
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            os.chmod(path, mode)

        put("Dockerfile", self.dockerfile(image).encode())
        if image.has_salt:
            for rel, body in salt_files().items():
                put(rel, body)
            put("entrypoint.py", (self.root / ENTRYPOINT).read_bytes(), 0o755)
            for whl in sorted(self.wheel_dir(image, log).glob("*.whl")):
                put(f"wheels/{whl.name}", whl.read_bytes())
        if image.formulas:
            pkg = package_wheel(self.root, self.state, log)
            put(f"package/{pkg.name}", pkg.read_bytes())
        for formula in image.formulas:
            for rel, path in formula_files(self.root, formula).items():
                put(f"formulas/{rel}", path.read_bytes())
        if image.formulas:
            put("image.sls", pillar_sls(image.pillar))
