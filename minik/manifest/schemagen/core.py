"""The schema builders' primitives and the core, Job, CronJob and Service definitions
(:mod:`minik.manifest.schemagen` assembles the files)."""

from __future__ import annotations

from typing import Any

from minik.manifest.support import UNSUPPORTED_VOLUME_TYPES

S: dict[str, Any] = {"type": "string"}
B: dict[str, Any] = {"type": "boolean"}
I32: dict[str, Any] = {"type": "integer", "format": "int32"}
I64: dict[str, Any] = {"type": "integer", "format": "int64"}
IOS: dict[str, Any] = {"type": ["integer", "string"], "format": "int-or-string"}
ANY_OBJ: dict[str, Any] = {"type": "object"}
STR_MAP: dict[str, Any] = {"type": "object", "additionalProperties": S}
QTY_MAP: dict[str, Any] = {"type": "object", "additionalProperties": IOS}
SECCOMP: dict[str, Any] = {
    "type": "object",
    "properties": {"type": S, "localhostProfile": S},
    "additionalProperties": False,
}


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "additionalProperties": False}


def arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def strs(*names: str) -> dict[str, Any]:
    return {n: S for n in names}


def loose(*names: str) -> dict[str, Any]:
    return {n: ANY_OBJ for n in names}


KEY_TO_PATH = obj(key=S, path=S, mode=I32)
FIELD_REF = obj(apiVersion=S, fieldPath=S)
RESOURCE_REF = obj(containerName=S, resource=S, divisor=IOS)
KEY_REF = obj(name=S, key=S, optional=B)
EXEC = obj(command=arr(S))
HTTP_GET = obj(path=S, port=IOS, host=S, scheme=S, httpHeaders=arr(obj(name=S, value=S)))
TCP_SOCKET = obj(port=IOS, host=S)
DOWNWARD_FILE = obj(path=S, fieldRef=ref("FieldRef"), resourceFieldRef=ref("ResourceFieldRef"), mode=I32)

CORE_DEFS: dict[str, Any] = {
    "ObjectMeta": obj(
        **strs(
            "name",
            "generateName",
            "namespace",
            "selfLink",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
        ),
        generation=I64,
        deletionGracePeriodSeconds=I64,
        labels=STR_MAP,
        annotations=STR_MAP,
        ownerReferences=arr(
            obj(**strs("apiVersion", "kind", "name", "uid"), controller=B, blockOwnerDeletion=B)
        ),
        finalizers=arr(S),
        managedFields=arr(ANY_OBJ),
    ),
    "LabelSelector": obj(matchLabels=STR_MAP, matchExpressions=arr(obj(key=S, operator=S, values=arr(S)))),
    "FieldRef": FIELD_REF,
    "ResourceFieldRef": RESOURCE_REF,
    "KeyToPath": KEY_TO_PATH,
    "EnvVar": obj(
        name=S,
        value=S,
        valueFrom=obj(
            fieldRef=ref("FieldRef"),
            resourceFieldRef=ref("ResourceFieldRef"),
            configMapKeyRef=KEY_REF,
            secretKeyRef=KEY_REF,
        ),
    ),
    "SecurityContext": obj(
        capabilities=obj(add=arr(S), drop=arr(S)),
        privileged=B,
        runAsUser=I64,
        runAsGroup=I64,
        runAsNonRoot=B,
        readOnlyRootFilesystem=B,
        allowPrivilegeEscalation=B,
        procMount=S,
        seccompProfile=SECCOMP,
        **loose("seLinuxOptions", "windowsOptions", "appArmorProfile"),
    ),
    "Probe": obj(
        exec=EXEC,
        httpGet=HTTP_GET,
        tcpSocket=TCP_SOCKET,
        grpc=obj(port=I32, service=S),
        initialDelaySeconds=I32,
        timeoutSeconds=I32,
        periodSeconds=I32,
        successThreshold=I32,
        failureThreshold=I32,
        terminationGracePeriodSeconds=I64,
    ),
    "LifecycleHandler": obj(exec=EXEC, httpGet=HTTP_GET, tcpSocket=TCP_SOCKET, sleep=obj(seconds=I64)),
    "Container": obj(
        **strs(
            "name",
            "image",
            "workingDir",
            "terminationMessagePath",
            "terminationMessagePolicy",
            "imagePullPolicy",
            "restartPolicy",
        ),
        command=arr(S),
        args=arr(S),
        ports=arr(obj(name=S, hostPort=I32, containerPort=I32, protocol=S, hostIP=S)),
        envFrom=arr(obj(prefix=S, configMapRef=obj(name=S, optional=B), secretRef=obj(name=S, optional=B))),
        env=arr(ref("EnvVar")),
        resources=obj(limits=QTY_MAP, requests=QTY_MAP, claims=arr(ANY_OBJ)),
        resizePolicy=arr(ANY_OBJ),
        restartPolicyRules=arr(ANY_OBJ),
        volumeMounts=arr(
            obj(
                **strs(
                    "name", "mountPath", "subPath", "subPathExpr", "mountPropagation", "recursiveReadOnly"
                ),
                readOnly=B,
            )
        ),
        volumeDevices=arr(ANY_OBJ),
        livenessProbe=ref("Probe"),
        readinessProbe=ref("Probe"),
        startupProbe=ref("Probe"),
        lifecycle=obj(postStart=ref("LifecycleHandler"), preStop=ref("LifecycleHandler"), stopSignal=S),
        securityContext=ref("SecurityContext"),
        stdin=B,
        stdinOnce=B,
        tty=B,
    ),
    "Volume": obj(
        name=S,
        hostPath=obj(path=S, type=S),
        emptyDir=obj(medium=S, sizeLimit=IOS),
        secret=obj(secretName=S, items=arr(ref("KeyToPath")), defaultMode=I32, optional=B),
        configMap=obj(name=S, items=arr(ref("KeyToPath")), defaultMode=I32, optional=B),
        persistentVolumeClaim=obj(claimName=S, readOnly=B),
        downwardAPI=obj(items=arr(DOWNWARD_FILE), defaultMode=I32),
        projected=obj(
            defaultMode=I32,
            sources=arr(
                obj(
                    secret=obj(name=S, items=arr(ref("KeyToPath")), optional=B),
                    configMap=obj(name=S, items=arr(ref("KeyToPath")), optional=B),
                    downwardAPI=obj(items=arr(DOWNWARD_FILE)),
                    **loose("serviceAccountToken", "clusterTrustBundle", "podCertificate"),
                )
            ),
        ),
        **loose(*UNSUPPORTED_VOLUME_TYPES),
    ),
    "PodSecurityContext": obj(
        runAsUser=I64,
        runAsGroup=I64,
        runAsNonRoot=B,
        supplementalGroups=arr(I64),
        fsGroup=I64,
        **strs("supplementalGroupsPolicy", "fsGroupChangePolicy", "seLinuxChangePolicy"),
        sysctls=arr(obj(name=S, value=S)),
        seccompProfile=SECCOMP,
        **loose("seLinuxOptions", "windowsOptions", "appArmorProfile"),
    ),
    "PodSpec": obj(
        volumes=arr(ref("Volume")),
        initContainers=arr(ref("Container")),
        containers=arr(ref("Container")),
        ephemeralContainers=arr(ANY_OBJ),
        **strs(
            "restartPolicy",
            "dnsPolicy",
            "serviceAccountName",
            "serviceAccount",
            "nodeName",
            "hostname",
            "subdomain",
            "schedulerName",
            "priorityClassName",
            "runtimeClassName",
            "preemptionPolicy",
        ),
        terminationGracePeriodSeconds=I64,
        activeDeadlineSeconds=I64,
        nodeSelector=STR_MAP,
        automountServiceAccountToken=B,
        hostNetwork=B,
        hostPID=B,
        hostIPC=B,
        shareProcessNamespace=B,
        securityContext=ref("PodSecurityContext"),
        imagePullSecrets=arr(obj(name=S)),
        affinity=ANY_OBJ,
        tolerations=arr(ANY_OBJ),
        hostAliases=arr(obj(ip=S, hostnames=arr(S))),
        priority=I32,
        dnsConfig=ANY_OBJ,
        readinessGates=arr(ANY_OBJ),
        enableServiceLinks=B,
        overhead=QTY_MAP,
        topologySpreadConstraints=arr(ANY_OBJ),
        setHostnameAsFQDN=B,
        os=obj(name=S),
        hostUsers=B,
        schedulingGates=arr(obj(name=S)),
        resourceClaims=arr(ANY_OBJ),
        resources=obj(limits=QTY_MAP, requests=QTY_MAP, claims=arr(ANY_OBJ)),
    ),
    "PodTemplateSpec": obj(metadata=ref("ObjectMeta"), spec=ref("PodSpec")),
}

