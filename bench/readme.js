#!/usr/bin/env node
// Writes bench/README.md's table from the JSON of one `npm run bench` run, with the machine it ran
// on, between the markers <!-- bench-table: begin … --> and <!-- bench-table: end -->:
//   npm run bench -- --json results.json && node bench/readme.js results.json [README]
// A --quick run is refused (a smoke test, not a measurement), and so is a run with a step that
// failed: the table is one whole run or nothing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const BEGIN = /<!-- bench-table: begin[^>]*-->\n/;
const END = '<!-- bench-table: end -->';

function fmtTime(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return '';
  if (unit === 'ns') return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ns`;
  if (unit === 'ms') return `${v < 10 ? v.toFixed(3) : v.toFixed(2)} ms`;
  return `${v}`;
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown between the markers, from a bench result (bench/run.js main()). */
function table(result) {
  const m = result.machine;
  const lines = [
    `One \`npm run bench\` run, ${result.date.slice(0, 10)}: ${m.cpus} x ${m.model}, ${m.arch}, Linux ${m.kernel}, node ${m.node}, ` +
      `load average ${m.loadavg.map((x) => x.toFixed(2)).join(' ')} at its start, ${Math.round(result.seconds)} s. ` +
      'Regenerate it with `npm run bench -- --json f && node bench/readme.js f`.',
    '',
    '| what | measured | baseline (same run) | ratio | target | |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of result.rows) {
    if (r.notMeasured) {
      lines.push(`| ${cell(r.what)} | not measured: ${cell(r.notMeasured)} | | | | |`);
      continue;
    }
    const ratio = r.ratioText ?? (r.ratio === undefined ? '' : `${r.ratio < 10 ? r.ratio.toFixed(3) : r.ratio.toFixed(1)}x`);
    const base = [r.baselineText ?? fmtTime(r.baseline, r.unit), r.baselineWhat].filter(Boolean).join(': ');
    const notes = (r.notes ?? []).length ? `; ${r.notes.join('; ')}` : '';
    lines.push(`| ${cell(r.what)} | ${cell((r.candidateText ?? fmtTime(r.candidate, r.unit)) + notes)} | ${cell(base)} | ${cell(ratio)} | ${cell(r.target ?? '')} | ${r.met === undefined ? '' : r.met ? 'met' : '**missed**'} |`);
  }
  return `${lines.join('\n')}\n`;
}

function main(argv) {
  const [file, readme = path.join(__dirname, 'README.md')] = argv;
  if (!file) {
    console.error('usage: node bench/readme.js RESULTS.json [README.md]');
    return 2;
  }
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(result.rows) || !result.machine) {
    console.error(`bench/readme.js: ${file} is not the JSON of npm run bench`);
    return 2;
  }
  if (result.quick) {
    console.error(`bench/readme.js: ${file} is a --quick run, a smoke test and not a measurement`);
    return 2;
  }
  const failed = result.rows.filter((r) => typeof r.notMeasured === 'string' && r.notMeasured.startsWith('failed'));
  if (failed.length) {
    console.error(`bench/readme.js: ${file} has failed steps (${failed.map((r) => r.id).join(', ')}); run the bench again`);
    return 2;
  }
  const text = fs.readFileSync(readme, 'utf8');
  const begin = BEGIN.exec(text);
  const end = text.indexOf(END);
  if (!begin || end < begin.index) {
    console.error(`bench/readme.js: ${readme} has no <!-- bench-table: begin --> … ${END} markers`);
    return 2;
  }
  const at = begin.index + begin[0].length;
  fs.writeFileSync(readme, text.slice(0, at) + table(result) + text.slice(end));
  console.log(`bench/readme.js: ${readme}: ${result.rows.length} rows from ${file}`);
  return 0;
}

module.exports = { table };
if (require.main === module) process.exitCode = main(process.argv.slice(2));
