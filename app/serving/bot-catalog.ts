import {
  ALIASES,
  type Alias,
  type AliasReport,
  type Algorithm,
  type ArtifactMetadata,
  type ModelReport,
} from '../../core/index.ts';
import { DomainError } from '../domain-error.ts';
import type { OnnxModel } from './onnx-model.ts';
import { RetiredModels } from './retired-models.ts';

export interface BotDefinition {
  model: string;
  displayName: string;
  algorithm: Algorithm;
}

/** The three bots that exist before any manifest arrives; each plays uniform-probability EV until then. */
export const DEFAULT_BOTS: readonly BotDefinition[] = [
  { model: 'brian', displayName: 'Brian', algorithm: 'mlp' },
  { model: 'forrest', displayName: 'Forrest', algorithm: 'gbdt' },
  { model: 'logan', displayName: 'Logan', algorithm: 'logistic' },
];

const DEFAULT_SPLIT = { Production: 50, B: 50 } as const;

/** A version's metadata.json, shared by every alias serving that version. */
export interface VersionMetadata {
  value: ArtifactMetadata | null;
  /** why `value` is null */
  problem: string | null;
  retryAt: number;
  fetching: Promise<void> | null;
}

export interface LoadedVersion {
  model: OnnxModel;
  metadata: VersionMetadata;
}

export interface ServedAlias extends LoadedVersion {
  version: string;
  sha256: string;
  uri: string;
}

/** One bot: what it is called, and what it serves since its manifest was last applied. */
export interface BotState {
  definition: BotDefinition;
  manifestPresent: boolean;
  trafficSplit: { Production: number; B: number };
  aliases: Partial<Record<Alias, ServedAlias>>;
  retired: RetiredModels;
  lastError: string | null;
}

export class UnknownBotError extends DomainError {
  constructor(name: string, known: readonly BotDefinition[]) {
    super(
      'UNKNOWN_BOT',
      `no bot named "${name}"; the bots are ${known.map((b) => `${b.displayName} (${b.model})`).join(', ')}`,
      { bots: known.map((b) => b.displayName) },
    );
    this.name = 'UnknownBotError';
  }
}

function emptyState(definition: BotDefinition): BotState {
  return {
    definition,
    manifestPresent: false,
    trafficSplit: { ...DEFAULT_SPLIT },
    aliases: {},
    retired: new RetiredModels(),
    lastError: null,
  };
}

/**
 * The bots games can be played against: the three defaults, and one per manifest naming another
 * model. A default bot whose manifest is removed plays uniform EV again; any other is withdrawn.
 */
export class BotCatalog {
  private readonly bots = new Map<string, BotState>();

  constructor() {
    for (const def of DEFAULT_BOTS) this.bots.set(def.model, emptyState(def));
  }

  /** The bots new games can be started against, defaults first. */
  list(): BotDefinition[] {
    return [...this.bots.values()].map((b) => b.definition);
  }

  /** A bot by model name or display name, case-insensitive. */
  resolve(name: string): BotDefinition {
    const wanted = name.trim().toLowerCase();
    for (const b of this.bots.values()) {
      if (b.definition.model === wanted || b.definition.displayName.toLowerCase() === wanted)
        return b.definition;
    }
    throw new UnknownBotError(name, this.list());
  }

  find(model: string): BotDefinition | null {
    return this.bots.get(model)?.definition ?? null;
  }

  get(model: string): BotState | undefined {
    return this.bots.get(model);
  }

  states(): BotState[] {
    return [...this.bots.values()];
  }

  /** A bot first named by a manifest: listed from now on, playing the fallback until its models load. */
  add(model: string): BotState {
    const bot = emptyState({ model, displayName: model, algorithm: 'mlp' });
    bot.manifestPresent = true;
    this.bots.set(model, bot);
    return bot;
  }

  /**
   * The bot's manifest is gone: a default bot goes back to its definition and split; any other is
   * withdrawn, and its retired models are returned for release.
   */
  reset(bot: BotState): OnnxModel[] {
    const def = DEFAULT_BOTS.find((d) => d.model === bot.definition.model);
    if (def) {
      bot.definition = def;
      bot.trafficSplit = { ...DEFAULT_SPLIT };
      return [];
    }
    this.bots.delete(bot.definition.model);
    return bot.retired.models();
  }

  /** What every bot actually serves (GET /api/v1/models; the operator compares it with the manifest). */
  report(): ModelReport[] {
    return [...this.bots.values()].map((bot) => {
      const aliases: Partial<Record<Alias, AliasReport>> = {};
      for (const alias of ALIASES) {
        const s = bot.aliases[alias];
        if (s) aliases[alias] = { version: s.version, sha256: s.sha256, loaded: true };
      }
      return {
        model: bot.definition.model,
        displayName: bot.definition.displayName,
        algorithm: bot.definition.algorithm,
        manifest: bot.manifestPresent ? 'present' : 'absent',
        fallback: !bot.aliases.Production && !bot.aliases.B,
        trafficSplit: { ...bot.trafficSplit },
        aliases,
        ...(bot.lastError ? { lastError: bot.lastError } : {}),
      };
    });
  }
}
