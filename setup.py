"""Packaging glue that setup.cfg cannot express: the top-level schemas/ folder
ships inside the installed package as ``minik.schemas``."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["minik", "minik.*"]) + ["minik.schemas"],
    package_dir={"minik.schemas": "schemas"},
)
