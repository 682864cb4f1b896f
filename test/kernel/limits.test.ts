// The limits of HWCAP masking that this machine can show (issue 15 point 3; docs/kernel-guest.md):
// /proc/cpuinfo is written by the kernel from the host CPU, the same for every process, so a
// masked child that reads it sees every feature. This pins today's behaviour: if it ever
// changes (a kernel that masks cpuinfo per process), the docs must change with it.
// The kernel guest checks the same under the inheriting kernel (limit-cpuinfo-unmasked).
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FeatureSet, hostArch, hwcapWords, probePath, probePtrace, probeInheritance, spawnSync } from '../../lib';
import { AUXV_ONLY } from '../support/mask-fixture';

const flagsOf = (text: string): string[] => {
  // x86 names them in "flags", arm64 in "Features".
  const m = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(text);
  return m?.[1]?.trim().split(/\s+/) ?? [];
};

const hostFlags = flagsOf(fs.readFileSync('/proc/cpuinfo', 'utf8'));
const here = FeatureSet.current('process');
// A feature this process has that /proc/cpuinfo also names: masking it must not hide it there.
const victim = here.names().find((n) => hostFlags.includes(n));
const canMask = probeInheritance().inherits === true || probePtrace().ok;

describe('limits: /proc/cpuinfo is not masked', () => {
  it.skipIf(!canMask || !victim)(
    `a masked child still reads the host's features in /proc/cpuinfo${!canMask ? ' (skipped: neither kernel nor ptrace mode can mask here)' : !victim ? ' (skipped: no feature of this process is named in /proc/cpuinfo)' : ''}`,
    () => {
      // The auxv words only: a CPUID mask would need CPUID faulting, which this limit does not.
      const keep = { ...here.without([victim!]).words };
      const res = spawnSync('/bin/sh', ['-c', `${probePath()}; cat /proc/cpuinfo`], { hwcaps: keep, ...AUXV_ONLY, encoding: 'utf8', timeout: 20_000 });
      expect(res.error).toBeUndefined();
      expect(res.status, String(res.stderr)).toBe(0);
      const out = String(res.stdout);
      const nl = out.indexOf('\n');
      // The child was masked: the probe (an exec of the same tree) lacks the feature...
      const view = JSON.parse(out.slice(0, nl)) as { process: Record<string, string> };
      const masked = FeatureSet.fromWords(hostArch(), {
        hwcap: BigInt(view.process.hwcap ?? '0'),
        hwcap2: BigInt(view.process.hwcap2 ?? '0'),
        hwcap3: BigInt(view.process.hwcap3 ?? '0'),
        hwcap4: BigInt(view.process.hwcap4 ?? '0'),
      });
      expect(masked.has(victim!)).toBe(false);
      expect(hwcapWords('process')).toEqual(here.words);
      // ...and /proc/cpuinfo, read by the same tree, still names it, with the host's flags.
      const childFlags = flagsOf(out.slice(nl + 1));
      expect(childFlags).toContain(victim);
      expect(childFlags).toEqual(hostFlags);
    },
  );
});
