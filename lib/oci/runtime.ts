// hwcap-runtime: an OCI runtime command line (runc's: global options, a command, its options,
// the container id) that masks containers and delegates everything to the real runtime.
//   create, run   decide the policy, edit the bundle (bundle.ts), run the real runtime
//   exec          the new process masked as the container is (the mask its config records)
//   checkpoint, restore   checkpoint.ts
//   anything else passes through untouched (bin/hwcap-runtime does that without starting node)
// A refusal is one line on stderr (and in runc's --log file, which engines read), exit 1,
// before the real runtime has run.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { editBundle, editProcess, maskedArgs, maskOf, mergeEnvList, type MaskRecord, type OciConfig } from './bundle';
import { DEFAULT_CONFIG, OciError, readNodeConfig, type NodeConfig } from './policy';

/** runc's global options that take a value (runc 1.1 main.go). */
const GLOBAL_VALUE = new Set(['log', 'log-format', 'root', 'criu', 'rootless']);

/** Per command: the options that take a value, and the boolean ones (runc 1.1's create.go, run.go, exec.go, checkpoint.go, restore.go). */
const COMMAND_OPTIONS: Record<string, { value: string[]; bool: string[] }> = {
  create: { value: ['bundle', 'b', 'console-socket', 'pid-file', 'preserve-fds'], bool: ['no-pivot', 'no-new-keyring'] },
  run: { value: ['bundle', 'b', 'console-socket', 'pid-file', 'preserve-fds'], bool: ['no-pivot', 'no-new-keyring', 'detach', 'd', 'keep', 'no-subreaper'] },
  exec: {
    value: ['console-socket', 'cwd', 'env', 'e', 'user', 'u', 'additional-gids', 'g', 'process', 'p', 'pid-file', 'process-label', 'apparmor', 'cap', 'c', 'preserve-fds', 'cgroup'],
    bool: ['tty', 't', 'detach', 'd', 'no-new-privs', 'ignore-paused'],
  },
  checkpoint: {
    value: ['image-path', 'work-path', 'parent-path', 'status-fd', 'page-server', 'manage-cgroups-mode', 'empty-ns'],
    bool: ['leave-running', 'tcp-established', 'ext-unix-sk', 'shell-job', 'lazy-pages', 'file-locks', 'pre-dump', 'auto-dedup'],
  },
  restore: {
    value: ['console-socket', 'image-path', 'work-path', 'manage-cgroups-mode', 'bundle', 'b', 'pid-file', 'empty-ns', 'lsm-profile', 'lsm-mount-context'],
    bool: ['tcp-established', 'ext-unix-sk', 'shell-job', 'file-locks', 'detach', 'd', 'no-subreaper', 'no-pivot', 'auto-dedup', 'lazy-pages'],
  },
};

export interface RuncArgv {
  /** The global options, as given. */
  globals: string[];
  command?: string;
  /** The command's options: name → values (booleans: ['true']). */
  options: Map<string, string[]>;
  /** Index in argv of each command option's value (for rewriting one in place). */
  optionAt: Map<string, number[]>;
  /** The positionals after the options: the container id, then (exec) the command. */
  positionals: string[];
  /** Index in argv of the first positional. */
  positionalAt: number;
  argv: string[];
}

function flagName(a: string): string {
  return a.replace(/^--?/, '').replace(/=.*$/s, '');
}

/** Splits runc's command line. An option of create, run, exec, checkpoint or restore that runc 1.1 lacks is an error: it could hide the bundle or the command. */
export function parseRuncArgv(argv: readonly string[]): RuncArgv {
  const out = globalsOf(argv);
  let i = out.positionalAt;
  if (i >= argv.length) return out;
  out.command = argv[i++];
  const table = COMMAND_OPTIONS[out.command!];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const name = flagName(a);
    const add = (v: string, at: number) => {
      out.options.set(name, [...(out.options.get(name) ?? []), v]);
      out.optionAt.set(name, [...(out.optionAt.get(name) ?? []), at]);
    };
    if (!table) continue;
    if (table.value.includes(name)) {
      if (a.includes('=')) add(a.slice(a.indexOf('=') + 1), -1);
      else if (i + 1 < argv.length) {
        add(argv[i + 1]!, i + 1);
        i++;
      } else throw new OciError('usage', { message: `option ${a} needs a value`, source: a });
    } else if (table.bool.includes(name)) add(a.includes('=') ? a.slice(a.indexOf('=') + 1) : 'true', -1);
    else if (name === 'h' || name === 'help') add('true', -1);
    else throw new OciError('usage', { message: `unknown option ${a}`, hint: "hwcap-runtime knows runc 1.1's options; a newer runtime's option is refused rather than misread", source: a });
  }
  out.positionalAt = i;
  out.positionals = argv.slice(i);
  return out;
}

