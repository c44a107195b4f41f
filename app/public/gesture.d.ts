// Types of gesture.js (plain JavaScript, served to the browser as it is).
export type Finger = 'index' | 'middle' | 'ring' | 'pinky';
export type Gesture = 'rock' | 'paper' | 'scissors' | 'unsure';
export interface Landmark {
  x: number;
  y: number;
  z?: number;
}
export interface Reading {
  gesture: Gesture;
  confidence: number;
  fingers: Record<Finger, number>;
}
export interface HoldTracker {
  read(gesture: Gesture | null, now: number): 'rock' | 'paper' | 'scissors' | null;
  progress(now: number): number;
}

export const FINGERS: Record<Finger, [number, number, number]>;
export const MIN_CONFIDENCE: number;
export const HOLD_MS: number;
export const MAX_GAP_MS: number;
export function fingerExtension(landmarks: readonly Landmark[], aspect?: number): Record<Finger, number>;
export function classifyGesture(landmarks: readonly Landmark[], aspect?: number): Reading;
export function createHoldTracker(holdMs?: number, maxGapMs?: number): HoldTracker;
