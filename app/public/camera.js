// "Play with your camera": MediaPipe Hands (served by this server) finds the hand in the preview,
// gesture.js reads it, and a gesture held still for HOLD_MS plays a round. Frames stay in the page:
// nothing but the chosen move is ever sent.
import { HOLD_MS, classifyGesture, createHoldTracker } from './gesture.js';

const $ = (id) => document.getElementById(id);
// MediaPipe's hand skeleton: pairs of landmark indices
const BONES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
]; // prettier-ignore

/** A failure the player can act on, shown instead of the preview. */
class CameraError extends Error {}

function hasWebGl() {
  const canvas = document.createElement('canvas');
  return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
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
    if (err.name === 'NotAllowedError' || err.name === 'SecurityError') {
      throw new CameraError('the camera is blocked for this page (permission refused)');
    }
    if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') {
      throw new CameraError('no camera was found');
    }
    if (err.name === 'NotReadableError') throw new CameraError('the camera is in use by another program');
    throw new CameraError(`the camera could not be opened (${err.name}: ${err.message})`);
  }
}

function draw(canvas, video, landmarks) {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!landmarks) return;
  const at = (i) => [landmarks[i].x * canvas.width, landmarks[i].y * canvas.height];
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
 */
export function setupCamera({ play, canPlay }) {
  const toggle = $('camera-toggle');
  const panel = $('camera');
  const video = $('camera-video');
  const canvas = $('camera-overlay');
  const handsBase = toggle.dataset.hands;
  let session = null;
  let hands = null;
  // one tracker for the page, loaded once even when the switch is flipped while it loads
  let handsReady = null;
  // the tracker's WebGL canvases already watched for a lost context
  const watched = new WeakSet();

  async function loadHands() {
    if (!window.Hands) await loadScript(`${handsBase}hands.js`);
    const h = new window.Hands({ locateFile: (file) => handsBase + file });
    h.setOptions({ maxNumHands: 1, modelComplexity: 1, minDetectionConfidence: 0.5 });
    h.onResults((results) => onResults(results, h));
    await h.initialize();
    return h;
  }

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

  function show(reading, now) {
    const { tracker } = session;
    $('camera-gesture').textContent = reading ? reading.gesture : 'no hand';
    $('camera-confidence').textContent = reading ? `${Math.round(reading.confidence * 100)}%` : '';
    panel.dataset.gesture = reading ? reading.gesture : 'none';
    $('camera-hold').style.width = `${Math.round(tracker.progress(now) * 100)}%`;
  }

  /** A tracker that failed is not used again: the next switch-on loads a new one. */
  function dropTracker(dead) {
    if (hands !== dead) return;
    hands = null;
    handsReady = null;
    dead.close().catch(() => {});
  }

  // The tracker draws through WebGL; a lost context (the GPU reset, or the browser reclaiming the
  // oldest of too many contexts) would otherwise leave it reading "no hand" forever.
  function watchContext(image, tracker) {
    if (!(image instanceof HTMLCanvasElement) || watched.has(image)) return;
    watched.add(image);
    image.addEventListener('webglcontextlost', () => {
      dropTracker(tracker);
      if (session) fail(new CameraError('the hand tracker stopped (its WebGL context was lost)'));
    });
  }

  function onResults(results, tracker) {
    watchContext(results.image, tracker);
    if (!session || session.stopped) return;
    const now = performance.now();
    const s = session;
    s.frames.push(now);
    panel.dataset.readings = String(++s.readings);
    while (s.frames.length && now - s.frames[0] > 2000) s.frames.shift();
    if (s.frames.length > 1) {
      const fps = ((s.frames.length - 1) * 1000) / (now - s.frames[0]);
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
    show(reading, now);
    if (move) play(move);
  }

  async function loop(s) {
    while (!s.stopped) {
      if (video.readyState >= 2) {
        const tracker = hands;
        try {
          await tracker.send({ image: video });
        } catch (err) {
          dropTracker(tracker);
          fail(new CameraError(`the hand tracker stopped (${err.message})`));
          return;
        }
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  function fail(err) {
    stop();
    say(err instanceof CameraError ? err.message : `it failed (${err.message})`);
  }

  async function start() {
    say('');
    const s = {
      stopped: false,
      stream: null,
      frames: [],
      readings: 0,
      started: performance.now(),
      tracker: null,
    };
    s.tracker = createHoldTracker(HOLD_MS);
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
      hands = await handsReady;
      if (s.stopped) return;
      panel.dataset.state = 'on';
      panel.dataset.modelReadyMs = String(Math.round(performance.now() - s.started));
      await loop(s);
    } catch (err) {
      if (session !== s) return;
      fail(
        err instanceof CameraError
          ? err
          : new CameraError(`the hand tracker did not load (${err?.message ?? err})`),
      );
    }
  }

  toggle.addEventListener('change', () => (toggle.checked ? start() : stop()));
  return { stop };
}
