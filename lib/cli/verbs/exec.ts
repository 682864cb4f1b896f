// hwcap exec: run a command that sees only the kept features, through the launcher.
//
// keep: the features the command may see (--baseline FILE, --features LIST, or all
// of this node's); drop: names removed from that keep set (--drop LIST); mask: the
// operation, an AND of the command's AT_HWCAP* words with the keep set.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { catalog, mergeRuntimeEnv, runtimeEnv, v8Flags } from '../../core/features';
import { keepSetOf } from '../documents';
import { host } from '../host';
import type * as Launcher from '../../launcher';
import { CliError, err, jsonLine, printError, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

/** Signals that reach hwcap but not, by themselves, the command: passed on. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** Signals a terminal sends to the whole foreground group: the command has them already. */
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

const EXIT_EXEC = 125;

/**
 * What the launcher can hide: the auxv words and, on x86-64, every CPUID word but leaf 0xD's
 * (CPUID.D.1:EAX stays the CPU's, as the XSAVE sizes must: docs/cpuid.md). With --auxv-only,
 * the auxv words alone.
 */
function maskableNames(arch: string, auxvOnly: boolean): (name: string) => boolean {
  const rows = catalog(arch);
  // Leaf 0xD stays the CPU's, and CPUID.1:ECX OSXSAVE stays true to the OS (the launcher keeps it:
  // it reports the XCR0 that xgetbv reads, and xgetbv cannot be trapped; docs/cpuid.md).
  const fixed = new Set(rows.filter((r) => r.word === 'CPUID.D.1:EAX' || r.name === 'osxsave').map((r) => r.name));
  const inAuxv = new Set(rows.filter((r) => r.word.startsWith('AT_HWCAP') || r.also?.word.startsWith('AT_HWCAP')).map((r) => r.name));
  if (auxvOnly) return (name) => inAuxv.has(name) || /@AT_HWCAP\d?$/.test(name);
  return (name) => !fixed.has(name) && !name.endsWith('@CPUID.D.1:EAX');
}

/** The file CMD names: itself with a slash, else the first executable of that name on PATH. */
function resolveCommand(file: string): string | undefined {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return undefined;
    }
  };
  if (file.includes('/')) return real(file);
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', file);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return real(p);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether CMD is node: its name is node or nodejs, or it is the node binary hwcap runs on. */
function isNodeCommand(file: string): boolean {
  if (['node', 'nodejs'].includes(path.basename(file))) return true;
  const resolved = resolveCommand(file);
  return resolved !== undefined && (resolved === resolveCommand(process.execPath) || ['node', 'nodejs'].includes(path.basename(resolved)));
}

/**
 * An argument of the user's that would turn back on a feature one of our `--no-enable-X` flags
 * turns off: `--enable-X` (V8 reads `_` as `-`, and one dash as two), with or without `=value`.
 */
function reenabling(args: readonly string[], flags: readonly string[]): string | undefined {
  const off = new Set(flags.map((f) => f.replace(/^--no-/, '')));
  return args.find((a) => {
    const m = /^--?([^=]*)(?:=.*)?$/s.exec(a);
    return m !== null && off.has(m[1]!.replace(/_/g, '-'));
  });
}

/** 'a b c … and 12 more' */
function some(names: readonly string[], n = 8): string {
  return names.length <= n ? names.join(' ') : `${names.slice(0, n).join(' ')} … and ${names.length - n} more`;
}

