import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FINGERS,
  HOLD_MS,
  MAX_GAP_MS,
  MIN_CONFIDENCE,
  classifyGesture,
  createHoldTracker,
  fingerExtension,
  type Finger,
  type Landmark,
} from '../../app/public/gesture.js';
import { OPEN_HAND_LANDMARKS } from './gesture-fixtures.ts';

type Pose = 'out' | 'curled' | 'half';

/**
 * A right hand seen palm-on, wrist at the bottom (y grows downwards as in a picture): each long
 * finger straight up, curled into the palm, or bent halfway (a claw); the thumb tucked across.
 */
function hand(poses: Record<Finger, Pose>): Landmark[] {
  const points: Landmark[] = Array.from({ length: 21 }, () => ({ x: 0, y: 0, z: 0 }));
  points[0] = { x: 0.5, y: 0.9, z: 0 };
  const thumb = [
    [0.42, 0.84],
    [0.37, 0.76],
    [0.4, 0.69],
    [0.45, 0.66],
  ];
  thumb.forEach(([x, y], i) => (points[1 + i] = { x: x!, y: y!, z: -0.01 }));
  const columns: Record<Finger, { x: number; length: number }> = {
    index: { x: 0.42, length: 1 },
    middle: { x: 0.49, length: 1.1 },
    ring: { x: 0.56, length: 1 },
    pinky: { x: 0.62, length: 0.8 },
  };
  for (const [finger, [mcp]] of Object.entries(FINGERS) as [Finger, number[]][]) {
    const { x, length } = columns[finger];
    const mcpY = 0.6;
    points[mcp!] = { x, y: mcpY, z: 0 };
    // phalanges 0.12, 0.08, 0.06 of the picture's height times the finger's length
    const [p1, p2, p3] = [0.12 * length, 0.08 * length, 0.06 * length];
    const bend = { out: 0, half: Math.PI / 5.2, curled: Math.PI / 1.9 }[poses[finger]];
    // each joint bends by `bend` towards the palm (half: about 35°, a claw; curled: about 95°)
    let angle = 0;
    let at = { x, y: mcpY, z: 0 };
    [p1, p2, p3].forEach((len, i) => {
      angle += bend;
      at = { x, y: at.y - len * Math.cos(angle), z: at.z - len * Math.sin(angle) };
      points[mcp! + 1 + i] = at;
    });
  }
  return points;
}

const all = (pose: Pose): Record<Finger, Pose> => ({ index: pose, middle: pose, ring: pose, pinky: pose });

/** The same points turned by `angle` about the picture's centre, scaled and moved. */
function transform(points: readonly Landmark[], angle: number, scale: number, dx: number, dy: number) {
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  return points.map((p) => {
    const x = p.x - 0.5;
    const y = p.y - 0.5;
    return { x: 0.5 + dx + scale * (c * x - s * y), y: 0.5 + dy + scale * (s * x + c * y), z: scale * p.z! };
  });
}

/** The real open hand with some fingers folded into the palm: tips and DIP joints pulled back. */
function foldReal(fingers: Finger[]): Landmark[] {
  const points = OPEN_HAND_LANDMARKS.map((p) => ({ ...p }));
  const wrist = points[0]!;
  for (const f of fingers) {
    const [mcp] = FINGERS[f];
    const m = points[mcp]!;
    const toward = (t: number) => ({ x: m.x + t * (wrist.x - m.x), y: m.y + t * (wrist.y - m.y), z: m.z });
    points[mcp + 2] = toward(0.05);
    points[mcp + 3] = toward(0.2);
  }
  return points;
}

