/**
 * How long to wait before starting a process again after it failed `failures` times in a row. The first
 * restart after a healthy run is immediate, so a crash costs the next call nothing; a process that keeps
 * failing to start is retried ever more slowly instead of spinning a CPU.
 */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

export function restartDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
}
