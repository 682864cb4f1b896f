// /proc/cpuinfo as a masked container sees it: the host's text with the feature line filtered
// to the kept set (x86-64 `flags`, arm64 `Features`), and nothing else changed. A flag no
// feature table row names (constant_tsc, cpuid_fault …: the kernel's own) stays: the mask
// removes CPU features, and only those it knows.
import { catalog } from '../core/features';

/** The line that lists features, per arch (arch/x86/kernel/cpu/proc.c, arch/arm64/kernel/cpuinfo.c). */
const FEATURE_LINE: Record<string, RegExp> = {
  x86_64: /^(flags\s*:)(.*)$/,
  aarch64: /^(Features\s*:)(.*)$/,
};

/** The host's cpuinfo text with every known feature the container does not keep removed from its feature lines. */
export function filterCpuinfo(text: string, arch: string, keep: Iterable<string>): string {
  const re = FEATURE_LINE[arch];
  if (!re) return text;
  const known = new Set(catalog(arch).map((r) => r.name));
  const kept = new Set(keep);
  return text
    .split('\n')
    .map((line) => {
      const m = re.exec(line);
      if (!m) return line;
      const flags = m[2]!.trim().split(/\s+/).filter((f) => f !== '' && (!known.has(f) || kept.has(f)));
      return `${m[1]}${flags.length ? ` ${flags.join(' ')}` : ''}`;
    })
    .join('\n');
}
