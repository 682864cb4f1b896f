// One matrix of bad options, run against node:child_process and against hwcap with a valid
// `hwcaps`: the same error class and `code`, and the same "throws at once" or "emits 'error'"
// behaviour. The rows that only hwcap has (hwcaps, mode, follow …) follow at the end.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as h from '../../lib';
import { FeatureSet, hostArch, hwcapWords } from '../../lib';
import { canPtrace, ptraceSkip } from '../support/mask-fixture';

const hwcaps = hwcapWords('kernel');
type Api = Pick<typeof cp, 'spawn' | 'spawnSync' | 'execFile' | 'execFileSync' | 'exec' | 'execSync' | 'fork'>;
type Row = [title: string, call: (api: Api, o: (extra: object) => object) => unknown];

const noop = (): void => {};
const ROWS: Row[] = [
  ['spawn timeout -1', (a, o) => a.spawn('true', [], o({ timeout: -1 }))],
  ['spawn timeout 1.5', (a, o) => a.spawn('true', [], o({ timeout: 1.5 }))],
  ["spawn killSignal 'SIGNOPE'", (a, o) => a.spawn('true', [], o({ killSignal: 'SIGNOPE' }))],
  ['spawn killSignal 0', (a, o) => a.spawn('true', [], o({ killSignal: 0 }))],
  ['spawn killSignal {}', (a, o) => a.spawn('true', [], o({ killSignal: {} }))],
  ['spawn shell 42', (a, o) => a.spawn('true', [], o({ shell: 42 }))],
  ['spawn shell with NUL', (a, o) => a.spawn('true', [], o({ shell: '/bin/sh\0x' }))],
  ['spawn argv0 1', (a, o) => a.spawn('true', [], o({ argv0: 1 }))],
  ['spawn argv0 with NUL', (a, o) => a.spawn('true', [], o({ argv0: 'a\0b' }))],
  ["spawn stdio 'nope'", (a, o) => a.spawn('true', [], o({ stdio: 'nope' }))],
  ['spawn stdio 42', (a, o) => a.spawn('true', [], o({ stdio: 42 }))],
  ["spawn stdio ['nope']", (a, o) => a.spawn('true', [], o({ stdio: ['nope'] }))],
  ["spawnSync stdio 'nope'", (a, o) => a.spawnSync('true', [], o({ stdio: 'nope' }))],
  ['spawn cwd 42', (a, o) => a.spawn('true', [], o({ cwd: 42 }))],
  ['spawn cwd with NUL', (a, o) => a.spawn('true', [], o({ cwd: '/tmp\0x' }))],
  ['spawn cwd https URL', (a, o) => a.spawn('true', [], o({ cwd: new URL('https://example.invalid/') }))],
  ['spawn env value with NUL', (a, o) => a.spawn('true', [], o({ env: { A: 'x\0y' } }))],
  ['spawn env key with NUL', (a, o) => a.spawn('true', [], o({ env: { 'A\0B': 'x' } }))],
  ['spawn uid 1.5', (a, o) => a.spawn('true', [], o({ uid: 1.5 }))],
  ["spawn uid 'root'", (a, o) => a.spawn('true', [], o({ uid: 'root' }))],
  ["spawn gid 'wheel'", (a, o) => a.spawn('true', [], o({ gid: 'wheel' }))],
  ['spawn uid -1 (EINVAL from the spawn itself)', (a, o) => a.spawn('true', [], o({ uid: -1 }))],
  ["spawn detached 'yes'", (a, o) => a.spawn('true', [], o({ detached: 'yes' }))],
  ['spawn windowsHide 1', (a, o) => a.spawn('true', [], o({ windowsHide: 1 }))],
  ["spawn signal 'x'", (a, o) => a.spawn('true', [], o({ signal: 'x' }))],
  ["spawn serialization 'xml'", (a, o) => a.spawn('true', [], o({ serialization: 'xml' }))],
  ['spawn file with NUL', (a, o) => a.spawn('tr\0ue', [], o({}))],
  ['spawn file 42', (a, o) => a.spawn(42 as never, [], o({}))],
  ["spawn file ''", (a, o) => a.spawn('', [], o({}))],
  ['spawn args with NUL', (a, o) => a.spawn('true', ['a\0b'], o({}))],
  ["spawn args 'str'", (a, o) => a.spawn('true', 'str' as never, o({}))],
  ['spawn options null', (a) => a.spawn('true', [], null as never)],
  ["spawn options 'x'", (a) => a.spawn('true', [], 'x' as never)],
  ['spawnSync timeout -1', (a, o) => a.spawnSync('true', [], o({ timeout: -1 }))],
  ['spawnSync maxBuffer -1', (a, o) => a.spawnSync('true', [], o({ maxBuffer: -1 }))],
  ["spawnSync maxBuffer 'big'", (a, o) => a.spawnSync('true', [], o({ maxBuffer: 'big' }))],
  ["spawnSync killSignal 'SIGNOPE'", (a, o) => a.spawnSync('true', [], o({ killSignal: 'SIGNOPE' }))],
  ['execFile timeout -1', (a, o) => a.execFile('true', [], o({ timeout: -1 }), noop)],
  ['execFile timeout 1.5', (a, o) => a.execFile('true', [], o({ timeout: 1.5 }), noop)],
  ['execFile maxBuffer -1', (a, o) => a.execFile('true', [], o({ maxBuffer: -1 }), noop)],
  ["execFile killSignal 'SIGNOPE'", (a, o) => a.execFile('true', [], o({ killSignal: 'SIGNOPE' }), noop)],
  ['execFile shell 42', (a, o) => a.execFile('true', [], o({ shell: 42 }), noop)],
  ['execFile argv0 1', (a, o) => a.execFile('true', [], o({ argv0: 1 }), noop)],
  ["execFile callback 'x'", (a, o) => a.execFile('true', [], o({}), 'x' as never)],
  ["execFile options 'x'", (a) => a.execFile('true', [], 'x' as never, noop)],
  ['execFileSync timeout -1', (a, o) => a.execFileSync('true', [], o({ timeout: -1 }))],
  ['execFileSync maxBuffer -1', (a, o) => a.execFileSync('true', [], o({ maxBuffer: -1 }))],
  ['exec timeout -1', (a, o) => a.exec('true', o({ timeout: -1 }), noop)],
  ["exec killSignal 'SIGNOPE'", (a, o) => a.exec('true', o({ killSignal: 'SIGNOPE' }), noop)],
  ['exec command with NUL', (a, o) => a.exec('tr\0ue', o({}), noop)],
  ['exec command 42', (a, o) => a.exec(42 as never, o({}), noop)],
  ['execSync maxBuffer -1', (a, o) => a.execSync('true', o({ maxBuffer: -1 }))],
  ['execSync timeout 1.5', (a, o) => a.execSync('true', o({ timeout: 1.5 }))],
  ["fork serialization 'xml'", (a, o) => a.fork('/nonexistent.js', [], o({ serialization: 'xml' }))],
  ['fork stdio without ipc', (a, o) => a.fork('/nonexistent.js', [], o({ stdio: ['pipe', 'pipe', 'pipe'] }))],
  ["fork stdio 'nope'", (a, o) => a.fork('/nonexistent.js', [], o({ stdio: 'nope' }))],
  ['fork execArgv with NUL', (a, o) => a.fork('/nonexistent.js', [], o({ execArgv: ['--a\0b'] }))],
  ['fork execPath with NUL', (a, o) => a.fork('/nonexistent.js', [], o({ execPath: '/bin/no\0de' }))],
  ["fork args 'x'", (a, o) => a.fork('/nonexistent.js', 'x' as never, o({}))],
  ['fork modulePath with NUL', (a, o) => a.fork('/non\0existent.js', [], o({}))],
  ['fork modulePath 42', (a, o) => a.fork(42 as never, [], o({}))],
  ['fork timeout -1', (a, o) => a.fork('/nonexistent.js', [], o({ timeout: -1 }))],
];

