"""The kubelet: runs pods on the Docker engine and reports their status."""
