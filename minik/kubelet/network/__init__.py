"""The node's pod network: pod addresses (:mod:`~.ipam`, in the instance subnet,
:mod:`minik.kubelet.subnets`) and a pod's place on the instance network (:mod:`~.podnet`).
"""
