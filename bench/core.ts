// Game core speed: features + decision for one bot move (v1: features and the greedy rule; v2:
// features and the sampled rule), and simulating 200 cold-start games.
// Prints its figures as one JSON object on the last line.
import {
  coldStartCorpus,
  decideMove,
  features,
  featuresV2,
  sampleMove,
  seededRandom,
  type PlayedRound,
  type Probabilities,
} from '../core/index.ts';

const corpus = coldStartCorpus({ games: 200, seed: 1 });
const cases: { previous: PlayedRound[]; round: PlayedRound }[] = [];
for (const g of corpus) g.rounds.forEach((r, i) => cases.push({ previous: g.rounds.slice(0, i), round: r }));

const p: Probabilities = [0.3, 0.3, 0.4];
let sink = 0;
function moves(n: number): void {
  for (let i = 0; i < n; i++) {
    const c = cases[i % cases.length]!;
    const f = features(c.previous, c.round.round, c.round.values);
    const last = c.previous.at(-1);
    sink += f[0]! + decideMove(p, c.round.values, last?.botScore ?? 0, last?.playerScore ?? 0).ev[0];
  }
}
const random = seededRandom(1);
function movesV2(n: number): void {
  for (let i = 0; i < n; i++) {
    const c = cases[i % cases.length]!;
    const f = featuresV2(c.previous, c.round.round, c.round.values);
    const last = c.previous.at(-1);
    sink += f[0]! + sampleMove(p, c.round.values, last?.botScore ?? 0, last?.playerScore ?? 0, random).ev[0];
  }
}
moves(20_000); // warm-up
const n = 200_000;
let t = process.hrtime.bigint();
moves(n);
const nsPerMove = Number(process.hrtime.bigint() - t) / n;
movesV2(5_000); // warm-up
const nV2 = 50_000;
t = process.hrtime.bigint();
movesV2(nV2);
const nsPerMoveV2 = Number(process.hrtime.bigint() - t) / nV2;

coldStartCorpus({ games: 200, seed: 2 }); // warm-up
const runs = 5;
t = process.hrtime.bigint();
for (let i = 0; i < runs; i++) coldStartCorpus({ games: 200, seed: 10 + i });
const simulate200GamesMs = Number(process.hrtime.bigint() - t) / 1e6 / runs;

if (!Number.isFinite(sink)) throw new Error('unreachable');
console.log(
  JSON.stringify({
    nsPerMove: Math.round(nsPerMove),
    movesPerSecond: Math.round(1e9 / nsPerMove),
    nsPerMoveV2: Math.round(nsPerMoveV2),
    movesPerSecondV2: Math.round(1e9 / nsPerMoveV2),
    simulate200GamesMs: Math.round(simulate200GamesMs * 10) / 10,
    roundsPer200Games: corpus.reduce((a, g) => a + g.rounds.length, 0),
  }),
);