describe('gesture classifier', () => {
  it('reads the open hand of a real photo as paper', () => {
    const r = classifyGesture(OPEN_HAND_LANDMARKS, 640 / 480);
    expect(r.gesture).toBe('paper');
    expect(r.confidence).toBeGreaterThan(0.8);
    for (const f of Object.keys(FINGERS) as Finger[]) expect(r.fingers[f]).toBeGreaterThan(0.8);
  });

  it('reads the real hand with its ring and pinky folded as scissors, and all four folded as rock', () => {
    expect(classifyGesture(foldReal(['ring', 'pinky']), 640 / 480).gesture).toBe('scissors');
    expect(classifyGesture(foldReal(['index', 'middle', 'ring', 'pinky']), 640 / 480).gesture).toBe('rock');
  });

  it('reads constructed fists, flat hands and two-finger hands', () => {
    expect(classifyGesture(hand(all('curled')))).toMatchObject({ gesture: 'rock' });
    expect(classifyGesture(hand(all('out')))).toMatchObject({ gesture: 'paper' });
    const scissors = classifyGesture(hand({ index: 'out', middle: 'out', ring: 'curled', pinky: 'curled' }));
    expect(scissors.gesture).toBe('scissors');
    expect(scissors.confidence).toBeGreaterThan(0.8);
  });

  it('says unsure for hands that show none of the three', () => {
    const ambiguous: Record<Finger, Pose>[] = [
      all('half'), // a claw
      { index: 'out', middle: 'curled', ring: 'curled', pinky: 'curled' }, // pointing
      { index: 'out', middle: 'out', ring: 'out', pinky: 'curled' }, // three fingers
      { index: 'out', middle: 'half', ring: 'curled', pinky: 'curled' }, // scissors half-made
      { index: 'curled', middle: 'out', ring: 'curled', pinky: 'curled' },
    ];
    for (const poses of ambiguous) {
      const r = classifyGesture(hand(poses));
      expect(r, JSON.stringify(poses)).toMatchObject({ gesture: 'unsure' });
      expect(r.confidence).toBeLessThan(MIN_CONFIDENCE);
    }
  });

  it('reads the same gesture whatever the hand is turned, sized or placed', () => {
    const cases = [
      { poses: all('curled'), gesture: 'rock' },
      { poses: all('out'), gesture: 'paper' },
      {
        poses: { index: 'out', middle: 'out', ring: 'curled', pinky: 'curled' } as const,
        gesture: 'scissors',
      },
      { poses: all('half'), gesture: 'unsure' },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        fc.double({ min: 0.3, max: 1.5, noNaN: true }),
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        ({ poses, gesture }, angle, scale, dx, dy) => {
          expect(classifyGesture(transform(hand(poses), angle, scale, dx, dy)).gesture).toBe(gesture);
        },
      ),
    );
  });

  it('rejects what is not a hand, naming what is wrong', () => {
    expect(() => classifyGesture(OPEN_HAND_LANDMARKS.slice(1))).toThrow(
      'a hand has 21 landmarks (MediaPipe Hands order), got 20 points',
    );
    const broken = OPEN_HAND_LANDMARKS.map((p, i) => (i === 8 ? { ...p, y: Number.NaN } : p));
    expect(() => fingerExtension(broken)).toThrow('landmark 8: y must be a finite number, got NaN');
    expect(() => fingerExtension(OPEN_HAND_LANDMARKS, 0)).toThrow(
      'aspect must be a positive width/height ratio, got 0',
    );
    const flat = OPEN_HAND_LANDMARKS.map(() => ({ x: 0.5, y: 0.5, z: 0 }));
    expect(() => fingerExtension(flat)).toThrow('index finger: its joints sit on the wrist');
  });
});

describe('hold tracker', () => {
  it('plays a gesture held for HOLD_MS once, and again only after something else was read', () => {
    const t = createHoldTracker();
    expect(t.read('paper', 0)).toBeNull();
    expect(t.read('paper', HOLD_MS / 2)).toBeNull();
    expect(t.progress(HOLD_MS / 2)).toBeCloseTo(0.5);
    expect(t.read('paper', HOLD_MS)).toBe('paper');
    expect(t.read('paper', HOLD_MS * 3)).toBeNull(); // still held: not again
    expect(t.read(null, HOLD_MS * 3 + 100)).toBeNull(); // hand gone
    expect(t.read('paper', HOLD_MS * 4)).toBeNull();
    expect(t.read('paper', HOLD_MS * 5)).toBe('paper');
  });

  it('restarts the hold when the gesture changes, is unsure, or the readings stall', () => {
    const t = createHoldTracker();
    t.read('rock', 0);
    expect(t.read('scissors', HOLD_MS - 10)).toBeNull();
    expect(t.read('scissors', HOLD_MS + 10)).toBeNull();
    expect(t.read('unsure', HOLD_MS + 20)).toBeNull();
    expect(t.read('rock', HOLD_MS + 30)).toBeNull();
    expect(t.read('rock', HOLD_MS + 30 + MAX_GAP_MS + 1)).toBeNull(); // a stall: timed afresh
    expect(t.read('rock', 2 * HOLD_MS + 31 + MAX_GAP_MS)).toBe('rock');
  });
});
