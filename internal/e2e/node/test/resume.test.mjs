// Stream resume (README "Resuming a broken stream") through the official
// `openai` npm package: a real windrose binary (`windrose serve`) in front
// of two emulators (`windrose emulate`), an OpenRouter primary that breaks
// on demand and a Mistral fallback that supports an assistant prefix.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { binary, freePort } from '../demo.mjs';

// The emulators' fixed answer to "hello" and its cost by their token rule:
// the prompt 8 tokens, one per word. The primary breaks after its role
// chunk and two words (cut_after 3), so the client holds SEAM; the prefix
// continuation's prompt is 8 + 2 and it writes the other 4 words.
const WHOLE = 'You said: hello — emulated reply.';
const SEAM = 'You said:';
const PREFIX_USAGE = { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 };
const REPLAY_USAGE = { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 };
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const children = [];
let tmp;
let base;
const emu = {}; // provider → emulator root URL

// run starts a windrose subcommand and resolves with the first stdout line
// matching re (its match), or rejects when it exits first or in 10 s.
function run(args, re) {
  const child = spawn(binary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`windrose ${args[0]} not up in 10 s:\n${output}`)), 10_000);
    child.stderr.on('data', (b) => { output += b; });
    child.stdout.on('data', (b) => {
      output += b;
      const m = re && output.match(re);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`windrose ${args[0]} exited ${code}:\n${output}`)); });
    if (!re) { clearTimeout(timer); resolve(null); }
  });
}

async function ready(url) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// config: model "chaos" resumes, "chaos-off" does not; both on the same
// two emulators. Breakers never open, whatever the tests break.
function config(port) {
  const deployments = (suffix) => `
      - name: primary${suffix}
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 0
        base_url: ${emu.openrouter}/api
        api_key: emulator-key
      - name: fallback${suffix}
        provider: mistral
        model: mistral-medium-2508
        priority: 1
        base_url: ${emu.mistral}
        api_key: emulator-key`;
  return `
server:
  listen: 127.0.0.1:${port}
  breaker: { consecutive_failures: 1000, min_requests: 1000 }
models:
  - name: chaos
    attempts: 3
    stall_timeout: 300ms
    resume: { mode: prefix_or_replay, max: 1 }
    deployments:${deployments('')}
  - name: chaos-off
    attempts: 3
    stall_timeout: 300ms
    resume: { mode: "off" }
    deployments:${deployments('-off')}
`;
}

before(async () => {
  for (const provider of ['openrouter', 'mistral']) {
    const m = await run(['emulate', '--provider', provider, '--listen', '127.0.0.1:0'], /emulating \S+ on (http:\/\/\S+)/);
    emu[provider] = m[1];
  }
  const port = await freePort();
  tmp = mkdtempSync(join(tmpdir(), 'windrose-resume-'));
  writeFileSync(join(tmp, 'windrose.yaml'), config(port));
  run(['serve', '--config', join(tmp, 'windrose.yaml')]).catch(() => {});
  base = `http://127.0.0.1:${port}`;
  await ready(base);
}, { timeout: 25_000 });

after(async () => {
  await Promise.all(children.map((c) => {
    if (c.exitCode !== null) return null;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    return exited.then(() => clearTimeout(timer));
  }));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, { timeout: 10_000 });

async function faults(provider, body) {
  const res = await fetch(`${emu[provider]}/_emulator/faults`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
  });
  assert.equal(res.status, 200, `faults ${body} on ${provider}: ${await res.text()}`);
}

async function requests(provider) {
  const res = await fetch(`${emu[provider]}/_emulator/stats`);
  return (await res.json()).requests;
}

// client returns an OpenAI client whose fetch keeps a copy of every body it
// reads (wire.raw once wire.done resolves), to see what the SDK skipped.
function client(wire) {
  const teeFetch = async (url, init) => {
    const res = await fetch(url, init);
    if (!res.body) return res;
    const [mine, theirs] = res.body.tee();
    wire.done = (async () => {
      const dec = new TextDecoder();
      wire.raw = '';
      try {
        for await (const b of theirs) wire.raw += dec.decode(b, { stream: true });
      } catch {
        // an aborted stream: keep what came
      }
    })();
    return new Response(mine, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000, fetch: teeFetch });
}

