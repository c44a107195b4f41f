/**
 * How an accuracy reads in Events and conditions: a fraction with three decimals, the unit of
 * status.accuracy and the ACCURACY column. Differences between accuracies are percentage points
 * (the unit of accuracyDrop.points and entryGate.maxAccuracyDeficit).
 */
export const accuracyText = (x: number): string => x.toFixed(3);
