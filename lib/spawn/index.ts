// The spawn room's entry: the child_process facade, cut as Node cuts its own
// (normalize.ts, spawn.ts, exec-file.ts, exec.ts, fork.ts) over hwcap's options (options.ts).
export { spawn, spawnSync } from './spawn';
export { execFile, execFileSync } from './exec-file';
export { exec, execSync } from './exec';
export { fork } from './fork';
export type {
  SpawnMode,
  WordsCarrier,
  HwcapsOption,
  HwcapSpawnOptions,
  SpawnOptions,
  SpawnSyncOptions,
  ExecFileOptions,
  ExecFileSyncOptions,
  ExecFileCallback,
  ExecOptions,
  ExecSyncOptions,
  ForkOptions,
} from './options';
