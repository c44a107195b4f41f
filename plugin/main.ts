import { parseArgs } from './args.ts';
import { Cluster, loadKubeConfig, namespaceOf } from './cluster.ts';
import { COMMANDS, LIST_COMMANDS } from './commands.ts';
import { PluginError, UsageError } from './plugin-error.ts';

export const USAGE = `kubectl rpsq — operate RPS Quest's RpsModels and PromotionPolicies

usage: kubectl rpsq <command> [args] [flags]

commands:
  status                            every model and policy of the namespace (-A: of all) in one table
  train <model> [--wait]            train a new version now; --wait follows it until it is registered
  approve <model>                   approve the promotion that waits for approval (Manual policy)
  reject <model>                    send B back: pin B to Production's version (no more A/B games)
  pin <model> <alias> [version]     pin an alias (Production, B, Shadow1, Shadow2) to a version
  unpin <model> <alias>             remove a pin
  evaluate <policy>                 evaluate the policy's models now and print the decisions
  history <model>                   versions and alias changes
  logs <model>                      the log of the model's last training Job

flags:
  -n, --namespace <ns>     namespace (default: the context's, else default)
  -A, --all-namespaces     status: every namespace (a NAMESPACE column; -n is ignored)
  --kubeconfig <file>      kubeconfig (default: KUBECONFIG, else ~/.kube/config)
  --context <name>         kubeconfig context
  --wait                   train: wait for the version to be registered
  --timeout <duration>     how long train --wait and evaluate wait (default 30m)`;

/** Runs one plugin command; returns the exit code (0, 1 on a failure, 2 on wrong usage). */
export async function main(
  argv: readonly string[],
  io: { out: (line: string) => void; err: (line: string) => void; env?: NodeJS.ProcessEnv } = {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  },
): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help || args.command === undefined || args.command === 'help') {
      (args.command === undefined && !args.help ? io.err : io.out)(USAGE);
      return args.command === undefined && !args.help ? 2 : 0;
    }
    const run = COMMANDS[args.command];
    if (!run) {
      io.err(
        `error: unknown command "${args.command}" (commands: ${Object.keys(COMMANDS).join(', ')}; kubectl rpsq --help)`,
      );
      return 2;
    }
    if (args.allNamespaces && !LIST_COMMANDS.has(args.command)) {
      throw new UsageError(
        `-A (--all-namespaces) lists: it applies to ${[...LIST_COMMANDS].join(', ')}, not to ${args.command} (use -n <namespace>)`,
      );
    }
    const kubeConfig = loadKubeConfig(args, io.env ?? process.env);
    const cluster = new Cluster(kubeConfig, namespaceOf(kubeConfig, args.namespace), args.allNamespaces);
    await run({ cluster, args: args.positional, wait: args.wait, timeoutMs: args.timeoutMs, out: io.out });
    return 0;
  } catch (err) {
    if (err instanceof PluginError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
