"""CronJob validation and defaulting as the API server does them (ValidateCronJobCreate/Update)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minik import manifest
from minik.k8s import Obj


def cronjob(**spec: Any) -> Obj:
    doc: Obj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "cj", "namespace": "default"},
        "spec": {
            "schedule": "@hourly",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
                    }
                }
            },
            **spec,
        },
    }
    return manifest.default_object(doc)


def errors(obj: Obj, old: Obj | None = None) -> list[str]:
    errs, _ = manifest.validate_object(obj, old=old)
    return [f"{e.path}: {e.body()}" for e in errs]


def test_defaults_are_allow_unsuspended_three_and_one() -> None:
    spec = cronjob()["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    job_spec = spec["jobTemplate"]["spec"]
    assert "backoffLimit" not in job_spec and "completions" not in job_spec  # Job defaults are not applied
    assert job_spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30  # pod defaults are


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"schedule": ""}, ["spec.schedule: Required value"]),
        ({"timeZone": ""}, ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']),
        ({"timeZone": "../etc"}, ['spec.timeZone: Invalid value: "../etc": unknown time zone ../etc']),
        (
            {"timeZone": "Local"},
            [
                'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in '
                "https://www.iana.org/time-zones",
            ],
        ),
        (
            {"startingDeadlineSeconds": -1},
            ["spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            {"failedJobsHistoryLimit": -1},
            ["spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            {"schedule": "TZ=UTC @daily", "timeZone": "UTC"},
            [
                'spec.schedule: Invalid value: "TZ=UTC @daily": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'
            ],
        ),
        ({"timeZone": "America/New_York", "schedule": "0 9 * * mon-fri"}, []),
        ({"schedule": "@every 90s"}, []),
        # Go's time.ParseDuration refuses a duration past int64 nanoseconds (this was a 500)
        (
            {"schedule": "@every 9999999999999999h"},
            [
                'spec.schedule: Invalid value: "@every 9999999999999999h": failed to parse duration'
                ' @every 9999999999999999h: time: invalid duration "9999999999999999h"'
            ],
        ),
        (
            {"schedule": "@every 1" + "0" * 400 + "h"},
            [
                f'spec.schedule: Invalid value: "@every 1{"0" * 400}h": failed to parse duration @every 1{"0" * 400}h: time: invalid duration "1{"0" * 400}h"'
            ],
        ),
        ({"schedule": "@every 2562047h"}, []),  # the longest Go allows: about 292 years
    ],
)
def test_create_rules(spec: dict[str, Any], expected: list[str]) -> None:
    assert errors(cronjob(**spec)) == expected


def test_the_job_template_is_validated_as_a_job_spec_without_selector() -> None:
    cj = cronjob()
    cj["spec"]["jobTemplate"]["spec"].update(manualSelector=True, parallelism=-1, completionMode="Indexed")
    assert errors(cj) == [
        "spec.jobTemplate.spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.jobTemplate.spec.completions: Required value: when completion mode is Indexed",
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
    ]


def test_an_update_keeps_a_tz_schedule_that_was_stored_before_and_skips_an_unchanged_zone() -> None:
    old = cronjob(schedule="CRON_TZ=UTC 0 * * * *")
    new = copy.deepcopy(old)
    new["spec"]["suspend"] = True
    assert errors(new, old) == []
    new["spec"]["timeZone"] = "UTC"
    assert errors(new, old) == [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule'
    ]


def test_the_52_character_name_limit_applies_on_create_only() -> None:
    cj = cronjob()
    cj["metadata"]["name"] = "x" * 53
    assert errors(cj) == [f'metadata.name: Invalid value: "{"x" * 53}": must be no more than 52 characters']
    assert errors(cj, old=copy.deepcopy(cj)) == []
