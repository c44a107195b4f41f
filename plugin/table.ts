/** Columns padded to their widest cell, as kubectl prints tables; an empty cell shows `-`. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | undefined)[])[],
): string {
  const cells = [header, ...rows].map((row) =>
    header.map((_, i) => (row[i] === undefined || row[i] === '' ? '-' : row[i]!)),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join(''))
    .join('\n');
}
