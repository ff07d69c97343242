"""stacksalt: OpenStack's control plane on Kubernetes from a reclass model, with SaltStack."""

from setuptools import find_packages, setup

setup(
    name="stacksalt",
    version="0.1.0",
    description="Deploy OpenStack's control plane from one reclass model with SaltStack",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["stacksalt", "stacksalt.*"])
    + ["stacksalt.saltext_modules", "stacksalt.saltext_states"],
    # The Salt extensions live at the top of the repository (_modules/, _states/) so that
    # saltutil.sync_all finds them the classic way; pip installs them as these two packages
    # and the salt.loader entry point below hands their folders to Salt's loader.
    package_dir={
        "stacksalt.saltext_modules": "_modules",
        "stacksalt.saltext_states": "_states",
    },
    install_requires=[
        "salt>=3008,<3009",
        "kapicorp-reclass>=2.0",
        "PyYAML>=6",
        "Jinja2>=3.1",
        "jsonschema>=4",
        "etcd3gw>=2.4",
        "PyMySQL>=1.1",
        "docker>=7",
        "kubernetes>=30",
        "kubernetes-validate>=1.30",
    ],
    extras_require={
        "test": [
            "pytest",
            "pytest-testinfra",
            "pytest-timeout",
            "ruff",
            "yamllint",
            "salt-lint",
            "reclass-rs",
            "pika",
            "selenium",
        ],
    },
    entry_points={
        "console_scripts": ["stacksalt = stacksalt.cli:main"],
        "salt.loader": ["stacksalt = stacksalt.saltext:loader_dirs"],
    },
)
