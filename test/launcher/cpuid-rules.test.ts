// hwcap-exec --cpuid, the rules' side conditions on this machine: the security features that live
// in CPUID are refused without --allow-security-masking (before any faulting probe), AT_HWCAP and
// CPUID.1:EDX are one word under two names (a mask of either reaches both), every exec of a
// followed tree is armed again, and a trapped instruction that is not CPUID is the program's own
// SIGSEGV. The trap path runs through the test build's simulated traps
// (HWCAP_EXEC_FAULT=cpuid-simulate, see cpuid.test.ts).
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canPtrace, hex } from '../support/mask-fixture';
import { ldShowAuxv, which } from '../support/helpers';
import { cpuidArgs, cpuidProbe, expectMaskedLeaves, host, isX64, reg, run, type ProbeView } from '../support/cpuid-fixture';
import security from '../../lib/core/tables/security.json';

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const simulate: NodeJS.ProcessEnv = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-simulate' };
const lastJson = <T>(s: string): T => JSON.parse(s.trim().split('\n').pop()!) as T;
const REGS = ['EAX', 'EBX', 'ECX', 'EDX'];

/** The CPUID rows of the security table (CPUID.7.0:ECX pku …), as --cpuid rules that clear them. */
const cpuidSecurity = (isX64 && host ? security.x86_64 : []).flatMap((row) => {
  const m = /^CPUID\.([0-9A-F]+)\.([0-9A-F]+):(E[ABCD]X)$/.exec(row.word);
  if (!m) return [];
  const leaf = `${parseInt(m[1]!, 16).toString(16)}.${parseInt(m[2]!, 16).toString(16)}`;
  const r = REGS.indexOf(m[3]!);
  const regs = host!.main[leaf];
  const present = regs !== undefined && ((reg(regs, r) >>> row.bit) & 1) === 1;
  return [{ name: row.name, leaf, r, bit: row.bit, present, rule: `${leaf}:${m[3]!.toLowerCase()}=${hex8(~(1 << row.bit))}` }];
});
/** Those this CPU has. */
const presentSecurity = cpuidSecurity.filter((s) => s.present);
const securitySkip = !isX64 ? ' (skipped: x86-64 only)' : presentSecurity.length === 0 ? ' (skipped: this CPU has none of pku, ospke, user_shstk, ibt)' : '';

describe.skipIf(securitySkip !== '')(`a --cpuid rule that clears a security feature of this CPU${securitySkip}`, () => {
  it.each(presentSecurity)('$name: refused without --allow-security-masking (exit 125, stage security), before the faulting probe, nothing run', ({ name, rule }) => {
    const marker = path.join(os.tmpdir(), `hwcap-cpuid-security-${process.pid}`);
    fs.rmSync(marker, { force: true });
    // The shipped build, where this machine has no faulting: a refusal after the probe would say cpuid-fault.
    for (const env of [process.env, simulate]) {
      const r = run(['--cpuid', rule, '--', 'sh', '-c', `touch ${marker}`], env);
      expect(r.status).toBe(125);
      expect(r.records).toEqual([expect.objectContaining({ stage: 'security', code: 'EPERM' })]);
      expect(String(r.records[0]!.message)).toContain(`'${name}'`);
      expect(String(r.records[0]!.message)).toContain('--allow-security-masking');
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it.skipIf(!canPtrace).each(presentSecurity)('$name: with --allow-security-masking it is masked (simulated traps)', ({ leaf, r: i, bit, rule }) => {
    const r = run(['--allow-security-masking', '--cpuid', rule, '--', cpuidProbe, '--simulate'], simulate);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<ProbeView>(r.stdout);
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where][leaf]!, i)).toBe((reg(host!.main[leaf]!, i) & ~(1 << bit)) >>> 0);
  });
});

// The same refusal on any CPU: the test build's fault cpuid-security-present makes the launcher's
// security check (cpuid/setup.c, security_keep_cpuid) read every CPUID security bit as set, so the
// real refusal code runs where this CPU has none of them (and for the features it lacks).
const present: NodeJS.ProcessEnv = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-security-present' };
const presentSimulated: NodeJS.ProcessEnv = { ...process.env, HWCAP_EXEC_FAULT: 'cpuid-security-present,cpuid-simulate' };
const synthSkip = !isX64 ? ' (skipped: x86-64 only)' : '';

describe.skipIf(synthSkip !== '')(`a --cpuid rule that clears a CPUID security feature, on any CPU (test build: every security bit read as present)${synthSkip}`, () => {
  it('the table has the four CPUID security features', () => {
    expect(cpuidSecurity.map((s) => s.name).sort()).toEqual(['ibt', 'ospke', 'pku', 'user_shstk']);
  });

  it.each(cpuidSecurity)('$name (synthetic): refused without --allow-security-masking (exit 125, stage security), before the faulting probe, nothing run', ({ name, rule }) => {
    const marker = path.join(os.tmpdir(), `hwcap-cpuid-security-synth-${process.pid}`);
    fs.rmSync(marker, { force: true });
    for (const env of [present, presentSimulated]) {
      const r = run(['--cpuid', rule, '--', 'sh', '-c', `touch ${marker}`], env);
      expect(r.status).toBe(125);
      expect(r.records).toEqual([expect.objectContaining({ stage: 'security', code: 'EPERM' })]);
      expect(String(r.records[0]!.message)).toContain(`'${name}'`);
      expect(String(r.records[0]!.message)).toContain('--allow-security-masking');
      expect(fs.existsSync(marker)).toBe(false);
    }
  });

  it.skipIf(!canPtrace)('(synthetic) rules that clear no security feature run: the refusal is the rule\'s, not the fault\'s (simulated traps)', () => {
    const r = run([...cpuidArgs, '--', cpuidProbe, '--simulate'], presentSimulated);
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!canPtrace).each(cpuidSecurity)('$name (synthetic): with --allow-security-masking it is masked (simulated traps)', ({ leaf, r: i, bit, rule }) => {
    const r = run(['--allow-security-masking', '--cpuid', rule, '--', cpuidProbe, '--simulate'], presentSimulated);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<ProbeView>(r.stdout);
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where][leaf]!, i)).toBe((reg(host!.main[leaf]!, i) & ~(1 << bit)) >>> 0);
  });
});

