import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';

// Temporary object store keys for one training Job, from MinIO's STS (AssumeRole with an inline
// session policy): the minter's own policy can write the whole bucket, the session policy narrows
// the keys to what the trainer does with one version of one model.

/** MinIO's STS bounds for DurationSeconds (15 minutes to 365 days). */
export const STS_MIN_SECONDS = 900;
export const STS_MAX_SECONDS = 365 * 24 * 3600;

/** The identity whose keys ask MinIO's STS for a Job's keys (config/minio/policies/minter.json). */
export interface KeyMinterConfig {
  /** the object store, e.g. http://rps-quest-minio:9000: its STS answers at the same address */
  endpoint: string;
  accessKey: string;
  secretKey: string;
}

/** A Job's keys: S3_ACCESS_KEY, S3_SECRET_KEY and S3_SESSION_TOKEN of the trainer. */
export interface TrainingKeys {
  accessKey: string;
  secretKey: string;
  sessionToken: string;
  /** when the keys stop working (the session policy's limit; ISO 8601) */
  expiresAt: string;
}

/** What one training run may do, and until when. */
export interface TrainingGrant {
  bucket: string;
  model: string;
  version: string;
  /** seconds from now until the keys are refused */
  lifetimeSeconds: number;
}

/**
 * The session policy of a Job's keys: list, read, write and delete the objects of its own version
 * (`<model>/<version>/`: the trainer replaces a partial upload of an interrupted run), read its
 * model's other versions (the Production version it compares against), nothing of another model.
 * Every statement ends at `expiresAt`, which may be sooner than the STS minimum of 15 minutes.
 */
export function trainingSessionPolicy(
  bucket: string,
  model: string,
  version: string,
  expiresAt: Date,
): object {
  const until = { DateLessThan: { 'aws:CurrentTime': expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } };
  const own = `${model}/${version}/`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation'],
        Resource: [`arn:aws:s3:::${bucket}`],
        Condition: until,
      },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucket}`],
        Condition: { ...until, StringLike: { 's3:prefix': [`${own}*`] } },
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`arn:aws:s3:::${bucket}/${model}/*`],
        Condition: until,
      },
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: [`arn:aws:s3:::${bucket}/${own}*`],
        Condition: until,
      },
    ],
  };
}

/** The STS duration for a lifetime: MinIO refuses less than 15 minutes and more than 365 days. */
export function stsDurationSeconds(lifetimeSeconds: number): number {
  return Math.min(STS_MAX_SECONDS, Math.max(STS_MIN_SECONDS, Math.ceil(lifetimeSeconds)));
}

/** Asks MinIO's STS for a Job's keys; the error names the endpoint, the minter and MinIO's reason. */
export async function mintTrainingKeys(
  minter: KeyMinterConfig,
  grant: TrainingGrant,
  now = new Date(),
): Promise<TrainingKeys> {
  if (
    !Number.isFinite(grant.lifetimeSeconds) ||
    grant.lifetimeSeconds <= 0 ||
    grant.lifetimeSeconds > STS_MAX_SECONDS
  ) {
    throw new Error(
      `training keys: lifetime ${grant.lifetimeSeconds} s is not allowed (more than 0, at most ${STS_MAX_SECONDS} s)`,
    );
  }
  const expiresAt = new Date(now.getTime() + Math.ceil(grant.lifetimeSeconds) * 1000);
  const provider = new AssumeRoleProvider({
    stsEndpoint: minter.endpoint,
    accessKey: minter.accessKey,
    secretKey: minter.secretKey,
    durationSeconds: stsDurationSeconds(grant.lifetimeSeconds),
    policy: JSON.stringify(trainingSessionPolicy(grant.bucket, grant.model, grant.version, expiresAt)),
    region: 'us-east-1',
  });
  let keys;
  try {
    keys = await provider.getCredentials();
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).replace(
      /^Failed to get Credentials: (Error: )?/,
      '',
    );
    throw new Error(
      `training keys for ${grant.model}/${grant.version}: MinIO STS at ${minter.endpoint} refused the minter ${minter.accessKey}: ${reason}`,
      { cause: err },
    );
  }
  return {
    accessKey: keys.getAccessKey(),
    secretKey: keys.getSecretKey(),
    sessionToken: keys.getSessionToken() ?? '',
    expiresAt: expiresAt.toISOString(),
  };
}
