// hwcap-runtime over a real runc (1.1.5 on bookworm): what a container gets, and what is
// refused before runc runs. Each container runs a rootfs of static busybox (and a static CPUID
// probe), with a private runc root; the views are cross-checked against this host's.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { catalog, FeatureSet, hwcapWords } from '../../lib';
import { cpuidFaulting, drop7, faultingSkip, reg, type ProbeView } from '../support/cpuid-fixture';
import { repoRoot } from '../support/helpers';
import { canPtrace } from '../support/mask-fixture';
import { auxvDrop, killByCgroup, lackedFeature, makeBundle, makeRootfs, odHwcap, runc, runcSkip, runtime, tmp, type BundleOptions } from '../support/oci-fixture';

// Real containers and CRIU on a shared machine: minutes under load, not the default 30 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const hwcapCli = path.join(repoRoot, 'dist', 'cli.js');

describe.skipIf(runcSkip !== '')(`hwcap-runtime under runc${runcSkip}`, () => {
  let dir = '';
  let rootfs = '';
  let root = '';
  let n = 0;
  const ids: string[] = [];
  const hasProbe = () => fs.existsSync(path.join(rootfs, 'bin', 'cpuid-probe'));

  beforeAll(() => {
    dir = tmp('hwcap-oci-runc-');
    rootfs = makeRootfs(path.join(dir, 'rootfs'));
    root = path.join(dir, 'state');
  });
  afterAll(() => {
    for (const id of ids) runtime(root, ['delete', '--force', id], { real: true });
    killByCgroup([`hwcap-t${process.pid}-`]); // what a failed test left behind runc's back
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function bundle(o: BundleOptions): { id: string; dir: string } {
    const id = `hwcap-t${process.pid}-${++n}`;
    ids.push(id);
    return { id, dir: makeBundle(path.join(dir, id), rootfs, o) };
  }

  /** Changes the bundle's config.json in place (what BundleOptions does not set). */
  function patchConfig(bundleDir: string, f: (c: { process: { rlimits?: { type: string; soft: number; hard: number }[] } }) => void): void {
    const file = path.join(bundleDir, 'config.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { process: { rlimits?: { type: string; soft: number; hard: number }[] } };
    f(c);
    fs.writeFileSync(file, JSON.stringify(c, null, 2));
  }

  /** A node file (HWCAP_RUNTIME_CONFIG) written under the test's directory. */
  function nodeFile(name: string, doc: unknown): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return file;
  }

  /** runc exec through hwcap-runtime, retried while pid 1 is still starting. */
  function execIn(id: string, args: string[], env?: NodeJS.ProcessEnv): string {
    const r = runtime(root, ['exec', id, ...args], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  }

  function waitFile(id: string, file: string): string {
    for (let i = 0; i < 100; i++) {
      const r = runtime(root, ['exec', id, 'cat', file], { real: true });
      if (r.status === 0 && r.stdout.trim() !== '') return r.stdout;
      cp.spawnSync('sleep', ['0.1']);
    }
    throw new Error(`${file} never appeared in ${id}`);
  }

  it('passes an unannotated container through: config.json byte for byte, nothing mounted, no helper', () => {
    const b = bundle({ args: ['/bin/sh', '-c', 'ps -o pid,comm; tr "\\0" " " < /proc/1/cmdline; echo; grep TracerPid /proc/1/status; grep -c -e " /.hwcap-exec " -e " /proc/cpuinfo " /proc/self/mountinfo'] });
    const before = fs.readFileSync(path.join(b.dir, 'config.json'));
    const r = runtime(root, ['run', '--bundle', b.dir, b.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1); // grep -c found no hwcap mount: the container's own last status
    expect(r.stdout).toMatch(/TracerPid:\t0\n0\n$/);
    expect(r.stdout).toMatch(/^PID +COMMAND\n +1 sh\n +\d+ ps\n/);
    expect(r.stdout).not.toMatch(/hwcap-exec-help|\.hwcap-exec --/);
    expect(fs.readFileSync(path.join(b.dir, 'config.json')).equals(before)).toBe(true);
    expect(fs.readdirSync(b.dir).sort()).toEqual(['config.json']);
  });

  it('passes state, list and --version through as runc prints them', () => {
    const b = bundle({ args: ['/bin/sleep', '1000'] });
    expect(runtime(root, ['run', '--detach', '--bundle', b.dir, b.id]).status).toBe(0);
    // ps with fixed columns: the default ones include %CPU and TIME, which change between two runs.
    for (const args of [['state', b.id], ['list', '--format', 'json'], ['--version'], ['ps', b.id, '--', '-o', 'pid,ppid,user,args']]) {
      const ours = runtime(root, args);
      const theirs = runtime(root, args, { real: true });
      expect(ours).toEqual(theirs);
    }
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  });

  it('masks an auxv-only policy in pid 1, its children and exec (both forms); pid 1 keeps its argv, env, cwd, user and rlimits', () => {
    const drop = auxvDrop();
    const host = hwcapWords('process').hwcap;
    const b = bundle({
      args: ['/bin/sh', '-c', 'od -A n -t x8 -v /proc/self/auxv > /tmp/child; exec sleep 1000'],
      annotations: { 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' },
      env: ['HWCAP_TEST_VAR=kept'],
      cwd: '/tmp',
      uid: 1000,
    });
    // Limits of no other process here, so that a launcher or helper that reset them shows.
    patchConfig(b.dir, (c) => {
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 517, hard: 743 },
        { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 },
      ];
    });
    const r = runtime(root, ['run', '--detach', '--bundle', b.dir, b.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A child of pid 1 (the shell's od), pid 1 itself after its exec of sleep, and two execs.
    expect(odHwcap(waitFile(b.id, '/tmp/child'))).toBe(host & ~drop.bit);
    expect(odHwcap(execIn(b.id, ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/1/auxv']))).toBe(host & ~drop.bit);
    expect(odHwcap(execIn(b.id, ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/self/auxv']))).toBe(host & ~drop.bit);
    const proc = path.join(dir, `${b.id}-process.json`);
    fs.writeFileSync(proc, JSON.stringify({ args: ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/self/auxv'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
    const byFile = runtime(root, ['exec', '--process', proc, b.id]);
    expect(byFile.stderr).toBe('');
    expect(odHwcap(byFile.stdout)).toBe(host & ~drop.bit);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.hwcap-'))).toEqual([]);
    // The same exec through runc itself is not masked: the mask is hwcap-runtime's doing.
    expect(odHwcap(runtime(root, ['exec', b.id, 'od', '-A', 'n', '-t', 'x8', '-v', '/proc/self/auxv'], { real: true }).stdout)).toBe(host);
    // pid 1 is the workload, as it was configured; the helper is a second process that traces it.
    expect(execIn(b.id, ['cat', '/proc/1/cmdline'])).toBe('sleep\u00001000\u0000');
    expect(execIn(b.id, ['readlink', '/proc/1/cwd']).trim()).toBe('/tmp');
    expect(execIn(b.id, ['cat', '/proc/1/environ']).split('\0')).toContain('HWCAP_TEST_VAR=kept');
    const status = execIn(b.id, ['cat', '/proc/1/status']);
    expect(status).toMatch(/\nUid:\t1000\t1000\t1000\t1000\n/);
    const limits = execIn(b.id, ['cat', '/proc/1/limits']);
    expect(limits).toMatch(/\nMax open files +517 +743 +files +\n/);
    expect(limits).toMatch(/\nMax core file size +4096 +8192 +bytes +\n/);
    const tracer = /\nTracerPid:\t(\d+)\n/.exec(status)![1]!;
    expect(tracer).not.toBe('0');
    expect(execIn(b.id, ['cat', `/proc/${tracer}/comm`]).trim()).toBe('hwcap-exec-help');
    // The helper is not dumpable: its exe link, like its memory, is out of the container's reach.
    const exe = runtime(root, ['exec', b.id, 'readlink', `/proc/${tracer}/exe`]);
    expect(exe.status).not.toBe(0);
    expect(exe.stdout).toBe('');
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  });

  it("filters /proc/cpuinfo's flags to the kept set and changes nothing else", () => {
    const drop = auxvDrop();
    const b = bundle({ args: ['/bin/cat', '/proc/cpuinfo'], annotations: { 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' } });
    const r = runtime(root, ['run', '--bundle', b.dir, b.id]);
    expect(r.status).toBe(0);
    const host = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const varying = (l: string) => /^(cpu MHz|bogomips)\s*:/.test(l);
    const inside = r.stdout.split('\n');
    const outside = host.split('\n');
    expect(inside.length).toBe(outside.length);
    let flagLines = 0;
    for (const [i, line] of outside.entries()) {
      if (varying(line)) continue;
      const m = /^(flags|Features)(\s*):(.*)$/.exec(line);
      if (!m) {
        expect(inside[i]).toBe(line);
        continue;
      }
      flagLines++;
      const want = m[3]!.trim().split(/\s+/).filter((f) => f !== drop.name);
      expect(inside[i]).toBe(`${m[1]}${m[2]}: ${want.join(' ')}`);
      expect(m[3]!.split(/\s+/)).toContain(drop.name);
    }
    expect(flagLines).toBeGreaterThan(0);
  });

  const hasAvx2 = FeatureSet.current().has('avx2');
  it.skipIf(!hasAvx2)(`merges the runtime knobs (io.hwcap.runtime-env) into pid 1's environment and exec's (both forms), narrowing what the image and exec set${hasAvx2 ? '' : ' (skipped: this CPU lacks avx2, the feature whose knobs it checks)'}`, () => {
    // pid 1's environment as its program reads it: busybox's static glibc, reading GLIBC_TUNABLES,
    // writes NULs into its own copy of the variable, so /proc/1/environ no longer shows it whole.
    const b = bundle({
      args: ['/bin/sh', '-c', 'env > /tmp/env1; exec sleep 1000'],
      annotations: { 'io.hwcap.drop': 'avx2', 'io.hwcap.auxv-only': 'true', 'io.hwcap.runtime-env': 'true' },
      env: ['GLIBC_TUNABLES=glibc.malloc.check=1', 'GODEBUG=http2client=0'],
    });
    const r = runtime(root, ['run', '--detach', '--bundle', b.dir, b.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const vars = (text: string, sep: string) => text.split(sep).filter((kv) => /^(GLIBC_TUNABLES|GODEBUG|OPENSSL_ia32cap|DOTNET_EnableAVX2|NPY_DISABLE_CPU_FEATURES)=/.test(kv)).sort();
    // The image's own settings stay, and the knobs only turn avx2 (and what needs it) off.
    const pid1 = vars(waitFile(b.id, '/tmp/env1'), '\n');
    expect(pid1).toHaveLength(5);
    expect(pid1.find((kv) => kv.startsWith('GLIBC_TUNABLES='))).toMatch(/^GLIBC_TUNABLES=glibc\.malloc\.check=1:glibc\.cpu\.hwcaps=-AVX2(,|$)/);
    expect(pid1.find((kv) => kv.startsWith('GODEBUG='))).toMatch(/^GODEBUG=http2client=0,cpu\.avx2=off(,|$)/);
    expect(pid1).toContain('DOTNET_EnableAVX2=0');
    expect(pid1.find((kv) => kv.startsWith('NPY_DISABLE_CPU_FEATURES='))).toMatch(/(^|[ =])AVX2( |$)/);
    // exec ID CMD inherits the container's environment; an --env of a knob's variable is narrowed too.
    expect(vars(execIn(b.id, ['env']), '\n')).toEqual(pid1);
    const narrowed = vars(runtime(root, ['exec', '--env', 'GLIBC_TUNABLES=glibc.malloc.check=2', b.id, 'env']).stdout, '\n');
    expect(narrowed.find((kv) => kv.startsWith('GLIBC_TUNABLES='))).toMatch(/^GLIBC_TUNABLES=glibc\.malloc\.check=2:glibc\.cpu\.hwcaps=-AVX2(,|$)/);
    expect(narrowed.filter((kv) => !kv.startsWith('GLIBC_TUNABLES='))).toEqual(pid1.filter((kv) => !kv.startsWith('GLIBC_TUNABLES=')));
    // exec --process FILE (podman's and containerd's form): the spec's own environment, narrowed.
    const proc = path.join(dir, `${b.id}-process.json`);
    fs.writeFileSync(proc, JSON.stringify({ args: ['env'], cwd: '/', env: ['PATH=/bin', 'GODEBUG=x=1'], user: { uid: 0, gid: 0 } }));
    const byFile = runtime(root, ['exec', '--process', proc, b.id]);
    expect(byFile.stderr).toBe('');
    const fromSpec = vars(byFile.stdout, '\n');
    expect(fromSpec.find((kv) => kv.startsWith('GODEBUG='))).toMatch(/^GODEBUG=x=1,cpu\.avx2=off(,|$)/);
    expect(fromSpec.find((kv) => kv.startsWith('GLIBC_TUNABLES='))).toMatch(/^GLIBC_TUNABLES=glibc\.cpu\.hwcaps=-AVX2(,|$)/);
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  });

  /** The name of drop7's bit (avx2 where this CPU has it): the CPUID feature the CPUID tests remove. */
  const cpuidDrop = () => catalog('x86_64').find((row) => row.word === 'CPUID.7.0:EBX' && 1 << row.bit === drop7)!.name;
  /** CPUID.7.0:EBX as a drop of cpuidDrop() leaves it: without that bit and every feature that implies it (avx2 takes avx512f …). */
  const masked7 = (host: number): number => (host & (FeatureSet.current().without([cpuidDrop()]).cpuid['CPUID.7.0:EBX'] ?? 0)) >>> 0;

  function cpuidCase(simulate: boolean) {
    const sim = simulate ? ['--simulate'] : [];
    const env = simulate ? { HWCAP_TEST_LAUNCHER: '1', HWCAP_EXEC_FAULT: 'cpuid-simulate' } : {};
    const b = bundle({
      args: ['/bin/sh', '-c', `cpuid-probe ${sim.join(' ')} > /tmp/p1; exec sleep 1000`],
      annotations: { 'io.hwcap.drop': cpuidDrop() },
      // VITEST: the container's test launcher runs for the test runner (outside it, it says that nothing is masked).
      env: simulate ? ['HWCAP_EXEC_FAULT=cpuid-simulate', 'VITEST=true'] : [],
    });
    const r = runtime(root, ['run', '--detach', '--bundle', b.dir, b.id], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const views = [waitFile(b.id, '/tmp/p1'), execIn(b.id, ['cpuid-probe', ...sim], env)].map((t) => JSON.parse(t) as ProbeView);
    const hostView = JSON.parse(cp.execFileSync(path.join(rootfs, 'bin', 'cpuid-probe'), { encoding: 'utf8' })) as ProbeView;
    expect(reg(hostView.main['7.0'], 1) & drop7).toBe(drop7);
    for (const v of views) {
      for (const where of [v.main, v.thread, v.child]) expect(reg(where['7.0'], 1)).toBe(masked7(reg(hostView.main['7.0'], 1)));
    }
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  }

  it.skipIf(!cpuidFaulting)(`masks CPUID in pid 1's tree and in exec (real CPUID faulting)${faultingSkip}`, () => {
    if (!hasProbe()) throw new Error('no static cpuid-probe: install musl-tools (scripts/install-musl.sh)');
    cpuidCase(false);
  });

  it.skipIf(!canPtrace || process.arch !== 'x64')('masks CPUID in pid 1\'s tree and in exec (simulated traps: the test launcher, HWCAP_EXEC_FAULT=cpuid-simulate)', () => {
    if (!hasProbe()) throw new Error('no static cpuid-probe: install musl-tools (scripts/install-musl.sh)');
    cpuidCase(true);
  });

  const here = FeatureSet.current();
  const otherArch = here.arch === 'x86_64' ? 'aarch64' : 'x86_64';
  const BAD: [string, Record<string, string>, RegExp][] = [
    ['an unknown feature', { 'io.hwcap.drop': 'avx3' }, /io\.hwcap\.drop="avx3": unknown feature 'avx3'/],
    ['a misspelt annotation', { 'io.hwcap.dorp': 'avx2' }, /unknown annotation io\.hwcap\.dorp/],
    ['a baseline file that does not exist', { 'io.hwcap.baseline': '/nonexistent/b.json' }, /io\.hwcap\.baseline="\/nonexistent\/b\.json": cannot read it: ENOENT/],
    ['a malformed inline baseline', { 'io.hwcap.baseline': '{"schema": 1' }, /io\.hwcap\.baseline="\{\\"schema\\": 1": not JSON/],
    ['a baseline of another architecture', { 'io.hwcap.baseline': JSON.stringify(FeatureSet.fromNames(otherArch, []).toJSON()) }, new RegExp(`the baseline is for ${otherArch}; this node is ${here.arch}`)],
    ['a boolean that is not one', { 'io.hwcap.drop': 'avx2', 'io.hwcap.auxv-only': 'yes' }, /io\.hwcap\.auxv-only="yes": must be 'true' or 'false'/],
  ];
  it.each(BAD)('refuses %s before runc runs: the message names it, no container, config.json untouched', (_what, annotations, message) => {
    const b = bundle({ args: ['/bin/true'], annotations });
    const before = fs.readFileSync(path.join(b.dir, 'config.json'));
    const log = path.join(dir, `${b.id}.log`);
    const r = runtime(root, ['create', '--bundle', b.dir, b.id], { globals: ['--log', log, '--log-format', 'json'], timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(new RegExp(`^hwcap-runtime: create ${b.id}: `));
    expect((JSON.parse(fs.readFileSync(log, 'utf8')) as { level: string; msg: string }).msg).toMatch(message);
    expect(fs.readFileSync(path.join(b.dir, 'config.json')).equals(before)).toBe(true);
    expect(fs.readdirSync(b.dir)).toEqual(['config.json']);
    expect(runtime(root, ['state', b.id], { real: true }).status).not.toBe(0);
  });

  it('refuses, before start, a container whose baseline names a feature this node lacks, naming it', () => {
    const lacked = lackedFeature();
    const baseline = here.union(FeatureSet.fromNames(here.arch, [lacked]));
    const b = bundle({ args: ['/bin/true'], annotations: { 'io.hwcap.baseline': JSON.stringify(baseline.toJSON()), 'io.hwcap.auxv-only': 'true' } });
    const before = fs.readFileSync(path.join(b.dir, 'config.json'));
    const r = runtime(root, ['run', '--bundle', b.dir, b.id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`this node lacks ${lacked} of io\\.hwcap\\.baseline`));
    expect(fs.readFileSync(path.join(b.dir, 'config.json')).equals(before)).toBe(true);
    expect(runtime(root, ['state', b.id], { real: true }).status).not.toBe(0);
  });

  /** `hwcap release --json PID` from the host on the container's pid 1: the helper lets go, pid 1 is left stopped and untraced. */
  function releaseFromHost(id: string, env?: NodeJS.ProcessEnv): void {
    const pid = (JSON.parse(runtime(root, ['state', id], { env }).stdout) as { pid: number }).pid;
    for (let i = 0; i < 100 && /\nTracerPid:\t0\n/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); i++) cp.spawnSync('sleep', ['0.05']);
    const r = cp.spawnSync(process.execPath, [hwcapCli, 'release', '--json', String(pid)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pid, tasks: 1, processes: 1, stopped: true });
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/\nTracerPid:\t0\n/);
    expect(status).toMatch(/\nState:\tT \(stopped\)\n/);
  }

  it("hwcap release, run on the host, knows the container's helper at /.hwcap-exec and lets go of pid 1", () => {
    const drop = auxvDrop();
    const b = bundle({ args: ['/bin/sleep', '1000'], annotations: { 'io.hwcap.drop': drop.name, 'io.hwcap.auxv-only': 'true' } });
    expect(runtime(root, ['run', '--detach', '--bundle', b.dir, b.id]).status).toBe(0);
    releaseFromHost(b.id);
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  });

  it("masks an unannotated container by the node file's policy, with the launcher at its launcherPath (/.hwcap/exec); hwcap release on the host knows that helper", () => {
    const drop = auxvDrop();
    const env = { HWCAP_RUNTIME_CONFIG: nodeFile('node-launcher-path.json', { schema: 'hwcap.runtime-config/1', runtime: runc, launcherPath: '/.hwcap/exec', policy: { drop: drop.name, 'auxv-only': true } }) };
    const b = bundle({ args: ['/bin/sleep', '1000'] });
    const r = runtime(root, ['run', '--detach', '--bundle', b.dir, b.id], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(odHwcap(execIn(b.id, ['od', '-A', 'n', '-t', 'x8', '-v', '/proc/1/auxv'], env))).toBe(hwcapWords('process').hwcap & ~drop.bit);
    const mounts = execIn(b.id, ['cat', '/proc/1/mountinfo'], env);
    expect(mounts).toMatch(/ \/\.hwcap\/exec ro,/);
    expect(mounts).not.toMatch(/ \/\.hwcap-exec /);
    const tracer = /\nTracerPid:\t(\d+)\n/.exec(execIn(b.id, ['cat', '/proc/1/status'], env))![1]!;
    expect(execIn(b.id, ['cat', `/proc/${tracer}/cmdline`], env).split('\0')[0]).toBe('/.hwcap/exec');
    releaseFromHost(b.id, env);
    expect(runtime(root, ['kill', b.id, 'KILL'], { env }).status).toBe(0);
  });

  const NODE_BAD: [string, () => { env?: NodeJS.ProcessEnv; options?: string[] }, (file: string) => RegExp][] = [
    ['a node file with an unknown feature', () => ({ env: { HWCAP_RUNTIME_CONFIG: nodeFile('node-bad.json', { schema: 'hwcap.runtime-config/1', policy: { drop: 'avx3' } }) } }), (f) => new RegExp(`${f.replace(/[.]/g, '\\.')}: policy\\.drop="avx3": unknown feature 'avx3'`)],
    ['a node file that is not JSON', () => ({ env: { HWCAP_RUNTIME_CONFIG: nodeFile('node-notjson.json', '{"schema": ') } }), (f) => new RegExp(`node policy ${f.replace(/[.]/g, '\\.')}: not JSON`)],
    ['a node file that HWCAP_RUNTIME_CONFIG names and that does not exist', () => ({ env: { HWCAP_RUNTIME_CONFIG: path.join(dir, 'node-missing.json') } }), (f) => new RegExp(`node policy ${f.replace(/[.]/g, '\\.')}: cannot read it: ENOENT`)],
    ['an option runc 1.1 lacks', () => ({ options: ['--no-such-option', 'x'] }), () => /hwcap-runtime: create: unknown option --no-such-option\b/],
  ];
  it.each(NODE_BAD)('refuses %s before runc runs: the message names it, no container, config.json untouched', (_what, setup, message) => {
    const { env, options } = setup();
    const b = bundle({ args: ['/bin/true'] });
    const before = fs.readFileSync(path.join(b.dir, 'config.json'));
    const log = path.join(dir, `${b.id}.log`);
    const r = runtime(root, ['create', ...(options ?? []), '--bundle', b.dir, b.id], { env, globals: ['--log', log, '--log-format', 'json'], timeout: 30_000 });
    const want = message(env?.HWCAP_RUNTIME_CONFIG ?? '');
    expect(r.status).toBe(1);
    // The id where the command line parsed; an option it does not know hides where the id is.
    if (!options) expect(r.stderr).toMatch(new RegExp(`^hwcap-runtime: create ${b.id}: `));
    expect(r.stderr).toMatch(want);
    expect((JSON.parse(fs.readFileSync(log, 'utf8')) as { msg: string }).msg).toMatch(want);
    expect(fs.readFileSync(path.join(b.dir, 'config.json')).equals(before)).toBe(true);
    expect(fs.readdirSync(b.dir)).toEqual(['config.json']);
    expect(runtime(root, ['state', b.id], { real: true }).status).not.toBe(0);
  });

  it("answers a masking command's --help from the real runtime without node (podman asks checkpoint --help before each checkpoint), and nothing else", () => {
    // HWCAP_NODE=/bin/false: whatever reaches node fails with status 1 and says nothing.
    const noNode = { HWCAP_NODE: '/bin/false' };
    for (const cmd of ['create', 'run', 'exec', 'checkpoint', 'restore']) {
      for (const help of ['--help', '-h']) {
        const r = runtime(root, [cmd, help], { env: noNode });
        expect(r, `${cmd} ${help}`).toEqual(runtime(root, [cmd, help], { real: true }));
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(`runc ${cmd}`);
      }
      // A container id, or anything beside the help, is a command for node: it masks or refuses.
      expect(runtime(root, [cmd, 'some-id'], { env: noNode })).toEqual({ status: 1, stdout: '', stderr: '' });
      expect(runtime(root, [cmd, '--help', 'some-id'], { env: noNode })).toEqual({ status: 1, stdout: '', stderr: '' });
      expect(runtime(root, [cmd, 'some-id', '--help'], { env: noNode })).toEqual({ status: 1, stdout: '', stderr: '' });
    }
  });

  it('refuses every pass-through command too when HWCAP_RUNTIME_CONFIG names a file it cannot read, rather than hand it to runc', () => {
    const b = bundle({ args: ['/bin/sleep', '1000'] });
    expect(runtime(root, ['run', '--detach', '--bundle', b.dir, b.id]).status).toBe(0);
    const missing = path.join(dir, 'node-gone.json');
    const log = path.join(dir, `${b.id}.log`);
    for (const args of [['state', b.id], ['kill', b.id, 'KILL'], ['delete', '--force', b.id], ['--version']]) {
      const r = runtime(root, args, { env: { HWCAP_RUNTIME_CONFIG: missing }, globals: ['--log', log, '--log-format', 'json'] });
      expect(r).toEqual({ status: 1, stdout: '', stderr: `hwcap-runtime: ${args[0]!.replace(/^--version$/, '(no command)')}: node policy ${missing} (HWCAP_RUNTIME_CONFIG): cannot read it\n` });
    }
    const logged = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { level: string; msg: string }));
    expect(logged.map((l) => l.level)).toEqual(['error', 'error', 'error', 'error']);
    expect(logged[0]!.msg).toBe(`hwcap-runtime: state: node policy ${missing} (HWCAP_RUNTIME_CONFIG): cannot read it`);
    // Still running: nothing reached runc. $HWCAP_RUNTIME names the runtime without the file.
    expect((JSON.parse(runtime(root, ['state', b.id], { env: { HWCAP_RUNTIME_CONFIG: missing, HWCAP_RUNTIME: runc } }).stdout) as { status: string }).status).toBe('running');
    expect(runtime(root, ['kill', b.id, 'KILL']).status).toBe(0);
  });
});
