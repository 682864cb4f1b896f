// Where the launcher is looked for: next to the loaded addon; when it is missing, the error
// names every path that was tried.
import { describe, it, expect } from 'vitest';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launcherPath, probePath } from '../../lib';
import { addonDir } from '../../lib/host/native';
import { repoRoot } from '../support/helpers';

describe('launcher paths', () => {
  it('finds hwcap-exec and hwcap-probe next to the loaded addon', () => {
    expect(launcherPath()).toBe(path.join(addonDir, 'hwcap-exec'));
    expect(probePath()).toBe(path.join(addonDir, 'hwcap-probe'));
    expect(fs.existsSync(path.join(addonDir, 'hwcap.node'))).toBe(true);
  });

  it('an install whose addon has no launcher beside it gets a HwcapError listing what was tried', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwcap-nolauncher-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hwcap', version: '0.0.0', main: 'dist/index.js' }));
      fs.cpSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      fs.copyFileSync(path.join(addonDir, 'hwcap.node'), path.join(dir, 'build', 'Release', 'hwcap.node'));
      fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
      const code = `const h = require(${JSON.stringify(dir)}); try { h.launcherPath(); console.log('found'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, hint: e.hint, path: e.path })); }`;
      const r = cp.spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 });
      const e = JSON.parse(r.stdout) as { name: string; code: string; hint: string; path: string };
      const tried = path.join(fs.realpathSync(dir), 'build', 'Release', 'hwcap-exec');
      expect(e).toMatchObject({ name: 'HwcapError', code: 'ENOENT', path: tried });
      expect(e.hint).toContain(`Tried: ${tried}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
