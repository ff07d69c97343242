"""Kubernetes renderer core: DSL validation, topology, rendering, validation, apply plans.

Everything here is pure Python over plain data; Salt modules and CLIs are thin adapters.
"""
