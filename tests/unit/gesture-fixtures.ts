// The 21 landmarks MediaPipe Hands 0.4.1675469240 (full model) finds in tests/e2e/fixtures/open-hand.jpg
// (handSrc.jpg of OpenCV's tutorials, an open hand, 640×480), rounded to 4 decimals. The wrist lies
// just outside the picture's left edge, as MediaPipe extrapolates it.
import type { Landmark } from '../../app/public/gesture.js';

export const OPEN_HAND_LANDMARKS: readonly Landmark[] = [
  { x: -0.024, y: 0.5434, z: 0.0 },
  { x: 0.0505, y: 0.3461, z: -0.0178 },
  { x: 0.1999, y: 0.2043, z: -0.0141 },
  { x: 0.3097, y: 0.1186, z: -0.014 },
  { x: 0.3813, y: 0.0462, z: -0.0134 },
  { x: 0.4223, y: 0.3834, z: 0.0346 },
  { x: 0.5779, y: 0.3305, z: 0.0219 },
  { x: 0.6715, y: 0.3033, z: -0.0008 },
  { x: 0.7471, y: 0.2876, z: -0.0211 },
  { x: 0.444, y: 0.5211, z: 0.0139 },
  { x: 0.6256, y: 0.5276, z: 0.0074 },
  { x: 0.7379, y: 0.534, z: -0.0143 },
  { x: 0.8225, y: 0.5372, z: -0.0327 },
  { x: 0.4265, y: 0.6527, z: -0.0159 },
  { x: 0.5978, y: 0.6727, z: -0.0333 },
  { x: 0.6994, y: 0.6804, z: -0.0564 },
  { x: 0.7842, y: 0.6804, z: -0.0753 },
  { x: 0.3763, y: 0.7748, z: -0.0496 },
  { x: 0.5046, y: 0.8428, z: -0.0698 },
  { x: 0.5844, y: 0.8804, z: -0.0799 },
  { x: 0.6568, y: 0.9083, z: -0.088 },
];
