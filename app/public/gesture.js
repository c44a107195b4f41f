// @ts-check
// Rock, paper or scissors from the 21 hand landmarks MediaPipe Hands finds (wrist 0, thumb 1–4,
// index 5–8, middle 9–12, ring 13–16, pinky 17–20; x and y in [0, 1] of the picture's width and
// height, z about the same scale as x). Pure: the web UI and the unit tests import the same file.

/** @typedef {'index' | 'middle' | 'ring' | 'pinky'} Finger */
/** @typedef {'rock' | 'paper' | 'scissors'} Move */
/** @typedef {Move | 'unsure'} Gesture */
/** @typedef {{ x: number; y: number; z?: number }} Landmark */
/** @typedef {{ gesture: Gesture; confidence: number; fingers: Record<Finger, number> }} Reading */
/**
 * @typedef {object} HoldTracker
 * @property {(gesture: Gesture | null, now: number) => Move | null} read
 * @property {(now: number) => number} progress
 */

/** Wrist, and [MCP, PIP, tip] of the four long fingers; the thumb says nothing reliable here. */
const WRIST = 0;
/** @type {Record<Finger, [number, number, number]>} */
export const FINGERS = {
  index: [5, 6, 8],
  middle: [9, 10, 12],
  ring: [13, 14, 16],
  pinky: [17, 18, 20],
};

/** Which fingers are out for each gesture (the thumb is ignored). @type {Record<Move, Record<Finger, boolean>>} */
const PATTERNS = {
  rock: { index: false, middle: false, ring: false, pinky: false },
  paper: { index: true, middle: true, ring: true, pinky: true },
  scissors: { index: true, middle: true, ring: false, pinky: false },
};

/** Below this confidence the reading is "unsure" and plays nothing. */
export const MIN_CONFIDENCE = 0.6;
/** How long the same gesture must be read without a break before it plays a round. */
export const HOLD_MS = 1000;
/** A longer gap between two readings (a stalled camera, a hidden tab) restarts a hold. */
export const MAX_GAP_MS = 2500;

// How far a finger is out: the tip's distance from the wrist over the PIP joint's. A straight finger
// reaches about 1.5 palm-lengths further than its PIP joint; a curled one folds back past it.
const CURLED_RATIO = 0.95;
const EXTENDED_RATIO = 1.3;

const clamp01 = (/** @type {number} */ v) => Math.min(1, Math.max(0, v));

/** @typedef {{ x: number; y: number; z: number }} Point */

/**
 * @param {readonly Landmark[]} landmarks
 * @param {number} i
 * @param {number} aspect
 * @returns {Point}
 */
function point(landmarks, i, aspect) {
  const p = /** @type {Landmark} */ (landmarks[i]);
  const z = p.z ?? 0;
  for (const [axis, v] of [
    ['x', p.x],
    ['y', p.y],
    ['z', z],
  ]) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`landmark ${i}: ${axis} must be a finite number, got ${String(v)}`);
    }
  }
  return { x: p.x * aspect, y: p.y, z: z * aspect };
}

const distance = (/** @type {Point} */ a, /** @type {Point} */ b) =>
  Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);

/**
 * How far each long finger is out, from 0 (curled into the palm) to 1 (straight).
 * `aspect` is the picture's width over its height (landmarks are normalised to each separately).
 * @param {readonly Landmark[]} landmarks
 * @param {number} [aspect]
 * @returns {Record<Finger, number>}
 */
export function fingerExtension(landmarks, aspect = 1) {
  if (!Array.isArray(landmarks) || landmarks.length !== 21) {
    const got = Array.isArray(landmarks) ? `${landmarks.length} points` : typeof landmarks;
    throw new TypeError(`a hand has 21 landmarks (MediaPipe Hands order), got ${got}`);
  }
  if (!(aspect > 0 && Number.isFinite(aspect))) {
    throw new RangeError(`aspect must be a positive width/height ratio, got ${String(aspect)}`);
  }
  const wrist = point(landmarks, WRIST, aspect);
  const out = /** @type {Record<Finger, number>} */ ({});
  for (const [name, [mcp, pip, tip]] of /** @type {[Finger, [number, number, number]][]} */ (
    Object.entries(FINGERS)
  )) {
    const base = distance(wrist, point(landmarks, pip, aspect));
    const palm = distance(wrist, point(landmarks, mcp, aspect));
    if (base === 0 || palm === 0) throw new RangeError(`${name} finger: its joints sit on the wrist`);
    const ratio = distance(wrist, point(landmarks, tip, aspect)) / base;
    out[name] = clamp01((ratio - CURLED_RATIO) / (EXTENDED_RATIO - CURLED_RATIO));
  }
  return out;
}

/**
 * The gesture a hand shows: `rock`, `paper`, `scissors`, or `unsure` when no gesture's pattern fits
 * every finger with at least MIN_CONFIDENCE. Confidence is the worst finger's agreement with the
 * best pattern (1: every finger fully as the gesture wants it).
 * @param {readonly Landmark[]} landmarks
 * @param {number} [aspect]
 * @returns {Reading}
 */
export function classifyGesture(landmarks, aspect = 1) {
  const fingers = fingerExtension(landmarks, aspect);
  /** @type {{ gesture: Gesture; confidence: number }} */
  let best = { gesture: 'unsure', confidence: 0 };
  for (const [gesture, pattern] of /** @type {[Move, Record<Finger, boolean>][]} */ (
    Object.entries(PATTERNS)
  )) {
    let confidence = 1;
    for (const [name, out] of /** @type {[Finger, boolean][]} */ (Object.entries(pattern))) {
      confidence = Math.min(confidence, out ? fingers[name] : 1 - fingers[name]);
    }
    if (confidence > best.confidence) best = { gesture, confidence };
  }
  if (best.confidence < MIN_CONFIDENCE) best = { gesture: 'unsure', confidence: best.confidence };
  return { ...best, fingers };
}

/**
 * Turns a stream of readings into moves: a gesture read without a break for HOLD_MS plays once, and
 * plays again only after something else was read (another gesture, "unsure" or no hand) in between.
 * `read(gesture, now)` takes `null` for "no hand" and returns the move to play, or null.
 * @param {number} [holdMs]
 * @param {number} [maxGapMs]
 * @returns {HoldTracker}
 */
export function createHoldTracker(holdMs = HOLD_MS, maxGapMs = MAX_GAP_MS) {
  /** @type {Move | null} */
  let current = null;
  let since = 0;
  let last = -Infinity;
  let played = false;
  return {
    read(gesture, now) {
      const move = gesture === 'rock' || gesture === 'paper' || gesture === 'scissors' ? gesture : null;
      if (move !== current) {
        current = move;
        since = now;
        played = false;
      } else if (now - last > maxGapMs) {
        since = now;
      }
      last = now;
      if (!move || played || now - since < holdMs) return null;
      played = true;
      return move;
    },
    /** How far the current hold is, from 0 to 1 (1 once it has played). */
    progress(now) {
      if (!current) return 0;
      return played ? 1 : clamp01((now - since) / holdMs);
    },
  };
}
