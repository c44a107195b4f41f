// Runs every bench/<name>.ts (or the ones named on the command line), each in its own process;
// options after the names (`npm run bench -- bots --validate`) are passed to each.
// Each benchmark prints its figures as one JSON object on its last line.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
// names first; from the first --option on, the arguments go to every benchmark run
const rest = process.argv.slice(2);
const firstOption = rest.findIndex((a) => a.startsWith('--'));
const wanted = firstOption < 0 ? rest : rest.slice(0, firstOption);
const passed = firstOption < 0 ? [] : rest.slice(firstOption);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`bench: ${name}`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.ts`), ...passed], {
    stdio: 'inherit',
  });
  if (res.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
