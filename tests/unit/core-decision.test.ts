import { describe, expect, it } from 'vitest';
import {
  DECISION_TEMPERATURE,
  READ_TEMPERATURE,
  botMove,
  decideMove,
  decisionTemperature,
  featureSet,
  predictionEvidence,
  predictionTrust,
  TRUST_DECAY,
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

  it('follows the model only while its predictions in this game beat chance significantly', () => {
    const right = { probabilities: [0.9, 0.05, 0.05] as Probabilities, actual: 0 };
    const wrong = { probabilities: [0.9, 0.05, 0.05] as Probabilities, actual: 1 };
    // no evidence yet: the uniform prediction
    expect(predictionEvidence([])).toBe(0);
    expect(predictionTrust([])).toBe(0);
    // one prediction: z = (ℓ − μ) / σ with ℓ = ln(3 p(actual)), μ and σ² its mean and variance over moves
    const l = [0.9, 0.05, 0.05].map((p) => Math.log(3 * p));
    const mu = (l[0]! + l[1]! + l[2]!) / 3;
    const sd = Math.sqrt((l[0]! ** 2 + l[1]! ** 2 + l[2]! ** 2) / 3 - mu * mu);
    expect(predictionEvidence([right])).toBeCloseTo((l[0]! - mu) / sd, 12);
    expect(predictionEvidence([wrong])).toBeCloseTo((l[1]! - mu) / sd, 12);
    // decayed sums: two right predictions, the older one weighted TRUST_DECAY
    expect(predictionEvidence([right, right])).toBeCloseTo(
      ((1 + TRUST_DECAY) * (l[0]! - mu)) / (sd * Math.sqrt(1 + TRUST_DECAY ** 2)),
      12,
    );
    // one confident right prediction: z = √2, significant at 0.1 (z ≥ 1.28), not at 0.05 (z < 1.64)
    expect(predictionTrust([right], 0.1)).toBe(1);
    expect(predictionTrust([right], 0.05)).toBe(0);
    expect(predictionTrust([right, right, right])).toBe(1);
    expect(predictionTrust([right, right, wrong])).toBe(0);
    expect(predictionTrust([wrong, wrong, wrong])).toBe(0);
    // a uniform prediction carries no evidence either way
    expect(predictionEvidence([{ probabilities: [1 / 3, 1 / 3, 1 / 3], actual: 2 }])).toBe(0);
    expect(() => predictionTrust([right], 0)).toThrow(/trust level must be in \(0, 0.5\], got 0/);
  });

  it('a model that cannot read the player is trusted in about TRUST_LEVEL of rounds', () => {
    const random = seededRandom(5);
    let trusted = 0;
    const games = 2000;
    for (let g = 0; g < games; g++) {
      const past = Array.from({ length: 8 }, () => {
        const a = 0.2 + 0.6 * random();
        const p: Probabilities = [a, (1 - a) * random(), 0];
        const q: Probabilities = [p[0], p[1], 1 - p[0] - p[1]];
        return { probabilities: q, actual: Math.min(2, Math.floor(random() * 3)) };
      });
      trusted += predictionTrust(past);
    }
    expect(trusted / games).toBeGreaterThan(0.05);
    expect(trusted / games).toBeLessThan(0.16);
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
});
