import type { V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRAINER_RESOURCES,
  trainingJob,
  type TrainingJobSettings,
} from '../../operator/decisions/training-job.ts';
import type { RpsModel, RpsModelSpec } from '../../operator/resources.ts';
import { storedSpec } from '../support/crd-defaults.ts';
import { restrictedViolations } from '../support/pod-security.ts';

// The training Job's pod runs in a namespace that enforces Pod Security `restricted`
// (config/default/namespace.yaml): the API server refuses a pod that does not comply, and the
// Job would never start.

const settings: TrainingJobSettings = {
  image: 'rps-quest:dev',
  dataUrl: 'http://rps-quest-game',
  s3Endpoint: 'http://rps-quest-minio:9000',
  s3Bucket: 'rps-models',
};

function model(training: RpsModelSpec['training'] = {}): RpsModel {
  return {
    apiVersion: 'rpsquest.dev/v1alpha1',
    kind: 'RpsModel',
    metadata: { name: 'logan', namespace: 'rps-quest', uid: 'uid-9', generation: 1 },
    spec: storedSpec({ displayName: 'Logan', algorithm: 'logistic', training }),
  } as RpsModel;
}

const podSpec = (m: RpsModel): V1PodSpec =>
  (trainingJob(m, 'v1', 'created', settings, 'keys').spec as { template: { spec: V1PodSpec } }).template.spec;

describe('the training Job pod', () => {
  it('complies with Pod Security restricted', () => {
    expect(restrictedViolations(podSpec(model()))).toEqual([]);
  });

  it('runs as uid 1000 without escalation, capabilities or a writable root filesystem', () => {
    const spec = podSpec(model());
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = spec.containers[0]!;
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    // a read-only root: /tmp is the one writable place
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
  });

  it('mounts no ServiceAccount token: the trainer calls no Kubernetes API', () => {
    expect(podSpec(model()).automountServiceAccountToken).toBe(false);
  });

  it('gets default requests and a memory limit when the spec sets no resources', () => {
    const c = podSpec(model()).containers[0]!;
    expect(c.resources).toEqual(DEFAULT_TRAINER_RESOURCES);
    expect(c.resources?.requests?.cpu).toBeTruthy();
    expect(c.resources?.requests?.memory).toBeTruthy();
    expect(c.resources?.limits?.memory).toBeTruthy();
  });

  it("uses the spec's resources as they are when it sets them", () => {
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '3Gi' } };
    expect(podSpec(model({ resources })).containers[0]!.resources).toEqual(resources);
  });
});

describe('restrictedViolations', () => {
  it('names what a non-compliant pod lacks', () => {
    const violations = restrictedViolations({
      hostNetwork: true,
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
      containers: [
        {
          name: 'c',
          securityContext: { runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
          ports: [{ containerPort: 80, hostPort: 80 }],
        },
      ],
    });
    expect(violations).toEqual([
      'host namespaces',
      'volume host: hostPath',
      'container c: allowPrivilegeEscalation != false',
      'container c: runAsNonRoot != true',
      'container c: runAsUser 0',
      'container c: seccompProfile not set',
      'container c: capabilities do not drop ALL',
      'container c: adds capability SYS_ADMIN',
      'container c: hostPort 80',
    ]);
  });
});
