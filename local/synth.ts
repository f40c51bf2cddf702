/** `cdk synth` of the project's app for the local cloud, in its own process group so Ctrl-C stops it whole. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { LocalCloudError } from './assembly';

/** The start was interrupted (Ctrl-C during start-up): not a failure of the template or the emulators. */
export class StartAbortedError extends LocalCloudError {
  constructor() {
    super('interrupted during start-up');
    this.name = 'StartAbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StartAbortedError();
}

/** Runs `cdk synth` of the project's app into outDir; a failure is an error carrying the CLI's output. */
export async function synthesize(projectDir: string, outDir: string, signal?: AbortSignal): Promise<void> {
  if (!fs.existsSync(path.join(projectDir, 'cdk.json')))
    throw new LocalCloudError(`cdk synth: no cdk.json in ${projectDir} (use --assembly <cdk.out> to run a synthesized app)`);
  let cdkBin: string;
  try {
    // the project's own CLI first, else the one installed beside the local cloud
    cdkBin = require.resolve('aws-cdk/bin/cdk', { paths: [projectDir, __dirname] });
  } catch {
    throw new LocalCloudError('cdk synth: the aws-cdk CLI is not installed (npm install)');
  }
  const args = [cdkBin, 'synth', '--quiet', '--no-notices', '-o', outDir];
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: projectDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // offline: no version check, no telemetry
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
      // its own process group, so an abort stops the app it runs (npx tsx bin/app.ts, esbuild) with it
      detached: process.platform !== 'win32',
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    child.on('error', reject);
    const abort = (): void => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        // already gone
      }
    };
    signal?.addEventListener('abort', abort, { once: true });
    child.on('exit', (c, sig) => {
      signal?.removeEventListener('abort', abort);
      resolve(c ?? (sig ? 128 : 1));
    });
  });
  throwIfAborted(signal);
  if (code !== 0) {
    const text = output.join('').trim();
    const lastLine =
      text
        .split('\n')
        .filter((l) => l.trim())
        .pop() ?? '';
    throw new LocalCloudError(`cdk synth failed (exit ${code}): ${lastLine.trim().slice(0, 200)}`, text.split('\n').slice(-40).join('\n'));
  }
}
