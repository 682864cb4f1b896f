// hwcap exec: run a command that sees only the kept features, through the launcher.
//
// keep: the features the command may see (--baseline FILE, --features LIST, or all
// of this node's); drop: names removed from that keep set (--drop LIST); mask: the
// operation, an AND of the command's AT_HWCAP* words with the keep set.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keepSetOf } from '../documents';
import { host } from '../host';
import type * as Launcher from '../../launcher';
import { CLI_NAMES, flagOf, planFailure } from '../flags';
import { CliError, EXIT_USAGE, err, jsonLine, printError, usageError } from '../output';
import { defineVerb, jsonOption } from '../verb';

/** Signals that reach hwcap but not, by themselves, the command: passed on. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** Signals a terminal sends to the whole foreground group: the command has them already. */
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

const EXIT_EXEC = 125;

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
    "CPUID faulting: 'hwcap probe'). It may not remove the x86-64 baseline (fpu, cmov,\n" +
    'cx8, fxsr, mmx, syscall, sse, sse2): every dynamic glibc program refuses to start\n' +
    'under such a CPUID, so that is exit 2 before anything runs; --features x86-64,…\n' +
    'keeps it, and --allow-below-baseline allows it for a static program. Without\n' +
    'faulting a CPUID mask is exit 125 (fail closed), and --auxv-only masks the auxv\n' +
    'words alone (CPUID, and the floor, stay the CPU\'s). --runtime-env also sets the\n' +
    "runtime knobs of 'hwcap env' (GLIBC_TUNABLES, OPENSSL_ia32cap, GODEBUG, DOTNET_*,\n" +
    "NPY_DISABLE_CPU_FEATURES) for what is dropped, merged into the command's\n" +
    "environment so that they only ever turn more off: a second layer for runtimes\n" +
    'that read them, with or without the CPUID mask. When CMD is node (named node or\n' +
    "nodejs, or hwcap's own node), V8's flags (--no-enable-avx2 …) go right after it;\n" +
    'an argument that would turn one back on (--enable-avx2) is refused (exit 2).\n' +
    "--json prints one line of JSON on stderr before the command runs: {arch, mode,\n" +
    'resolvedMode, follow, keep, dropped, absent, words, cpuid (the CPUID rules),\n' +
    'auxvOnly, unmasked (what the command still sees), runtimeEnv (the variables\n' +
    '--runtime-env sets, name → value), nodeFlags (the V8 flags it puts after node),\n' +
    'launcher (the launcher\'s flags before --)}: the plan it passes on (maskPlan).\n' +
    "stdout stays the command's.\n" +
    "--pid-file FILE: the command keeps the launcher's pid; FILE gets it (one line,\n" +
    'written whole) once the command runs masked and followed, so a script can wait\n' +
    "for FILE and hand that pid to 'hwcap release'; FILE is removed when it ends.\n" +
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
    'allow-below-baseline': { type: 'boolean', help: 'x86-64: allow a CPUID mask below the x86-64 baseline (static programs only)' },
    'runtime-env': { type: 'boolean', help: "x86-64: also set the runtime knobs ('hwcap env') for what is dropped, merged into the environment" },
    verbose: { type: 'boolean', short: 'v', help: 'say on stderr what is kept and which mode runs' },
    json: jsonOption('say the same on stderr as one line of JSON'),
    'pid-file': { type: 'string', value: 'FILE', help: "write the command's pid to FILE once it runs masked (for 'hwcap release'); removed when it ends" },
  },
  positionals: { min: 0, max: Infinity, name: 'CMD' },
  stopAtCommand: true,
  // A trailing `# …` says where an example runs (test/docs/help.docs.ts runs each as written).
  examples: [
    'hwcap exec --baseline baseline.json -- ./app',
    'hwcap exec --drop sve,sve2 -- ./app   # arm64',
    'hwcap exec --features x86-64-v2 -- env LD_SHOW_AUXV=1 /bin/true   # x86-64, CPUID faulting',
    'hwcap exec --drop avx512f,avx2 -v -- ./app   # x86-64, CPUID faulting',
    'hwcap exec --auxv-only --runtime-env --features x86-64-v2 -- ./app   # x86-64',
  ],
  run({ values, positionals }) {
    const [file, ...args] = positionals;
    if (file === undefined) throw usageError('exec', 'missing CMD');
    const { mode } = values;
    if (values.verbose && values.json) throw usageError('exec', 'give -v or --json, not both');
    const h = host();
    const here = h.FeatureSet.current('process');
    const keep = keepSetOf('exec', values, here, 'nothing to mask');
    const auxvOnly = values['auxv-only'] === true;
    const withKnobs = values['runtime-env'] === true;
    const follow = !values['no-follow'];
    // Loaded here, not at the top: the pure verbs load no launcher file (test/cli/cli-pure.test.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lc = require('../../launcher') as typeof Launcher;
    // The one plan (lib/launcher/plan.ts): what is kept, lost and left unmasked, the CPUID rules,
    // the mode, the runtime env and V8's flags. It is printed (-v, --json) and passed on as it is.
    let plan: Launcher.MaskPlan;
    try {
      plan = lc.maskPlan(
        keep,
        {
          mode: mode as 'auto' | 'kernel' | 'ptrace',
          follow,
          allowSecurityMasking: values['allow-security-masking'] === true,
          allowBelowBaseline: values['allow-below-baseline'] === true,
          auxvOnly,
          runtimeEnv: withKnobs,
        },
        here,
      );
    } catch (e) {
      // A runtime variable of the user's the merge refuses (OPENSSL_ia32cap) stops here, before anything runs.
      if ((e as { option?: unknown }).option === 'env') throw new CliError(`--runtime-env: ${(e as Error).message}`, 'fix or unset that variable', EXIT_EXEC);
      // The floor is a usage error (2); the rest fail as the spawn they come from did (125).
      const below = e instanceof lc.BelowBaselineError;
      throw planFailure(e, below ? EXIT_USAGE : EXIT_EXEC, below ? lc.belowBaselineHint : undefined) ?? e;
    }

    // The launcher masks the auxv words and (x86-64, through CPUID faulting) the CPUID words but
    // leaf 0xD's: what it cannot hide is said, not counted as dropped.
    const lost = plan.security;
    if (lost.length && !values['allow-security-masking']) {
      throw new CliError(`masking would drop security feature${lost.length === 1 ? '' : 's'} ${lost.join(' ')}, which protect${lost.length === 1 ? 's' : ''} the command`, `pass ${flagOf('allowSecurityMasking')} if that is what you want`);
    }
    const unmasked = plan.unmasked.map((u) => u.name);
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
      const knobs = withKnobs ? '--runtime-env sets' : "--runtime-env (or 'hwcap env') sets";
      const v8 = isNodeCommand(file) ? ` (and V8's flags, for node)` : '';
      err(`hwcap exec: note: ${what}; ${knobs} the knobs that keep glibc, OpenSSL, Go, .NET and numpy off them${v8}`);
    }
    // --runtime-env and CMD is node: V8's flags right after it. V8 takes a flag's last setting,
    // so a user's --enable-X later on would win: refused, AND only.
    const isNode = withKnobs && isNodeCommand(file);
    const nodeFlags = isNode ? [...plan.v8Flags] : [];
    const back = reenabling(args, nodeFlags);
    if (back !== undefined) {
      throw usageError('exec', `argument ${JSON.stringify(back)} would turn back on what --runtime-env turns off (${nodeFlags.join(' ')})`, 'drop that argument, or keep the feature in the keep set');
    }
    const commandArgs = [...nodeFlags, ...args];
    const rules = plan.cpuidArgs;
    const knobEnv = plan.runtimeEnv;
    const pidFile = values['pid-file'] === undefined ? undefined : openPidFile(values['pid-file']);
    if (values.json) {
      const j = plan.toJSON();
      err(jsonLine({ arch: j.arch, mode, resolvedMode: j.resolvedMode, follow, keep: j.keep, dropped: j.lost, absent: j.absent, words: j.words, cpuid: j.cpuid, auxvOnly, unmasked, runtimeEnv: knobEnv, nodeFlags, launcher: plan.launcherPrefix() }));
    } else {
      const { absent, kept } = plan;
      if (absent.length) err(`hwcap exec: note: this node lacks ${absent.join(' ')} of the keep set; the command will not see ${absent.length === 1 ? 'it' : 'them'} either`);
      if (values.verbose) {
        const words = Object.entries(kept.toJSON().words).filter(([, v]) => v !== '0x0').map(([k, v]) => `${k}=${v}`);
        err(`hwcap exec: keeping ${kept.size} of ${here.size} features (${words.join(' ') || 'all words 0'}); dropping ${plan.lost.join(' ') || 'none'}`);
        if (rules.length) err(`hwcap exec: CPUID masked (ptrace helper, CPUID faulting): ${rules.join(' ')}`);
        else if (here.arch === 'x86_64') err(`hwcap exec: CPUID not masked: ${auxvOnly ? '--auxv-only' : 'the keep set removes no CPUID feature of this CPU'}`);
        if (withKnobs) err(`hwcap exec: runtime env: ${Object.keys(knobEnv).join(' ') || `none (${here.arch === 'x86_64' ? 'no knob covers what is dropped' : `${here.arch} runtimes read the auxv`})`}`);
        if (isNode) err(`hwcap exec: node flags: ${nodeFlags.join(' ') || `none (${here.arch === 'x86_64' ? 'V8 has no flag for what is dropped' : `${here.arch}: V8 reads the auxv`})`}`);
        const shown = rules.length ? 'ptrace (a CPUID mask needs it)' : mode === 'auto' ? `auto → ${plan.resolvedMode}` : mode;
        err(`hwcap exec: mode ${shown}, ${follow ? 'following the whole process tree' : 'first exec only'}`);
        err(`hwcap exec: launcher: hwcap-exec ${plan.launcherPrefix().join(' ')} --`);
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
        pidFile?.remove();
        for (const s of FORWARDED) process.off(s, forward);
        for (const s of FROM_TERMINAL) process.off(s, ignore);
        resolve(status);
      };
      try {
        child = h.spawn(file, commandArgs, {
          stdio: 'inherit',
          hwcaps: plan,
          // Should hwcap die, the command does not outlive it unnoticed.
          pdeathsig: 'SIGTERM',
        });
      } catch (e) {
        done(printError(execFailure(e, file, lc), 'exec'));
        return;
      }
      for (const s of early.splice(0)) forward(s);
      // 'spawn' comes once the launcher has reported the command exec'd and (ptrace) masked.
      child.on('spawn', () => {
        if (child?.pid === undefined || !pidFile) return;
        try {
          pidFile.write(child.pid);
        } catch (e) {
          // Asked for and not written: whoever waits for FILE would wait for ever.
          err(`hwcap exec: --pid-file: ${(e as Error).message}; killing the command`);
          child.kill('SIGKILL');
        }
      });
      child.on('error', (e) => done(printError(execFailure(e, file, lc), 'exec')));
      child.on('exit', (code, signal) => {
        if (signal) done(128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0));
        else done(code ?? EXIT_EXEC);
      });
    });
  },
});

