import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from '../../lib/env-config.ts';

describe('EnvReader', () => {
  it('returns defaults for unset and empty values', () => {
    const read = new EnvReader({ EMPTY: '' });
    expect(read.integer('EMPTY', 3, 0, 9)).toBe(3);
    expect(read.number('UNSET', 0.5, { above: 0, max: 1 })).toBe(0.5);
    expect(read.bool('UNSET', true)).toBe(true);
    expect(read.string('EMPTY', 'x')).toBe('x');
    expect(read.url('UNSET', 'http://game:8080/', 'http://game:8080')).toBe('http://game:8080');
    expect(read.raw('EMPTY')).toBeUndefined();
    expect(() => read.done()).not.toThrow();
  });

  it('collects every bad value with what is allowed, then throws them together', () => {
    const read = new EnvReader({
      N: '1.5',
      F: '0',
      B: 'yes',
      L: 'loud',
      U: 'not a url',
      S3_ENDPOINT: 'http://minio:9000',
    });
    expect(read.integer('N', 2, 1, 4)).toBe(2);
    expect(read.number('F', 0.2, { above: 0, max: 10 }, 'PSI')).toBe(0.2);
    expect(read.bool('B', false)).toBe(false);
    expect(read.oneOf('L', 'info', ['info', 'warn'])).toBe('loud');
    read.url('U', 'http://x', 'http://game:8080');
    expect(read.artifactStore()).toBeUndefined();
    read.require(false, 'something else');
    let error: unknown;
    try {
      read.done('test configuration');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'N="1.5" must be an integer from 1 to 4',
      'F="0" must be a number above 0 and at most 10 (PSI)',
      'B="yes" must be true or false',
      'L="loud" must be one of info, warn',
      'U="not a url" is not a URL (e.g. http://game:8080)',
      'missing environment: S3_ACCESS_KEY, S3_SECRET_KEY (the object store settings)',
      'something else',
    ]);
    expect((error as Error).message).toMatch(/^invalid test configuration:\n {2}- N="1\.5"/);
  });
});
