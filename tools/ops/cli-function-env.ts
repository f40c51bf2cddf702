/**
 * npm run function-env -- <function> [NAME=value ...] [--unset NAME]
 * Reads or changes a running function's environment variables (Lambda UpdateFunctionConfiguration), on the local
 * cloud (no restart: the emulators keep their state) or a deployed stage (drift until the next deploy).
 */
import { Command } from 'commander';
import { addCommonOptions, collect, printJson, runAction, withEnvironment, type CommonFlags } from './cli-common';
import { functionEnv, parseAssignment } from './function-env';

interface FunctionEnvFlags extends CommonFlags {
  unset?: string[];
}

const show = (v: string | null): string => (v === null ? '(not set)' : JSON.stringify(v));

const program = addCommonOptions(
  new Command('function-env')
    .description(
      "Show or change a running function's environment variables (found by its queue-and-stream:name tag), without a restart or a deploy.",
    )
    .argument('<function>', 'the function: job-worker, or a consumer name (notifications, payments, analytics, …)')
    .argument('[assignments...]', 'NAME=value to set (NAME= sets an empty value); none: show the variables')
    .option('--unset <name>', 'remove this variable (repeat or comma-separate)', collect),
)
  .addHelpText(
    'after',
    `
Examples:
  npm run function-env -- job-worker                             # show
  npm run function-env -- job-worker FAKE_DECLINED_TOKENS=       # the fake payment provider declines nothing
  npm run function-env -- job-worker --unset FAKE_DECLINED_TOKENS
  npm run function-env -- --stage dev analytics POWERTOOLS_LOG_LEVEL=DEBUG

On a deployed stage the change is drift from the template: the next deploy puts the template's values back.`,
  )
  .action((name: string, assignments: string[], flags: FunctionEnvFlags) =>
    runAction(async () => {
      const set = Object.fromEntries(assignments.map(parseAssignment));
      return withEnvironment(flags, async (env, clients) => {
        const result = await functionEnv({
          env,
          lambda: () => clients.lambda(),
          name,
          set,
          ...(flags.unset ? { unset: flags.unset } : {}),
        });
        if (flags.json) printJson(result);
        else {
          const changed = Object.entries(result.changed);
          const lines =
            assignments.length === 0 && !flags.unset
              ? [
                  `${name} (${result.functionName}) on ${env.label}:`,
                  ...Object.entries(result.variables)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([k, v]) => `  ${k}=${v}`),
                ]
              : changed.length === 0
                ? [`${name} on ${env.label}: nothing to change`]
                : [
                    `${name} (${result.functionName}) on ${env.label}: ${changed.length} variable(s) changed; later invocations use them`,
                    ...changed.map(([k, [before, after]]) => `  ${k}: ${show(before)} → ${show(after)}`),
                  ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        return 0;
      });
    }),
  );

void program.parseAsync(process.argv);