interface Seen {
  how: 'throws' | 'returns-error' | 'no-error';
  name?: string;
  code?: unknown;
}

/** Runs one call: what it threw (or returned as spawnSync's error); a child it started is killed at once. */
function run(call: () => unknown): Seen {
  try {
    const r = call() as { kill?: () => void; on?: (e: string, f: () => void) => void; error?: Error } | string | Buffer | undefined;
    if (r && typeof r === 'object' && 'kill' in r && typeof r.kill === 'function') {
      r.on?.('error', () => {});
      r.kill();
    }
    if (r && typeof r === 'object' && 'error' in r && r.error) return { how: 'returns-error', name: r.error.constructor.name, code: (r.error as NodeJS.ErrnoException).code };
    return { how: 'no-error' };
  } catch (e) {
    return { how: 'throws', name: (e as Error).constructor.name, code: (e as NodeJS.ErrnoException).code };
  }
}

describe(`bad child_process options: hwcap fails as node:child_process does (${ROWS.length} rows)`, () => {
  const masked = (extra: object): object => ({ ...extra, hwcaps, mode: 'ptrace' });
  const plain = (extra: object): object => extra;
  it.each(ROWS)('%s', (_title, call) => {
    const theirs = run(() => call(cp, plain));
    const ours = run(() => call(h as unknown as Api, masked));
    expect(theirs.how).not.toBe('no-error'); // each row is a bad call for child_process
    expect(ours).toEqual(theirs);
  });

  it('has at least 25 rows', () => expect(ROWS.length).toBeGreaterThanOrEqual(25));
});

