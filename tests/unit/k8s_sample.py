"""The sample environment (tests/unit/k8s_corpus/sample/): six services described in DSL
1.2.0, a five-node topology, the model's values and secrets, and the images they run.

Shared by the renderer, validation, image-check and local-run (projection) tests: every helper
returns fresh data, so a test may mutate what it gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stacksalt import secrets
from stacksalt.images import spec
from stacksalt.k8s.dsl import ServiceDefinition, validate_definition
from stacksalt.k8s.render import RenderOptions, RenderResult, render
from stacksalt.k8s.topology import resolve_topology
from stacksalt.service.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "k8s_corpus" / "sample"
NODES = [f"node{i}" for i in range(1, 6)]
IMAGES = {"registry": "127.0.0.1:31500", "namespace": "ccp", "tag": "newton"}
TLS = {"tls_cert": "-----BEGIN CERTIFICATE-----\nfixture\n", "tls_key": "fixture-key"}
NOT_DEFINITIONS = ("topology", "configs", "secret_configs", "images")


def load(name: str) -> Any:
    return yaml.safe_load((SAMPLE / f"{name}.yaml").read_text())


def documents() -> dict[str, dict]:
    """The raw service definitions, by name."""
    return {
        p.stem: yaml.safe_load(p.read_text())
        for p in sorted(SAMPLE.glob("*.yaml"))
        if p.stem not in NOT_DEFINITIONS
    }


def definitions() -> dict[str, ServiceDefinition]:
    return {name: validate_definition(doc) for name, doc in documents().items()}


def images_file() -> spec.ImagesFile:
    return spec.parse(load("images"))


def catalog(formulas_dir: Path | None = ROOT / "formulas") -> Catalog:
    """The sample as the services' catalog: its definitions and its images; the formulas are
    the repository's (the Jobs' states are looked up there)."""
    return Catalog(images_file(), definitions(), {}, formulas_dir)


def options(**kwargs) -> RenderOptions:
    """Render options with the sample's secret values kept out of ConfigMaps."""
    values = frozenset(secrets.leaf_strings(load("secret_configs")))
    return RenderOptions(secret_values=values, **kwargs)


def render_sample(
    namespace: str = "ccp",
    configs: dict | None = None,
    topology_patch: dict | None = None,
    defs: dict | None = None,
    secret_configs: dict | None = None,
    images: dict | None = None,
    **kwargs,
) -> RenderResult:
    model = load("topology")
    model["kubernetes"] = {"namespace": namespace}
    model.update(topology_patch or {})
    topo = resolve_topology(model, NODES)
    cfg = configs if configs is not None else load("configs")
    cfg.setdefault("ingress", {}).update(TLS)
    kwargs.setdefault("options", options())
    return render(
        defs if defs is not None else definitions(),
        topo,
        cfg,
        secret_configs if secret_configs is not None else load("secret_configs"),
        images if images is not None else IMAGES,
        **kwargs,
    )


def find(objects: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def pod(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]
