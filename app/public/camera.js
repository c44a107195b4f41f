// @ts-check
// "Play with your camera": MediaPipe Hands (served by this server) finds the hand in the preview,
// gesture.js reads it, and a gesture held still for HOLD_MS plays a round. Frames stay in the page:
// nothing but the chosen move is ever sent.
import { byId } from './dom.js';
import { HOLD_MS, classifyGesture, createHoldTracker } from './gesture.js';

/** @import { Hands, NormalizedLandmarkList, Results } from '@mediapipe/hands' */
/** @import { HoldTracker, Move } from './gesture.js' */
/** @typedef {Window & { Hands?: typeof Hands }} HandsWindow */
/**
 * One run of the camera, from switching it on to off.
 * @typedef {object} Session
 * @property {boolean} stopped
 * @property {MediaStream | null} stream
 * @property {number[]} frames the times of the latest readings (frames per second)
 * @property {number} readings
 * @property {number} started
 * @property {HoldTracker} tracker
 */

const $ = byId;
// MediaPipe's hand skeleton: pairs of landmark indices
/** @type {[number, number][]} */
const BONES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
]; // prettier-ignore

/** A failure the player can act on, shown instead of the preview. */
class CameraError extends Error {}

const errorName = (/** @type {unknown} */ err) => (err instanceof Error ? err.name : '');
const errorMessage = (/** @type {unknown} */ err) => (err instanceof Error ? err.message : String(err));

function hasWebGl() {
  const canvas = document.createElement('canvas');
  return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
}

/** @param {string} src @returns {Promise<void>} */
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new CameraError(`the hand tracker did not load (${src})`));
    document.head.append(script);
  });
}

async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError('this browser offers no camera to this page (it needs https or localhost)');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
      audio: false,
    });
  } catch (err) {
    const name = errorName(err);
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new CameraError('the camera is blocked for this page (permission refused)');
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      throw new CameraError('no camera was found');
    }
    if (name === 'NotReadableError') throw new CameraError('the camera is in use by another program');
    throw new CameraError(`the camera could not be opened (${name}: ${errorMessage(err)})`);
  }
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLVideoElement} video
 * @param {NormalizedLandmarkList | null} landmarks
 */
