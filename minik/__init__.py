"""minik: Kubernetes batch/v1 Jobs on the local Docker engine, no cluster."""

__version__ = "0.1.0"
