"""stacksalt: OpenStack's control plane from one reclass model, with SaltStack."""

__version__ = "0.1.0"
