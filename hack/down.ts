// `make down`: stops a running `make dev` (it shuts its components down in order).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const devDir = path.resolve(
  process.env.RPS_DEV_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.dev'),
);
const pidFile = path.join(devDir, 'dev.pid');
if (!existsSync(pidFile)) {
  console.log('down: nothing is running');
  process.exit(0);
}
const pid = Number(readFileSync(pidFile, 'utf8'));
try {
  process.kill(pid, 'SIGTERM');
} catch {
  rmSync(pidFile, { force: true });
  console.log('down: nothing is running (removed a stale pid file)');
  process.exit(0);
}
/** alive and not a zombie waiting for its parent to reap it */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    try {
      process.kill(pid, 0); // no /proc (not Linux): ask the kernel
      return true;
    } catch {
      return false;
    }
  }
}
for (let i = 0; i < 200; i++) {
  if (!running(pid)) {
    console.log('down: stopped');
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.error(`down: process ${pid} still running after 40 s`);
process.exit(1);
