// V8's CPU feature line: the first line `node --v8-options` prints ("SSE3=1 SSSE3=1 … AVX2=0 …"),
// the features V8's code generation uses once its flags are applied.

/** The features of that line of `--v8-options` output, or undefined where it has no such line. */
export function v8FeatureLine(stdout: string): Record<string, number> | undefined {
  const line = (stdout.split('\n')[0] ?? '').trim();
  if (!/^(?:\w+=\d+ ?)+$/.test(line)) return undefined;
  return Object.fromEntries(line.split(' ').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])]));
}
