import { readFileSync } from 'node:fs';

/**
 * Whether a process with this id is running. A zombie (exited, not yet reaped by its parent, which for an orphan is
 * whatever runs as PID 1: in a container without an init, nothing reaps it) is not: signal 0 would still find it.
 */
export function processRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return process.platform !== 'linux'; // no /proc: signal 0 is all there is
  }
}
