import { UsageError } from './plugin-error.ts';

/** The command line, parsed the way kubectl parses its own: flags anywhere, `--flag value` or `--flag=value`. */
export interface ParsedArgs {
  command: string | undefined;
  positional: string[];
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** -A / --all-namespaces: list-like commands (status) read every namespace; -n is then ignored, as in kubectl */
  allNamespaces: boolean;
  wait: boolean;
  timeoutMs: number;
  help: boolean;
}

const VALUE_FLAGS: Record<string, 'kubeconfig' | 'context' | 'namespace' | 'timeout'> = {
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--timeout': 'timeout',
};

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;

/** `30s`, `5m`, `1h`, or a number of seconds, as kubectl wait's --timeout. */
export function parseTimeout(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m || Number(m[1]) === 0) {
    throw new UsageError(
      `--timeout "${text}" is not a duration: use seconds, or a number with s, m or h (90s, 5m, 1h)`,
    );
  }
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = {
    command: undefined,
    positional: [],
    allNamespaces: false,
    wait: false,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('-') && eq > 0 ? arg.slice(0, eq) : arg;
    const target = VALUE_FLAGS[flag];
    if (target) {
      const value = flag !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
      if (target === 'timeout') out.timeoutMs = parseTimeout(value);
      else out[target] = value;
    } else if (arg === '--wait' || arg === '-w') out.wait = true;
    else if (arg === '--all-namespaces' || arg === '-A') out.allNamespaces = true;
    else if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown flag "${arg}"`);
    else if (out.command === undefined) out.command = arg;
    else out.positional.push(arg);
  }
  return out;
}
