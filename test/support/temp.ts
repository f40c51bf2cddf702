// Temporary directories a test creates and removes again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TempDir {
  dir: string;
  remove(): void;
}

/** A fresh directory under the OS temp dir, named `<prefix><random>`. */
export function tempDir(prefix = 'qs-test-'): TempDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A path named `name` in a fresh temp directory (the file itself is not created). */
export function tempFile(name: string, prefix = 'qs-test-'): string {
  return path.join(tempDir(prefix).dir, name);
}