describe('good options mean the same with and without hwcaps', () => {
  it("process.env cannot hold a NUL (node cuts a key or value at it), so without options.env a masked spawn passes this process's environment as child_process does", () => {
    // hwcap walks options.env for NULs, and not process.env, on this premise.
    const before = { ...process.env };
    try {
      process.env.HWCAP_NUL_VALUE = 'a\0b';
      process.env['HWCAP_NUL\0KEY'] = 'c';
      expect(process.env.HWCAP_NUL_VALUE).toBe('a');
      expect(Object.keys(process.env).filter((k) => k.includes('\0'))).toEqual([]);
      expect(process.env.HWCAP_NUL).toBe('c');
      const show = ['-c', 'printf "%s|%s" "$HWCAP_NUL_VALUE" "$HWCAP_NUL"'];
      const theirs = cp.spawnSync('/bin/sh', show, { encoding: 'utf8' });
      const ours = h.spawnSync('/bin/sh', show, { encoding: 'utf8', hwcaps, mode: 'ptrace' });
      expect(theirs.stdout).toBe('a|c');
      expect(ours.error).toBeUndefined();
      expect(ours.stdout).toBe(theirs.stdout);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in before)) delete process.env[k];
    }
  });

  it('argv0 reaches the program, as with child_process, whether or not anything is masked', () => {
    const theirs = cp.spawnSync('sh', ['-c', 'echo "$0"'], { argv0: 'named', encoding: 'utf8' }).stdout;
    expect(theirs).toBe('named\n');
    expect(h.spawnSync('sh', ['-c', 'echo "$0"'], { argv0: 'named', encoding: 'utf8' }).stdout).toBe(theirs);
    expect(h.spawnSync('sh', ['-c', 'echo "$0"'], { argv0: 'named', encoding: 'utf8', noNewPrivs: true }).stdout).toBe(theirs);
  });

  it("execFile hands spawn only child_process's own options (stdio, argv0 and detached are not passed on)", async () => {
    const run = (api: Api, extra: object) =>
      new Promise<string>((resolve) => {
        api.execFile('sh', ['-c', 'echo "$0"'], { argv0: 'named', stdio: 'ignore', ...extra } as never, (err, stdout) => resolve(`${err?.code ?? 'ok'} ${String(stdout)}`));
      });
    const theirs = await run(cp, {});
    expect(theirs).toBe('ok sh\n');
    expect(await run(h as unknown as Api, { noNewPrivs: true })).toBe(theirs);
  });
});

describe('where hwcap is stricter than child_process, on purpose', () => {
  // child_process converts a non-string argument with String(); hwcap refuses it before it reaches
  // the launcher's argv. child_process spreads any `options` of exec/execSync; hwcap wants an object.
  // A fork modulePath URL of another scheme is ERR_INVALID_URL_SCHEME in child_process, and
  // ERR_INVALID_ARG_VALUE naming 'modulePath' here.
  it.each([
    ['spawn args [1]', () => h.spawn('true', [1 as never], { hwcaps }), () => cp.spawnSync('true', [1 as never]), 'ERR_INVALID_ARG_TYPE'],
    ['execSync options 3', () => h.execSync('true', 3 as never), () => cp.execSync('true', 3 as never), 'ERR_INVALID_ARG_TYPE'],
  ] as const)('%s', (_t, ours, theirs, code) => {
    expect(run(theirs).how).not.toBe('throws');
    expect(run(ours)).toMatchObject({ how: 'throws', code });
  });
});

