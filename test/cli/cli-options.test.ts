// Each verb's option table against what the command says and does: every option
// of the table is in the verb's --help (usage line and Options list), every flag
// --help lists parses, and every verb whose output is data takes --json.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { VERBS } from '../../lib/cli/verbs';
import { exec } from '../../lib/cli/verbs/exec';
import { showOptions } from '../../lib/cli/verbs/show';
import { parseTable, type OptionSpec } from '../../lib/cli/verb';
import { hwcap } from '../support/cli-harness';

/** The flags of an Options list: `-v, --verbose`, `    --mode MODE`. */
function listedFlags(help: string): { short?: string; long: string; value?: string }[] {
  const section = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  return section.split('\n').flatMap((line) => {
    const m = /^ {2}(?:-(\w), | {4})--([a-z][a-z0-9-]*)(?: ([A-Z]+))?(?: {2}|$)/.exec(line);
    return m ? [{ short: m[1], long: m[2]!, value: m[3] }] : [];
  });
}

/** A value the option accepts, for parsing it. */
function sample(o: OptionSpec): string | undefined {
  if (o.type === 'boolean') return undefined;
  if (!o.multiple && o.choices) return o.choices[o.choices.length - 1];
  return 'x';
}

describe('every verb: the option table, --help and the parser agree', () => {
  it('the verb list is what hwcap --help lists', () => {
    const listed = [...hwcap(['--help']).stdout.matchAll(/^ {2}([a-z]+) {2}/gm)].map((m) => m[1]);
    expect(listed).toEqual(VERBS.map((v) => v.name));
  });

  for (const verb of VERBS) {
    it(`${verb.name}: every option of its table is in the usage line and the Options list`, () => {
      const r = hwcap([verb.name, '--help']);
      expect(r.status).toBe(0);
      const usage = r.stdout.split('\n')[0]!;
      expect(usage).toBe(`Usage: ${verb.usage()}`);
      const flags = listedFlags(r.stdout);
      expect(flags.map((f) => f.long).sort()).toEqual([...Object.keys(verb.options), 'help'].sort());
      for (const [name, o] of Object.entries(verb.options)) {
        expect(usage, `--${name} in the usage line`).toMatch(new RegExp(`(^|[[|\\s])--${name}(?=[\\s\\]]|$)`));
        const f = flags.find((x) => x.long === name)!;
        expect(f.short, `-${o.short ?? ''} of --${name}`).toBe(o.short);
        if (o.short) expect(usage).toContain(`-${o.short}|--${name}`);
        expect(f.value === undefined, `--${name} takes a value`).toBe(o.type === 'boolean');
      }
    });

    it(`${verb.name}: every flag its --help lists parses (long and short)`, () => {
      const help = hwcap([verb.name, '--help']).stdout;
      for (const f of listedFlags(help)) {
        const o = verb.options[f.long];
        const value = o ? sample(o) : undefined;
        for (const flag of [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]) {
          const r = hwcap([verb.name, flag, ...(value === undefined ? [] : [value]), '--help']);
          expect({ flag, status: r.status, stderr: r.stderr }).toEqual({ flag, status: 0, stderr: '' });
          expect(r.stdout).toBe(help);
        }
      }
      // One command per flag: a loaded machine (or the ASan build) can take more than the default 30 s.
    }, 180_000);
  }

  it('a flag that is not in the table is refused, with the table as the source of close matches', () => {
    for (const verb of VERBS) {
      const r = hwcap([verb.name, '--no-such-flag']);
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`hwcap ${verb.name}: unknown option '--no-such-flag'`);
    }
  });

  it('every verb whose output is data takes --json', () => {
    // exec's data is what it masks (on stderr); the command's output is the command's own.
    for (const verb of VERBS) expect(verb.options, verb.name).toHaveProperty('json', expect.objectContaining({ type: 'boolean' }));
  });

  it('a value outside the choices is a usage error naming them', () => {
    const r = hwcap(['show', '--view', 'stack']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("hwcap show: --view must be process, kernel or libc, not 'stack'");
    const top = hwcap(['--view', 'stack']);
    expect(top.status).toBe(2);
    expect(top.stderr).toBe("hwcap: --view must be process, kernel or libc, not 'stack'\nhint: see 'hwcap --help'\n");
  });
});

describe('parseTable: the typed values a verb receives', () => {
  it('defaults fill every key: booleans false, a string with a default its default', () => {
    const { values, help, positionals } = parseTable(showOptions, [], 'show');
    expect({ values, help, positionals }).toEqual({ values: { view: 'process', all: false, json: false }, help: false, positionals: [] });
    // The types follow the table: a choice is its union, a flag a boolean.
    expectTypeOf(values.view).toEqualTypeOf<'process' | 'kernel' | 'libc'>();
    expectTypeOf(values.all).toEqualTypeOf<boolean>();
    // @ts-expect-error an option not in the table is not in values
    void values.mode;
  });

  it('repeatable options keep every value; options stop at CMD for exec', () => {
    const { values, positionals } = parseTable(exec.spec.options, ['--drop', 'a', '--drop', 'b,c', '-v', 'echo', '--json', '--drop'], 'exec', true);
    expect(values).toEqual({ drop: ['a', 'b,c'], verbose: true, json: false, mode: 'auto', 'no-follow': false, 'allow-security-masking': false, 'auxv-only': false, 'allow-below-baseline': false, 'runtime-env': false });
    expect([values.baseline, values.features]).toEqual([undefined, undefined]);
    expect(positionals).toEqual(['echo', '--json', '--drop']);
    expectTypeOf(values.drop).toEqualTypeOf<string[] | undefined>();
    expectTypeOf(values.baseline).toEqualTypeOf<string | undefined>();
    expectTypeOf(values.mode).toEqualTypeOf<'auto' | 'kernel' | 'ptrace'>();
  });

  it('a value outside the choices, an unknown flag and a missing value are usage errors of the verb', () => {
    const bad: [string[], string][] = [
      [['--mode', 'magic'], "--mode must be auto, kernel or ptrace, not 'magic'"],
      [['--dorp', 'x'], "unknown option '--dorp'; did you mean --drop?"],
      [['--baseline'], "option '--baseline <value>' needs a value"],
    ];
    for (const [args, message] of bad) {
      expect(() => parseTable(exec.spec.options, args, 'exec', true)).toThrow(expect.objectContaining({ message, exitCode: 2, hint: "see 'hwcap exec --help'" }));
    }
    // --help wins over a bad choice, so that help is always reachable.
    expect(parseTable(exec.spec.options, ['--mode', 'magic', '--help'], 'exec', true).help).toBe(true);
  });
});
