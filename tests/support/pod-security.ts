import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

// The checks of the Pod Security Standards' `restricted` level (baseline included) that a pod
// spec can fail, as the API server's admission applies them (Kubernetes 1.34, enforce-version
// latest). Returns one line per violation; an empty list means the pod is admitted.

const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

export function restrictedViolations(spec: V1PodSpec): string[] {
  const out: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  const podSc = spec.securityContext ?? {};
  if (podSc.runAsUser === 0) out.push('pod runAsUser 0');
  const podSeccomp = podSc.seccompProfile?.type;
  if (podSeccomp && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') {
    out.push(`pod seccompProfile ${podSeccomp}`);
  }
  for (const v of spec.volumes ?? []) {
    const kinds = Object.keys(v).filter((k) => k !== 'name');
    for (const k of kinds) if (!RESTRICTED_VOLUMES.has(k)) out.push(`volume ${v.name}: ${k}`);
  }
  const containers: V1Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}:`;
    if (sc.privileged) out.push(`${at} privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at} allowPrivilegeEscalation != false`);
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) out.push(`${at} runAsNonRoot != true`);
    if (sc.runAsUser === 0) out.push(`${at} runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${at} seccompProfile not set`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${at} capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') out.push(`${at} adds capability ${cap}`);
    }
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${at} hostPort ${p.hostPort}`);
  }
  return out;
}
