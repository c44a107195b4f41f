#!/usr/bin/env node
// rpsq — the one entry command of the image: the game server, the trainer, the operator and the
// synthetic-traffic player are sub-commands, so app, trainer and operator ship as one image.

const usage = `usage: rpsq <command> [args]

commands:
  app        run the game server (env: PORT, HOST, RPS_DB, RPS_MANIFEST_DIR, RPS_INTERNAL_TOKEN, S3_*)
  train      train one model version (the Job contract: RPS_MODEL, RPS_VERSION, RPS_ALGORITHM, ...)
  operator   run the operator (env: NAMESPACE, RPS_GAME_URL, RPS_INTERNAL_TOKEN, S3_*)
  simulate   play synthetic games against the game server (\`rpsq simulate --help\`)
  dev        bring up the whole system locally (what \`make dev\` runs)`;

type Main = (argv: string[]) => Promise<number | void>;

const commands: Record<string, () => Promise<Main>> = {
  app: async () => (await import('./app/server.ts')).main as Main,
  train: async () => (await import('./trainer/main.ts')).main as Main,
  operator: async () => (await import('./operator/main.ts')).main as Main,
  simulate: async () => (await import('./app/simulate.ts')).main as Main,
  dev: async () => (await import('./hack/dev.ts')).main as Main,
};

const [name, ...rest] = process.argv.slice(2);
const load = name ? commands[name] : undefined;
if (name === '--help' || name === '-h' || name === 'help') {
  console.log(usage);
  process.exit(0);
}
if (!load) {
  console.error(name ? `rpsq: unknown command "${name}"\n\n${usage}` : usage);
  process.exit(2);
}
const code = await (await load())(rest);
if (typeof code === 'number') process.exitCode = code;
