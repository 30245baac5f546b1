#!/usr/bin/env bash
# The Redis work-queue tutorial on minik, start to finish.
set -euo pipefail
cd "$(dirname "$0")"
docker build -q -t job-wq-2 worker/ >/dev/null
minik apply -f redis-pod.yaml -f redis-service.yaml
minik apply -f fill-queue.yaml
minik wait --for=condition=complete job/fill-queue --timeout=120s
minik apply -f job.yaml
minik wait --for=condition=complete job/job-wq-2 --timeout=300s
minik describe job/job-wq-2
minik logs job/job-wq-2
