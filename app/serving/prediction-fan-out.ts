import type { FastifyBaseLogger } from 'fastify';
import { ALIASES, type Alias, type FeatureSet, type Probabilities } from '../../core/index.ts';
import type { BotState } from './bot-catalog.ts';
import type { OnnxModel } from './onnx-model.ts';

export interface VersionPrediction {
  version: string;
  aliases: Alias[];
  probabilities: Probabilities;
}

export interface Predictions {
  /** one per distinct version among the four aliases (empty when none is loaded) */
  byVersion: VersionPrediction[];
  /** the prediction of the version playing the game, or null (no model, or it failed) */
  playing: Probabilities | null;
  /** why `playing` is null */
  fallbackReason: 'no_model' | 'inference_error' | null;
  /** the playing version's feature set (its decision rule), null when no version plays */
  playingFeatureSet: FeatureSet | null;
}

/** The features of the round in a feature set, computed once per set however many versions read it. */
export type FeaturesOf = (set: FeatureSet) => Float32Array;

/**
 * Every distinct version the bot's aliases serve predicts the round at once; `playingVersion` (the
 * version that started the game) decides the move, and is asked too when it has been retired since.
 * A version whose inference fails is left out and logged; if it is the playing one the bot falls back.
 */
export async function predictAll(
  bot: BotState | undefined,
  featuresOf: FeaturesOf,
  playingVersion: string | null,
  log: FastifyBaseLogger,
): Promise<Predictions> {
  const model = bot?.definition.model;
  const groups = new Map<string, { aliases: Alias[]; model: OnnxModel }>();
  if (bot) {
    for (const alias of ALIASES) {
      const served = bot.aliases[alias];
      if (!served) continue;
      const g = groups.get(served.version);
      if (g) g.aliases.push(alias);
      else groups.set(served.version, { aliases: [alias], model: served.model });
    }
  }
  let playingModel = playingVersion ? (groups.get(playingVersion)?.model ?? null) : null;
  if (bot && playingVersion && !playingModel) playingModel = bot.retired.model(playingVersion);
  const entries = [...groups.entries()];
  const results = await Promise.all(
    entries.map(([, g]) => g.model.predict(featuresOf(g.model.featureSet)).catch((err: Error) => err)),
  );
  const byVersion: VersionPrediction[] = [];
  let playing: Probabilities | null = null;
  let inferenceError = false;
  entries.forEach(([version, g], i) => {
    const r = results[i]!;
    if (r instanceof Error) {
      log.warn({ bot: model, version, err: r.message }, 'inference failed');
      if (version === playingVersion) inferenceError = true;
      return;
    }
    byVersion.push({ version, aliases: g.aliases, probabilities: r });
    if (version === playingVersion) playing = r;
  });
  if (playingModel && !groups.has(playingVersion!)) {
    try {
      playing = await playingModel.predict(featuresOf(playingModel.featureSet));
    } catch (err) {
      log.warn({ bot: model, version: playingVersion, err: (err as Error).message }, 'inference failed');
      inferenceError = true;
    }
  }
  return {
    byVersion,
    playing,
    fallbackReason: playing ? null : inferenceError ? 'inference_error' : 'no_model',
    playingFeatureSet: playingModel?.featureSet ?? null,
  };
}