/** The global options and the command alone (positionalAt: the command's index): what a refusal of a command line that does not parse still names (and the --log it writes to). */
function globalsOf(argv: readonly string[]): RuncArgv {
  const out: RuncArgv = { globals: [], options: new Map(), optionAt: new Map(), positionals: [], positionalAt: argv.length, argv: [...argv] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') break;
    out.globals.push(a);
    if (!a.includes('=') && GLOBAL_VALUE.has(flagName(a)) && i + 1 < argv.length) out.globals.push(argv[++i]!);
  }
  out.positionalAt = i;
  return out;
}

const opt = (p: RuncArgv, ...names: string[]): string | undefined => names.map((n) => p.options.get(n)?.at(-1)).find((v) => v !== undefined);

/** The node's configuration: HWCAP_RUNTIME_CONFIG names it (it must exist), else /etc/hwcap/runtime.json if present. */
export function nodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig | undefined {
  const named = env.HWCAP_RUNTIME_CONFIG;
  return readNodeConfig(named || DEFAULT_CONFIG, Boolean(named));
}

/** The real runtime: HWCAP_RUNTIME, else the configuration's, else runc. */
export function realRuntime(node: NodeConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return env.HWCAP_RUNTIME || node?.runtime || 'runc';
}

/** The fds this process inherited beyond stdio (not close-on-exec): the real runtime gets them too (--preserve-fds, engines' pipes). */
function inheritedFds(): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return out;
  }
  for (const n of names) {
    const fd = Number(n);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) out.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** Runs the real runtime with these arguments, stdio and inherited fds passed on, signals forwarded; resolves with its exit status. */
export function delegate(runtime: string, args: readonly string[]): Promise<number> {
  const fds = inheritedFds();
  const top = fds.length ? fds[fds.length - 1]! : 2;
  const stdio: (number | 'inherit' | 'ignore')[] = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd <= top; fd++) stdio.push(fds.includes(fd) ? fd : 'ignore');
  return new Promise((resolve) => {
    const child = cp.spawn(runtime, args, { stdio });
    const forward = (s: NodeJS.Signals) => {
      try {
        child.kill(s);
      } catch {
        // gone
      }
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (status: number) => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve(status);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      process.stderr.write(`hwcap-runtime: cannot run the OCI runtime ${runtime}: ${e.code ?? e.message}\nhint: install runc, or name the runtime with HWCAP_RUNTIME or "runtime" in ${process.env.HWCAP_RUNTIME_CONFIG || DEFAULT_CONFIG}\n`);
      done(e.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => done(signal ? 128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0) : (code ?? 1)));
  });
}

/** A refusal: on stderr and in runc's --log file (the engines show that file's last error). */
export function refuse(p: RuncArgv, e: unknown): number {
  const x = e as OciError;
  const id = p.positionals[0] ?? '';
  const msg = `hwcap-runtime: ${p.command ?? ''}${id ? ` ${id}` : ''}: ${x.message}`;
  process.stderr.write(`${msg}\n${x.hint ? `hint: ${x.hint}\n` : ''}`);
  const log = globalValue(p, 'log');
  if (log) {
    const json = globalValue(p, 'log-format') === 'json';
    const text = x.hint ? `${msg} (hint: ${x.hint})` : msg;
    try {
      fs.appendFileSync(log, json ? `${JSON.stringify({ level: 'error', msg: text, time: new Date().toISOString() })}\n` : `${text}\n`);
    } catch {
      // the log is the engine's; stderr has it
    }
  }
  return 1;
}

function globalValue(p: RuncArgv, name: string): string | undefined {
  for (let i = 0; i < p.globals.length; i++) {
    const a = p.globals[i]!;
    if (flagName(a) !== name) continue;
    if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
    return p.globals[i + 1];
  }
  return undefined;
}

/** runc state ID through the real runtime (same global options): the container's annotations. */
export function containerState(runtime: string, p: RuncArgv, id: string): { bundle?: string; annotations?: Record<string, string>; pid?: number; status?: string } {
  const r = cp.spawnSync(runtime, [...p.globals, 'state', id], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new OciError('usage', { message: `cannot read the state of container ${id}: ${(r.stderr || r.error?.message || '').trim()}`, source: id, errno: 'ENOENT' });
  }
  return JSON.parse(r.stdout) as { bundle?: string; annotations?: Record<string, string>; pid?: number; status?: string };
}

/** create / run: the bundle masked by its policy, then the real runtime. */
async function create(runtime: string, node: NodeConfig | undefined, p: RuncArgv): Promise<number> {
  const bundle = path.resolve(opt(p, 'bundle', 'b') ?? '.');
  editBundle(bundle, { node });
  return delegate(runtime, p.argv);
}