export const exec = defineVerb({
  name: 'exec',
  summary: 'run a command that sees only the kept features, through the launcher',
  args: '[--] CMD [ARGS...]',
  exclusive: [['baseline', 'features'], ['verbose', 'json']],
  description:
    "The command's AT_HWCAP* words are masked (ANDed with the keep set) before its\n" +
    'first instruction; masking can drop features, never add one. If masking fails\n' +
    'the command is killed before it runs (fail closed).\n' +
    '  --baseline FILE  keep the features of a feature set or report (hwcap baseline)\n' +
    '  --features LIST  keep only these features\n' +
    '  --drop LIST      drop these from the keep set (the baseline, the list, or this node)\n' +
    "Modes: 'kernel' masks the launcher's own auxv and execs (kernels that inherit\n" +
    "it); 'ptrace' patches the new image at exec; 'auto' (default) picks kernel\n" +
    "where 'hwcap probe' shows inheritance, else ptrace. Every exec in the command's\n" +
    'process tree is masked unless --no-follow.\n' +
    'On x86-64 a keep set that removes CPUID features masks CPUID too (ptrace mode,\n' +
    "CPUID faulting: 'hwcap probe'); without faulting that is exit 125 (fail\n" +
    'closed), and --auxv-only masks the auxv words alone. --runtime-env also sets the\n' +
    "runtime knobs of 'hwcap env' (GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG, DOTNET_*,\n" +
    "NPY_DISABLE_CPU_FEATURES) for what is dropped, merged into the command's\n" +
    "environment so that they only ever turn more off: a second layer for runtimes\n" +
    'that read them, with or without the CPUID mask. When CMD is node (named node or\n' +
    "nodejs, or hwcap's own node), V8's flags (--no-enable-avx2 …) go right after it;\n" +
    'an argument that would turn one back on (--enable-avx2) is refused (exit 2).\n' +
    "--json prints one line of JSON on stderr before the command runs: {arch, mode,\n" +
    'resolvedMode, follow, keep, dropped, absent, words, cpuid (the CPUID rules),\n' +
    'auxvOnly, unmasked (what the command still sees), runtimeEnv (the variables\n' +
    '--runtime-env sets, name → value), nodeFlags (the V8 flags it puts after node)};\n' +
    "stdout stays the command's.\n" +
    "Exit status: the command's own; 128+N if a signal N killed it; 127 command not\n" +
    'found; 126 not executable; 125 hwcap could not run it masked. SIGTERM, SIGHUP,\n' +
    'SIGUSR1 and SIGUSR2 sent to hwcap are passed on to the command.',
  options: {
    baseline: { type: 'string', value: 'FILE', help: 'keep only the features of this baseline or report' },
    features: { type: 'string', multiple: true, value: 'LIST', help: 'keep only these features (comma-separated, repeatable)' },
    drop: { type: 'string', multiple: true, value: 'LIST', help: 'drop these features from the keep set (comma-separated, repeatable)' },
    mode: { type: 'string', value: 'MODE', default: 'auto', choices: ['auto', 'kernel', 'ptrace'], help: 'auto (default), kernel or ptrace' },
    'no-follow': { type: 'boolean', help: 'mask only the first exec, not the whole process tree' },
    'allow-security-masking': { type: 'boolean', help: 'allow dropping security features (arm64 paca, pacg, bti, mte, gcs …)' },
    'auxv-only': { type: 'boolean', help: 'x86-64: mask the auxv words only; CPUID stays the CPU\'s (no CPUID faulting needed)' },
    'runtime-env': { type: 'boolean', help: "x86-64: also set the runtime knobs ('hwcap env') for what is dropped, merged into the environment" },
    verbose: { type: 'boolean', short: 'v', help: 'say on stderr what is kept and which mode runs' },
    json: jsonOption('say the same on stderr as one line of JSON'),
  },
  positionals: { min: 0, max: Infinity, name: 'CMD' },
  stopAtCommand: true,
  examples: [
    'hwcap exec --baseline baseline.json -- java -jar app.jar',
    'hwcap exec --drop sve,sve2 -- ./bench',
    'hwcap exec --features fpu,sse,sse2 -- env LD_SHOW_AUXV=1 /bin/true',
    'hwcap exec --auxv-only --runtime-env --features x86-64-v2 -- ./app',
  ],
  run({ values, positionals }) {
    const [file, ...args] = positionals;
    if (file === undefined) throw usageError('exec', 'missing CMD');
    const { mode } = values;
    if (values.verbose && values.json) throw usageError('exec', 'give -v or --json, not both');
    const h = host();
    const here = h.FeatureSet.current('process');
    const keep = keepSetOf('exec', values, here, 'nothing to mask');

    // The launcher masks the auxv words and (x86-64, through CPUID faulting) the CPUID words but
    // leaf 0xD's: what it cannot hide is said, not counted as dropped.
    const auxvOnly = values['auxv-only'] === true;
    const masked = maskableNames(here.arch, auxvOnly);
    const lost = here.securityNames().filter((n) => !keep.has(n) && masked(n));
    if (lost.length && !values['allow-security-masking']) {
      throw new CliError(`masking would drop security feature${lost.length === 1 ? '' : 's'} ${lost.join(' ')}, which protect${lost.length === 1 ? 's' : ''} the command`, 'pass --allow-security-masking if that is what you want');
    }
    const absent = keep.diff(here).extra.filter(masked);
    const kept = keep.intersect(here);
    const dropped = here.diff(kept).extra.filter(masked);
    // What the command still sees: with --auxv-only on x86-64 every removed feature, in CPUID
    // (AT_HWCAP is CPUID.1:EDX, masked in the auxv alone); else what the launcher cannot hide.
    const removed = here.diff(kept).extra;
    const unmasked = auxvOnly && here.arch === 'x86_64' ? removed : removed.filter((n) => !masked(n));
    if (unmasked.length && !values.json) {
      const names = values.verbose ? unmasked.join(' ') : some(unmasked);
      const leafD = unmasked.filter((n) => n !== 'osxsave');
      const parts = [
        ...(unmasked.includes('osxsave') ? ["osxsave in CPUID.1:ECX, which stays true to the OS (it reports the XCR0 that xgetbv reads, and xgetbv cannot be trapped; what it gates is dropped)"] : []),
        ...(leafD.length ? [`${values.verbose ? leafD.join(' ') : some(leafD)} in CPUID leaf 0xD, which stays the CPU's`] : []),
      ];
      const what = auxvOnly
        ? `--auxv-only: the command still sees ${unmasked.length} feature${unmasked.length === 1 ? '' : 's'} in CPUID: ${names}`
        : `the command still sees ${parts.join(', and ')}`;
      const knobs = values['runtime-env'] ? '--runtime-env sets' : "--runtime-env (or 'hwcap env') sets";
      const v8 = isNodeCommand(file) ? ` (and V8's flags, for node)` : '';
      err(`hwcap exec: note: ${what}; ${knobs} the knobs that keep glibc, OpenSSL, Go, .NET and numpy off them${v8}`);
    }
    // --runtime-env: the variables the spawn's runtimeEnv option sets (the same computation,
    // lib/spawn/options.ts runtimeEnvOf), for -v and --json; a value of the user's the merge
    // refuses (OPENSSL_ia32cap) stops here, before anything runs.
    const withKnobs = values['runtime-env'] === true;
    let knobEnv: Record<string, string> = {};
    if (withKnobs) {
      const knobs = runtimeEnv(keep, { relativeTo: here, allowSecurityMasking: values['allow-security-masking'] === true });
      let merged: Record<string, string | undefined>;
      try {
        merged = mergeRuntimeEnv(process.env, knobs);
      } catch (e) {
        throw new CliError(`--runtime-env: ${(e as Error).message}`, 'fix or unset that variable', EXIT_EXEC);
      }
      knobEnv = Object.fromEntries(Object.keys(knobs).map((k) => [k, merged[k]!]));
    }
    // --runtime-env and CMD is node: V8's flags right after it. V8 takes a flag's last setting,
    // so a user's --enable-X later on would win: refused, AND only.
    const isNode = withKnobs && isNodeCommand(file);
    const nodeFlags = isNode ? v8Flags(keep, { relativeTo: here, allowSecurityMasking: values['allow-security-masking'] === true }) : [];
    const back = reenabling(args, nodeFlags);
    if (back !== undefined) {
      throw usageError('exec', `argument ${JSON.stringify(back)} would turn back on what --runtime-env turns off (${nodeFlags.join(' ')})`, 'drop that argument, or keep the feature in the keep set');
    }
    const commandArgs = [...nodeFlags, ...args];
    const follow = !values['no-follow'];
    // x86-64: the CPUID rules the spawn makes of the keep set (lib/launcher/keep.ts), answered by
    // the ptrace helper at every trapped CPUID. Loaded here, not at the top: the pure verbs load
    // no launcher file (test/cli/cli-pure.test.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lc = here.arch === 'x86_64' && !auxvOnly ? (require('../../launcher') as typeof Launcher) : undefined;
    const rules = lc ? lc.keepCpuid(keep).map(lc.cpuidRuleArg) : [];
    const resolved = () => (rules.length ? 'ptrace' : h.resolveMode(mode, { inheritance: h.probeInheritance }));
    if (values.json) {
      err(jsonLine({ arch: here.arch, mode, resolvedMode: resolved(), follow, keep: kept.names(), dropped, absent, words: kept.toJSON().words, cpuid: rules, auxvOnly, unmasked, runtimeEnv: knobEnv, nodeFlags }));
    } else {
      if (absent.length) err(`hwcap exec: note: this node lacks ${absent.join(' ')} of the keep set; the command will not see ${absent.length === 1 ? 'it' : 'them'} either`);
      if (values.verbose) {
        const words = Object.entries(kept.toJSON().words).filter(([, v]) => v !== '0x0').map(([k, v]) => `${k}=${v}`);
        err(`hwcap exec: keeping ${kept.size} of ${here.size} features (${words.join(' ') || 'all words 0'}); dropping ${dropped.join(' ') || 'none'}`);
        if (rules.length) err(`hwcap exec: CPUID masked (ptrace helper, CPUID faulting): ${rules.join(' ')}`);
        else if (here.arch === 'x86_64') err(`hwcap exec: CPUID not masked: ${auxvOnly ? '--auxv-only' : 'the keep set removes no CPUID feature of this CPU'}`);
        if (withKnobs) err(`hwcap exec: runtime env: ${Object.keys(knobEnv).join(' ') || `none (${here.arch === 'x86_64' ? 'no knob covers what is dropped' : `${here.arch} runtimes read the auxv`})`}`);
        if (isNode) err(`hwcap exec: node flags: ${nodeFlags.join(' ') || `none (${here.arch === 'x86_64' ? 'V8 has no flag for what is dropped' : `${here.arch}: V8 reads the auxv`})`}`);
        const shown = rules.length ? 'ptrace (a CPUID mask needs it)' : mode === 'auto' ? `auto → ${resolved()}` : mode;
        err(`hwcap exec: mode ${shown}, ${follow ? 'following the whole process tree' : 'first exec only'}`);
      }
    }

    return new Promise<number>((resolve) => {
      let child: ReturnType<typeof h.spawn> | undefined;
      // Forwarding starts before the spawn: the command may be running (and a
      // signal on its way to hwcap) before spawn() returns. A signal that comes
      // first is passed on as soon as there is a child to take it.
      const early: NodeJS.Signals[] = [];
      const forward = (signal: NodeJS.Signals) => {
        if (!child) {
          early.push(signal);
          return;
        }
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      };
      const ignore = () => {};
      for (const s of FORWARDED) process.on(s, forward);
      for (const s of FROM_TERMINAL) process.on(s, ignore);
      const done = (status: number) => {
        for (const s of FORWARDED) process.off(s, forward);
        for (const s of FROM_TERMINAL) process.off(s, ignore);
        resolve(status);
      };
      try {
        child = h.spawn(file, commandArgs, {
          stdio: 'inherit',
          hwcaps: keep,
          mode,
          follow,
          allowSecurityMasking: values['allow-security-masking'],
          auxvOnly,
          runtimeEnv: withKnobs,
          // Should hwcap die, the command does not outlive it unnoticed.
          pdeathsig: 'SIGTERM',
        });
      } catch (e) {
        done(printError(execFailure(e, file), 'exec'));
        return;
      }
      for (const s of early.splice(0)) forward(s);
      child.on('error', (e) => done(printError(execFailure(e, file), 'exec')));
      child.on('exit', (code, signal) => {
        if (signal) done(128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0));
        else done(code ?? EXIT_EXEC);
      });
    });
  },
});

