// spawn / execFile / spawnSync against node:child_process behaviour, with real
// children: hwcap-probe, `node -e` reading its own auxv through dist/, and
// LD_SHOW_AUXV=1 /bin/true.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { spawn, spawnSync, execFile, execFileSync, exec, execSync, fork, HwcapError, FeatureSet, hostArch } from '../../lib';
import { AUXV_ONLY, canPtrace, hasBits, keep, present, probe, ptraceSkip } from '../support/mask-fixture';
import { ldShowAuxv, runNode, withTestLauncher } from '../support/helpers';

const skipWhy = ptraceSkip;
const hwcaps = keep;
const want = { hwcap: present.hwcap & hwcaps.hwcap!, hwcap2: present.hwcap2 & hwcaps.hwcap2! };
const dist = path.join(__dirname, '..', '..', 'dist');
const pythonOnPath = cp.spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).status === 0;

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
  events: string[];
}

/** Waits for 'close' (or 'error' then 'close'), with a bound. */
function finished(child: cp.ChildProcess, ms = 15_000): Promise<Done> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let error: Error | undefined;
    const events: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not close within ${ms} ms`));
    }, ms);
    child.on('spawn', () => events.push('spawn'));
    child.on('exit', () => events.push('exit'));
    child.on('error', (e) => {
      events.push('error');
      error = e;
    });
    child.on('close', (code, signal) => {
      events.push('close');
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, error, events });
    });
  });
}

const nodeViews = `const h=require(${JSON.stringify(dist)});const w=(v)=>{const x=h.hwcapWords(v);return {hwcap:String(x.hwcap),hwcap2:String(x.hwcap2)}};console.log(JSON.stringify({pid:process.pid,process:w('process'),kernel:w('kernel'),libc2:String(h.getauxval('AT_HWCAP2')??0n)}))`;

describe.skipIf(!canPtrace || !hasBits)(`spawn with hwcaps${skipWhy}`, () => {
  it('gives node a child whose every view shows the masked words, and child.pid is its pid', async () => {
    const child = spawn(process.execPath, ['-e', nodeViews], { hwcaps, ...AUXV_ONLY });
    const pid = child.pid;
    expect(typeof pid).toBe('number');
    const done = await finished(child);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.events).toEqual(['spawn', 'exit', 'close']);
    const v = JSON.parse(done.stdout) as { pid: number; process: Record<string, string>; kernel: Record<string, string>; libc2: string };
    expect(v.pid).toBe(pid);
    for (const view of [v.process, v.kernel]) {
      expect(BigInt(view.hwcap)).toBe(want.hwcap);
      expect(BigInt(view.hwcap2)).toBe(want.hwcap2);
    }
    expect(BigInt(v.libc2)).toBe(want.hwcap2);
  });

  it('masks every view of the C probe', async () => {
    const child = spawn(probe, [], { hwcaps, ...AUXV_ONLY });
    const done = await finished(child);
    const v = JSON.parse(done.stdout) as Record<string, Record<string, string>> & { pid: number };
    expect(v.pid).toBe(child.pid);
    for (const view of ['process', 'prGetAuxv', 'procAuxv']) {
      expect(BigInt(v[view].hwcap)).toBe(want.hwcap);
      expect(BigInt(v[view].hwcap2)).toBe(want.hwcap2);
    }
    expect(BigInt(v.libc.hwcap2)).toBe(want.hwcap2);
  });

  it('masks what ld.so shows (LD_SHOW_AUXV=1 /bin/true)', async () => {
    const done = await finished(spawn('/bin/true', [], { hwcaps, ...AUXV_ONLY, env: { ...process.env, LD_SHOW_AUXV: '1' } }));
    expect(ldShowAuxv(done.stdout)).toMatchObject(present.hwcap2 ? want : { hwcap: want.hwcap });
  });

  it('masks a grandchild by default, and not with follow: false', async () => {
    const cmd = 'LD_SHOW_AUXV=1 /bin/true';
    const followed = await finished(spawn('sh', ['-c', cmd], { hwcaps, ...AUXV_ONLY }));
    expect(ldShowAuxv(followed.stdout).hwcap).toBe(want.hwcap);
    const first = await finished(spawn('sh', ['-c', cmd], { hwcaps, ...AUXV_ONLY, follow: false }));
    expect(ldShowAuxv(first.stdout).hwcap).toBe(present.hwcap);
  });

  it.skipIf(!pythonOnPath || present.hwcap2 === 0n)('masks python3 found on PATH (a version-manager shim that execs again), and not with follow: false', async () => {
    const code = 'import ctypes; l = ctypes.CDLL(None); l.getauxval.restype = ctypes.c_ulong; print(l.getauxval(26))';
    const followed = await finished(spawn('python3', ['-c', code], { hwcaps, ...AUXV_ONLY }), 30_000);
    expect(followed.stderr).toBe('');
    expect(BigInt(followed.stdout.trim())).toBe(want.hwcap2);
    const first = await finished(spawn('python3', ['-c', code], { hwcaps, ...AUXV_ONLY, follow: false }), 30_000);
    const shim = fs.readFileSync(cp.spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim(), 'latin1').startsWith('#!');
    // Through a shim the real interpreter is a second exec, which follow: false leaves alone.
    expect(BigInt(first.stdout.trim())).toBe(shim ? present.hwcap2 : want.hwcap2);
  });

  it('takes a FeatureSet or an array of feature names as the features to keep', async () => {
    const dropped = FeatureSet.fromWords(hostArch(), { hwcap: present.hwcap & ~hwcaps.hwcap!, hwcap2: present.hwcap2 & ~hwcaps.hwcap2! }).names();
    const set = FeatureSet.current('kernel').without(dropped);
    for (const option of [set, set.names()]) {
      const v = JSON.parse((await finished(spawn(probe, [], { hwcaps: option, ...AUXV_ONLY }))).stdout) as Record<string, Record<string, string>>;
      expect(BigInt(v.process.hwcap)).toBe(want.hwcap);
      expect(BigInt(v.procAuxv.hwcap2)).toBe(want.hwcap2);
    }
    expect(() => spawn(probe, [], { hwcaps: ['no-such-feature'] })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'options.hwcaps[0]'") }));
  });

  it('pipes stdio and reports the exit code like child_process', async () => {
    const child = spawn('sh', ['-c', 'cat; echo err >&2; exit 3'], { hwcaps, ...AUXV_ONLY });
    child.stdin!.end('hello\n');
    const done = await finished(child);
    expect(done).toMatchObject({ code: 3, signal: null, stdout: 'hello\n', stderr: 'err\n' });
  });

  it("delivers SIGTERM to the program: 'exit' with that signal", async () => {
    const child = spawn('sleep', ['20'], { hwcaps, ...AUXV_ONLY, stdio: 'ignore' });
    const exit = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    await new Promise((r) => child.on('spawn', r));
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await exit).toEqual([null, 'SIGTERM']);
  });

  it('spawnSync returns child_process\'s shape', () => {
    const r = spawnSync(probe, [], { hwcaps, ...AUXV_ONLY, encoding: 'utf8' });
    expect(Object.keys(r).sort()).toEqual(Object.keys(cp.spawnSync('true')).sort());
    expect(r.status).toBe(0);
    expect(r.output).toHaveLength(3);
    const v = JSON.parse(r.stdout as string) as Record<string, Record<string, string>> & { pid: number };
    expect(v.pid).toBe(r.pid);
    expect(BigInt(v.process.hwcap2)).toBe(want.hwcap2);
  });

  it('execFile collects output and fails like child_process', async () => {
    const ok = await util.promisify(execFile)('sh', ['-c', 'LD_SHOW_AUXV=1 /bin/true'], { hwcaps, ...AUXV_ONLY });
    expect(ldShowAuxv(String(ok.stdout)).hwcap).toBe(want.hwcap);
    const err = await new Promise<cp.ExecFileException | null>((resolve) => execFile('sh', ['-c', 'echo no >&2; exit 4'], { hwcaps, ...AUXV_ONLY }, (e) => resolve(e)));
    expect(err).toMatchObject({ code: 4, killed: false, signal: null, cmd: "sh -c echo no >&2; exit 4" });
    expect(err!.message).toBe('Command failed: sh -c echo no >&2; exit 4\nno\n');
  });

  it('execFileSync returns stdout and throws what child_process throws', () => {
    const script = 'LD_SHOW_AUXV=1 /bin/true';
    const out = execFileSync('sh', ['-c', script], { hwcaps, ...AUXV_ONLY, encoding: 'utf8' });
    expect(typeof out).toBe('string');
    expect(ldShowAuxv(out as string).hwcap).toBe(want.hwcap);
    // No encoding: a Buffer, as child_process gives.
    expect(Buffer.isBuffer(execFileSync('sh', ['-c', script], { hwcaps, ...AUXV_ONLY }))).toBe(true);
    const fail = ['-c', 'echo out; echo err >&2; exit 3'];
    const ours = (() => {
      try {
        execFileSync('sh', fail, { hwcaps, ...AUXV_ONLY, stdio: 'pipe' });
      } catch (e) {
        return e as Error & Record<string, unknown>;
      }
    })();
    const theirs = (() => {
      try {
        cp.execFileSync('sh', fail, { stdio: 'pipe' });
      } catch (e) {
        return e as Error & Record<string, unknown>;
      }
    })();
    expect(ours).toBeInstanceOf(Error);
    expect(ours!.message).toBe(theirs!.message);
    expect(Object.keys(ours!).sort()).toEqual(Object.keys(theirs!).sort());
    expect({ status: ours!.status, signal: ours!.signal, stdout: String(ours!.stdout), stderr: String(ours!.stderr) }).toEqual({ status: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    expect(ours!.pid).toBeGreaterThan(0);
  });

  it("execFileSync and execSync pass the program's stderr on unless stdio is given, as child_process does", () => {
    const r = runNode(`
      const mask = { hwcap: ${want.hwcap}n, hwcap2: ${want.hwcap2}n };
      const a = h.execFileSync('sh', ['-c', 'echo to-stderr >&2; echo to-stdout'], { hwcaps: mask, auxvOnly: true, encoding: 'utf8' });
      const b = h.execSync('echo quiet >&2; echo shell', { hwcaps: mask, auxvOnly: true, encoding: 'utf8', stdio: 'pipe' });
      out({ a, b });`);
    expect(r.value).toEqual({ a: 'to-stdout\n', b: 'shell\n' });
    expect(r.stderr).toBe('to-stderr\n');
  });

  it('execSync runs the command in a masked shell and masks what the shell runs', () => {
    const out = execSync('LD_SHOW_AUXV=1 /bin/true; echo "sh=$0"', { hwcaps, ...AUXV_ONLY, encoding: 'utf8' }) as string;
    expect(ldShowAuxv(out).hwcap).toBe(want.hwcap);
    expect(out).toMatch(/^sh=\/bin\/sh$/m);
    expect(() => execSync('exit 7', { hwcaps, ...AUXV_ONLY, stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 7, message: 'Command failed: exit 7' }));
    // A shell path is used as given.
    expect(execSync('echo "$0"', { hwcaps, ...AUXV_ONLY, shell: '/bin/bash', encoding: 'utf8' })).toBe('/bin/bash\n');
  });

  it('exec runs the command in a masked shell, with the callback and the promise of child_process', async () => {
    const viaCallback = await new Promise<{ err: Error | null; stdout: string }>((resolve) =>
      exec('LD_SHOW_AUXV=1 /bin/true', { hwcaps, ...AUXV_ONLY }, (err, stdout) => resolve({ err, stdout: String(stdout) })),
    );
    expect(viaCallback.err).toBeNull();
    expect(ldShowAuxv(viaCallback.stdout).hwcap).toBe(want.hwcap);
    const failed = await util.promisify(exec)('echo partial; exit 5', { hwcaps, ...AUXV_ONLY }).catch((e: unknown) => e as Error & Record<string, unknown>);
    const reference = await util.promisify(cp.exec)('echo partial; exit 5').catch((e: unknown) => e as Error & Record<string, unknown>);
    expect(failed).toMatchObject({ code: 5, stdout: 'partial\n', stderr: '', cmd: 'echo partial; exit 5', message: (reference as Error).message });
  });

  it('fork gives a masked Node child with the IPC channel of child_process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-fork-'));
    const mod = path.join(dir, 'child.js');
    fs.writeFileSync(
      mod,
      `const h = require(${JSON.stringify(dist)});
       const w = (v) => { const x = h.hwcapWords(v); return { hwcap: String(x.hwcap), hwcap2: String(x.hwcap2) }; };
       process.on('message', (m) => {
         process.send({ echo: m, argv: process.argv.slice(2), pid: process.pid, process: w('process'), kernel: w('kernel'), libc: String(h.getauxval('AT_HWCAP') ?? 0n) });
         process.disconnect();
       });`,
    );
    try {
      const child = fork(new URL(`file://${mod}`), ['one', 'two'], { hwcaps, ...AUXV_ONLY });
      const reply = new Promise<Record<string, unknown>>((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)));
      const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, sig) => resolve([c, sig])));
      expect(child.send({ hello: 1 })).toBe(true);
      const m = (await reply) as { echo: unknown; argv: string[]; pid: number; process: Record<string, string>; kernel: Record<string, string>; libc: string };
      expect(m.echo).toEqual({ hello: 1 });
      expect(m.argv).toEqual(['one', 'two']);
      expect(m.pid).toBe(child.pid);
      for (const view of [m.process, m.kernel]) expect({ hwcap: BigInt(view.hwcap), hwcap2: BigInt(view.hwcap2) }).toEqual(want);
      expect(await exited).toEqual([0, null]);
      // silent: stdio pipes, with the channel still at fd 3.
      const quiet = fork(mod, [], { hwcaps, ...AUXV_ONLY, silent: true });
      quiet.send('x');
      const done = await finished(quiet);
      expect(done.code).toBe(0);
      expect(quiet.stdout).not.toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sets no_new_privs when asked', async () => {
    const done = await finished(spawn('grep', ['NoNewPrivs', '/proc/self/status'], { hwcaps, ...AUXV_ONLY, noNewPrivs: true }));
    expect(done.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('pdeathsig ends the program when the spawning process dies', async () => {
    const parent = cp.spawn(process.execPath, ['-e', `const c=require(${JSON.stringify(dist)}).spawn('sleep',['20'],{hwcaps:{hwcap2:0n},auxvOnly:true,pdeathsig:'SIGKILL',stdio:'ignore'});c.on('spawn',()=>{console.log(c.pid);process.exit(0)})`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = await finished(parent);
    const pid = Number(out.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      gone = !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] === 'Z';
      if (!gone) await new Promise((r) => setTimeout(r, 25));
    }
    if (!gone) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
  });

  it('100 concurrent masked spawns are all masked, leave no zombies and leak no fds', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const children = Array.from({ length: 100 }, () => spawn(probe, [], { hwcaps, ...AUXV_ONLY }));
    const results = await Promise.all(children.map((c) => finished(c, 60_000)));
    for (const [i, r] of results.entries()) {
      expect(r.code).toBe(0);
      const v = JSON.parse(r.stdout) as Record<string, Record<string, string>> & { pid: number };
      expect(v.pid).toBe(children[i].pid);
      expect(BigInt(v.process.hwcap)).toBe(want.hwcap);
      expect(BigInt(v.procAuxv.hwcap2)).toBe(want.hwcap2);
    }
    // No zombie children of this process; every target reaped.
    const zombies = fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        } catch {
          return '';
        }
      })
      .filter((s) => {
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return f[0] === 'Z' && Number(f[1]) === process.pid;
      });
    expect(zombies).toEqual([]);
    for (const c of children) expect(fs.existsSync(`/proc/${c.pid}`)).toBe(false);
    expect(fds()).toBe(before);
  }, 90_000);
});


