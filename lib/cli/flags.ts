// The one table from a library option to the command's flag. Errors of the mask plan carry the
// option they concern (`error.option`), and launcher hints name options through a namer
// (lib/launcher/stages.ts OptionNamer): both become flags here, never by rewriting prose.
import type { OptionNamer } from '../launcher';
import { CliError } from './output';

/** option → the flag that sets it. */
export const FLAGS: Readonly<Record<string, string>> = Object.freeze({
  hwcaps: '--features',
  mode: '--mode',
  follow: '--no-follow',
  allowSecurityMasking: '--allow-security-masking',
  allowBelowBaseline: '--allow-below-baseline',
  auxvOnly: '--auxv-only',
  runtimeEnv: '--runtime-env',
  // The environment the runtime knobs are merged into: --runtime-env merges them.
  env: '--runtime-env',
  cpuid: '--cpuid',
});

/** The flag of a library option ('allowSecurityMasking' → '--allow-security-masking'). */
export function flagOf(option: string): string {
  return FLAGS[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The CLI's names for hints: `--auxv-only`, `--mode ptrace`, `--features x86-64,…`. */
export const CLI_NAMES: OptionNamer = (option, value) => {
  const flag = flagOf(option);
  if (typeof value !== 'string') return flag;
  return option === 'hwcaps' ? `${flag} ${value},…` : `${flag} ${value}`;
};

/**
 * A typed error of the mask plan (it carries `option`) as the verb's error: the message names
 * the flag instead of the option, and a hint of the error's own (BelowBaselineError) is said
 * with flags by `hint`. undefined for any other error.
 */
export function planFailure(e: unknown, exitCode: number, hint?: (names: OptionNamer) => string): CliError | undefined {
  const x = e as Error & { option?: unknown };
  if (!(x instanceof Error) || typeof x.option !== 'string') return undefined;
  // An argument error ("The argument 'options.mode' cannot …") is said of the flag; any other
  // (BelowBaselineError) as it is.
  const message = x.message.replace(/^The (argument|property|value of) ["']?options\.[\w.[\]]+["']? /, '');
  const said = message === x.message ? `${message[0]!.toLowerCase()}${message.slice(1)}` : `${flagOf(x.option)}: ${message}`;
  return new CliError(said, hint ? hint(CLI_NAMES) : undefined, exitCode);
}
