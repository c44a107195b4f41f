import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/simulate.ts';

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  vi.spyOn(console, 'error').mockImplementation((line: string) => (err += `${line}\n`));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  return { code: await main(argv), err };
}

describe('rpsq simulate arguments', () => {
  it('refuses an unknown player, naming the allowed ones', async () => {
    const { code, err } = await run(['--players', 'Ace,Zed']);
    expect(code).toBe(1);
    expect(err).toContain('unknown player Zed; allowed: Ace, Bob, Cal, Dan, Edd, Fox, Gus, Hal');
  });

  it('refuses a game count out of range', async () => {
    const { code, err } = await run(['--games', '0']);
    expect(code).toBe(1);
    expect(err).toContain('--games must be an integer in [1, 100000], got "0"');
  });

  it('needs the internal token for --min-human-games', async () => {
    const saved = process.env.RPS_INTERNAL_TOKEN;
    delete process.env.RPS_INTERNAL_TOKEN;
    const { code, err } = await run(['--min-human-games', '3']);
    process.env.RPS_INTERNAL_TOKEN = saved;
    expect(code).toBe(1);
    expect(err).toContain('--min-human-games needs RPS_INTERNAL_TOKEN');
  });

  it('refuses an empty or malformed bot list', async () => {
    for (const bots of [',', 'Brian']) {
      const { code, err } = await run(['--bots', bots]);
      expect(code).toBe(1);
      expect(err).toContain(`--bots must name models (lowercase, comma-separated), got "${bots}"`);
    }
  });

  it('validates the thresholds from the environment as it validates the flags', async () => {
    const saved = { ...process.env };
    try {
      process.env.RPS_MIN_HUMAN_GAMES = 'ten';
      let { code, err } = await run([]);
      expect(code).toBe(1);
      expect(err).toContain('--min-human-games must be an integer in [0, 1000000], got "ten"');

      process.env.RPS_MIN_HUMAN_GAMES = '5';
      process.env.RPS_WINDOW_MINUTES = '0';
      ({ code, err } = await run([]));
      expect(code).toBe(1);
      expect(err).toContain('--window-minutes must be an integer in [1, 10080], got "0"');
    } finally {
      process.env = saved;
    }
  });

  it('refuses an unknown flag with the usage', async () => {
    const { code, err } = await run(['--gmaes', '3']);
    expect(code).toBe(2);
    expect(err).toContain('usage: rpsq simulate');
  });
});
