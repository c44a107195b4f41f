import type { Alias } from '../../core/index.ts';
import type { LoadedVersion, ServedAlias } from './bot-catalog.ts';
import type { OnnxModel } from './onnx-model.ts';

/** Versions no alias serves any more stay loaded (per bot) for games that are still being played. */
export const RETIRED_PER_BOT = 8;

type RetiredVersion = LoadedVersion & { version: string };

/**
 * One bot's models that lost their alias, kept for a while (games in progress may still play
 * them) and served again without a download when an alias takes their sha256 back. The oldest
 * beyond the limit is released.
 */
export class RetiredModels {
  /** sha256 → the version, oldest first */
  private readonly bySha = new Map<string, RetiredVersion>();

  constructor(private readonly limit = RETIRED_PER_BOT) {}

  get(sha256: string): LoadedVersion | undefined {
    return this.bySha.get(sha256);
  }

  /** The retired model of this version, for a game that version started. */
  model(version: string): OnnxModel | null {
    let found: OnnxModel | null = null;
    for (const r of this.bySha.values()) if (r.version === version) found = r.model;
    return found;
  }

  /** The alias table changed from `before` to `after`: what left it is kept, what came back leaves here. */
  retire(before: Partial<Record<Alias, ServedAlias>>, after: Partial<Record<Alias, ServedAlias>>): void {
    const kept = new Set(Object.values(after).map((s) => s!.sha256));
    for (const s of Object.values(before)) {
      if (!s || kept.has(s.sha256) || this.bySha.has(s.sha256)) continue;
      this.bySha.set(s.sha256, { version: s.version, model: s.model, metadata: s.metadata });
    }
    for (const sha of kept) this.bySha.delete(sha);
    while (this.bySha.size > this.limit) {
      const [oldest, r] = this.bySha.entries().next().value!;
      this.bySha.delete(oldest);
      void r.model.release();
    }
  }

  models(): OnnxModel[] {
    return [...this.bySha.values()].map((r) => r.model);
  }
}
