// A gbdt lane thread (gbdt-lanes.ts): given the run's shared data once, then grows the trees of the
// classes each round's job names and answers with them.
import { parentPort } from 'node:worker_threads';
import { laneBase, runLane, type LaneData, type LaneJob } from './gbdt-lanes.ts';
import type { GrowBase } from './gbdt-grow.ts';

const port = parentPort!;
let run: { data: LaneData; base: GrowBase; lane: number } | null = null;

port.on('message', (m: { data: LaneData; lane: number } | { job: LaneJob }) => {
  if ('data' in m) {
    run = { data: m.data, base: laneBase(m.data), lane: m.lane };
    return;
  }
  if (!run) throw new Error('a gbdt lane got a job before its data');
  port.postMessage(runLane(run.data, run.base, m.job, run.lane));
});
