// show, report, baseline, check and diff, run as a user runs them, and the
// error matrix for the files they read. Expected values come from the
// library in this process and from ld.so (LD_SHOW_AUXV=1) in the CLI's own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureSet, catalog, hostArch, parseReport } from '../../lib';
import { parseShowAuxv, repoRoot } from '../support/helpers';
import { hwcap, tempDir } from '../support/cli-harness';

const here = FeatureSet.current('process');
const arch = here.arch;
const otherArch = arch === 'x86_64' ? 'aarch64' : 'x86_64';
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => path.join(dir, name);
const nfd = path.join(repoRoot, 'test', 'fixtures', 'nfd');

/** A hand-made report of another node of this architecture that lacks `drop`. */
function handReport(hostname: string, set: FeatureSet): object {
  return { schema: 'hwcap.node-report/2', hostname, arch: set.arch, words: set.toJSON().words, ...(set.toJSON().cpuid ? { cpuid: set.toJSON().cpuid } : {}), names: set.names() };
}

// The two highest-numbered features this machine has: the ones a smaller node lacks.
const dropped = here.names().slice(-2);

beforeAll(() => {
  const a = hwcap(['report', '--hostname', 'node-a']);
  expect(a.status).toBe(0);
  fs.writeFileSync(f('a.json'), a.stdout);
  fs.writeFileSync(f('b.json'), JSON.stringify(handReport('node-b', here.without(dropped.slice(0, 1)))));
  fs.writeFileSync(f('c.json'), JSON.stringify(handReport('node-c', here.without(dropped))));
  const foreign = FeatureSet.fromNames(otherArch, catalog(otherArch).slice(0, 3).map((x) => x.name));
  fs.writeFileSync(f('other-arch.json'), JSON.stringify(handReport('far-1', foreign)));
  fs.writeFileSync(f('invalid.json'), '{"schema": "hwcap.node-report/1",\n  "hostname": "x",}\n');
  fs.writeFileSync(f('empty.json'), '');
  fs.writeFileSync(f('no-schema.json'), '{"hostname": "x"}');
  fs.writeFileSync(f('array.json'), '[1, 2]');
  fs.writeFileSync(f('bad-words.json'), JSON.stringify({ schema: 'hwcap.node-report/1', hostname: 'x', arch, words: { AT_HWCAP: 'lots' } }));
  fs.writeFileSync(f('future.json'), JSON.stringify({ schema: 'hwcap.node-report/9', hostname: 'x', arch, words: {} }));
  fs.writeFileSync(f('bad-arch.json'), JSON.stringify({ schema: 'hwcap.featureset/1', arch: 'vax', words: {} }));
  fs.writeFileSync(f('names-disagree.json'), JSON.stringify({ schema: 'hwcap.featureset/1', arch, words: { AT_HWCAP: '0x1' }, names: [] }));
});

