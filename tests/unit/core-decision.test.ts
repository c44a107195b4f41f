import { describe, expect, it } from 'vitest';
import {
  DECISION_RULE,
  DECISION_TEMPERATURE,
  READ_TEMPERATURE,
  botMove,
  decideMove,
  decisionTemperature,
  featureSet,
  predictionTrust,
  TRUST_START,
  TRUST_SCALE,
  newGame,
  playRound,
  roundValues,
  sampleMove,
  seededRandom,
  type Probabilities,
} from '../../core/index.ts';

const values = { rock: 1.8, paper: 1.0, scissors: 1.3 }; // rock highest, paper lowest

function draws(p: Probabilities, n: number, temperature = DECISION_TEMPERATURE): Record<string, number> {
  const random = seededRandom(5);
  const counts: Record<string, number> = { rock: 0, paper: 0, scissors: 0 };
  for (let i = 0; i < n; i++) counts[sampleMove(p, values, 0, 0, random, temperature).move]!++;
  return counts;
}

describe('the sampled EV rule (rps-features/v2)', () => {
  it('keeps EV at its heart: the EVs are the greedy rule’s, and a clearly best move is played almost always', () => {
    const p: Probabilities = [0.05, 0.05, 0.9]; // the player plays scissors: rock wins
    const d = sampleMove(p, values, 0, 0, () => 0.5);
    expect(d.ev).toEqual(decideMove(p, values, 0, 0).ev);
    expect(d.policy.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(draws(p, 2000).rock).toBeGreaterThan(1990);
  });

  it('plays near-equal moves about equally often, so counting its moves tells a player little', () => {
    const c = draws([1 / 3, 1 / 3, 1 / 3], 3000, 50);
    for (const m of ['rock', 'paper', 'scissors']) expect(c[m]).toBeGreaterThan(800);
  });

  it('draws from exp((EV − max) / temperature), the same move for the same random draw', () => {
    const p: Probabilities = [0.4, 0.35, 0.25];
    const d = sampleMove(p, values, 0, 0, () => 0.3, 0.2);
    const top = Math.max(...d.ev);
    const w = d.ev.map((e) => Math.exp((e - top) / 0.2));
    const sum = w.reduce((a, b) => a + b, 0);
    d.policy.forEach((q, i) => expect(q).toBeCloseTo(w[i]! / sum, 12));
    expect(sampleMove(p, values, 0, 0, () => 0.3, 0.2).move).toBe(d.move);
    expect(() => sampleMove(p, values, 0, 0, () => 0.3, 0)).toThrow(
      'temperature must be a positive finite number, got 0',
    );
  });

  it('is less readable while the player wins more of the last rounds than it loses', () => {
    expect(decisionTemperature([])).toBe(DECISION_TEMPERATURE);
    expect(decisionTemperature(['lose', 'lose', 'win'])).toBe(DECISION_TEMPERATURE);
    expect(decisionTemperature(['win', 'win', 'win'])).toBeCloseTo(
      DECISION_TEMPERATURE + READ_TEMPERATURE,
      12,
    );
    expect(decisionTemperature(['win', 'draw', 'win', 'lose'])).toBeCloseTo(
      DECISION_TEMPERATURE + READ_TEMPERATURE * 0.25,
      12,
    );
  });

  it('is the rule of v2 versions in botMove; v1 versions keep the greedy rule', () => {
    let s = newGame('decision-game', 'toolbox');
    for (let r = 1; r <= 3; r++) s = playRound(s, r, 'rock', 'paper');
    const v = roundValues(s.gameId, 4);
    const p: Probabilities = [0.34, 0.33, 0.33];
    const greedy = decideMove(p, v, s.botScore, s.playerScore).move;
    expect(botMove(s, 4, v, () => p).move).toBe(greedy);
    const v2 = featureSet('rps-features/v2');
    expect(() => botMove(s, 4, v, () => p, { featureSet: v2 })).toThrow(/needs a random source/);
    const moves = new Set<string>();
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) moves.add(botMove(s, 4, v, () => p, { featureSet: v2, random }).move);
    expect(moves.size).toBeGreaterThan(1);
  });

  it('distrusts a model as far as it predicted this player worse than chance earlier in the game', () => {
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    expect(predictionTrust([])).toBe(TRUST_START);
    const right = { probabilities: [0.9, 0.05, 0.05] as Probabilities, actual: 0 };
    const wrong = { probabilities: [0.9, 0.05, 0.05] as Probabilities, actual: 1 };
    expect(predictionTrust([right])).toBeCloseTo(clamp(TRUST_START + TRUST_SCALE * Math.log(2.7)), 12);
    expect(predictionTrust([wrong])).toBeCloseTo(clamp(TRUST_START + TRUST_SCALE * Math.log(0.15)), 12);
    expect(predictionTrust([wrong, wrong, wrong])).toBe(0);
    expect(predictionTrust([wrong, wrong, wrong])).toBeLessThan(predictionTrust([wrong]));
    // a uniform prediction neither gains nor loses trust
    expect(predictionTrust([{ probabilities: [1 / 3, 1 / 3, 1 / 3], actual: 2 }])).toBeCloseTo(
      TRUST_START,
      12,
    );
  });

  it('plays the values when the model has misread this player: a distrusted prediction gives way to uniform', () => {
    let s = newGame('trust-game', 'toolbox');
    for (let r = 1; r <= 6; r++) s = playRound(s, r, 'rock', 'rock');
    const v = roundValues(s.gameId, 7);
    const v2 = featureSet('rps-features/v2');
    // the model keeps saying scissors while the player plays rock: zero trust
    const misread = [4, 5, 6].map((round) => ({ round, probabilities: [0.02, 0.02, 0.96] as Probabilities }));
    const p: Probabilities = [0.02, 0.02, 0.96];
    const uniform = decideMove([1 / 3, 1 / 3, 1 / 3], v, s.botScore, s.playerScore);
    const d = botMove(s, 7, v, () => p, { featureSet: v2, random: () => 0.999999, pastPredictions: misread });
    // with trust 0 the EVs are the uniform ones; the draw at the top of [0, 1) takes the last move with weight
    expect(d.probabilities).toEqual(p);
    const again = sampleMove(p, v, s.botScore, s.playerScore, () => 0.5, 0.1, 0);
    expect(again.ev).toEqual(uniform.ev);
  });

  it('takes other constants when asked (the validation bench compares them); by default the documented ones', () => {
    expect(DECISION_RULE).toEqual({
      temperature: DECISION_TEMPERATURE,
      readTemperature: READ_TEMPERATURE,
      trustStart: TRUST_START,
      trustScale: TRUST_SCALE,
    });
    expect(decisionTemperature(['win', 'win'], 0.2, 1)).toBeCloseTo(1.2, 12);
    let s = newGame('rule-game', 'toolbox');
    for (let r = 1; r <= 6; r++) s = playRound(s, r, 'rock', 'rock');
    const v = roundValues(s.gameId, 7);
    const v2 = featureSet('rps-features/v2');
    const p: Probabilities = [0.02, 0.02, 0.96];
    const past = [4, 5, 6].map((round) => ({ round, probabilities: p }));
    const play = (rule: typeof DECISION_RULE, seed: number) => {
      const random = seededRandom(seed);
      return Array.from(
        { length: 300 },
        () => botMove(s, 7, v, () => p, { featureSet: v2, random, pastPredictions: past, rule }).move,
      );
    };
    // trust start 0, scale 0: the misread model is never followed, the uniform EVs decide
    const untrusted = { ...DECISION_RULE, trustStart: 0, trustScale: 0, temperature: 0.001 };
    const uniformBest = decideMove([1 / 3, 1 / 3, 1 / 3], v, s.botScore, s.playerScore).move;
    expect(new Set(play(untrusted, 3))).toEqual(new Set([uniformBest]));
    // trust held at 1: the model's scissors is followed, so the bot plays rock
    const trusted = { ...DECISION_RULE, trustStart: 1, trustScale: 0, temperature: 0.001 };
    expect(new Set(play(trusted, 3))).toEqual(new Set(['rock']));
  });
});
