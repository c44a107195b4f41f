import { describe, expect, it } from 'vitest';
import type { Job } from '../../operator/decisions/training-job.ts';
import {
  awaitingKeys,
  KEYS_PROVIDED_ANNOTATION,
  grantFor,
  keysSecret,
  keysSecretName,
} from '../../operator/decisions/training-keys.ts';
import { stsDurationSeconds, trainingSessionPolicy } from '../../lib/training-keys.ts';

const job = (spec: Record<string, unknown>, more: Partial<Job> = {}): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'logan-train-v4',
    namespace: 'team-b',
    uid: 'uid-job',
    labels: { 'rpsquest.dev/model': 'logan', 'rpsquest.dev/version': 'v4' },
    annotations: { 'rpsquest.dev/s3-secret': 'logan-train-v4-s3-0a1b2c3d' },
  },
  spec,
  ...more,
});

describe("a training Job's keys", () => {
  it('are awaited by a suspended Job of the operator that names its Secret, and by no other', () => {
    expect(awaitingKeys(job({ suspend: true }))).toBe('logan-train-v4-s3-0a1b2c3d');
    expect(awaitingKeys(job({ suspend: false }))).toBeUndefined();
    expect(awaitingKeys(job({}))).toBeUndefined();
    const finished = job({ suspend: true }, { status: { conditions: [{ type: 'Failed', status: 'True' }] } });
    expect(awaitingKeys(finished)).toBeUndefined();
    const going = job({ suspend: true });
    going.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(awaitingKeys(going)).toBeUndefined();
    const foreign = job({ suspend: true });
    delete foreign.metadata.annotations;
    expect(awaitingKeys(foreign)).toBeUndefined();
  });

  it('are not awaited by a Job the operator resumed once and someone suspended again', () => {
    const suspendedByHand = job({ suspend: true });
    suspendedByHand.metadata.annotations = {
      ...suspendedByHand.metadata.annotations,
      [KEYS_PROVIDED_ANNOTATION]: 'true',
    };
    expect(awaitingKeys(suspendedByHand)).toBeUndefined();
  });

  it("last the Job's deadline plus the margin, for its model's version", () => {
    expect(grantFor(job({ activeDeadlineSeconds: 120 }), 'rps-models')).toEqual({
      bucket: 'rps-models',
      model: 'logan',
      version: 'v4',
      lifetimeSeconds: 720,
    });
  });

  it('ask MinIO for at least its 15 minutes and at most its 365 days', () => {
    expect(stsDurationSeconds(30)).toBe(900);
    expect(stsDurationSeconds(4200)).toBe(4200);
    expect(stsDurationSeconds(10 ** 9)).toBe(365 * 24 * 3600);
  });

  it('are narrowed to the version, the model and the moment they expire', () => {
    const policy = trainingSessionPolicy(
      'rps-models',
      'logan',
      'v4',
      new Date('2026-01-01T01:10:00.123Z'),
    ) as {
      Statement: {
        Action: string[];
        Resource: string[];
        Condition: Record<string, Record<string, unknown>>;
      }[];
    };
    const byAction = Object.fromEntries(policy.Statement.map((s) => [s.Action.join(','), s]));
    expect(byAction['s3:PutObject,s3:DeleteObject']!.Resource).toEqual([
      'arn:aws:s3:::rps-models/logan/v4/*',
    ]);
    expect(byAction['s3:GetObject']!.Resource).toEqual(['arn:aws:s3:::rps-models/logan/*']);
    expect(byAction['s3:ListBucket']!.Condition.StringLike).toEqual({ 's3:prefix': ['logan/v4/*'] });
    for (const s of policy.Statement) {
      expect(s.Condition.DateLessThan).toEqual({ 'aws:CurrentTime': '2026-01-01T01:10:00Z' });
    }
    // MinIO refuses session policies over 2048 bytes: the longest names allowed still fit
    const long = trainingSessionPolicy('b'.repeat(63), 'm'.repeat(50), 'v999999', new Date());
    expect(JSON.stringify(long).length).toBeLessThan(2048);
  });

  it('go into a Secret the Job owns, named with its nonce', () => {
    const name = keysSecretName('logan-train-v4', '0a1b2c3d');
    expect(name).toBe('logan-train-v4-s3-0a1b2c3d');
    const secret = keysSecret(job({ suspend: true }), name, {
      accessKey: 'AK',
      secretKey: 'SK',
      sessionToken: 'T',
      expiresAt: '2026-01-01T01:10:00.000Z',
    });
    expect(secret.metadata).toMatchObject({
      name,
      namespace: 'team-b',
      labels: {
        'app.kubernetes.io/component': 'trainer',
        'rpsquest.dev/model': 'logan',
        'rpsquest.dev/version': 'v4',
      },
      annotations: { 'rpsquest.dev/expires-at': '2026-01-01T01:10:00.000Z' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'logan-train-v4', uid: 'uid-job' }],
    });
    expect(secret.stringData).toEqual({ accessKey: 'AK', secretKey: 'SK', sessionToken: 'T' });
  });
});