// streamed runs one streamed request and folds it: text, tool-call
// fragments, finish reasons, the usage chunk, and the error if it threw.
async function streamed(model, { tools = false } = {}) {
  const wire = {};
  const body = {
    model,
    messages: [{ role: 'user', content: tools ? 'Please use get_weather to look up Paris' : 'hello' }],
    stream: true,
    stream_options: { include_usage: true },
  };
  if (tools) body.tools = [weatherTool];
  const out = { content: '', toolCalls: 0, finishes: [], usage: null, chunks: 0, ids: new Set(), error: null };
  try {
    const stream = await client(wire).chat.completions.create(body);
    for await (const chunk of stream) {
      out.chunks++;
      out.ids.add(chunk.id);
      if (chunk.usage && chunk.choices.length === 0) out.usage = chunk.usage;
      for (const choice of chunk.choices) {
        out.content += choice.delta?.content ?? '';
        out.toolCalls += choice.delta?.tool_calls?.length ?? 0;
        if (choice.finish_reason) out.finishes.push(choice.finish_reason);
      }
    }
  } catch (err) {
    out.error = err;
  }
  await wire.done;
  out.raw = wire.raw ?? '';
  return out;
}

function pick(u) {
  return u && { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens };
}

// healed: one uninterrupted answer; the SDK skipped the seam comment.
function assertHealed(got, usage) {
  assert.equal(got.error, null, `no error (got ${got.error?.message})`);
  assert.equal(got.content, WHOLE, 'the assembled text is the uncut answer');
  assert.deepEqual(got.finishes, ['stop'], 'exactly one finish reason');
  assert.deepEqual(pick(got.usage), usage, 'the usage chunk sums every attempt');
  assert.equal(got.ids.size, 1, 'one completion id throughout');
  assert.ok(got.raw.includes('\n\n: resumed on fallback\n\n'), `the seam comment is on the wire:\n${got.raw}`);
  assert.ok(got.raw.endsWith('data: [DONE]\n\n'), 'the stream ends with [DONE]');
  assert.equal(got.chunks, got.raw.split('data: {').length - 1, 'one chunk per data event: the comment made none');
}

// broken: the SSE error event of the original break, no [DONE].
function assertBroken(got, content) {
  assert.ok(got.error instanceof OpenAI.APIError, `an APIError from the error event (got ${got.error?.constructor?.name}: ${got.error?.message})`);
  assert.match(got.error.message, /deployment "primary(-off)?"/, 'the error is the break on primary');
  assert.equal(got.content, content, 'no text past the seam');
  assert.ok(!got.raw.includes('[DONE]'), 'no [DONE]');
  assert.ok(!got.raw.includes(': resumed on'), 'no seam comment');
}

describe('stream resume through the openai npm package', { timeout: 40_000 }, () => {
  for (const [name, primary] of [
    ['cut', '{"cut_after":3}'],
    ['stall past stall_timeout', '{"stall_after":3}'],
    ['malformed chunk', '{"malformed_after":3}'],
  ]) {
    test(`${name}: a prefix-capable fallback finishes the answer`, async () => {
      await faults('openrouter', primary);
      await faults('mistral', '{}');
      const calls = await requests('mistral');
      assertHealed(await streamed('chaos'), PREFIX_USAGE);
      assert.equal(await requests('mistral') - calls, 1, 'one continuation request');
    });
  }

  test('the fallback refuses the prefix; the replay matches', async () => {
    await faults('openrouter', '{"cut_after":3}');
    await faults('mistral', '{"refuse_prefix":true}');
    const calls = await requests('mistral');
    assertHealed(await streamed('chaos'), REPLAY_USAGE);
    assert.equal(await requests('mistral') - calls, 2, 'the refused prefix, then the replay');
  });

  test('the replay diverges: the error event, nothing past the seam', async () => {
    await faults('openrouter', '{"cut_after":3}');
    await faults('mistral', '{"refuse_prefix":true,"reply_variant":"b"}');
    assertBroken(await streamed('chaos'), SEAM);
  });

  test('a break inside a tool call: the error event, no resume', async () => {
    await faults('openrouter', '{"tool_call_fragments":3,"cut_after":3}');
    await faults('mistral', '{}');
    const calls = await requests('mistral');
    const got = await streamed('chaos', { tools: true });
    assertBroken(got, '');
    assert.ok(got.toolCalls > 0, 'part of the tool call reached the client before the break');
    assert.equal(await requests('mistral') - calls, 0, 'the fallback was never asked');
  });

  test('resume off: today\'s error event', async () => {
    await faults('openrouter', '{"cut_after":3}');
    await faults('mistral', '{}');
    const calls = await requests('mistral');
    assertBroken(await streamed('chaos-off'), SEAM);
    assert.equal(await requests('mistral') - calls, 0, 'the fallback was never asked');
  });
});