const x64Skip = !isX64 ? ' (skipped: x86-64 only)' : !canPtrace ? ' (skipped: no ptrace)' : '';

describe.skipIf(x64Skip !== '')(`AT_HWCAP and CPUID.1:EDX are one word${x64Skip}`, () => {
  const edx = () => reg(host!.main['1'], 3);
  const low = (v: number) => (v & -v) >>> 0;

  it('--hwcap without a bit, with CPUID rules for other leaves: CPUID.1:EDX lacks it in every thread and fork', () => {
    const drop = low(edx());
    const r = run(['--hwcap', hex(BigInt((edx() & ~drop) >>> 0)), ...cpuidArgs, '--', cpuidProbe, '--simulate'], simulate);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<ProbeView>(r.stdout);
    for (const where of ['main', 'thread', 'child'] as const) expect(reg(v[where]['1'], 3)).toBe((edx() & ~drop) >>> 0);
    expect(String(r.records.find((x) => x.stage === 'masked')?.cpuid)).toContain(`1:edx&=${hex8(edx() & ~drop)}`);
  });

  it('--cpuid 1:edx without a bit: the program\'s AT_HWCAP lacks it too', () => {
    const drop = low(edx());
    const r = run(['--cpuid', `1:edx=${hex8(~drop)}`, '--', cpuidProbe, '--simulate'], { ...simulate, LD_SHOW_AUXV: '1' });
    expect(r.status, r.stderr).toBe(0);
    const shown = ldShowAuxv(r.stdout);
    expect(shown.hwcap).toBeDefined();
    expect(shown.hwcap! & BigInt(drop)).toBe(0n);
    expect(reg(lastJson<ProbeView>(r.stdout).main['1'], 3)).toBe((edx() & ~drop) >>> 0);
  });
});

describe.skipIf(x64Skip !== '')(`a followed tree under a CPUID mask${x64Skip}`, () => {
  it('a shell tree (simulated traps): every exec is armed again, every image masked', () => {
    const r = run([...cpuidArgs, '--', 'sh', '-c', `${cpuidProbe} --simulate; sh -c '${cpuidProbe} --simulate'`], simulate);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const v = JSON.parse(line) as ProbeView;
      for (const where of ['main', 'thread', 'child'] as const) expectMaskedLeaves(v[where], expect);
    }
  });

  it('--no-follow (simulated traps): the escapes are refused all the same (the filter is installed for a CPUID mask)', () => {
    const r = run(['--no-follow', ...cpuidArgs, '--', cpuidProbe, '--simulate', '--escape'], simulate);
    expect(r.status, r.stderr).toBe(0);
    const v = lastJson<Record<string, number | string>>(r.stdout);
    expect(v).toMatchObject({ setCpuid: -1, setCpuidErrno: 1, clone: -1, cloneErrno: 1, clone3: -1, clone3Errno: 38 });
  });
});

const python = which('python3');
const pySkip = x64Skip || (python ? '' : ' (skipped: python3 is not installed)');

describe.skipIf(pySkip !== '')(`a trapped instruction that is not CPUID${pySkip}`, () => {
  // wrmsr (0f 30) at CPL 3: a #GP, the same forced SIGSEGV (SI_KERNEL) as a faulting CPUID, two
  // bytes long like it, between a push and a pop of rbx (the registers a CPUID answer writes).
  const code =
    'import ctypes, mmap, sys\n' +
    'm = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n' +
    "m.write(b'\\x53\\x0f\\x30\\x5b\\xc3')\n" +
    'ctypes.CFUNCTYPE(None)(ctypes.addressof(ctypes.c_char.from_buffer(m)))()\n' +
    "print('returned')\n";

  // Without a preloaded sanitizer (test:asan): its own SIGSEGV handler would turn the death into an abort.
  const plainEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const e = { ...env };
    delete e.LD_PRELOAD;
    return e;
  };

  it('plain: wrmsr kills python3 with SIGSEGV (the fixture works)', () => {
    const r = run(['--', python!, '-c', code], plainEnv(process.env));
    expect(r.signal).toBe('SIGSEGV');
    expect(r.stdout).toBe('');
  });

  it('under a CPUID mask (simulated traps): the SIGSEGV is the program\'s, not answered as a CPUID', () => {
    const r = run([...cpuidArgs, '--', python!, '-c', code], plainEnv(simulate));
    expect(r.stdout).toBe('');
    expect(r.signal).toBe('SIGSEGV');
  });
});
