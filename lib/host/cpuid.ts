// cpuid() and xgetbv() for the package: the addon's two instructions, checked in TypeScript first
// (the addon checks again).
import { checkU32 } from '../core/cpuid';
import { invalidArgType, outOfRange } from '../errors';
import { native } from './native';

export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

function unsupported(what: string): Error {
  const e = new Error(`${what}() exists only on x86-64; this is ${native.arch}`) as Error & { code: string };
  e.code = 'ERR_HWCAP_UNSUPPORTED_ARCH';
  return e;
}

/** CPUID(leaf, subleaf) on the calling thread: four uint32 numbers. Off x86-64: ERR_HWCAP_UNSUPPORTED_ARCH. */
export function cpuid(leaf: number, subleaf = 0): CpuidResult {
  checkU32(leaf, 'leaf');
  checkU32(subleaf, 'subleaf');
  if (native.arch !== 'x86_64') throw unsupported('cpuid');
  return native.cpuid(leaf, subleaf);
}

/** XGETBV(index): XCR0 (index 0) or XINUSE (1), as a bigint; undefined where the OS has not enabled XSAVE. */
export function xgetbv(index = 0): bigint | undefined {
  if (typeof index !== 'number') throw invalidArgType('index', 'of type number', index);
  if (index !== 0 && index !== 1) throw outOfRange('index', '0 (XCR0) or 1 (XINUSE)', index);
  if (native.arch !== 'x86_64') throw unsupported('xgetbv');
  return native.xgetbv(index);
}
