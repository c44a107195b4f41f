import { describe, expect, it } from 'vitest';
import { statusJson } from '../../operator/decisions/status-json.ts';

describe('a status as written', () => {
  it('drops undefined fields and empty objects at any depth, and keeps arrays, nulls and zeros', () => {
    expect(
      statusJson({
        serving: { policy: undefined },
        triggers: { drift: {} },
        aliases: { Production: 'v1' },
        versions: [{ name: 'v1', evaluation: { production: null, gate: {} } }],
        conditions: [],
        attempts: 0,
        note: '',
      }),
    ).toEqual({
      aliases: { Production: 'v1' },
      versions: [{ name: 'v1', evaluation: { production: null } }],
      conditions: [],
      attempts: 0,
      note: '',
    });
  });
});