JOB_DEFS: dict[str, Any] = {
    "JobSpec": obj(
        parallelism=I32,
        completions=I32,
        activeDeadlineSeconds=I64,
        backoffLimit=I32,
        backoffLimitPerIndex=I32,
        maxFailedIndexes=I32,
        ttlSecondsAfterFinished=I32,
        selector=ref("LabelSelector"),
        manualSelector=B,
        template=ref("PodTemplateSpec"),
        completionMode=S,
        suspend=B,
        podReplacementPolicy=S,
        managedBy=S,
        podFailurePolicy=obj(
            rules=arr(
                obj(
                    action=S,
                    onExitCodes=obj(containerName=S, operator=S, values=arr(I32)),
                    onPodConditions=arr(obj(type=S, status=S)),
                )
            )
        ),
        successPolicy=obj(rules=arr(obj(succeededIndexes=S, succeededCount=I32))),
    ),
}

CRONJOB_DEFS: dict[str, Any] = {
    "CronJobSpec": obj(
        schedule=S,
        timeZone=S,
        startingDeadlineSeconds=I64,
        concurrencyPolicy=S,
        suspend=B,
        jobTemplate=obj(metadata=ref("ObjectMeta"), spec=ref("JobSpec")),
        successfulJobsHistoryLimit=I32,
        failedJobsHistoryLimit=I32,
    ),
}

SERVICE_DEFS: dict[str, Any] = {
    "ServiceSpec": obj(
        ports=arr(obj(name=S, protocol=S, appProtocol=S, port=I32, targetPort=IOS, nodePort=I32)),
        selector=STR_MAP,
        **strs(
            "clusterIP",
            "type",
            "sessionAffinity",
            "loadBalancerIP",
            "externalName",
            "externalTrafficPolicy",
            "ipFamilyPolicy",
            "loadBalancerClass",
            "internalTrafficPolicy",
            "trafficDistribution",
        ),
        clusterIPs=arr(S),
        externalIPs=arr(S),
        loadBalancerSourceRanges=arr(S),
        ipFamilies=arr(S),
        healthCheckNodePort=I32,
        publishNotReadyAddresses=B,
        sessionAffinityConfig=ANY_OBJ,
        allocateLoadBalancerNodePorts=B,
    ),
}


def top(kind: str, api_version: str, defs: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://minik.local/schemas/{kind.lower()}.json",
        "title": f"{api_version} {kind} (minik, strict)",
        "type": "object",
        "properties": {
            "apiVersion": {"enum": [api_version]},
            "kind": {"enum": [kind]},
            "metadata": ref("ObjectMeta"),
            **props,
        },
        "additionalProperties": False,
        "$defs": defs,
    }
