import type { Alias } from '../../core/index.ts';

/** The aliases a game can be played by; Shadow1 and Shadow2 only predict. */
export type PlayingAlias = 'Production' | 'B';

export interface Assignment {
  alias: PlayingAlias | null;
  version: string | null;
}

/**
 * Picks Production or B by the traffic split (`random()` in [0, 1)); whichever of the two serves a
 * version when only one does; both are null when neither serves a model.
 */
export function assignAlias(
  served: Partial<Record<Alias, { version: string }>>,
  split: { Production: number; B: number },
  random: () => number,
): Assignment {
  let alias: PlayingAlias = 'Production';
  if (served.Production && served.B) {
    const { Production: wp, B: wb } = split;
    alias = wp + wb > 0 && random() * (wp + wb) >= wp ? 'B' : 'Production';
  } else if (served.B) {
    alias = 'B';
  }
  const version = served[alias]?.version ?? null;
  return version ? { alias, version } : { alias: null, version: null };
}
