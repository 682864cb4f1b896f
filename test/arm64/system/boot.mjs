// Boots the arm64 initramfs that scripts/arm64/system.sh built, once per emulated CPU model, under
// qemu-system-aarch64 (-M virt, TCG) with Debian's arm64 kernel, and writes what the guest's /init
// (test/arm64/system/init.sh) printed to <work>/system/observations.json. The GICv3 interrupt
// controller: with virt's default GICv2, the kernel's GICv3 probe traps on a64fx (whose ID registers
// announce a GICv3 CPU interface) before the console is up. At most two machines run
// at a time; each is bounded by a timeout and killed when it overstays.
// test/arm64/system/qemu-system.system.ts starts it, then only compares.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..', '..');
const work = process.env.HWCAP_ARM64_DIR ?? path.join(root, '.arm64');
const dir = path.join(work, 'system');
const qemu = process.env.HWCAP_QEMU_SYSTEM ?? 'qemu-system-aarch64';
const models = (process.env.HWCAP_ARM64_SYSTEM_CPUS ?? 'cortex-a53,neoverse-n1,a64fx,max').split(',');
const timeoutSec = Number(process.env.HWCAP_ARM64_SYSTEM_TIMEOUT ?? 300);
// The words the guest's launcher checks keep: fp asimd pmull sha1 sha2 cpuid of AT_HWCAP, nothing
// of AT_HWCAP2. Every model here has bits outside them, so every check sees a real change.
const KEEP = ['0x873', '0x0'];
const out = path.join(dir, 'observations.json');

const readText = (f) => {
  try {
    return fs.readFileSync(path.join(dir, f), 'utf8').trim();
  } catch {
    return undefined;
  }
};

function write(obs) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out, JSON.stringify(obs, null, 2));
}

// scripts/arm64/system.sh leaves the reason here when it could not install or build.
const unavailable = readText('unavailable.txt');
const kernel = path.join(dir, 'vmlinuz');
const initrd = path.join(dir, 'initramfs.cpio.gz');
if (unavailable || !fs.existsSync(kernel) || !fs.existsSync(initrd)) {
  write({ unavailable: unavailable ?? `no kernel or initramfs in ${dir}: run scripts/arm64/system.sh` });
  process.exit(0);
}
let qemuVersion;
try {
  qemuVersion = execFileSync(qemu, ['--version'], { encoding: 'utf8' }).split('\n')[0];
} catch (e) {
  write({ unavailable: `${qemu} cannot run: ${e.message}` });
  process.exit(0);
}

/** Parses `@@hwcap <check> <status> <stdout> <stderr> <status fd>` lines (base64 fields, "-" empty). */
function parseConsole(text) {
  const checks = {};
  const dec = (s) => (s === '-' ? '' : Buffer.from(s, 'base64').toString('utf8'));
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^@@hwcap (\S+) (\d+) (\S+) (\S+) (\S+)$/.exec(line);
    if (m) checks[m[1]] = { status: Number(m[2]), stdout: dec(m[3]), stderr: dec(m[4]), statusFd: dec(m[5]) };
  }
  return { checks, begun: /^@@hwcap-begin\r?$/m.test(text), ended: /^@@hwcap-end\r?$/m.test(text) };
}

function boot(cpu) {
  return new Promise((resolve) => {
    const args = [
      '-M', 'virt,gic-version=3', '-cpu', cpu, '-smp', '1', '-m', '1024', '-nographic', '-no-reboot', '-nic', 'none',
      '-kernel', kernel, '-initrd', initrd,
      '-append', `console=ttyAMA0 panic=-1 quiet hwcap_keep=${KEEP.join(',')}`,
    ];
    const t0 = process.hrtime.bigint();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let console_ = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (console_ += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      fs.writeFileSync(path.join(dir, `console-${cpu}.log`), console_);
      resolve({ cpu, seconds, code, signal, timedOut, error, qemuStderr: stderr.trim(), ...parseConsole(console_) });
    };
    child.on('error', (e) => finish(null, null, e.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

const results = new Array(models.length);
let next = 0;
const parallel = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 2));
await Promise.all(
  Array.from({ length: Math.min(parallel, models.length) }, async () => {
    while (next < models.length) {
      const i = next++;
      results[i] = await boot(models[i]);
    }
  }),
);

write({ qemu: qemuVersion, kernel: readText('kernel.txt'), keep: KEEP, timeoutSec, models: results });
