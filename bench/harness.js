'use strict';
// Timing helpers for bench/run.js. Plain CommonJS on the built dist/, so that
// `node bench/run.js` works from any checkout after `npm install`.
const { spawn } = require('node:child_process');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

let sink = 0;
/** Keeps results alive so that the JIT cannot drop the measured call. */
function consume(v) {
  if (v === undefined) sink ^= 1;
  else if (typeof v === 'bigint') sink ^= Number(v & 0xffn);
  else if (typeof v === 'boolean') sink ^= v ? 1 : 0;
  else if (typeof v === 'number') sink ^= v | 0;
  else sink ^= 2;
}

/**
 * Nanoseconds per call of fn: `warmup` rounds thrown away, then the median of
 * `rounds` rounds of `iters` calls each, timed with process.hrtime.bigint().
 * `iters` is an upper bound: it is cut so that one round takes about
 * `roundMs` (a slow call gets fewer iterations, not minutes of rounds).
 */
function nsPerCall(fn, { iters = 100_000, rounds = 15, warmup = 3, roundMs = 40 } = {}) {
  const probeIters = 20;
  const c0 = process.hrtime.bigint();
  for (let i = 0; i < probeIters; i++) consume(fn());
  const perCallNs = Number(process.hrtime.bigint() - c0) / probeIters;
  iters = Math.max(50, Math.min(iters, Math.round((roundMs * 1e6) / Math.max(perCallNs, 1))));
  const per = [];
  for (let r = 0; r < warmup + rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) consume(fn());
    const t1 = process.hrtime.bigint();
    if (r >= warmup) per.push(Number(t1 - t0) / iters);
  }
  return { ns: median(per), min: Math.min(...per), max: Math.max(...per), rounds, iters };
}

/** Wall time in ms from spawn() to the 'exit' event of one child. */
function timeSpawn(spawnFn, file, args, options) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawnFn(file, args, { stdio: 'ignore', ...options });
    } catch (err) {
      reject(err);
      return;
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${file} exited with ${code ?? signal}`));
      else resolve(ms);
    });
  });
}

/**
 * Runs the candidate and the baseline alternately (ABAB…, so that machine
 * noise hits both alike), `runs` times each after `warmup` pairs.
 * Returns both medians and their ratio.
 */
async function compareSpawns({ candidate, baseline, runs, warmup = 10 }) {
  const a = [];
  const b = [];
  for (let i = 0; i < warmup + runs; i++) {
    // Alternate which goes first, so that neither always follows the other.
    const first = i % 2 === 0;
    const x = first ? await candidate() : await baseline();
    const y = first ? await baseline() : await candidate();
    if (i < warmup) continue;
    a.push(first ? x : y);
    b.push(first ? y : x);
  }
  const ma = median(a);
  const mb = median(b);
  return {
    candidateMs: ma,
    baselineMs: mb,
    ratio: ma / mb,
    candidateP90Ms: quantile(a, 0.9),
    baselineP90Ms: quantile(b, 0.9),
    runs,
    // The ratio of each pair, and its median: a second, noise-robust estimate.
    pairedRatio: median(a.map((v, i) => v / b[i])),
  };
}

module.exports = { median, quantile, nsPerCall, timeSpawn, compareSpawns, consume, spawn, get sink() { return sink; } };
