// hwcap exec as a user runs it: the command's auxv is masked (checked by
// ld.so's LD_SHOW_AUXV=1 and by hwcap-probe, which prints every view), its
// exit status and death by signal pass through, and failures to start it
// have env(1)'s exit statuses.
import { spawn as spawnChild } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureSet, catalog } from '../../lib';
import { probeAuxvAccess, probeInheritance, probePtrace, probePath } from '../../lib';
import { parseShowAuxv } from '../support/helpers';
import { cpuidFaulting, cpuidProbe, faultProbe, isX64 } from '../support/cpuid-fixture';
import { cliPath, hwcap, tempDir } from '../support/cli-harness';

const here = FeatureSet.current('process');
const arch = here.arch;
const inherits = probeInheritance().inherits === true;
const canMask = inherits || probePtrace().ok;
const whyNot = canMask ? '' : ` (skipped: neither ptrace nor kernel inheritance works here: ${(probePtrace() as { reason?: string }).reason ?? ''})`;
// PR_GET_AUXV (Linux 6.4) is probed here: without it the probe prints prGetAuxv: null.
const prGetAuxvWorks = probeAuxvAccess().prGetAuxv.ok;
const dir = tempDir('hwcap-exec-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The highest AT_HWCAP feature this machine has: the one the tests remove.
const hwcapRows = new Set(catalog(arch).filter((r) => r.word === 'AT_HWCAP').map((r) => r.name));
const victim = here.names().filter((n) => hwcapRows.has(n)).at(-1)!;
const hex = (v: bigint) => v.toString(16);

/** The AT_HWCAP* words the last process in an LD_SHOW_AUXV=1 output saw. */
function shownWords(stdout: string): { hwcap: bigint; hwcap2: bigint } {
  const last = stdout.slice(stdout.lastIndexOf('AT_SYSINFO_EHDR') >= 0 ? stdout.lastIndexOf('AT_SYSINFO_EHDR') : 0);
  const m = parseShowAuxv(last);
  const num = (s: string | undefined) => (s === undefined ? 0n : BigInt(s.startsWith('0x') ? s : `0x${s}`));
  return { hwcap: num(m.get('AT_HWCAP')), hwcap2: num(m.get('AT_HWCAP2')) };
}

describe.skipIf(!canMask)(`hwcap exec masks the command${whyNot}`, () => {
  it('--drop: ld.so in the command sees the word without the feature', () => {
    const r = hwcap(['exec', '--auxv-only', '--drop', victim, '--', 'env', 'LD_SHOW_AUXV=1', '/bin/true']);
    expect(r.status, r.stderr).toBe(0);
    const want = here.without([victim]).words;
    expect(shownWords(r.stdout)).toEqual({ hwcap: want.hwcap, hwcap2: want.hwcap2 });
  });

  it('--features: only those features, in every view of the command (hwcap-probe)', () => {
    const keep = here.names().filter((n) => hwcapRows.has(n)).slice(0, 3);
    const r = hwcap(['exec', '--auxv-only', '--features', keep.join(','), probePath()]);
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as { process: Record<string, string>; prGetAuxv: Record<string, string> | null; procAuxv: Record<string, string> | null };
    const want = `0x${hex(FeatureSet.fromNames(arch, keep).words.hwcap)}`;
    expect(seen.process.hwcap).toBe(want);
    expect(seen.prGetAuxv?.hwcap).toBe(prGetAuxvWorks ? want : undefined);
    expect(seen.procAuxv?.hwcap).toBe(want);
  });

  it('--baseline FILE, and --drop on top of it', () => {
    const base = here.without([victim]);
    fs.writeFileSync(path.join(dir, 'base.json'), JSON.stringify(base.toJSON()));
    const r = hwcap(['exec', '--auxv-only', '--baseline', path.join(dir, 'base.json'), 'env', 'LD_SHOW_AUXV=1', '/bin/true']);
    expect(r.status, r.stderr).toBe(0);
    expect(shownWords(r.stdout).hwcap).toBe(base.words.hwcap);
    const second = here.names().filter((n) => hwcapRows.has(n) && n !== victim).at(-1)!;
    const r2 = hwcap(['exec', '--auxv-only', '--baseline', path.join(dir, 'base.json'), '--drop', second, 'env', 'LD_SHOW_AUXV=1', '/bin/true']);
    expect(shownWords(r2.stdout).hwcap).toBe(base.without([second]).words.hwcap);
  });

  it('follows the process tree by default; --no-follow masks only the first exec', () => {
    const cmd = ['sh', '-c', 'LD_SHOW_AUXV=1 /bin/true'];
    const masked = here.without([victim]).words.hwcap;
    expect(shownWords(hwcap(['exec', '--auxv-only', '--drop', victim, ...cmd]).stdout).hwcap).toBe(masked);
    const first = hwcap(['exec', '--auxv-only', '--no-follow', '--drop', victim, ...cmd]);
    expect(first.status).toBe(0);
    // Where the kernel inherits, the grandchild is masked all the same.
    expect(shownWords(first.stdout).hwcap).toBe(inherits ? masked : here.words.hwcap);
  });

  it("passes the command's exit status through, and 128+N for death by signal N", () => {
    expect(hwcap(['exec', '--auxv-only', '--drop', victim, 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(hwcap(['exec', '--auxv-only', '--drop', victim, 'sh', '-c', 'kill -KILL $$']).status).toBe(128 + 9);
    expect(hwcap(['exec', '--auxv-only', '--drop', victim, '/bin/true']).status).toBe(0);
  });

  it('options after CMD belong to CMD, with or without --', () => {
    expect(hwcap(['exec', '--auxv-only', '--drop', victim, 'echo', '--json', '-v', '--drop']).stdout).toBe('--json -v --drop\n');
    expect(hwcap(['exec', '--auxv-only', '--drop', victim, '--', 'echo', '--', '-h']).stdout).toBe('-- -h\n');
  });

  it('SIGTERM sent to hwcap is passed on to the command', async () => {
    const child = spawnChild(process.execPath, [cliPath, 'exec', '--auxv-only', '--drop', victim, 'sh', '-c', 'echo ready; exec sleep 60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    // hwcap itself exits 128+15: it passed the signal on and reported how the command ended.
    expect({ code, signal }, stderr).toEqual({ code: 128 + 15, signal: null });
  });

  it('-v says what is kept, what is removed and which mode runs', () => {
    const r = hwcap(['exec', '--auxv-only', '-v', '--drop', victim, '/bin/true']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`hwcap exec: keeping ${here.size - 1} of ${here.size} features`);
    expect(r.stderr).toContain(`dropping ${victim}\n`);
    expect(r.stderr).toMatch(/^hwcap exec: mode auto → (kernel|ptrace), following the whole process tree$/m);
  });

  it('--json: one line of JSON on stderr says what is kept and dropped; stdout is the command\'s', () => {
    const r = hwcap(['exec', '--auxv-only', '--json', '--drop', victim, 'echo', 'hello']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as Record<string, unknown>;
    const kept = here.without([victim]);
    expect(j).toEqual({
      arch,
      mode: 'auto',
      resolvedMode: inherits ? 'kernel' : 'ptrace',
      follow: true,
      keep: kept.names(),
      dropped: [victim],
      absent: [],
      words: kept.toJSON().words,
      cpuid: [],
      auxvOnly: true,
      // x86-64: AT_HWCAP is CPUID.1:EDX, and --auxv-only leaves CPUID as it is.
      unmasked: arch === 'x86_64' ? [victim] : [],
      runtimeEnv: {},
      nodeFlags: [],
      // The plan's launcher flags, what hwcap exec passes before `--`.
      launcher: ['--mode', inherits ? 'kernel' : 'ptrace', ...Object.entries(kept.toJSON().words).flatMap(([k, v]) => [`--${k.replace('AT_', '').toLowerCase()}`, v])],
    });
    // A keep set naming what this node lacks: said in the JSON, not as a text note.
    const missing = catalog(arch).map((f) => f.name).find((n) => !here.has(n));
    if (missing) {
      const k = hwcap(['exec', '--auxv-only', '--json', '--no-follow', '--mode', 'ptrace', '--allow-security-masking', '--features', `${victim},${missing}`, '/bin/true']);
      expect(k.status, k.stderr).toBe(0);
      expect(JSON.parse(k.stderr)).toMatchObject({ mode: 'ptrace', resolvedMode: 'ptrace', follow: false, keep: [victim], absent: [missing] });
    }
  });

  it('a command that is not found: 127; not executable: 126', () => {
    const nf = hwcap(['exec', '--auxv-only', '--drop', victim, 'no-such-command-hwcap']);
    expect(nf.status).toBe(127);
    expect(nf.stderr).toMatch(/^hwcap exec: no-such-command-hwcap: command not found\nhint: /m);
    const file = path.join(dir, 'not-executable');
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
    const ne = hwcap(['exec', '--auxv-only', '--drop', victim, file]);
    expect(ne.status).toBe(126);
    expect(ne.stderr).toMatch(/cannot execute: EACCES/);
  });

  it.skipIf(inherits)(`--mode kernel where the kernel does not inherit: 125, and the command never runs${inherits ? ' (skipped: this kernel inherits)' : ''}`, () => {
    const marker = path.join(dir, 'ran');
    const r = hwcap(['exec', '--auxv-only', '--mode', 'kernel', '--drop', victim, 'sh', '-c', `touch ${marker}`]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^hwcap exec: cannot run sh masked: \w+ failed at launcher step kernel-verify \(\w+\)\nhint: .*--mode ptrace/m);
    expect(fs.existsSync(marker)).toBe(false);
  });

  // The security features the launcher masks with --auxv-only: those with a place in the auxv
  // (on x86-64, pku, ospke, user_shstk and ibt are CPUID bits: see the CPUID tests below).
  const maskable = here.securityNames().filter((n) => catalog(arch).some((r) => r.name === n && (r.word.startsWith('AT_') || r.also?.word.startsWith('AT_'))));
  it.skipIf(maskable.length === 0)(`removing a security feature needs --allow-security-masking${maskable.length === 0 ? ' (skipped: this machine has none in the auxv)' : ''}`, () => {
    const sec = maskable[0];
    const r = hwcap(['exec', '--auxv-only', '--drop', sec, '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hwcap exec: masking would drop security features? .*, which protects? the command\nhint: pass --allow-security-masking/);
    expect(hwcap(['exec', '--auxv-only', '--allow-security-masking', '--drop', sec, '/bin/true']).status).toBe(0);
  });
});

describe('hwcap exec usage errors: exit 2, the command never runs', () => {
  const marker = path.join(dir, 'never');
  const cmd = ['sh', '-c', `touch ${marker}`];
  const other = arch === 'x86_64' ? 'aarch64' : 'x86_64';
  fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify(FeatureSet.fromNames(other, [catalog(other)[0].name]).toJSON()));
  const cases: [string, string[], RegExp][] = [
    ['no CMD', ['exec', '--drop', victim], /^hwcap exec: missing CMD\n/],
    ['no mask', ['exec', ...cmd], /^hwcap exec: nothing to mask: give --baseline FILE, --features LIST or --drop LIST\n/],
    ['--baseline and --features', ['exec', '--baseline', 'x.json', '--features', victim, ...cmd], /^hwcap exec: give --baseline or --features, not both\n/],
    ['-v and --json', ['exec', '-v', '--json', '--drop', victim, ...cmd], /^hwcap exec: give -v or --json, not both\nhint: see 'hwcap exec --help'\n$/],
    ['a bad --mode', ['exec', '--mode', 'magic', '--drop', victim, ...cmd], /^hwcap exec: --mode must be auto, kernel or ptrace, not 'magic'\n/],
    ['an unknown feature in --drop', ['exec', '--drop', `${victim}x`, ...cmd], new RegExp(`^hwcap exec: --drop: unknown feature '${victim}x' on ${arch}; did you mean '${victim}'`)],
    ['an unknown option', ['exec', '--dorp', victim, ...cmd], /^hwcap exec: unknown option '--dorp'; did you mean --drop\?\n/],
    ['a missing baseline file', ['exec', '--baseline', path.join(dir, 'nope.json'), ...cmd], /^hwcap exec: cannot read baseline '.*nope\.json': ENOENT/],
    ['a baseline of another architecture', ['exec', '--baseline', path.join(dir, 'other.json'), ...cmd], new RegExp(`^hwcap exec: baseline .*other\\.json is for ${other}; this machine is ${arch}\\n`)],
  ];
  for (const [what, args, stderr] of cases) {
    it(what, () => {
      const r = hwcap(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(stderr);
      expect(r.stderr).toMatch(/\nhint: /);
      expect(fs.existsSync(marker)).toBe(false);
    });
  }
});

// Without --auxv-only, a keep set that removes a CPUID feature masks CPUID (x86-64): through CPUID
// faulting, or exit 125 before the command runs where there is none.
const cpuidVictim = isX64 ? (['avx2', 'sse4_2', 'ssse3'].find((n) => here.has(n)) ?? victim) : victim;
describe.skipIf(!isX64 || !probePtrace().ok)(`hwcap exec masks CPUID too (x86-64)${isX64 ? '' : ' (skipped: x86-64 only)'}`, () => {
  it('-v and --json name the CPUID rules and the mode, before the command runs', () => {
    const v = hwcap(['exec', '-v', '--drop', cpuidVictim, '/bin/true']);
    expect(v.stderr).toMatch(/^hwcap exec: CPUID masked \(ptrace helper, CPUID faulting\): (\S+=[0-9a-f]{8} ?)+$/m);
    expect(v.stderr).toMatch(/^hwcap exec: mode ptrace \(a CPUID mask needs it\), following the whole process tree$/m);
    const j = JSON.parse(hwcap(['exec', '--json', '--drop', cpuidVictim, '/bin/true']).stderr.split('\n')[0]!) as { cpuid: string[]; resolvedMode: string; auxvOnly: boolean };
    expect(j.cpuid.length).toBeGreaterThan(0);
    expect(j).toMatchObject({ resolvedMode: 'ptrace', auxvOnly: false });
    const a = hwcap(['exec', '-v', '--auxv-only', '--drop', cpuidVictim, '/bin/true']);
    expect(a.stderr).toMatch(/^hwcap exec: CPUID not masked: --auxv-only$/m);
    fs.writeFileSync(path.join(dir, 'here.json'), JSON.stringify(here.toJSON()));
    const none = hwcap(['exec', '-v', '--baseline', path.join(dir, 'here.json'), '/bin/true']);
    expect(none.stderr).toMatch(/^hwcap exec: CPUID not masked: the keep set removes no CPUID feature of this CPU$/m);
  });

  it.skipIf(cpuidFaulting)(`without CPUID faulting: 125 at launcher step cpuid-fault, the hint names --auxv-only, the command never runs`, () => {
    const marker = path.join(dir, 'ran-cpuid');
    const r = hwcap(['exec', '--drop', cpuidVictim, 'sh', '-c', `touch ${marker}`]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(new RegExp(`^hwcap exec: cannot run sh masked: arch_prctl\\(ARCH_SET_CPUID\\) failed at launcher step cpuid-fault \\(${faultProbe.code}\\)\nhint: .*pass --auxv-only`, 'm'));
    expect(fs.existsSync(marker)).toBe(false);
    expect(hwcap(['exec', '--auxv-only', '--drop', cpuidVictim, 'sh', '-c', `touch ${marker}`]).status).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
  });

  it.skipIf(!cpuidFaulting)(`with CPUID faulting: the command's CPUID lacks the dropped feature${cpuidFaulting ? '' : ' (skipped: no CPUID faulting here)'}`, () => {
    const row = catalog(arch).find((r) => r.name === cpuidVictim)!;
    const r = hwcap(['exec', '--drop', cpuidVictim, cpuidProbe]);
    expect(r.status, r.stderr).toBe(0);
    const m = /^CPUID\.([0-9A-F]+)(?:\.([0-9A-F]+))?:(E[ABCD]X)$/.exec(row.word)!;
    const leaf = `${parseInt(m[1]!, 16).toString(16)}${m[2] === undefined ? '' : `.${parseInt(m[2], 16)}`}`;
    const regs = (JSON.parse(r.stdout) as { main: Record<string, string[]> }).main[leaf]!;
    expect((parseInt(regs['ABCD'.indexOf(m[3]![1]!)]!, 16) >>> row.bit) & 1).toBe(0);
  });

  const cpuidSecurity = here.securityNames().filter((n) => catalog(arch).some((r) => r.name === n && r.word.startsWith('CPUID')));
  it.skipIf(cpuidSecurity.length === 0)(`a CPUID security feature needs --allow-security-masking; --auxv-only leaves it alone${cpuidSecurity.length ? '' : ' (skipped: this CPU has none)'}`, () => {
    const r = hwcap(['exec', '--drop', cpuidSecurity[0]!, '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/masking would drop security features? .*\nhint: pass --allow-security-masking/);
    const a = hwcap(['exec', '--auxv-only', '--drop', cpuidSecurity[0]!, '/bin/true']);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toMatch(new RegExp(`note: --auxv-only: the command still sees \\d+ features? in CPUID: .*\\b${cpuidSecurity[0]}\\b`));
  });
});
