// The `openai` npm package's `.stream()` helper against `windrose demo`, once
// per deployment of the demo model (read from GET /v1/windrose/status, so
// every adapter the demo serves is covered). The helper's state machine
// fires `content.done` and `tool_calls.function.arguments.done` only when
// the finish reason arrives in a chunk of its own, as OpenAI sends it; a
// provider that bundles a whole tool call with its finish reason (Mistral)
// must still produce both events through windrose.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const MODEL = 'mistral-medium';
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

let gateway;
let client;
let base;
let output = '';

function binary() {
  if (process.env.WINDROSE_BIN) return process.env.WINDROSE_BIN;
  const local = fileURLToPath(new URL('../../../../bin/windrose', import.meta.url));
  if (existsSync(local)) return local;
  throw new Error('set WINDROSE_BIN to a built windrose binary (make test-node does)');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady() {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (gateway.exitCode !== null) throw new Error(`windrose demo exited with ${gateway.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`windrose demo not ready within 10 s:\n${output}`);
}

// deployments lists the demo model's deployments from the status view.
async function deployments() {
  const res = await fetch(`${base}/v1/windrose/status`);
  assert.equal(res.status, 200);
  const body = await res.json();
  const model = body.models.find((m) => m.name === MODEL);
  assert.ok(model, `status lists ${MODEL}`);
  return model.deployments.map((d) => d.name);
}

before(async () => {
  const port = await freePort();
  gateway = spawn(binary(), ['demo', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  gateway.stdout.on('data', (b) => { output += b; });
  gateway.stderr.on('data', (b) => { output += b; });
  base = `http://127.0.0.1:${port}`;
  await waitReady();
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
}, { timeout: 15_000 });

after(async () => {
  if (!gateway || gateway.exitCode !== null) return;
  const exited = new Promise((r) => gateway.once('exit', r));
  gateway.kill('SIGTERM');
  const timer = setTimeout(() => gateway.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}, { timeout: 10_000 });

// events runs one .stream() call and records the helper's done events.
async function events(body, dep) {
  const stream = client.chat.completions.stream(body, { headers: { 'X-Windrose-Deployment': dep } });
  const got = { contentDone: [], argsDone: [] };
  stream.on('content.done', (e) => got.contentDone.push(e.content));
  stream.on('tool_calls.function.arguments.done', (e) => got.argsDone.push(e));
  got.final = await stream.finalChatCompletion();
  return got;
}

describe('the openai .stream() helper through windrose', { timeout: 25_000 }, () => {
  test('every demo deployment fires content.done and tool_calls.function.arguments.done', async () => {
    const deps = await deployments();
    assert.ok(deps.length >= 2, `deployments ${deps}`);
    for (const dep of deps) {
      const text = await events({ model: MODEL, messages: [{ role: 'user', content: 'Say hello to the stream helper' }] }, dep);
      const answer = text.final.choices[0];
      assert.equal(answer.finish_reason, 'stop', `${dep}: finish_reason`);
      assert.deepEqual(text.contentDone, [answer.message.content], `${dep}: content.done once, with the whole content`);

      const tool = await events({
        model: MODEL,
        messages: [{ role: 'user', content: 'Please use get_weather to look up Paris' }],
        tools: [weatherTool],
      }, dep);
      const call = tool.final.choices[0];
      assert.equal(call.finish_reason, 'tool_calls', `${dep}: finish_reason`);
      assert.equal(tool.argsDone.length, 1, `${dep}: tool_calls.function.arguments.done fired once (got ${tool.argsDone.length})`);
      assert.equal(tool.argsDone[0].name, 'get_weather');
      assert.deepEqual(JSON.parse(tool.argsDone[0].arguments), JSON.parse(call.message.tool_calls[0].function.arguments));
    }
  });
});