function draw(canvas, video, landmarks) {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!landmarks) return;
  /** @returns {[number, number]} */
  const at = (/** @type {number} */ i) => {
    const p = landmarks[i];
    return p ? [p.x * canvas.width, p.y * canvas.height] : [0, 0];
  };
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#5ad1a6';
  for (const [a, b] of BONES) {
    ctx.beginPath();
    ctx.moveTo(...at(a));
    ctx.lineTo(...at(b));
    ctx.stroke();
  }
  ctx.fillStyle = '#ffcf5a';
  for (let i = 0; i < landmarks.length; i++) {
    ctx.beginPath();
    ctx.arc(...at(i), 4, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/**
 * Wires the switch. `play(move)` plays a round; `canPlay()` says whether a round can be played now
 * (while it is not, readings neither count towards a hold nor break it).
 * @param {{ play: (move: Move) => void; canPlay: () => boolean }} options
 * @returns {{ stop: () => void }}
 */
export function setupCamera({ play, canPlay }) {
  const toggle = $('camera-toggle', HTMLInputElement);
  const panel = $('camera');
  const video = $('camera-video', HTMLVideoElement);
  const canvas = $('camera-overlay', HTMLCanvasElement);
  const handsBase = toggle.dataset.hands ?? '';
  /** @type {Session | null} */
  let session = null;
  /** @type {Hands | null} */
  let hands = null;
  // one tracker for the page, loaded once even when the switch is flipped while it loads
  /** @type {Promise<Hands> | null} */
  let handsReady = null;
  // the tracker's WebGL canvases already watched for a lost context
  /** @type {WeakSet<HTMLCanvasElement>} */
  const watched = new WeakSet();

  /** @returns {Promise<Hands>} */
  async function loadHands() {
    const page = /** @type {HandsWindow} */ (window);
    if (!page.Hands) await loadScript(`${handsBase}hands.js`);
    if (!page.Hands) throw new CameraError(`the hand tracker did not load (${handsBase}hands.js)`);
    const h = new page.Hands({ locateFile: (file) => handsBase + file });
    h.setOptions({ maxNumHands: 1, modelComplexity: 1, minDetectionConfidence: 0.5 });
    h.onResults((results) => onResults(results, h));
    await h.initialize();
    return h;
  }

  /** @param {string} message */
  function say(message) {
    $('camera-error').textContent = message ? `Camera: ${message}. The buttons still work.` : '';
    $('camera-error').hidden = !message;
  }

  function stop() {
    if (!session) return;
    session.stopped = true;
    for (const track of session.stream?.getTracks() ?? []) track.stop();
    video.srcObject = null;
    session = null;
    toggle.checked = false;
    panel.hidden = true;
    panel.dataset.state = 'off';
  }

  /** @param {Session} s @param {import('./gesture.js').Reading | null} reading @param {number} now */
  function show(s, reading, now) {
    const { tracker } = s;
    $('camera-gesture').textContent = reading ? reading.gesture : 'no hand';
    $('camera-confidence').textContent = reading ? `${Math.round(reading.confidence * 100)}%` : '';
    panel.dataset.gesture = reading ? reading.gesture : 'none';
    $('camera-hold').style.width = `${Math.round(tracker.progress(now) * 100)}%`;
  }

  /** A tracker that failed is not used again: the next switch-on loads a new one. */
  /** @param {Hands} dead */
  function dropTracker(dead) {
    if (hands !== dead) return;
    hands = null;
    handsReady = null;
    dead.close().catch(() => {});
  }

  // The tracker draws through WebGL; a lost context (the GPU reset, or the browser reclaiming the
  // oldest of too many contexts) would otherwise leave it reading "no hand" forever.
  /** @param {Results['image']} image @param {Hands} tracker */
  function watchContext(image, tracker) {
    if (!(image instanceof HTMLCanvasElement) || watched.has(image)) return;
    watched.add(image);
    image.addEventListener('webglcontextlost', () => {
      dropTracker(tracker);
      if (session) fail(new CameraError('the hand tracker stopped (its WebGL context was lost)'));
    });
  }

  /** @param {Results} results @param {Hands} tracker */
  function onResults(results, tracker) {
    watchContext(results.image, tracker);
    if (!session || session.stopped) return;
    const now = performance.now();
    const s = session;
    s.frames.push(now);
    panel.dataset.readings = String(++s.readings);
    while (now - (s.frames[0] ?? now) > 2000) s.frames.shift();
    const first = s.frames[0] ?? now;
    if (s.frames.length > 1) {
      const fps = ((s.frames.length - 1) * 1000) / (now - first);
      panel.dataset.fps = fps.toFixed(1);
      $('camera-fps').textContent = `${fps.toFixed(1)} frames/s`;
    }
    const landmarks = results.multiHandLandmarks?.[0] ?? null;
    draw(canvas, video, landmarks);
    const reading = landmarks ? classifyGesture(landmarks, video.videoWidth / video.videoHeight) : null;
    if (reading && panel.dataset.firstDetectionMs === undefined) {
      panel.dataset.firstDetectionMs = String(Math.round(now - s.started));
    }
    // while a round is being answered the hold is neither fed nor broken: it goes on afterwards
    const move = canPlay() ? s.tracker.read(reading?.gesture ?? null, now) : null;
    show(s, reading, now);
    if (move) play(move);
  }

  /** @param {Session} s @param {Hands} tracker */
  async function loop(s, tracker) {
    while (!s.stopped) {
      if (video.readyState >= 2) {
        try {
          await tracker.send({ image: video });
        } catch (err) {
          dropTracker(tracker);
          fail(new CameraError(`the hand tracker stopped (${errorMessage(err)})`));
          return;
        }
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  /** @param {unknown} err */
  function fail(err) {
    stop();
    say(err instanceof CameraError ? err.message : `it failed (${errorMessage(err)})`);
  }

  async function start() {
    say('');
    /** @type {Session} */
    const s = {
      stopped: false,
      stream: null,
      frames: [],
      readings: 0,
      started: performance.now(),
      tracker: createHoldTracker(HOLD_MS),
    };
    session = s;
    panel.hidden = false;
    panel.dataset.state = 'starting';
    delete panel.dataset.firstDetectionMs;
    delete panel.dataset.fps;
    delete panel.dataset.readings;
    delete panel.dataset.modelReadyMs;
    $('camera-gesture').textContent = 'starting…';
    $('camera-confidence').textContent = '';
    $('camera-fps').textContent = '';
    try {
      if (!hasWebGl()) throw new CameraError('this browser has no WebGL, which the hand tracker needs');
      const stream = await openCamera();
      if (s.stopped) {
        // switched off while the camera was opening: this stream is nobody's
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      s.stream = stream;
      video.srcObject = stream;
      await video.play();
      handsReady ??= loadHands().catch((err) => {
        handsReady = null;
        throw err;
      });
      const tracker = await handsReady;
      hands = tracker;
      if (s.stopped) return;
      panel.dataset.state = 'on';
      panel.dataset.modelReadyMs = String(Math.round(performance.now() - s.started));
      await loop(s, tracker);
    } catch (err) {
      if (session !== s) return;
      fail(
        err instanceof CameraError
          ? err
          : new CameraError(`the hand tracker did not load (${errorMessage(err)})`),
      );
    }
  }

  toggle.addEventListener('change', () => (toggle.checked ? start() : stop()));
  return { stop };
}