describe('spawn failures look like child_process', () => {
  it("emits the same async 'error' for a program not found, then 'close' with -errno", async () => {
    const ours = spawn('hwcap-no-such-program', ['a'], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY });
    const theirs = cp.spawn('hwcap-no-such-program', ['a']);
    const [a, b] = await Promise.all([finished(ours), finished(theirs)]);
    expect(a.events).toEqual(b.events);
    expect(a.code).toBe(b.code);
    const pick = (e?: Error) => {
      const x = e as NodeJS.ErrnoException & { spawnargs?: string[] };
      return { message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, path: x.path, spawnargs: x.spawnargs };
    };
    expect(pick(a.error)).toEqual(pick(b.error));
    expect(ours.pid).toBeUndefined();
  });

  it("a program that is not found leaves stderr as empty as child_process leaves it", async () => {
    const ours = await finished(spawn('hwcap-no-such-program', [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY }));
    const theirs = await finished(cp.spawn('hwcap-no-such-program', []));
    expect(ours.stderr).toBe('');
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.events).toEqual(theirs.events);
    expect(spawnSync('hwcap-no-such-program', [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY }).stderr).toBe(null);
  });

  it('spawnSync and execFile report ENOENT as child_process does', async () => {
    const a = spawnSync('hwcap-no-such-program', ['a'], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY });
    const b = cp.spawnSync('hwcap-no-such-program', ['a']);
    expect({ ...a, error: undefined }).toEqual({ ...b, error: undefined });
    expect((a.error as NodeJS.ErrnoException).message).toBe(b.error!.message);
    expect(a.error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'spawnSync hwcap-no-such-program', path: 'hwcap-no-such-program', spawnargs: ['a'] });
    const e = await new Promise<Error | null>((resolve) => execFile('hwcap-no-such-program', ['a'], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY }, (err) => resolve(err)));
    expect(e).toMatchObject({ code: 'ENOENT', syscall: 'spawn hwcap-no-such-program', cmd: 'hwcap-no-such-program a' });
  });

  it("reports EACCES for a file that is not executable", async () => {
    const file = path.join(os.tmpdir(), `hwcap-noexec-${process.pid}`);
    fs.writeFileSync(file, 'echo ran\n', { mode: 0o644 });
    try {
      const done = await finished(spawn(file, [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY }));
      expect(done.error).toMatchObject({ code: 'EACCES', errno: -13, syscall: `spawn ${file}` });
      expect(done.stdout).toBe('');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it.skipIf(!canPtrace)(`refuses a set-user-ID program with a HwcapError naming the stage${skipWhy}`, async () => {
    const file = path.join(os.tmpdir(), `hwcap-suid-${process.pid}`);
    fs.copyFileSync(probe, file);
    fs.chmodSync(file, 0o4755);
    try {
      const done = await finished(spawn(file, [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY, mode: 'ptrace' }));
      expect(done.stdout).toBe('');
      expect(done.error).toBeInstanceOf(HwcapError);
      expect(done.error).toMatchObject({ code: 'EPERM', syscall: 'execve', stage: 'check-target', detail: `${file} is set-user-ID or set-group-ID; ptrace mode would run it without those privileges; refused` });
      expect(done.events).toEqual(['error', 'close']);
      // The launcher's words travel on the error, not on the program's stderr.
      expect(done.stderr).toBe('');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it.skipIf(!canPtrace)(`fails closed when the helper dies: 'error', and the program printed nothing${skipWhy}`, async () => {
    for (const fault of ['helper-before-seize', 'helper-at-exec-stop', 'helper-during-inject']) {
      const done = await finished(withTestLauncher(() => spawn(probe, [], { hwcaps: { hwcap2: 0n }, ...AUXV_ONLY, mode: 'ptrace', env: { ...process.env, HWCAP_EXEC_FAULT: fault } })));
      expect(done.stdout).toBe('');
      expect(done.error).toBeInstanceOf(HwcapError);
      expect(done.events).toEqual(['error', 'close']);
    }
  });
});

describe('option validation', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['mode', { hwcaps: {}, mode: 'magic' }, 'ERR_INVALID_ARG_VALUE', /options\.mode/],
    ['mode type', { hwcaps: {}, mode: 3 }, 'ERR_INVALID_ARG_TYPE', /options\.mode/],
    ['follow', { hwcaps: {}, follow: 'yes' }, 'ERR_INVALID_ARG_TYPE', /options\.follow/],
    ['noNewPrivs', { hwcaps: {}, noNewPrivs: 1 }, 'ERR_INVALID_ARG_TYPE', /options\.noNewPrivs/],
    ['allowSecurityMasking', { hwcaps: {}, allowSecurityMasking: 'no' }, 'ERR_INVALID_ARG_TYPE', /options\.allowSecurityMasking/],
    ['pdeathsig name', { hwcaps: {}, pdeathsig: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE', /options\.pdeathsig/],
    ['pdeathsig number', { hwcaps: {}, pdeathsig: 0 }, 'ERR_INVALID_ARG_VALUE', /options\.pdeathsig/],
    ['hwcaps type', { hwcaps: 5 }, 'ERR_INVALID_ARG_TYPE', /options\.hwcaps/],
    ['hwcaps word type', { hwcaps: { hwcap: 1 } }, 'ERR_INVALID_ARG_TYPE', /options\.hwcaps\.hwcap/],
    ['hwcaps word range', { hwcaps: { hwcap2: -1n } }, 'ERR_OUT_OF_RANGE', /options\.hwcaps\.hwcap2/],
    ['hwcaps unknown word', { hwcaps: { hwcap5: 1n } }, 'ERR_INVALID_ARG_VALUE', /options\.hwcaps\.hwcap5/],
    ['hwcaps names', { hwcaps: [1] }, 'ERR_INVALID_ARG_TYPE', /options\.hwcaps\[0\]/],
    ['a near miss that would mask nothing', { hwcap: 1n }, 'ERR_INVALID_ARG_VALUE', /did you mean options\.hwcaps/],
  ];
  it.each(cases)('%s', (_name, options, code, message) => {
    const calls = [
      () => spawn('true', [], options),
      () => spawnSync('true', [], options),
      () => execFile('true', [], options, () => {}),
      () => execFileSync('true', [], options),
      () => exec('true', options, () => {}),
      () => execSync('true', options),
    ];
    for (const call of calls) {
      let err: (Error & { code?: string }) | undefined;
      try {
        call();
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.code).toBe(code);
      expect(err?.message).toMatch(message);
    }
  });

  it('rejects a bad file or args like child_process', () => {
    expect(() => spawn(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => spawn('true', [1 as unknown as string], { hwcaps: {} })).toThrow(/args\[0\]/);
    expect(() => spawn('', [], { hwcaps: {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => execFileSync('true', 5 as unknown as string[], { hwcaps: {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"args"/) }));
    expect(() => execFileSync('true', [], 'x' as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"options"/) }));
    for (const call of [() => execSync(42 as unknown as string, { hwcaps: {} }), () => exec(null as unknown as string, () => {})]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"command"/) }));
    }
    expect(() => execSync('echo a\0b', { hwcaps: {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/'command'/) }));
    expect(() => execSync('true', 3 as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"options"/) }));
  });

  it('fork checks its arguments as child_process.fork does', () => {
    const ours = (() => {
      try {
        fork('/nonexistent.js', [], { hwcaps: {}, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        return e as Error & { code?: string };
      }
    })();
    const theirs = (() => {
      try {
        cp.fork('/nonexistent.js', [], { stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        return e as Error & { code?: string };
      }
    })();
    expect(ours?.code).toBe('ERR_CHILD_PROCESS_IPC_REQUIRED');
    expect(ours?.code).toBe(theirs?.code);
    expect(ours?.message).toBe(theirs?.message);
    expect(() => fork(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/'modulePath'|"modulePath"/) }));
    expect(() => fork('a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fork(new URL('https://example.invalid/x.js'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fork('x.js', 'a' as unknown as string[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"args"/) }));
    expect(() => fork('x.js', [], { execArgv: [1] as unknown as string[], hwcaps: {} })).toThrow(/options\.execArgv\[0\]/);
    expect(() => fork('x.js', [], { stdio: 'bogus' as never, hwcaps: {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => fork('x.js', [], { hwcaps: {}, mode: 'magic' as never })).toThrow(/options\.mode/);
  });

  it('execFileSync, exec and execSync without hwcaps are child_process', async () => {
    expect(execFileSync('sh', ['-c', 'echo plain'], { encoding: 'utf8' })).toBe('plain\n');
    expect(execSync('echo "$0"', { encoding: 'utf8' })).toBe('/bin/sh\n');
    expect(await util.promisify(exec)('echo plain')).toEqual({ stdout: 'plain\n', stderr: '' });
  });

  it('without hwcaps it is child_process.spawn itself', async () => {
    const done = await finished(spawn('sh', ['-c', 'echo plain']));
    expect(done.stdout).toBe('plain\n');
  });
});
