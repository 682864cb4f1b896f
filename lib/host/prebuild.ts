// Where the addon is: the source build of this package (build/Release, build/Debug) when there
// is one, else the prebuilt binary the package ships for this platform, arch and C library,
// prebuilds/<platform>-<arch>/hwcap.napi.<libc>.node, with the static launcher and hwcap-probe
// beside it (one per arch: static, they serve either C library). The source build comes first,
// so that in a checkout `npm test` loads what `npm install` or `npm run pretest` just compiled,
// and a user's `--build-from-source` install loads what it built.
//
// The C library is told from this process's ELF program interpreter (PT_INTERP of
// /proc/self/exe: ld-linux-*.so is glibc's, ld-musl-*.so musl's), one read of the executable's
// first page, and looked up only when no source build exists. Where the interpreter names
// neither (a static node, a node started through ld.so), process.report's glibcVersionRuntime
// decides glibc; otherwise no prebuilt binary is taken. A file such as /etc/alpine-release says
// what a distribution is, not which C library this node was linked with (gcompat, glibc on Alpine).
// Used by lib/host/native.ts at load time and by scripts/install.js (from dist/) at install.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Libc = 'glibc' | 'musl';

/** The package's root: lib/host or dist/host, two levels up. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

const PT_INTERP = 3;

/** The program interpreter an ELF executable names (PT_INTERP), or undefined (static, not ELF, unreadable). */
export function elfInterpreter(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    if (n < 64 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
    const u32 = (o: number) => (le ? head.readUInt32LE(o) : head.readUInt32BE(o));
    const word = (o: number) => (is64 ? Number(le ? head.readBigUInt64LE(o) : head.readBigUInt64BE(o)) : u32(o));
    const phoff = word(is64 ? 32 : 28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      if (ph + phentsize > n) return undefined;
      if (u32(ph) !== PT_INTERP) continue;
      const offset = word(ph + (is64 ? 8 : 4));
      const size = word(ph + (is64 ? 32 : 16));
      if (size < 2 || size > 4096) return undefined;
      const buf = Buffer.alloc(size);
      if (fs.readSync(fd, buf, 0, size, offset) !== size) return undefined;
      return buf.toString('latin1', 0, buf.indexOf(0) < 0 ? size : buf.indexOf(0));
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** glibc's dynamic loaders are ld-linux*.so / ld64.so / ld.so, musl's ld-musl-<arch>.so.1. */
export function libcOfInterpreter(interp: string): Libc | undefined {
  const base = path.basename(interp);
  if (/^ld-musl-/.test(base)) return 'musl';
  if (/^(ld-linux|ld64\.so|ld\.so)/.test(base)) return 'glibc';
  return undefined;
}

/** The C library of the running node (of `exe`), or undefined when it cannot be told. */
export function detectLibc(exe = '/proc/self/exe'): Libc | undefined {
  const interp = elfInterpreter(exe);
  const byInterp = interp === undefined ? undefined : libcOfInterpreter(interp);
  if (byInterp) return byInterp;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: unknown } } | undefined)?.header;
    if (typeof header?.glibcVersionRuntime === 'string' && header.glibcVersionRuntime) return 'glibc';
  } catch {
    // no report: unknown
  }
  return undefined;
}

/** The directory of the prebuilt binaries for a platform and arch. */
export function prebuildDir(root: string = PACKAGE_ROOT, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(root, 'prebuilds', `${platform}-${arch}`);
}

/** The prebuilt addon's file name for a C library. */
export function prebuildAddonName(libc: Libc): string {
  return `hwcap.napi.${libc}.node`;
}

export interface AddonLookup {
  /** The addon to load, if one was found. */
  file?: string;
  /** Whether it is a prebuilt binary (else the package's own source build). */
  prebuilt: boolean;
  /** Every path looked at, in order, and why a prebuilt one was not looked for. */
  tried: string[];
  /** The C library, when it was looked up (only when no source build exists). */
  libc?: Libc;
}

/** Finds the addon: build/Release, build/Debug, then this platform's prebuilt binary. */
export function findAddon(root: string = PACKAGE_ROOT, libc: () => Libc | undefined = () => detectLibc()): AddonLookup {
  const tried: string[] = [];
  for (const config of ['Release', 'Debug']) {
    const file = path.join(root, 'build', config, 'hwcap.node');
    tried.push(file);
    if (fs.existsSync(file)) return { file, prebuilt: false, tried };
  }
  const which = libc();
  if (which === undefined) {
    tried.push(`${prebuildDir(root)}/ (not looked in: this node's C library is neither glibc nor musl as far as its ELF interpreter and process.report tell)`);
    return { prebuilt: false, tried };
  }
  const file = path.join(prebuildDir(root), prebuildAddonName(which));
  tried.push(file);
  return fs.existsSync(file) ? { file, prebuilt: true, tried, libc: which } : { prebuilt: false, tried, libc: which };
}
