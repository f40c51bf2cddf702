// Where things are, for tests: the repository root (package.json, cdk.json, the sources a child process runs).
import * as path from 'node:path';

export const PROJECT_DIR = path.resolve(__dirname, '..', '..');
