// The host layer (addon, auxv views, launcher), loaded on first use by the verbs
// that touch this machine. The pure verbs never call it, so they, --help and
// --version work where the addon is not built; a failed load is one clear error.
import type * as Index from '../index';
import { ADDON_HINT } from '../errors';
import { CliError } from './output';

export type Host = typeof Index;

let loaded: Host | undefined;

export function host(): Host {
  if (!loaded) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('../main') as Host;
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      const first = String((cause as Error | undefined)?.message ?? cause).split('\n')[0];
      throw new CliError(`cannot load the native addon: ${first}`, ADDON_HINT);
    }
  }
  return loaded;
}