describe('hwcap show', () => {
  it('the default command; words and names as ld.so sees them in the same process', () => {
    const r = hwcap([], { env: { LD_SHOW_AUXV: '1' } });
    expect(r.status).toBe(0);
    // ld.so prints the auxv of the very process that then prints the table.
    const shown = parseShowAuxv(r.stdout);
    const header = r.stdout.split('\n').find((l) => l.startsWith(`${arch}, process view:`));
    expect(header).toBeDefined();
    const hw = BigInt(`0x${shown.get('AT_HWCAP')!.replace(/^0x/, '')}`);
    expect(header).toContain(`AT_HWCAP 0x${hw.toString(16)}`);
    // On x86-64 the set also holds the CPUID words (the same in every process); AT_HWCAP is CPUID.1:EDX.
    const { 'CPUID.1:EDX': _edx, ...cpuid } = here.cpuid as Record<string, number>;
    const names = FeatureSet.fromWords(arch, { hwcap: hw, hwcap2: shown.has('AT_HWCAP2') ? BigInt(shown.get('AT_HWCAP2')!) : 0n }, cpuid).names();
    for (const n of names) expect(r.stdout).toMatch(new RegExp(`^${n.replace(/[@.]/g, '\\$&')} +(AT_HWCAP|CPUID\\.)`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${names.length} features?$`, 'm'));
    expect(hwcap(['show']).stdout).toBe(hwcap([]).stdout);
  });

  it('--json is a feature set that check and baseline accept', () => {
    const r = hwcap(['show', '--json']);
    expect(r.status).toBe(0);
    const set = FeatureSet.fromJSON(r.stdout);
    expect(set.equals(here)).toBe(true);
    fs.writeFileSync(f('show.json'), r.stdout);
    expect(hwcap(['check', f('show.json')]).status).toBe(0);
    expect(hwcap(['--json']).stdout).toBe(r.stdout);
  });

  it('--view kernel equals the process view in an unmodified process; --view libc works', () => {
    expect(hwcap(['show', '--view', 'kernel', '--json']).stdout).toBe(hwcap(['show', '--json']).stdout);
    const libc = hwcap(['show', '--view', 'libc']);
    expect(libc.status).toBe(0);
    expect(libc.stdout).toMatch(new RegExp(`^${arch}, libc view:`));
    if (arch === 'x86_64') expect(libc.stderr).toMatch(/glibc on x86-64 answers AT_HWCAP with its own/);
  });

  it('--all lists every row of the table, marking what is set', () => {
    const r = hwcap(['show', '--all']);
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^[+-] /.test(l));
    expect(rows.length).toBe(catalog(arch).length + here.unknownBits().length);
    for (const row of rows) {
      const name = row.split(/ +/)[1];
      expect(row.startsWith('+'), name).toBe(here.has(name));
    }
  });

  it('a bad --view is a usage error', () => {
    const r = hwcap(['show', '--view', 'stack']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("hwcap show: --view must be process, kernel or libc, not 'stack'\nhint: see 'hwcap show --help'\n");
  });
});

describe('hwcap report', () => {
  it('writes a node report of this machine that parseReport accepts', () => {
    const rep = parseReport(fs.readFileSync(f('a.json'), 'utf8'));
    expect(rep.hostname).toBe('node-a');
    expect(rep.arch).toBe(hostArch());
    expect(FeatureSet.fromWords(arch, here.words, here.cpuid).names()).toEqual(rep.names);
    expect(JSON.parse(hwcap(['report', '--json']).stdout).hostname).toBe(os.hostname());
  });

  it('--hostname "" is a usage error', () => {
    const r = hwcap(['report', '--hostname', '']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hwcap report: --hostname must not be empty\n/);
  });
});

describe('hwcap baseline', () => {
  it('prints the common set and says on stderr which node lacks what', () => {
    const r = hwcap(['baseline', f('a.json'), f('b.json'), f('c.json')]);
    expect(r.status).toBe(0);
    const set = FeatureSet.fromJSON(r.stdout);
    expect(set.equals(here.without(dropped))).toBe(true);
    expect(r.stderr).toContain(`hwcap baseline: ${f('b.json')} (node-b) lacks ${dropped[0]}\n`);
    expect(r.stderr).toContain(`hwcap baseline: ${f('c.json')} (node-c) lacks ${dropped.join(' ')}\n`);
    expect(r.stderr).not.toContain('node-a) lacks');
    expect(r.stderr).toContain(`${set.size} features common to 3 nodes; 2 left out`);
    fs.writeFileSync(f('baseline.json'), r.stdout);
  });

  it('nodes that agree: one line saying so; --quiet: nothing', () => {
    const r = hwcap(['baseline', f('a.json'), f('show.json')]);
    expect(r.stderr).toBe(`hwcap baseline: all 2 nodes have the same ${here.size} features\n`);
    const q = hwcap(['baseline', '-q', f('a.json'), f('c.json')]);
    expect(q).toMatchObject({ status: 0, stderr: '' });
  });

  it('reports from mixed architectures: exit 2, naming the files of each', () => {
    const r = hwcap(['baseline', f('a.json'), f('other-arch.json')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^hwcap baseline: cannot baseline across architectures \\(${arch}: .*a\\.json \\(node-a\\); ${otherArch}: .*other-arch\\.json \\(far-1\\)\\)\\nhint: .*--arch`));
  });

  it('--arch keeps one architecture and says what it skipped', () => {
    const r = hwcap(['baseline', '--arch', arch, f('a.json'), f('c.json'), f('other-arch.json')]);
    expect(r.status).toBe(0);
    expect(FeatureSet.fromJSON(r.stdout).equals(here.without(dropped))).toBe(true);
    expect(r.stderr).toMatch(/skipping 1 node of other architectures: .*other-arch\.json \(far-1\) is/);
    const none = hwcap(['baseline', '--arch', 'riscv64', f('a.json')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^hwcap baseline: no input is of architecture riscv64\nhint: the inputs are /m);
    const bad = hwcap(['baseline', '--arch', 'vax', f('a.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^hwcap baseline: --arch: 'vax' is not one of x86_64, aarch64/);
  });

  it('--from-nfd reads Kubernetes NFD node labels and NodeFeature objects', () => {
    const arm = hwcap(['baseline', '--from-nfd', path.join(nfd, 'nodes.json'), '--arch', 'arm64']);
    expect(arm.status).toBe(0);
    const set = FeatureSet.fromJSON(arm.stdout);
    expect(set.arch).toBe('aarch64');
    expect(set.has('asimd')).toBe(true);
    expect(arm.stderr).toMatch(/\(NFD\) lacks /);
    const mixed = hwcap(['baseline', '--from-nfd', path.join(nfd, 'nodes.json')]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/cannot baseline across architectures .*\(NFD\)/);
    const x86 = hwcap(['baseline', '--from-nfd', path.join(nfd, 'nodefeatures.json'), '--arch', 'x86_64', f('a.json')]);
    expect(x86.status).toBe(0);
    expect(FeatureSet.fromJSON(x86.stdout).isSubsetOf(FeatureSet.fromJSON(fs.readFileSync(f('a.json'), 'utf8').replace('hwcap.node-report/2', 'hwcap.featureset/2').replace(/"hostname"[^,]*,/, '')))).toBe(true);
  });

  it('an NFD file that is no NFD document', () => {
    const r = hwcap(['baseline', '--from-nfd', f('a.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hwcap baseline: NFD document '.*a\.json' is not usable: .*\nhint: expected the output of 'kubectl get nodefeatures/);
  });

  it('no input is a usage error', () => {
    expect(hwcap(['baseline']).stderr).toBe("hwcap baseline: missing REPORT (or --from-nfd FILE)\nhint: see 'hwcap baseline --help'\n");
  });
});

describe('hwcap check', () => {
  it('exits 0 when this node has every feature of the baseline', () => {
    const r = hwcap(['check', f('baseline.json')]);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`ok: this node has all ${here.size - 2} features of ${f('baseline.json')}\n`);
  });

  it('exits 1 and lists the missing features of a smaller node', () => {
    const r = hwcap(['check', f('a.json'), '--report', f('c.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${f('c.json')} (node-c) lacks 2 of the ${here.size} features of ${f('a.json')} (node-a): ${dropped.join(' ')}\n`);
    const j = hwcap(['check', f('a.json'), '--report', f('c.json'), '--json']);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual({ ok: false, node: 'node-c', arch, required: arch, missing: dropped });
    expect(hwcap(['check', '-q', f('a.json'), '--report', f('c.json')])).toMatchObject({ status: 1, stdout: '', stderr: '' });
  });

  it('a node or a baseline of another architecture is an input error: exit 2, as for diff and baseline', () => {
    const r = hwcap(['check', f('baseline.json'), '--report', f('other-arch.json')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`hwcap check: cannot check across architectures (${otherArch}: ${f('other-arch.json')} (far-1); ${arch}: ${f('baseline.json')})`);
    expect(r.stderr).toMatch(/\nhint: feature names differ per architecture; /);
    // This node against a baseline of another architecture (issue: exited 1, "lacks all 2 features").
    for (const args of [['check', f('other-arch.json')], ['check', f('other-arch.json'), '--json'], ['check', '-q', f('other-arch.json')]]) {
      const t = hwcap(args);
      expect(t.status, args.join(' ')).toBe(2);
      expect(t.stdout).toBe('');
      expect(t.stderr.split('\n')[0]).toBe(`hwcap check: cannot check across architectures (${arch}: this node; ${otherArch}: ${f('other-arch.json')} (far-1))`);
    }
  });

  it('reads the baseline from standard input as -', () => {
    const r = hwcap(['check', '-'], { input: fs.readFileSync(f('baseline.json'), 'utf8') });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/features of -$/m);
  });

  it('--features names the requirement; an unknown name gets a suggestion', () => {
    const have = here.names().slice(0, 2);
    expect(hwcap(['check', '--features', have.join(',')])).toMatchObject({ status: 0, stdout: `ok: this node has all 2 required features\n` });
    expect(hwcap(['check', '--features', have[0], '--features', have[1], '--report', f('c.json')]).status).toBe(0);
    const typo = `${have[1]}q`; // one edit from a name, and no name itself
    const r = hwcap(['check', '--features', `${have[0]},${typo}`]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^hwcap check: --features: unknown feature '${typo}' on ${arch}; did you mean .*'${have[1]}'.*\\?\\nhint: `));
    const none = hwcap(['check', '--features', 'qqqqqqqq']);
    expect(none.stderr).toMatch(new RegExp(`^hwcap check: --features: unknown feature 'qqqqqqqq' on ${arch}\\nhint: .*hwcap show --all`));
  });

  it('BASELINE and --features together, or neither, are usage errors', () => {
    expect(hwcap(['check']).stderr).toMatch(/^hwcap check: missing BASELINE \(or --features LIST\)\n/);
    expect(hwcap(['check', f('a.json'), '--features', here.names()[0]]).status).toBe(2);
  });
});

describe('hwcap diff', () => {
  it('lists what only A and only B have; exit 1 when they differ', () => {
    const r = hwcap(['diff', f('a.json'), f('c.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`only in ${f('a.json')} (node-a): ${dropped.join(' ')}\nonly in ${f('c.json')} (node-c): (none)\n`);
    const j = JSON.parse(hwcap(['diff', f('c.json'), f('a.json'), '--json']).stdout);
    expect(j).toMatchObject({ arch, onlyInA: [], onlyInB: dropped });
  });

  it('the same features: exit 0; one argument compares with this node', () => {
    expect(hwcap(['diff', f('a.json'), f('show.json')])).toMatchObject({ status: 0, stdout: `${f('a.json')} (node-a) and ${f('show.json')} have the same ${here.size} features\n` });
    expect(hwcap(['diff', f('a.json')]).status).toBe(0);
    expect(hwcap(['diff', f('c.json')]).stdout).toBe(`only in ${f('c.json')} (node-c): (none)\nonly in this node: ${dropped.join(' ')}\n`);
  });

  it('files of two architectures: exit 2', () => {
    const r = hwcap(['diff', f('a.json'), f('other-arch.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hwcap diff: cannot diff across architectures/);
  });
});

describe('bad input files: exit 2, the file named, a hint', () => {
  const cases: [string, RegExp][] = [
    ['missing.json', /cannot read (report|baseline|A) '.*missing\.json': ENOENT: no such file or directory\nhint: check the path; /],
    ['invalid.json', /'.*invalid\.json' is not valid JSON: .* \(line 2, column \d+\)\nhint: /],
    ['empty.json', /'.*empty\.json' is empty\n/],
    ['no-schema.json', /'.*no-schema\.json' is not a hwcap node report or feature set \(an object without a "schema" field\); expected schema 'hwcap\.node-report\/2' or 'hwcap\.featureset\/2'\n/],
    ['array.json', /'.*array\.json' is not a hwcap node report or feature set \(a JSON array\)/],
    ['bad-words.json', /'.*bad-words\.json' is not a valid hwcap document: words\.AT_HWCAP: must be a hex string/],
    ['future.json', /'.*future\.json' is not a valid hwcap document: schema: unsupported schema version 9/],
    ['bad-arch.json', /'.*bad-arch\.json' is not a valid hwcap document: arch: must be one of/],
    ['names-disagree.json', /'.*names-disagree\.json' is not a valid hwcap document: names: disagree with the words/],
    ['.', /cannot read (report|baseline|A) '.*': EISDIR: illegal operation on a directory\nhint: give a file, not a directory/],
  ];
  const verbs: [string, (file: string) => string[]][] = [
    ['baseline', (file) => ['baseline', f('a.json'), file]],
    ['check', (file) => ['check', file]],
    ['check --report', (file) => ['check', f('a.json'), '--report', file]],
    ['diff', (file) => ['diff', file, f('a.json')]],
  ];
  for (const [verb, argv] of verbs) {
    for (const [file, stderr] of cases) {
      it(`${verb} ${file}`, () => {
        const r = hwcap(argv(file === '.' ? dir : f(file)));
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^hwcap ${verb.split(' ')[0]}: `));
        expect(r.stderr).toMatch(stderr);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
      });
    }
  }
});
