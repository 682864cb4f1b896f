// Boots the test kernel (scripts/kernel/build.sh) with the guest initramfs
// (scripts/kernel/initramfs.sh) under qemu-system-x86_64 and writes what happened to
// <dir>/result.json, the console to <dir>/console.log. test/kernel/kernel.guest.ts judges them.
//   node test/kernel/boot.mjs BZIMAGE
// The accelerator: HWCAP_KERNEL_ACCEL=tcg (default), kvm, or probe. /dev/kvm on the machines
// this project runs on is served by a PVM module under which a stock kernel never reaches user
// space, so KVM is used only when asked (kvm) or when the probe shows it: `probe` first boots
// the same kernel with -enable-kvm and a busybox-only initramfs, and takes KVM only if its /init
// printed a line within HWCAP_KERNEL_PROBE_TIMEOUT seconds (default 30); else TCG.
// The guest's -cpu is `max` under TCG (every feature TCG emulates), `host` under KVM.
// Bounded by HWCAP_KERNEL_TIMEOUT seconds (default 900); a guest that overstays is killed.
// Then the same kernel and initramfs once per qemu CPU model of HWCAP_KERNEL_MODELS (space-
// separated; default test/kernel/models.json, which says why these, empty for none) with -cpu MODEL and hwcap_checks=names on the command
// line: /init runs test/kernel/guest/names.js, hwcap's names against that CPU's /proc/cpuinfo;
// console to <dir>/names-MODEL.log, each bounded by HWCAP_KERNEL_MODEL_TIMEOUT seconds
// (default 120), results in result.json's `models`.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const work = process.env.HWCAP_KERNEL_DIR ?? path.join(root, '.kernel');
const dir = path.join(work, 'guest');
const qemu = process.env.HWCAP_QEMU_X86 ?? 'qemu-system-x86_64';
const timeoutSec = Number(process.env.HWCAP_KERNEL_TIMEOUT ?? 900);
const probeTimeoutSec = Number(process.env.HWCAP_KERNEL_PROBE_TIMEOUT ?? 30);
const accelWanted = process.env.HWCAP_KERNEL_ACCEL ?? 'tcg';
const DEFAULT_MODELS = JSON.parse(fs.readFileSync(path.join(here, 'models.json'), 'utf8')).models.map((m) => m.name).join(' ');
const models = (process.env.HWCAP_KERNEL_MODELS ?? DEFAULT_MODELS).split(/\s+/).filter(Boolean);
const modelTimeoutSec = Number(process.env.HWCAP_KERNEL_MODEL_TIMEOUT ?? 120);
const kernel = process.argv[2];
const initrd = path.join(dir, 'initramfs.cpio.gz');
const out = path.join(dir, 'result.json');

function write(obj) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out, JSON.stringify(obj, null, 2));
}

if (!['tcg', 'kvm', 'probe'].includes(accelWanted)) {
  console.error(`HWCAP_KERNEL_ACCEL must be tcg, kvm or probe, not '${accelWanted}'`);
  process.exit(2);
}
if (!kernel || !fs.existsSync(kernel) || !fs.existsSync(initrd)) {
  console.error(`usage: node test/kernel/boot.mjs BZIMAGE (with ${initrd} from scripts/kernel/initramfs.sh)`);
  process.exit(2);
}
let qemuVersion;
try {
  qemuVersion = execFileSync(qemu, ['--version'], { encoding: 'utf8' }).split('\n')[0];
} catch (e) {
  write({ error: `${qemu} cannot run: ${e.message}` });
  process.exit(1);
}

/** Boots once; resolves when qemu exits or `done(console)` says so, or at the timeout. */
function boot({ accel, initramfs, seconds, append = '', done, log, cpu }) {
  return new Promise((resolve) => {
    // The console goes to `log` as it comes, so a guest that hangs can be watched.
    if (log) fs.writeFileSync(log, '');
    const args = [
      '-M', 'pc', '-accel', accel, '-cpu', cpu ?? (accel === 'kvm' ? 'host' : 'max'), '-smp', '1', '-m', '2048',
      '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none',
      '-kernel', kernel, '-initrd', initramfs,
      '-append', `console=ttyS0 panic=-1 ${append}`.trim(),
    ];
    const t0 = process.hrtime.bigint();
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, seconds * 1000);
    child.stdout.on('data', (d) => {
      text += d;
      if (log) fs.appendFileSync(log, d);
      if (done && done(text)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      resolve({ accel, args, seconds: Number(process.hrtime.bigint() - t0) / 1e9, code, signal, timedOut, error, qemuStderr: stderr.trim(), console: text });
    };
    child.on('error', (e) => finish(null, null, e.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

let accel = accelWanted;
let kvmProbe;
if (accelWanted === 'probe') {
  const p = path.join(dir, 'kvm-probe.cpio.gz');
  let reason;
  if (!fs.existsSync('/dev/kvm')) reason = 'no /dev/kvm';
  else {
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      reason = '/dev/kvm is not readable and writable';
    }
  }
  if (!reason) {
    const r = await boot({ accel: 'kvm', initramfs: p, seconds: probeTimeoutSec, done: (t) => t.includes('@@kvm-probe user space'), log: path.join(dir, 'kvm-probe.log') });
    const ok = r.console.includes('@@kvm-probe user space');
    reason = ok ? `a KVM guest reached user space in ${r.seconds.toFixed(1)} s` : `a KVM guest did not reach user space within ${probeTimeoutSec} s${r.qemuStderr ? ` (${r.qemuStderr.split('\n')[0]})` : ''}`;
  }
  accel = reason.startsWith('a KVM guest reached') ? 'kvm' : 'tcg';
  kvmProbe = { accel, reason };
  console.error(`kernel: KVM probe: ${reason}; using ${accel}`);
}

const r = await boot({ accel, initramfs: initrd, seconds: timeoutSec, log: path.join(dir, 'console.log') });
const { console: text, ...rest } = r;
console.error(`kernel: guest (${accel}) ran ${r.seconds.toFixed(1)} s${r.timedOut ? ', killed at the timeout' : ''}; console: ${path.join(dir, 'console.log')}`);

const modelRuns = [];
for (const model of models) {
  const log = path.join(dir, `names-${model}.log`);
  const m = await boot({ accel, cpu: model, initramfs: initrd, seconds: modelTimeoutSec, append: `hwcap_checks=names hwcap_model=${model}`, log });
  // qemu warns once per feature the accelerator lacks and drops it: the guest sees the rest.
  const dropped = [...m.qemuStderr.matchAll(/doesn't support requested feature: (\S+)/g)].map((x) => x[1]);
  const other = m.qemuStderr.split('\n').filter((l) => l && !/doesn't support requested feature/.test(l));
  modelRuns.push({ model, seconds: m.seconds, code: m.code, signal: m.signal, timedOut: m.timedOut, error: m.error, dropped, qemuStderr: other.join('\n'), ended: /^@@kernel-end /m.test(m.console) });
  console.error(`kernel: -cpu ${model} ran ${m.seconds.toFixed(1)} s${m.timedOut ? ', killed at the timeout' : ''}; console: ${log}`);
}
write({
  qemu: qemuVersion,
  kernel,
  kvmProbe,
  ...rest,
  begun: /^@@kernel-begin\r?$/m.test(text),
  ended: /^@@kernel-end /m.test(text),
  models: modelRuns,
});
