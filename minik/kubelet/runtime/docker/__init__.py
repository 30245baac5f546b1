"""The Docker Engine adapter of the kubelet's :class:`~minik.kubelet.runtime.Runtime`: the only
modules that import docker-py.
"""
