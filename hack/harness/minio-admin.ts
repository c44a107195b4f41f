// The three MinIO admin calls the bucket set-up needs (a user, a canned policy, the user's policy),
// spoken to MinIO's admin API (/minio/admin/v3) directly: the `minio` npm client has no admin API,
// and `mc` is only built for the real node (`hack/bins.sh cluster`), where config/minio's bucket
// Job runs it with the same policy files.
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export interface MinioAdminConfig {
  endpoint: string;
  /** root (or another admin) credentials */
  accessKey: string;
  secretKey: string;
}

const REGION = 'us-east-1';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** AWS Signature Version 4 headers for one request (service s3, as MinIO's admin API expects). */
export function signV4(
  config: MinioAdminConfig,
  method: string,
  url: URL,
  body: Buffer,
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  const names = Object.keys(headers).sort();
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    method,
    url.pathname.split('/').map(encodeRfc3986).join('/'),
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${config.secretKey}`, day), REGION), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${config.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * madmin's EncryptData in its PBKDF2 + AES-256-GCM form (algorithm id 2), which MinIO's admin API
 * wants for bodies that carry secrets: salt(32) | id | nonce(8) | one final sio-go fragment.
 * sio-go derives each fragment's nonce from the 8-byte nonce and a little-endian sequence number,
 * and authenticates a final fragment with the flag 0x80 before the tag of an empty seal (seq 0).
 */
export function encryptAdminBody(password: string, data: Buffer): Buffer {
  const salt = randomBytes(32);
  const nonce = randomBytes(8);
  const key = pbkdf2Sync(password, salt, 8192, 32, 'sha256');
  const seal = (seq: number, plaintext: Buffer, aad: Buffer) => {
    const iv = Buffer.alloc(12);
    nonce.copy(iv);
    iv.writeUInt32LE(seq, 8);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  };
  if (data.length > 1 << 14)
    throw new Error('encryptAdminBody: bodies over 16 KiB need more than one fragment');
  const aad = Buffer.concat([Buffer.from([0x80]), seal(0, Buffer.alloc(0), Buffer.alloc(0))]);
  return Buffer.concat([salt, Buffer.from([2]), nonce, seal(1, data, aad)]);
}

async function adminCall(
  config: MinioAdminConfig,
  what: string,
  path: string,
  query: Record<string, string>,
  body: Buffer,
): Promise<void> {
  const url = new URL(`/minio/admin/v3/${path}`, config.endpoint);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method: 'PUT',
    headers: signV4(config, 'PUT', url, body),
    body: new Uint8Array(body),
  });
  if (!res.ok) {
    const text = await res.text();
    const message = /"Message":"([^"]*)"/.exec(text)?.[1] ?? /<Message>([^<]*)</.exec(text)?.[1] ?? text;
    throw new Error(`MinIO admin: ${what} at ${config.endpoint} failed: HTTP ${res.status}: ${message}`);
  }
}

/** Creates the user, or sets its secret key and enables it when it exists. */
export function addUser(config: MinioAdminConfig, accessKey: string, secretKey: string): Promise<void> {
  const body = encryptAdminBody(
    config.secretKey,
    Buffer.from(JSON.stringify({ secretKey, status: 'enabled' })),
  );
  return adminCall(config, `add user ${accessKey}`, 'add-user', { accessKey }, body);
}

/** Creates or replaces a canned policy. */
export function addPolicy(config: MinioAdminConfig, name: string, policy: object): Promise<void> {
  return adminCall(
    config,
    `add policy ${name}`,
    'add-canned-policy',
    { name },
    Buffer.from(JSON.stringify(policy)),
  );
}

/** Makes the policy the user's only one (setting it again changes nothing). */
export function setUserPolicy(config: MinioAdminConfig, user: string, policy: string): Promise<void> {
  return adminCall(
    config,
    `set policy ${policy} for ${user}`,
    'set-user-or-group-policy',
    { policyName: policy, userOrGroup: user, isGroup: 'false' },
    Buffer.alloc(0),
  );
}
