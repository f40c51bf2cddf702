// Children of the local cloud (function runtimes, emulators in processes of their own) never outlive it: each one
// is killed synchronously if this process exits without stopping it (a crash, process.exit, a test runner).
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export function killWithParent(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}
