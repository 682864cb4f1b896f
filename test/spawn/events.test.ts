// The events, codes, messages, path, spawnargs and output that child_process gives, for the
// cases where the launcher used to show through: kill() at once, an AbortSignal aborted at
// once, a missing cwd, spawnSync/execSync with timeout or maxBuffer, a uid/gid switch to a user
// who cannot reach the package, and `hwcap exec … & kill -TERM $!`. Each case runs plain and
// masked and the two are compared.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as h from '../../lib';
import { addonDir } from '../../lib/host/native';
import { ldShowAuxv, repoRoot } from '../support/helpers';
import { AUXV_ONLY, canPtrace, keep, present, ptraceSkip } from '../support/mask-fixture';

const masked = { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace' as const };
const maskedHwcap = present.hwcap & (keep.hwcap ?? ~0n);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-events-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Ev = [string, ...unknown[]];
function errShape(e: unknown): Record<string, unknown> {
  const x = e as NodeJS.ErrnoException & { spawnargs?: unknown };
  return { name: x.name, message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path, spawnargs: x.spawnargs };
}
/** Every event of the child until 'close', plus its stdout. */
function events(child: cp.ChildProcess): Promise<{ ev: Ev[]; out: string }> {
  return new Promise((resolve) => {
    const ev: Ev[] = [];
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('spawn', () => ev.push(['spawn']));
    child.on('error', (e) => ev.push(['error', errShape(e)]));
    child.on('exit', (c, s) => ev.push(['exit', c, s]));
    child.on('close', (c, s) => {
      ev.push(['close', c, s]);
      // Anything late (a second 'error') would show up by the next turn.
      setImmediate(() => resolve({ ev, out }));
    });
  });
}

describe.skipIf(!canPtrace)(`events as child_process has them${ptraceSkip}`, () => {
  it('kill() right after spawn(): exit(null, SIGTERM) and close(null, SIGTERM), 40 times in 40; any output is masked', async () => {
    const plain = cp.spawn('sleep', ['5']);
    plain.kill();
    const want = (await events(plain)).ev;
    expect(want).toEqual([['spawn'], ['exit', null, 'SIGTERM'], ['close', null, 'SIGTERM']]);
    for (let i = 0; i < 40; i++) {
      const c = h.spawn('sleep', ['5'], masked);
      c.kill();
      expect((await events(c)).ev, `run ${i}`).toEqual(want);
    }
    // A signal before the program is known to be masked never lets it run unmasked.
    for (let i = 0; i < 20; i++) {
      const c = h.spawn('/bin/true', [], { ...masked, env: { ...process.env, LD_SHOW_AUXV: '1' } });
      if (i % 2) setImmediate(() => c.kill());
      else c.kill();
      const { ev, out } = await events(c);
      expect(ev.filter(([e]) => e === 'error'), `run ${i}`).toEqual([]);
      // Only the program's own dump counts: in the sanitizer build the launcher is dynamic, and its
      // ld.so prints a dump of its own (AT_EXECFN the launcher) before the program exists.
      const dumps = out.split(/(?=^AT_SYSINFO_EHDR:)/m).filter((d) => /^AT_EXECFN:\s+\/bin\/true\s*$/m.test(d));
      for (const d of dumps) {
        const shown = ldShowAuxv(d);
        if (shown.hwcap !== undefined) expect(shown.hwcap, `run ${i}`).toBe(maskedHwcap);
      }
    }
  });

  it('an AbortSignal aborted at once: one error (AbortError), then the events child_process gives', async () => {
    const run = async (spawnFn: typeof cp.spawn, extra: object): Promise<Ev[]> => {
      const ac = new AbortController();
      const c = spawnFn('sleep', ['5'], { ...extra, signal: ac.signal });
      const p = events(c);
      ac.abort();
      return (await p).ev;
    };
    const want = await run(cp.spawn, {});
    expect(want.filter(([e]) => e === 'error')).toHaveLength(1);
    expect(await run(h.spawn as typeof cp.spawn, masked)).toEqual(want);
  });

  it("a missing cwd: one error (ENOENT, child_process's syscall, path and spawnargs) and close(-2)", async () => {
    const cwd = path.join(tmp, 'missing');
    const want = (await events(cp.spawn('sleep', ['5'], { cwd }))).ev;
    expect(want.map(([e]) => e)).toEqual(['error', 'close']);
    expect(want[1]).toEqual(['close', -2, null]);
    expect((await events(h.spawn('sleep', ['5'], { ...masked, cwd }))).ev).toEqual(want);
    const sync = (r: cp.SpawnSyncReturns<string | Buffer>) => ({ error: errShape(r.error), status: r.status, signal: r.signal });
    expect(sync(h.spawnSync('sleep', ['5'], { ...masked, cwd }))).toEqual(sync(cp.spawnSync('sleep', ['5'], { cwd })));
  });

  const shape = (r: cp.SpawnSyncReturns<string | Buffer>) => ({
    error: errShape(r.error),
    status: r.status,
    signal: r.signal,
    output: r.output?.map((o) => (o === null ? null : o.toString())),
    stdout: r.stdout?.toString(),
  });
  for (const extra of [{ timeout: 200 }, { maxBuffer: 3 }]) {
    it(`spawnSync with ${JSON.stringify(extra)}: the program's path, arguments and 3 outputs`, () => {
      const args = ['-c', 'echo hello; sleep 3'];
      const want = shape(cp.spawnSync('sh', args, extra));
      expect(want.error.code).toBe('timeout' in extra ? 'ETIMEDOUT' : 'ENOBUFS');
      expect(want.output).toHaveLength(3);
      expect(shape(h.spawnSync('sh', args, { ...masked, ...extra }))).toEqual(want);
    });
  }

  it('execSync with a timeout throws what child_process throws', () => {
    const thrown = (f: () => unknown): Record<string, unknown> | undefined => {
      try {
        f();
      } catch (e) {
        const x = e as Error & { status?: unknown; signal?: unknown; output?: unknown[] };
        return { ...errShape(e), status: x.status, signal: x.signal, outputs: x.output?.length };
      }
      return undefined;
    };
    const want = thrown(() => cp.execSync('echo hi; sleep 3', { timeout: 200, stdio: 'pipe' }));
    expect(want?.code).toBe('ETIMEDOUT');
    expect(thrown(() => h.execSync('echo hi; sleep 3', { ...masked, timeout: 200, stdio: 'pipe' }))).toEqual(want);
  });
});

const root = process.getuid?.() === 0;
describe.skipIf(!canPtrace || !root)(`uid/gid: the launcher is reachable by the user the spawn switches to${ptraceSkip}${root ? '' : ' (skipped: needs root to switch uid)'}`, () => {
  // A package in a directory that uid 65534 cannot search: dist/ and the built executables.
  const locked = path.join(tmp, 'locked');
  const pkg = path.join(locked, 'pkg');
  fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
  fs.chmodSync(locked, 0o700);
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
  for (const f of ['hwcap.node', 'hwcap-exec', 'hwcap-probe']) fs.copyFileSync(path.join(addonDir, f), path.join(pkg, 'build', 'Release', f));
  fs.chmodSync(path.join(pkg, 'build', 'Release', 'hwcap-exec'), 0o755);
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'));

  it('uid 65534, a package in a 0700 directory: spawn and spawnSync run the program, masked, as the plain spawn runs it', () => {
    const script = `
      const h = require(${JSON.stringify(pkg)}); const cp = require('child_process');
      const keep = { hwcap: ${keep.hwcap ?? 0n}n, hwcap2: ${keep.hwcap2 ?? 0n}n };
      const o = { uid: 65534, gid: 65534, encoding: 'utf8', env: { PATH: process.env.PATH, LD_SHOW_AUXV: '1' } };
      const cmd = ['-c', 'id -u; id -g; ls /proc/self/fd; exec /bin/true'];
      const plain = cp.spawnSync('/bin/sh', cmd, o);
      const sync = h.spawnSync('/bin/sh', cmd, { ...o, hwcaps: keep, auxvOnly: true, mode: 'ptrace' });
      const child = h.spawn('/bin/sh', cmd, { ...o, hwcaps: keep, auxvOnly: true, mode: 'ptrace' });
      let out = ''; child.stdout.on('data', (d) => (out += d));
      child.on('error', (e) => { console.log(JSON.stringify({ asyncError: e.message })); });
      child.on('close', (code) => console.log(JSON.stringify({ plain: [plain.status, plain.stdout, plain.error && plain.error.message], sync: [sync.status, sync.stdout, sync.error && sync.error.message], async: [code, out] })));
    `;
    const r = cp.spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, [number, string, string?]>;
    expect(v.plain![0]).toBe(0);
    const lines = (s: string) => s.split('\n').filter((l) => !l.startsWith('AT_') && l !== '');
    const hw = (s: string) => ldShowAuxv(s).hwcap;
    expect(lines(v.plain![1]).slice(0, 2)).toEqual(['65534', '65534']);
    for (const k of ['sync', 'async']) {
      expect(v[k]![0], `${k}: ${JSON.stringify(v[k])}`).toBe(0);
      // The same ids and the same fds (the launcher's own fd on itself is closed).
      expect(lines(v[k]![1]), k).toEqual(lines(v.plain![1]));
      expect(hw(v[k]![1]), k).toBe(maskedHwcap);
    }
  });
});

const x64 = process.arch === 'x64';
describe.skipIf(!canPtrace || !x64)(`hwcap exec … & kill -TERM $!${ptraceSkip}${x64 ? '' : ' (skipped: drops fpu, an x86-64 feature)'}`, () => {
  it('exits 143, whenever the signal comes during the start', () => {
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    // Delays that land before, during and after the launcher's setup; the exit status must not depend on them.
    for (const delay of ['0', '0.02', '0.05', '0.1', '0.15', '0.2', '0.3', '0.4']) {
      const cmd = `"${process.execPath}" "${cli}" exec --auxv-only --mode ptrace --drop fpu -- sleep 5 & sleep ${delay}; kill -TERM $!; wait $!; echo "status $?"`;
      const r = cp.spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
      expect(r.stdout.trim(), `delay ${delay}: ${r.stderr}`).toBe('status 143');
    }
  });
});
