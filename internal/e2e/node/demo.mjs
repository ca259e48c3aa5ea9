// Starts a real windrose binary running `windrose demo` (every emulator on
// loopback plus the gateway) for the node test files, and stops it. Outside
// test/ so that `node --test` does not run it as a test file.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

// DEPLOYMENTS maps each deployment of config/demo.yaml's model to its
// provider: one per shipped adapter.
export const DEPLOYMENTS = {
  mistral: 'mistral', openrouter: 'openrouter', bedrock: 'bedrock', azure: 'azure', vertex: 'vertex', watsonx: 'watsonx',
};

// binary finds the windrose binary: WINDROSE_BIN, else the repo's bin/.
export function binary() {
  if (process.env.WINDROSE_BIN) return process.env.WINDROSE_BIN;
  const local = fileURLToPath(new URL('../../../bin/windrose', import.meta.url));
  if (existsSync(local)) return local;
  throw new Error('set WINDROSE_BIN to a built windrose binary (make test-node does)');
}

// freePort asks the kernel for an unused loopback port.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// startDemo runs `windrose demo` on a free port, waits until /readyz
// answers 200 (10 s at most), and returns its base URL, an OpenAI client
// for it and stop().
export async function startDemo() {
  const port = await freePort();
  const child = spawn(binary(), ['demo', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = ''; // shown when it fails to start
  child.stdout.on('data', (b) => { output += b; });
  child.stderr.on('data', (b) => { output += b; });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`windrose demo exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`windrose demo not ready within 10 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  return { base, client, stop };
}
