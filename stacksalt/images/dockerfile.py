"""Dockerfiles from the one template, ``docker-salt/Dockerfile.j2``: a pure function."""

from __future__ import annotations

import jinja2

from stacksalt.images.spec import ImageSpec


def render(template: str, namespace: str, image: ImageSpec, wheels: list[str]) -> str:
    """The Dockerfile of ``image``. The parent is a build argument (``PARENT_IMAGE``, given
    with the parent's tag at build time), so the text does not change when the parent does."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - a Dockerfile, not HTML
    )
    text = env.from_string(template).render(namespace=namespace, image=image, wheels=wheels)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