describe('bad hwcap options are typed errors naming the option', () => {
  it("child_process's checks come first: a NUL in options.env beside a bad hwcap option is child_process's error, naming the variable", () => {
    for (const env of [{ A: 'x\0y' }, { 'A\0B': 'x' }]) {
      for (const call of [() => h.spawn('true', [], { env, hwcaps, mode: 'magic' as never }), () => h.spawnSync('true', [], { env, hwcaps, follow: 1 as never })]) {
        expect(run(call)).toMatchObject({ how: 'throws', code: 'ERR_INVALID_ARG_VALUE' });
        expect(call).toThrow(/options\.env\['A/);
      }
    }
  });
  const other = hostArch() === 'aarch64' ? FeatureSet.fromNames('x86_64', ['fpu', 'vme']) : FeatureSet.fromNames('aarch64', ['fp', 'asimd']);
  const cases: [string, object, string, RegExp][] = [
    ['a FeatureSet of another architecture', { hwcaps: other }, 'ERR_INVALID_ARG_VALUE', /options\.hwcaps.*FeatureSet for (aarch64|x86_64)/],
    ['words carrying another arch', { hwcaps: { arch: other.arch, words: other.words } }, 'ERR_INVALID_ARG_VALUE', /options\.hwcaps/],
    ['an unknown feature name', { hwcaps: ['no-such-feature'] }, 'ERR_INVALID_ARG_VALUE', /"?'?options\.hwcaps\[0\]/],
    ['an unknown second feature name', { hwcaps: [...(hostArch() === 'x86_64' ? ['fpu'] : ['fp']), 'nope'] }, 'ERR_INVALID_ARG_VALUE', /options\.hwcaps\[1\]/],
    ['mode', { hwcaps, mode: 'magic' }, 'ERR_INVALID_ARG_VALUE', /options\.mode/],
    ['follow', { hwcaps, follow: 1 }, 'ERR_INVALID_ARG_TYPE', /options\.follow/],
    ['allowSecurityMasking', { hwcaps, allowSecurityMasking: 'yes' }, 'ERR_INVALID_ARG_TYPE', /options\.allowSecurityMasking/],
    ['pdeathsig', { hwcaps, pdeathsig: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE', /options\.pdeathsig/],
    ['noNewPrivs', { hwcaps, noNewPrivs: 'no' }, 'ERR_INVALID_ARG_TYPE', /options\.noNewPrivs/],
  ];
  it.each(cases)('%s', (_t, options, code, message) => {
    for (const call of [() => h.spawn('true', [], options), () => h.spawnSync('true', [], options), () => h.execFile('true', [], options, noop), () => h.execSync('true', options)]) {
      let err: (Error & { code?: string }) | undefined;
      try {
        call();
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code).toBe(code);
      expect(err?.message).toMatch(message);
      expect(err?.message).not.toMatch(/\bnames\[/);
    }
  });

  it('maskHwcaps refuses a FeatureSet of another architecture, naming mask, before it writes', () => {
    const before = hwcapWords('kernel');
    expect(() => h.maskHwcaps(other)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/'mask'.*FeatureSet for/) }));
    expect(hwcapWords('kernel')).toEqual(before);
  });

  it.skipIf(!canPtrace)(`a FeatureSet of this machine masks what it names${ptraceSkip}`, () => {
    const all = FeatureSet.current('kernel');
    const set = all.without([all.names().find((n) => !all.securityNames().includes(n)) as string]);
    const r = h.spawnSync(process.execPath, ['-p', 'JSON.stringify(require(process.argv[1]).hwcapWords("process"), (k, v) => typeof v === "bigint" ? String(v) : v)', require.resolve('../../dist')], { hwcaps: set, auxvOnly: true, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const seen = JSON.parse(String(r.stdout)) as Record<string, string>;
    expect(BigInt(seen.hwcap as string)).toBe(set.words.hwcap);
  });
});