/**
 * --pid-file FILE: a temporary file beside FILE is created before anything runs (so a path that
 * cannot be written is a usage error, exit 2, and the command never starts), then filled with
 * the pid and renamed over FILE, so a reader sees no file or the whole line, never half of it.
 */
function openPidFile(file: string): { write(pid: number): void; remove(): void } {
  if (file === '') throw usageError('exec', '--pid-file must not be empty');
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
  } catch (e) {
    const x = e as NodeJS.ErrnoException;
    throw new CliError(`--pid-file ${file}: cannot create ${tmp}: ${x.code ?? x.message}`, 'give a file in a directory you can write');
  }
  let written: number | undefined;
  let closed = false;
  const close = () => {
    if (!closed) fs.closeSync(fd);
    closed = true;
  };
  return {
    write(pid) {
      fs.writeSync(fd, `${pid}\n`);
      close();
      fs.renameSync(tmp, file);
      written = pid;
    },
    remove() {
      close();
      fs.rmSync(tmp, { force: true });
      // Only the file this run wrote, and only while it still names that pid.
      try {
        if (written !== undefined && fs.readFileSync(file, 'utf8') === `${written}\n`) fs.unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}

/** A failure to start CMD, with the exit status env(1) and the shells use. */
function execFailure(e: unknown, file: string, lc: typeof Launcher): CliError {
  const x = e as Error & { code?: string; syscall?: string; hint?: string; stage?: string; detail?: string };
  if (typeof x.syscall === 'string' && x.syscall.startsWith('spawn')) {
    if (x.code === 'ENOENT') return new CliError(`${file}: command not found`, 'check the name and PATH', 127);
    if (x.code === 'EACCES' || x.code === 'ENOEXEC' || x.code === 'EISDIR') return new CliError(`${file}: cannot execute: ${x.code}`, 'is it an executable file?', 126);
  }
  // A stage's hint names options: said again with the command's flags (lib/cli/flags.ts), where
  // the error carries that stage's hint and not a reason of its own.
  const stage = x.stage === undefined ? undefined : lc.stageOf(x.stage);
  const errno = (x as { errno?: number }).errno;
  const ownCase = stage?.cases?.find((c) => c.syscall === x.syscall && c.errno === errno);
  const hint = stage !== undefined && x.hint === (ownCase ?? stage).hint ? lc.stageHint(stage.name, CLI_NAMES, x.syscall, errno) : x.hint;
  // The launcher's own words where they name what the cause does not: the file, the tracer, the feature.
  const detail = x.detail && ['check-target', 'seize', 'security'].includes(x.stage ?? '') && x.detail !== `${x.syscall}: ${x.code}` ? `: ${x.detail}` : '';
  const cause = x.stage ? `${x.syscall ?? 'setup'} failed at launcher step ${x.stage} (${x.code})${detail}` : x.message;
  return new CliError(`cannot run ${file} masked: ${cause}`, hint, EXIT_EXEC);
}
