// Runs everything the arm64 checks look at and writes it as JSON to <work>/observations.json
// (test/arm64/qemu.arm64.ts starts it, then only compares). Per emulated CPU model, in parallel:
//   glibc     LD_SHOW_AUXV=1 of the sysroot's arm64 /bin/true (glibc's view, hex words);
//   probe     test/arm64/auxv-probe (cross-compiled C: stack, getauxval, /proc/self/auxv, syscalls);
//   cpuinfo   /proc/cpuinfo as the emulated process sees it;
//   guest     test/arm64/guest.js collect in the arm64 node, using the cross-built package;
//   hwcapProbe the cross-built hwcap-probe executable (its process and libc views);
// then guest.js analyze: baseline() and check() over every model's nodeReport().
// Also the HWCAP bits of the cross toolchain's kernel header <asm/hwcap.h>, named as the kernel's
// /proc/cpuinfo names them (the uapi name lower-cased without underscores).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const work = process.env.HWCAP_ARM64_DIR ?? path.join(root, '.arm64');
const sysroot = path.join(work, 'sysroot');
const pkg = path.join(work, 'pkg');
const qemu = process.env.HWCAP_QEMU ?? 'qemu-aarch64';
const cross = process.env.HWCAP_ARM64_CROSS ?? 'aarch64-linux-gnu-';
const probeExe = path.join(pkg, 'test', 'auxv-probe');
const guestJs = path.join(here, 'guest.js');
const armNode = path.join(sysroot, 'usr', 'bin', 'node');
const hwcapProbeExe = path.join(pkg, 'build', 'Release', 'hwcap-probe');
const WORD_NAMES = ['AT_HWCAP', 'AT_HWCAP2', 'AT_HWCAP3', 'AT_HWCAP4'];

function run(file, args, input) {
  return new Promise((resolve) => {
    const child = execFile(file, args, { maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : null) : 0, signal: err?.signal ?? null });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const inQemu = (cpu, exe, args, env = []) =>
  run(qemu, ['-L', sysroot, '-cpu', cpu, ...env.flatMap((e) => ['-E', e]), exe, ...args]);

/** Runs fns with at most `limit` at a time. */
async function pool(limit, fns) {
  const out = new Array(fns.length);
  let next = 0;
  const worker = async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, fns.length) }, worker));
  return out;
}

/** The first line of stdout that is JSON, or { error } saying what came out instead. */
function jsonOf(r, what) {
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line) return JSON.parse(line);
  return { error: { message: `${what}: no JSON on stdout (exit ${r.code}, signal ${r.signal}): ${r.stderr.slice(0, 2000)}` } };
}

/** glibc's LD_SHOW_AUXV lines `AT_HWCAP:   8fb` (hex, with or without 0x); undefined if it printed names. */
function parseShowAuxv(text) {
  const w = {};
  for (const line of text.split('\n')) {
    const m = /^(AT_HWCAP\d?):\s+(?:0x)?([0-9a-f]+)\s*$/i.exec(line);
    if (m) w[m[1]] = `0x${BigInt(`0x${m[2]}`).toString(16)}`;
    else if (/^AT_HWCAP\d?:/.test(line)) return undefined;
  }
  if (w.AT_HWCAP === undefined) return undefined;
  return Object.fromEntries(WORD_NAMES.map((n) => [n, w[n] ?? '0x0']));
}

/** The HWCAP*_ bits of <asm/hwcap.h> as the cross compiler's preprocessor sees them. */
async function headerFeatures() {
  const r = await run(`${cross}gcc`, ['-E', '-dM', '-x', 'c', '-'], '#include <asm/hwcap.h>\n#include <linux/version.h>\n');
  if (r.code !== 0) throw new Error(`${cross}gcc -E <asm/hwcap.h>: ${r.stderr}`);
  const features = [];
  let linux = 'unknown';
  for (const line of r.stdout.split('\n')) {
    const m = /^#define (HWCAP(\d?)_(\w+)) \((?:1|1UL|1ULL) << (\d+)\)$/.exec(line);
    if (m) features.push({ macro: m[1], word: m[2] ? `AT_HWCAP${m[2]}` : 'AT_HWCAP', bit: Number(m[4]), name: m[3].toLowerCase().replace(/_/g, '') });
    const v = /^#define LINUX_VERSION_CODE (\d+)$/.exec(line);
    if (v) linux = `${Number(v[1]) >> 16}.${(Number(v[1]) >> 8) & 0xff}`;
  }
  features.sort((a, b) => WORD_NAMES.indexOf(a.word) - WORD_NAMES.indexOf(b.word) || a.bit - b.bit);
  return { features, linux, source: `asm/hwcap.h (Linux ${linux}, ${cross}gcc)` };
}

for (const [what, p] of [
  ['arm64 node', armNode],
  ['cross-built addon', path.join(pkg, 'build', 'Release', 'hwcap.node')],
  ['auxv probe', probeExe],
  ['cross-built hwcap-probe', hwcapProbeExe],
]) {
  if (!fs.existsSync(p)) {
    console.error(`${what} missing (${p}): run npm run test:arm64, or scripts/arm64/install.sh and scripts/arm64/build.sh`);
    process.exit(1);
  }
}

const qemuVersion = (await run(qemu, ['--version'])).stdout.split('\n')[0];
const listed = [...(await run(qemu, ['-cpu', 'help'])).stdout.matchAll(/^\s+(\S+)\s*$/gm)].map((m) => m[1]);
const models = process.env.HWCAP_ARM64_CPUS ? process.env.HWCAP_ARM64_CPUS.split(',') : listed;
const header = await headerFeatures();
const parallel = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 4));

const runs = await pool(
  parallel,
  models.map((cpu) => async () => {
    const glibcRaw = await inQemu(cpu, path.join(sysroot, 'bin', 'true'), [], ['LD_SHOW_AUXV=1']);
    const probe = jsonOf(await inQemu(cpu, probeExe, []), `auxv-probe -cpu ${cpu}`);
    const cpuinfo = (await inQemu(cpu, path.join(sysroot, 'bin', 'cat'), ['/proc/cpuinfo'])).stdout;
    const guestRun = await inQemu(cpu, armNode, [guestJs, 'collect', pkg, cpu]);
    const guest = jsonOf(guestRun, `guest.js collect -cpu ${cpu}`);
    const exit = { code: guestRun.code, signal: guestRun.signal, stderr: guestRun.stderr.trim() };
    const hwcapProbe = jsonOf(await inQemu(cpu, hwcapProbeExe, []), `hwcap-probe -cpu ${cpu}`);
    return { cpu, glibc: parseShowAuxv(glibcRaw.stdout), glibcText: glibcRaw.stdout + glibcRaw.stderr, probe, cpuinfo, guest, exit, hwcapProbe };
  }),
);

// baseline() and check() over every model's nodeReport(), in the arm64 node.
let analysis;
if (runs.every((r) => r.guest.report && !r.guest.report.error)) {
  const file = path.join(work, 'reports.json');
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(runs.map((r) => [r.cpu, r.guest.report])), null, 2));
  analysis = jsonOf(await inQemu('cortex-a53', armNode, [guestJs, 'analyze', pkg, file]), 'guest.js analyze');
}

const observations = { qemu: qemuVersion, listed, models, header, runs, analysis };
fs.writeFileSync(path.join(work, 'observations.json'), JSON.stringify(observations, null, 2));
