'use strict';
// Bench rows for hwcap-runtime (bin/hwcap-runtime), every figure a ratio against a baseline
// measured in the same run, the two alternated run by run:
//   oci-state        `state ID` of a running container through hwcap-runtime against runc itself
//                    (the pass-through path: the shell front execs runc, node never starts)
//   oci-podman-true  a masked `podman run --rm … /bin/true` against a plain one (both runc)
//   oci-checkpoint-restore  `podman container checkpoint` then `restore` (in place, CRIU 4.1.1) of a
//                    masked container against the same of a plain one; then each step on its own:
//   oci-checkpoint   the `podman container checkpoint` of each cycle (release, freeze, dump)
//   oci-restore      the `podman container restore` of each cycle (node check, restore, adopt)
// Containers use a private runc root and private podman storage; the image is `podman import`
// of a busybox rootfs, as in test/oci.
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median } = require('./harness');

const root = path.resolve(__dirname, '..');
const runtimeBin = path.join(root, 'bin', 'hwcap-runtime');
const launcher = path.join(root, 'build', 'Release', 'hwcap-exec');

function which(cmd) {
  const r = cp.spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function ms(f) {
  const t0 = process.hrtime.bigint();
  const r = f();
  const t1 = process.hrtime.bigint();
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${String(r.stderr).slice(0, 300)}`);
  return Number(t1 - t0) / 1e6;
}

function rootfs(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(path.join(dir, d));
  fs.copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const a of ['sh', 'true', 'sleep']) fs.symlinkSync('busybox', path.join(bin, a));
  return dir;
}

/** The mask the rows run with: drops avx2 (CPUID too where it faults), else the auxv words only. */
function annotations() {
  const faults = JSON.parse(cp.execFileSync(launcher, ['--probe-cpuid-fault'], { encoding: 'utf8' })).ok === true;
  return faults ? { 'io.hwcap.drop': 'avx2' } : { 'io.hwcap.drop': 'avx2', 'io.hwcap.auxv-only': 'true' };
}

async function benchOci({ row, scale, only, quick }) {
  const runc = which('runc');
  const podman = which('podman');
  const want = (id) => !only || id.includes(only) || 'oci'.includes(only);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-bench-oci-'));
  const env = { ...process.env, HWCAP_NODE: process.execPath };
  try {
    if (want('oci-state')) {
      if (!runc || !fs.existsSync('/bin/busybox')) row({ id: 'oci-state', what: 'hwcap-runtime state against runc state', notMeasured: 'no runc or static busybox here' });
      else {
        const bundle = path.join(dir, 'bundle');
        fs.mkdirSync(bundle);
        cp.execFileSync(runc, ['spec', '--bundle', bundle]);
        const c = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
        c.root.path = rootfs(path.join(dir, 'rootfs'));
        c.process.terminal = false;
        c.process.args = ['/bin/sleep', '1000'];
        fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(c));
        const state = path.join(dir, 'runc');
        const id = `hwcap-bench-${process.pid}`;
        cp.execFileSync(runc, ['--root', state, 'run', '--detach', '--bundle', bundle, id], { stdio: 'ignore' });
        try {
          const runs = scale(100, 10);
          const ours = [];
          const theirs = [];
          for (let i = 0; i < runs + 3; i++) {
            const a = ms(() => cp.spawnSync(runtimeBin, ['--root', state, 'state', id], { env }));
            const b = ms(() => cp.spawnSync(runc, ['--root', state, 'state', id], { env }));
            if (i < 3) continue;
            ours.push(a);
            theirs.push(b);
          }
          const o = median(ours);
          const t = median(theirs);
          row({ id: 'oci-state', what: 'hwcap-runtime state (pass-through) vs runc', unit: 'ms', candidate: o, baseline: t, baselineWhat: 'runc state', ratio: o / t, target: 'ratio <= 1.5', met: o / t <= 1.5, notes: [`median of ${runs}, alternated`], detail: { ours, theirs } });
        } finally {
          cp.spawnSync(runc, ['--root', state, 'delete', '--force', id]);
        }
      }
    }
    if (want('oci-podman-true')) {
      if (!runc || !podman || !fs.existsSync('/bin/busybox')) row({ id: 'oci-podman-true', what: 'masked podman run /bin/true against plain', notMeasured: 'no podman, runc or static busybox here' });
      else {
        const g = ['--root', path.join(dir, 'p', 'root'), '--runroot', path.join(dir, 'p', 'run'), '--tmpdir', path.join(dir, 'p', 'tmp'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
        const tar = path.join(dir, 'rootfs.tar');
        const fsDir = fs.existsSync(path.join(dir, 'rootfs')) ? path.join(dir, 'rootfs') : rootfs(path.join(dir, 'rootfs'));
        cp.execFileSync('tar', ['-C', fsDir, '-cf', tar, '.']);
        cp.execFileSync(podman, [...g, 'import', tar, 'localhost/hwcap-bench:1'], { stdio: 'ignore' });
        const base = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
        const ann = Object.entries(annotations()).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]);
        const runs = scale(15, 3);
        const masked = [];
        const plain = [];
        for (let i = 0; i < runs + 1; i++) {
          const a = ms(() => cp.spawnSync(podman, [...g, ...base, '--runtime', runtimeBin, ...ann, 'localhost/hwcap-bench:1', '/bin/true'], { env }));
          const b = ms(() => cp.spawnSync(podman, [...g, ...base, '--runtime', runc, 'localhost/hwcap-bench:1', '/bin/true'], { env }));
          if (i < 1) continue;
          masked.push(a);
          plain.push(b);
        }
        const m = median(masked);
        const p = median(plain);
        row({
          id: 'oci-podman-true',
          what: `podman run --rm … /bin/true, masked (${ann.filter((x) => x !== '--annotation').join(' ')})`,
          unit: 'ms',
          candidate: m,
          baseline: p,
          baselineWhat: 'podman run --runtime runc',
          ratio: m / p,
          target: 'ratio <= 1.5',
          met: m / p <= 1.5,
          notes: [`median of ${runs}, alternated; private vfs storage`],
          detail: { masked, plain },
        });
        cp.spawnSync(podman, [...g, 'rmi', '--force', 'localhost/hwcap-bench:1'], { stdio: 'ignore' });
      }
    }
    if (['oci-checkpoint-restore', 'oci-checkpoint', 'oci-restore'].some(want)) {
      const criu = [process.env.HWCAP_CRIU_DIR && path.join(process.env.HWCAP_CRIU_DIR, 'bin', 'criu'), path.join(root, '.criu', 'bin', 'criu')].find((f) => f && fs.existsSync(f));
      if (!runc || !podman || !criu || !fs.existsSync('/bin/busybox')) row({ id: 'oci-checkpoint-restore', what: 'checkpoint and restore, masked against plain', notMeasured: 'no podman, runc, CRIU 4.1.1 (.criu/ or HWCAP_CRIU_DIR) or static busybox here' });
      else {
        const crEnv = { ...env, PATH: `${path.dirname(criu)}:${process.env.PATH}` };
        const g = ['--root', path.join(dir, 'c', 'root'), '--runroot', path.join(dir, 'c', 'run'), '--tmpdir', path.join(dir, 'c', 'tmp'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
        const tar = path.join(dir, 'rootfs-cr.tar');
        const fsDir = fs.existsSync(path.join(dir, 'rootfs')) ? path.join(dir, 'rootfs') : rootfs(path.join(dir, 'rootfs'));
        cp.execFileSync('tar', ['-C', fsDir, '-cf', tar, '.']);
        cp.execFileSync(podman, [...g, 'import', tar, 'localhost/hwcap-bench-cr:1'], { stdio: 'ignore' });
        const ann = Object.entries(annotations()).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]);
        const start = (name, extra) =>
          cp.execFileSync(podman, [...g, 'run', '-d', '--name', name, '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', ...extra, 'localhost/hwcap-bench-cr:1', '/bin/sleep', '100000'], { env: crEnv, stdio: 'ignore' });
        start('masked', ['--runtime', runtimeBin, ...ann]);
        start('plain', ['--runtime', runc]);
        /** One cycle: the checkpoint's and the restore's milliseconds. */
        const cycle = (name) => [ms(() => cp.spawnSync(podman, [...g, 'container', 'checkpoint', name], { env: crEnv })), ms(() => cp.spawnSync(podman, [...g, 'container', 'restore', name], { env: crEnv }))];
        try {
          const runs = scale(10, 1);
          const warm = quick ? 0 : 1;
          const masked = [];
          const plain = [];
          for (let i = 0; i < runs + warm; i++) {
            const a = cycle('masked');
            const b = cycle('plain');
            if (i < warm) continue;
            masked.push(a);
            plain.push(b);
          }
          const mask = ann.filter((x) => x !== '--annotation').join(' ');
          const steps = [
            { id: 'oci-checkpoint-restore', what: `podman checkpoint + restore in place, masked (${mask})`, of: (c) => c[0] + c[1], notes: 'release, freeze, dump / restore, adopt', target: 'ratio <= 1.5' },
            { id: 'oci-checkpoint', what: '  the checkpoint alone', of: (c) => c[0], notes: 'hwcap-runtime: node, release with the helper held, freeze, then runc checkpoint' },
            { id: 'oci-restore', what: '  the restore alone', of: (c) => c[1], notes: 'hwcap-runtime: node, node check, bundle edit, runc restore (leave-stopped), adopt' },
          ];
          for (const st of steps) {
            if (!want(st.id)) continue;
            const m = median(masked.map(st.of));
            const p = median(plain.map(st.of));
            row({
              id: st.id,
              what: st.what,
              unit: 'ms',
              candidate: m,
              baseline: p,
              baselineWhat: 'the same of a plain container',
              ratio: m / p,
              target: st.target,
              met: st.target ? m / p <= 1.5 : undefined,
              notes: [`median of ${runs}, alternated; /bin/sleep as pid 1; ${st.notes}`],
              detail: { masked: masked.map(st.of), plain: plain.map(st.of) },
            });
          }
        } finally {
          cp.spawnSync(podman, [...g, 'rm', '--all', '--force', '--time', '0'], { stdio: 'ignore' });
        }
      }
    }
  } finally {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // podman's conmon may still be writing there; the directory is in the temporary directory
    }
  }
}

module.exports = { benchOci };