/** A failure to start CMD, with the exit status env(1) and the shells use. */
function execFailure(e: unknown, file: string): CliError {
  const x = e as Error & { code?: string; syscall?: string; hint?: string; stage?: string; detail?: string };
  if (typeof x.syscall === 'string' && x.syscall.startsWith('spawn')) {
    if (x.code === 'ENOENT') return new CliError(`${file}: command not found`, 'check the name and PATH', 127);
    if (x.code === 'EACCES' || x.code === 'ENOEXEC' || x.code === 'EISDIR') return new CliError(`${file}: cannot execute: ${x.code}`, 'is it an executable file?', 126);
  }
  // The library's hints name its options; say the command's flags instead.
  const hint = x.hint
    ?.replace(/pass allowSecurityMasking: true/, 'pass --allow-security-masking')
    .replace(/pass auxvOnly: true/, 'pass --auxv-only')
    .replace(/mode '(\w+)' or '(\w+)'/, '--mode $1 or --mode $2')
    .replace(/mode '(\w+)'/, '--mode $1');
  // The launcher's own words where they name what the cause does not: the file, the tracer, the feature.
  const detail = x.detail && ['check-target', 'seize', 'security'].includes(x.stage ?? '') && x.detail !== `${x.syscall}: ${x.code}` ? `: ${x.detail}` : '';
  const cause = x.stage ? `${x.syscall ?? 'setup'} failed at launcher step ${x.stage} (${x.code})${detail}` : x.message;
  return new CliError(`cannot run ${file} masked: ${cause}`, hint, EXIT_EXEC);
}
