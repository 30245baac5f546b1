#!/usr/bin/env python3
"""The tutorial's worker: take items from the Redis list "job2" until it is empty.

Prints what the tutorial's worker prints. WORK_SECONDS (default 10, as in
the tutorial) is the pretend work per item.
"""

import os
import time

import rediswq

host = os.environ.get("REDIS_HOST", "redis")
work_seconds = float(os.environ.get("WORK_SECONDS", "10"))

q = rediswq.RedisWQ(name="job2", host=host)
print("Worker with sessionID: " + q.sessionID())
print("Initial queue state: empty=" + str(q.empty()))
while not q.empty():
    item = q.lease(lease_secs=10, block=True, timeout=2)
    if item is not None:
        itemstr = item.decode("utf-8")
        print("Working on " + itemstr)
        time.sleep(work_seconds)  # Put your actual work here instead of sleep.
        q.complete(item)
    else:
        print("Waiting for work")
print("Queue empty, exiting")
