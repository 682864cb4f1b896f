// The launcher runs no dynamic loader and no libc startup that reads the environment
// (scripts/build-launcher.sh: static, musl): nothing the user passes in the environment acts
// on it, and the program gets exactly that environment. Each case is checked on what the
// program and the dynamic loader really print, next to a plain child_process spawn.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonDir } from '../../lib/host/native';
import { spawnSync } from '../../lib';
import { ldShowAuxv, parseShowAuxv, which } from '../support/helpers';
import { AUXV_ONLY, canPtrace, keep, present, ptraceSkip } from '../support/mask-fixture';

const launchers = ['hwcap-exec', 'hwcap-exec-test'].map((n) => path.join(addonDir, n)).filter((f) => fs.existsSync(f));
const sanitized = process.env.HWCAP_SANITIZE !== undefined && process.env.HWCAP_SANITIZE !== '';
const cc = which('cc') ?? which('gcc');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-static-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const opts = { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace' as const };

/** The ELF program headers' types (PT_INTERP = 3 is a dynamic loader). */
function programHeaderTypes(file: string): number[] {
  const b = fs.readFileSync(file);
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  return Array.from({ length: phnum }, (_, i) => b.readUInt32LE(phoff + i * phentsize));
}

describe.skipIf(sanitized)('the launcher is static: the environment does not act on it (skipped in the sanitizer build, which is dynamic)', () => {
  it('hwcap-exec and hwcap-exec-test have no PT_INTERP', () => {
    expect(launchers.length).toBeGreaterThan(0);
    for (const f of launchers) expect(programHeaderTypes(f), f).not.toContain(3);
  });

  // Without musl-gcc the build links glibc's static libc (with a warning), whose startup reads
  // GLIBC_TUNABLES: probed by the compiler the build would have found, not by the binary.
  it.skipIf(!which('musl-gcc'))(`hwcap-exec and hwcap-exec-test carry no libc code that reads GLIBC_TUNABLES or MALLOC_*${which('musl-gcc') ? '' : ' (skipped: musl-gcc is not installed, so the launcher is linked with glibc; scripts/install-musl.sh)'}`, () => {
    expect(launchers.length).toBeGreaterThan(0);
    for (const f of launchers) {
      const text = fs.readFileSync(f).toString('latin1');
      // glibc's static startup (tunables, malloc) carries these names; musl's reads no variable.
      expect(text, f).not.toContain('GLIBC_TUNABLES');
      expect(text, f).not.toContain('MALLOC_');
      expect(text, f).not.toContain('LD_LIBRARY_PATH');
    }
  });

  it.skipIf(!canPtrace)(`LD_SHOW_AUXV=1 prints one auxv dump, the program's, masked${ptraceSkip}`, () => {
    const r = spawnSync('/bin/true', [], { ...opts, env: { ...process.env, LD_SHOW_AUXV: '1' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = r.stdout as string;
    expect(out.split('\n').filter((l) => l.startsWith('AT_HWCAP:'))).toHaveLength(1);
    expect(out.split('\n').filter((l) => l.startsWith('AT_EXECFN:'))).toHaveLength(1);
    expect(parseShowAuxv(out).get('AT_EXECFN')).toBe('/bin/true');
    const shown = ldShowAuxv(out);
    expect(shown.hwcap).toBe(present.hwcap & (keep.hwcap ?? ~0n));
    if (present.hwcap2 !== 0n) expect(shown.hwcap2).toBe(present.hwcap2 & (keep.hwcap2 ?? ~0n));
  });

  it.skipIf(!canPtrace || !cc)(`an LD_PRELOAD constructor runs once, in the program${ptraceSkip}${cc ? '' : ' (skipped: no C compiler)'}`, () => {
    const src = path.join(tmp, 'ctor.c');
    const so = path.join(tmp, 'ctor.so');
    const log = path.join(tmp, 'ctor.log');
    fs.writeFileSync(
      src,
      '#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n' +
        '__attribute__((constructor)) static void ctor(void) {\n' +
        '  char exe[512] = {0}; if (readlink("/proc/self/exe", exe, sizeof exe - 1) < 0) exe[0] = 0;\n' +
        '  FILE *f = fopen(getenv("CTOR_LOG"), "a"); if (f) { fprintf(f, "%d %s\\n", (int)getpid(), exe); fclose(f); }\n}\n',
    );
    const built = cp.spawnSync(cc!, ['-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const r = spawnSync('/bin/true', [], { ...opts, env: { ...process.env, LD_PRELOAD: so, CTOR_LOG: log } });
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toEqual([`${r.pid} ${fs.realpathSync('/bin/true')}`]);
  });

  it.skipIf(!canPtrace)(`LD_DEBUG traces only the program${ptraceSkip}`, () => {
    const r = spawnSync('/bin/true', [], { ...opts, env: { ...process.env, LD_DEBUG: 'libs' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const pids = new Set([...(r.stderr as string).matchAll(/^\s*(\d+):/gm)].map((m) => Number(m[1])));
    expect(pids).toEqual(new Set([r.pid]));
    expect(r.stderr).not.toContain('hwcap-exec');
  });

  it.skipIf(!canPtrace)(`GLIBC_TUNABLES, MALLOC_*, LD_* and HWCAP_* reach the program exactly as given${ptraceSkip}`, () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GLIBC_TUNABLES: 'glibc.malloc.check=3:glibc.malloc.perturb=85',
      MALLOC_CHECK_: '3',
      MALLOC_PERTURB_: '85',
      MALLOC_ARENA_MAX: '1',
      LD_LIBRARY_PATH: '/nonexistent',
      LD_BIND_NOW: '1',
      HWCAP_EXEC_FAULT: 'helper-before-seize',
      EMPTY: '',
    };
    const parse = (out: Buffer): string[] => out.toString('latin1').split('\0').filter((e) => e !== '');
    const plain = cp.spawnSync('/usr/bin/env', ['-0'], { env });
    const masked = spawnSync('/usr/bin/env', ['-0'], { ...opts, env });
    expect(masked.status).toBe(0);
    expect(parse(masked.stdout as Buffer)).toEqual(parse(plain.stdout));
    expect(parse(plain.stdout).sort()).toEqual(Object.entries(env).map(([k, v]) => `${k}=${v}`).sort());
  });
});
