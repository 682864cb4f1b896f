// Nothing of the launcher shows in the program: a probe prints what a process can see of how
// it was started, once from a plain child_process spawn and once from a masked spawn, and the
// two must be equal except for the mask itself and, in follow mode, TracerPid (the helper
// traces the tree: the one documented difference, docs/launcher-protocol.md).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from '../../lib';
import { parseShowAuxv } from '../support/helpers';
import { AUXV_ONLY, canPtrace, keep, present, ptraceSkip } from '../support/mask-fixture';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-invisible-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const probeFile = path.join(tmp, 'probe.js');
fs.writeFileSync(
  probeFile,
  `'use strict';
const fs = require('fs');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (k) => (new RegExp('^' + k + ':\\\\s*(.*)$', 'm').exec(status) || [])[1];
const fds = {};
for (const fd of fs.readdirSync('/proc/self/fd')) {
  try { fds[fd] = fs.readlinkSync('/proc/self/fd/' + fd).replace(/\\[\\d+\\]/, '[]').replace(/^\\/proc\\/\\d+\\//, '/proc/N/'); } catch { fds[fd] = '?'; }
}
const auxv = fs.readFileSync('/proc/self/auxv');
let execfnAt = 0n;
for (let o = 0; o + 16 <= auxv.length; o += 16) if (auxv.readBigUInt64LE(o) === 31n) execfnAt = auxv.readBigUInt64LE(o + 8);
const mem = fs.openSync('/proc/self/mem', 'r');
const buf = Buffer.alloc(4096);
fs.readSync(mem, buf, 0, buf.length, execfnAt);
const out = {
  env: process.env, argv: fs.readFileSync('/proc/self/cmdline', 'latin1').split('\\0'), argv0: process.argv0,
  cwd: process.cwd(), fds, umask: process.umask(),
  sigBlk: field('SigBlk'), sigIgn: field('SigIgn'), sigCgt: field('SigCgt'), sigPnd: field('SigPnd'), shdPnd: field('ShdPnd'),
  noNewPrivs: field('NoNewPrivs'), seccomp: field('Seccomp'),
  limits: fs.readFileSync('/proc/self/limits', 'utf8'), personality: fs.readFileSync('/proc/self/personality', 'utf8'),
  exe: fs.readlinkSync('/proc/self/exe'), execfn: buf.subarray(0, buf.indexOf(0)).toString(),
  comm: fs.readFileSync('/proc/self/comm', 'utf8'), tracerPid: Number(field('TracerPid')),
  pgid: (() => { const st = fs.readFileSync('/proc/self/stat', 'utf8'); return st.slice(st.lastIndexOf(')') + 2).split(' ').slice(2, 4).map(Number); })(),
  ppid: process.ppid,
};
process.stdout.write('\\n@@' + JSON.stringify(out) + '\\n');
`,
);

interface Seen {
  env: Record<string, string>;
  argv: string[];
  argv0: string;
  cwd: string;
  fds: Record<string, string>;
  umask: number;
  sigBlk: string;
  sigIgn: string;
  sigCgt: string;
  limits: string;
  personality: string;
  exe: string;
  execfn: string;
  comm: string;
  tracerPid: number;
  noNewPrivs: string;
  seccomp: string;
  pgid: number[];
  ppid: number;
  /** The auxv that ld.so read from the stack (LD_SHOW_AUXV), pointers left out. */
  auxv: Record<string, string>;
}

// Entries that are addresses (ASLR) or the mask itself.
const POINTERS = new Set(['AT_PHDR', 'AT_BASE', 'AT_ENTRY', 'AT_RANDOM', 'AT_EXECFN', 'AT_PLATFORM', 'AT_SYSINFO_EHDR', 'AT_BASE_PLATFORM']);

function run(spawnFn: typeof cp.spawn, options: Record<string, unknown>): Promise<{ seen: Seen; pid: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnFn('node', [probeFile, 'a b', '', 'ü'], {
      cwd: tmp,
      argv0: 'probe-argv0',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LD_SHOW_AUXV: '1', ODD: 'x=y', EMPTY: '' },
      ...options,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const at = out.indexOf('\n@@');
      if (code !== 0 || at < 0) return reject(new Error(`probe exited ${code}: ${err}`));
      const seen = JSON.parse(out.slice(at + 3)) as Seen;
      const auxv: Record<string, string> = {};
      for (const [k, v] of parseShowAuxv(out.slice(0, at))) if (!POINTERS.has(k)) auxv[k] = v;
      seen.auxv = auxv;
      resolve({ seen, pid: child.pid!, stderr: err });
    });
  });
}

/** Both views with the documented differences taken out: the mask, TracerPid and (a followed tree) the seccomp filter. */
function comparable(s: Seen): Omit<Seen, 'tracerPid' | 'auxv' | 'ppid' | 'seccomp'> & { auxv: Record<string, string> } {
  const { tracerPid: _t, ppid: _p, seccomp: _s, auxv, ...rest } = s;
  const a = { ...auxv };
  delete a.AT_HWCAP;
  delete a.AT_HWCAP2;
  return { ...rest, auxv: a };
}

const word = (v: string | undefined): bigint => BigInt(v!.startsWith('0x') ? v! : `0x${v}`);

describe.skipIf(!canPtrace)(`a masked spawn looks like a plain one to the program${ptraceSkip}`, () => {
  for (const follow of [true, false]) {
    it(`follow ${follow}: env, argv, argv0, cwd, fds, umask, signals, rlimits, personality, exe, AT_EXECFN, comm; auxv differs only by the mask`, async () => {
      const old = process.umask(0o027);
      try {
        const plain = await run(cp.spawn, {});
        const masked = await run(spawn as typeof cp.spawn, { hwcaps: keep, ...AUXV_ONLY, mode: 'ptrace', follow });
        expect(comparable(masked.seen)).toEqual(comparable(plain.seen));
        // The launcher's own fds (status pipe, handshake pipes) are gone; the user's fd 3 is there.
        expect(Object.keys(masked.seen.fds)).toContain('3');
        expect(masked.seen.umask).toBe(0o027);
        expect(masked.seen.argv.slice(0, 4)).toEqual(['probe-argv0', probeFile, 'a b', '']);
        expect(masked.seen.comm.trim()).toBe(path.basename(masked.seen.exe).slice(0, 15));
        // The parent is the spawning process, as with child_process: the launcher became the program.
        expect(masked.seen.ppid).toBe(process.pid);
        expect(plain.seen.ppid).toBe(process.pid);
        // The mask, and nothing else.
        expect(word(masked.seen.auxv.AT_HWCAP)).toBe(word(plain.seen.auxv.AT_HWCAP) & (keep.hwcap ?? ~0n));
        if (present.hwcap2 !== 0n) expect(word(masked.seen.auxv.AT_HWCAP2)).toBe(word(plain.seen.auxv.AT_HWCAP2) & (keep.hwcap2 ?? ~0n));
        expect(masked.stderr).toBe(plain.stderr);
        // TracerPid: the documented difference, only while the tree is followed.
        expect(plain.seen.tracerPid).toBe(0);
        if (follow) {
          expect(masked.seen.tracerPid).toBeGreaterThan(0);
        } else {
          expect(masked.seen.tracerPid).toBe(0);
        }
        // The seccomp filter that keeps a followed tree traced (docs/cpuid.md): mode 2, only when followed.
        expect(plain.seen.seccomp).toBe('0');
        expect(masked.seen.seccomp).toBe(follow ? '2' : '0');
      } finally {
        process.umask(old);
      }
    });
  }
});
