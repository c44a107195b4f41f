// The one way the game server and the operator read their environment: every setting parsed with
// its default and range, every problem collected, and one ConfigError listing them all (a user
// fixing a Deployment sees everything wrong at once, not one line per restart).
import { artifactStoreConfigFromEnv, type ArtifactStoreConfig } from './artifact-store.ts';

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    what = 'configuration',
  ) {
    super(`invalid ${what}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads settings from an environment; each reader returns its fallback on a bad value and records why. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** the raw value, or undefined when unset or empty */
  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** an integer in [min, max] */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}="${raw}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /** a number in (above, max]; `unit` names what it measures in the message */
  number(name: string, fallback: number, range: { above: number; max: number }, unit = ''): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= range.above || n > range.max) {
      this.problems.push(
        `${name}="${raw}" must be a number above ${range.above} and at most ${range.max}${unit ? ` (${unit})` : ''}`,
      );
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    this.problems.push(`${name}="${raw}" must be true or false`);
    return fallback;
  }

  oneOf(name: string, fallback: string, allowed: readonly string[]): string {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value))
      this.problems.push(`${name}="${value}" must be one of ${allowed.join(', ')}`);
    return value;
  }

  /** LOG_LEVEL, one of pino's levels (default info) */
  logLevel(): string {
    return this.oneOf('LOG_LEVEL', 'info', LOG_LEVELS);
  }

  /** an http(s) URL without trailing slashes */
  url(name: string, fallback: string, example: string): string {
    const value = (this.raw(name) ?? fallback).replace(/\/+$/, '');
    try {
      new URL(value);
    } catch {
      this.problems.push(`${name}="${value}" is not a URL (e.g. ${example})`);
    }
    return value;
  }

  /** S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET; undefined (with the problem recorded) when incomplete */
  artifactStore(): ArtifactStoreConfig | undefined {
    try {
      const config = artifactStoreConfigFromEnv(this.env);
      new URL(config.endpoint);
      return config;
    } catch (err) {
      this.problems.push(
        err instanceof TypeError
          ? `S3_ENDPOINT="${this.env.S3_ENDPOINT}" is not a URL (e.g. http://minio:9000)`
          : (err as Error).message,
      );
      return undefined;
    }
  }

  /** records `problem` unless `ok` */
  require(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  /** throws one ConfigError listing every problem recorded */
  done(what?: string): void {
    if (this.problems.length) throw new ConfigError(this.problems, what);
  }
}
