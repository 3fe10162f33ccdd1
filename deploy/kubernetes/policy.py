#!/usr/bin/env python3
"""Policy checks on rendered Kustomize output (`kubectl kustomize OVERLAY | policy.py NAME`).

Beyond what the schemas say, every workload of ours must be safe to run and to drain:
- every Deployment and DaemonSet container has liveness and readiness probes;
- every Deployment has a PodDisruptionBudget in its namespace whose selector matches the
  Deployment's pod labels;
- no image is `:latest` or untagged;
- no Secret is rendered (secret data is never committed; the operator creates it);
- Centralita's own pods run as non-root with a read-only root filesystem, no privilege
  escalation, every capability dropped and the RuntimeDefault seccomp profile.
Prints each violation and exits 1 if there is any.
"""
import sys

import yaml


def pod_spec(doc):
    if doc["kind"] in ("Deployment", "DaemonSet", "Job", "StatefulSet"):
        return doc["spec"]["template"]["spec"], doc["spec"]["template"]["metadata"].get("labels", {})
    return None, None


def matches(selector, labels):
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "stdin"
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    problems = []
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for doc in docs:
        kind, meta = doc["kind"], doc["metadata"]
        what = f"{kind}/{meta['name']}"
        if kind == "Secret":
            problems.append(f"{what}: a Secret is rendered; secrets are never committed")
        spec, labels = pod_spec(doc)
        if spec is None:
            continue
        ours = labels.get("app.kubernetes.io/name") == "centralita"
        pod_sc = spec.get("securityContext", {})
        for c in spec.get("initContainers", []) + spec["containers"]:
            image = c.get("image", "")
            tag = image.rsplit("/", 1)[-1]
            if "@sha256:" not in image and (":" not in tag or tag.endswith(":latest")):
                problems.append(f"{what}: container {c['name']} image {image!r} is not pinned")
            if kind in ("Deployment", "DaemonSet"):
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        problems.append(f"{what}: container {c['name']} has no {probe}")
            if ours:
                sc = c.get("securityContext", {})
                if sc.get("allowPrivilegeEscalation") is not False:
                    problems.append(f"{what}: {c['name']} may escalate privileges")
                if sc.get("readOnlyRootFilesystem") is not True:
                    problems.append(f"{what}: {c['name']} root filesystem is writable")
                if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                    problems.append(f"{what}: {c['name']} keeps capabilities")
        if ours:
            if pod_sc.get("runAsNonRoot") is not True:
                problems.append(f"{what}: pods may run as root")
            if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                problems.append(f"{what}: no RuntimeDefault seccomp profile")
            if spec.get("automountServiceAccountToken") is not False:
                problems.append(f"{what}: mounts a service-account token it never uses")
        if kind == "Deployment":
            ns = meta.get("namespace")
            if not any(p["metadata"].get("namespace") == ns and matches(p["spec"]["selector"], labels)
                       for p in pdbs):
                problems.append(f"{what}: no PodDisruptionBudget selects its pods")
    for p in problems:
        print(f"policy {name}: {p}")
    if not docs:
        print(f"policy {name}: nothing rendered")
        return 1
    print(f"policy {name}: {len(docs)} objects, {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
