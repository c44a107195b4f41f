import { describe, expect, it } from 'vitest';
import { ConfigError, gameUrlFor, loadConfig } from '../../operator/config.ts';
import { operatorImage } from '../../operator/trainer-image.ts';

const s3 = {
  S3_ENDPOINT: 'http://minio:9000',
  S3_ACCESS_KEY: 'a',
  S3_SECRET_KEY: 'b',
  S3_MINTER_ACCESS_KEY: 'm',
  S3_MINTER_SECRET_KEY: 'n',
};

describe('operator configuration', () => {
  it('has defaults for everything but the object store', () => {
    const c = loadConfig({ ...s3, POD_NAME: 'op-0' });
    expect(c).toMatchObject({
      namespace: 'rps-quest',
      watchNamespaces: [],
      gameUrl: 'http://rps-quest-game:8080',
      gameUrlTemplate: 'http://rps-quest-game.{namespace}.svc:8080',
      gameUrls: {},
      internalToken: null,
      trainerImage: null, // the operator's own image
      leaderElection: true,
      identity: 'op-0',
      metricsPort: 8081,
      artifactStore: { endpoint: 'http://minio:9000', bucket: 'rps-models' },
      keyMinter: { accessKey: 'm', secretKey: 'n' },
      lease: { durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 },
    });
  });

  it('reads the environment', () => {
    const c = loadConfig({
      ...s3,
      NAMESPACE: 'games',
      RPS_GAME_URL: 'http://127.0.0.1:8080/',
      RPS_INTERNAL_TOKEN: 'secret',
      TRAINER_IMAGE: 'rps:1',
      LEADER_ELECTION: 'false',
      METRICS_PORT: '9000',
      S3_BUCKET: 'models',
    });
    expect(c).toMatchObject({
      namespace: 'games',
      gameUrl: 'http://127.0.0.1:8080',
      internalToken: 'secret',
      trainerImage: 'rps:1',
      leaderElection: false,
      metricsPort: 9000,
      artifactStore: { bucket: 'models' },
    });
  });

  it('lists every problem at once, naming the variable and the value', () => {
    let error: unknown;
    try {
      loadConfig({ LEADER_ELECTION: 'yes', METRICS_PORT: '99999', RPS_GAME_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('LEADER_ELECTION="yes" must be true or false');
    expect(problems).toContain('METRICS_PORT="99999" must be an integer from 0 to 65535');
    expect(problems).toContain('RPS_GAME_URL="not a url" is not a URL');
    expect(problems).toContain('S3_ENDPOINT');
    expect(problems).toContain(
      "S3_MINTER_ACCESS_KEY and S3_MINTER_SECRET_KEY are required: the keys that mint each training Job's object store keys (Secret rps-quest-s3-minter)",
    );
  });

  it('watches the listed namespaces, and finds each namespace its own game server', () => {
    const c = loadConfig({
      ...s3,
      WATCH_NAMESPACES: 'rps-quest, team-b',
      RPS_GAME_URLS: 'team-c=http://10.0.0.7:8080/',
    });
    expect(c.watchNamespaces).toEqual(['rps-quest', 'team-b']);
    expect(gameUrlFor(c, 'rps-quest')).toBe('http://rps-quest-game:8080');
    expect(gameUrlFor(c, 'team-b')).toBe('http://rps-quest-game.team-b.svc:8080');
    expect(gameUrlFor(c, 'team-c')).toBe('http://10.0.0.7:8080');
  });

  it('refuses malformed namespace lists and game server maps', () => {
    let error: unknown;
    try {
      loadConfig({
        ...s3,
        WATCH_NAMESPACES: 'rps-quest,Team_B',
        RPS_GAME_URL_TEMPLATE: 'http://game:8080',
        RPS_GAME_URLS: 'team-c:http://x',
      });
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('WATCH_NAMESPACES: "Team_B" is not a namespace name');
    expect(problems).toContain(
      'RPS_GAME_URL_TEMPLATE="http://game:8080" must be an http(s) URL containing {namespace}',
    );
    expect(problems).toContain('RPS_GAME_URLS: "team-c:http://x" is not <namespace>=<http(s) URL>');
  });

  it("takes the operator container's image from its Pod for the training Jobs", () => {
    const pod = (containers: { name: string; image: string }[]) => ({ spec: { containers } });
    expect(
      operatorImage(
        pod([
          { name: 'sidecar', image: 'proxy:1' },
          { name: 'operator', image: 'registry.example/rps-quest:1.2.3' },
        ]),
      ),
    ).toBe('registry.example/rps-quest:1.2.3');
    expect(operatorImage(pod([{ name: 'main', image: 'rps-quest:2' }]))).toBe('rps-quest:2');
    expect(
      operatorImage(
        pod([
          { name: 'a', image: 'x' },
          { name: 'b', image: 'y' },
        ]),
      ),
    ).toBeUndefined();
  });
});
