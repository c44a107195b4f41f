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

  it('refuses an unknown flag with the usage', async () => {
    const { code, err } = await run(['--gmaes', '3']);
    expect(code).toBe(2);
    expect(err).toContain('usage: rpsq simulate');
  });
});