/** exec: the process masked as the container is (its config records the mask), in both forms. */
async function exec(runtime: string, p: RuncArgv): Promise<number> {
  const id = p.positionals[0];
  if (id === undefined || opt(p, 'help', 'h')) return delegate(runtime, p.argv);
  const mask = maskOf(containerState(runtime, p, id).annotations);
  if (!mask) return delegate(runtime, p.argv);
  const processFile = opt(p, 'process', 'p');
  if (processFile !== undefined) {
    let spec: OciConfig['process'];
    try {
      spec = JSON.parse(fs.readFileSync(processFile, 'utf8')) as OciConfig['process'];
    } catch (e) {
      throw new OciError('usage', { message: `--process ${processFile}: ${(e as Error).message}`, source: processFile });
    }
    const edited = editProcess(spec!, mask);
    const file = path.join(path.dirname(path.resolve(processFile)), `.hwcap-${process.pid}-${path.basename(processFile)}`);
    fs.writeFileSync(file, JSON.stringify(edited), { mode: 0o600 });
    const args = replaceOption(p, 'process', 'p', file);
    try {
      return await delegate(runtime, args);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  // The args form: the launcher in front of the command. runc gives the process the
  // container's environment (the knobs already merged into it at create) and then the given
  // --env; a given --env of a knob's variable is narrowed by the knob (envOptions).
  const command = p.positionals.slice(1);
  if (command.length === 0) return delegate(runtime, p.argv);
  const knobs = envOptions(mask, p);
  return delegate(runtime, [...p.argv.slice(0, p.positionalAt), ...knobs, id, ...maskedArgs(mask, command)]);
}

/**
 * --env K=V, after the given ones (runc takes the last), for each runtime knob's variable that the
 * exec's own --env/-e sets: that value merged with the knob, AND only. The variables it does not
 * set come from the container's process.env, where create merged the knobs: giving the bare
 * knob again would replace what the image set (its GLIBC_TUNABLES, or an OPENSSL_ia32cap that
 * turns more off) with less.
 */
function envOptions(mask: MaskRecord, p: RuncArgv): string[] {
  const given = [...(p.options.get('env') ?? []), ...(p.options.get('e') ?? [])];
  const name = (kv: string) => kv.slice(0, Math.max(0, kv.indexOf('=')));
  const knobs = Object.fromEntries(Object.entries(mask.env).filter(([k]) => given.some((kv) => name(kv) === k)));
  if (Object.keys(knobs).length === 0) return [];
  const merged = mergeEnvList(given, knobs, 'exec --env');
  return merged.filter((kv) => name(kv) in knobs).flatMap((kv) => ['--env', kv]);
}

function replaceOption(p: RuncArgv, long: string, short: string, value: string): string[] {
  const args = [...p.argv];
  for (const name of [long, short]) {
    for (const at of p.optionAt.get(name) ?? []) if (at >= 0) args[at] = value;
  }
  // --process=FILE forms: rewritten whole.
  return args.map((a) => (/^--?(process|p)=/.test(a) ? `--process=${value}` : a));
}

/** The commands that need the mask; every other one passes through. */
export const MASKING_COMMANDS = ['create', 'run', 'exec', 'checkpoint', 'restore'];

/**
 * checkpoint and restore (checkpoint.ts), given by the entry that starts main (lib/runtime.ts):
 * checkpoint.ts builds on this file's runc helpers, so this file does not import it.
 */
export interface CheckpointCommands {
  checkpoint(runtime: string, p: RuncArgv): Promise<number>;
  restore(runtime: string, p: RuncArgv): Promise<number>;
}

export async function main(argv: readonly string[], cr?: CheckpointCommands): Promise<number> {
  let p: RuncArgv | undefined;
  try {
    p = parseRuncArgv(argv);
    const node = nodeConfig();
    const runtime = realRuntime(node);
    if (!p.command || !MASKING_COMMANDS.includes(p.command) || opt(p, 'help', 'h')) return await delegate(runtime, argv);
    if (p.command === 'create' || p.command === 'run') return await create(runtime, node, p);
    if (p.command === 'exec') return await exec(runtime, p);
    if (!cr) throw new OciError('usage', { message: `${p.command}: this entry of hwcap-runtime has no checkpoint or restore` });
    return p.command === 'checkpoint' ? await cr.checkpoint(runtime, p) : await cr.restore(runtime, p);
  } catch (e) {
    // A command line that did not parse: its command and global options (--log) still named.
    const g = globalsOf(argv);
    const named = p ?? { ...g, command: argv[g.positionalAt] };
    if (!(e instanceof OciError)) {
      const x = e as Error;
      return refuse(named, new OciError('usage', { message: `${x.name}: ${x.message}`, hint: (x as { hint?: string }).hint }));
    }
    return refuse(named, e);
  }
}
