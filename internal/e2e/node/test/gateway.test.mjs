// The official `openai` npm package against a real windrose binary running
// `windrose demo` (every emulator on loopback plus the gateway). Run from
// this directory with `node --test`; `make test-node` builds the binary and
// sets WINDROSE_BIN.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startDemo, DEPLOYMENTS } from '../demo.mjs';

const MODEL = 'mistral-medium';
const TOOL_RESULT = 'sunny and 21 degrees';
const INVENTED_ID = 'call_abc123def456'; // OpenAI-style; Mistral accepts only 9 alphanumerics

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

let demo;
let client;
let base;

before(async () => {
  demo = await startDemo();
  ({ client, base } = demo);
}, { timeout: 15_000 });

after(() => demo?.stop(), { timeout: 10_000 });

const pin = (dep) => ({ headers: { 'X-Windrose-Deployment': dep } });

function checkUsage(u) {
  assert.ok(u, 'usage present');
  assert.ok(u.prompt_tokens > 0 && u.completion_tokens > 0, `usage ${JSON.stringify(u)} has both counts`);
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
}

// collect drains a stream into its text, tool calls, finish reason and usage.
async function collect(stream) {
  const out = { content: '', toolCalls: [], finish: null, usage: null, chunks: 0 };
  for await (const chunk of stream) {
    out.chunks++;
    if (chunk.usage && chunk.choices.length === 0) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      out.content += choice.delta?.content ?? '';
      for (const tc of choice.delta?.tool_calls ?? []) {
        const slot = (out.toolCalls[tc.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.function.name += tc.function.name;
        if (tc.function?.arguments) slot.function.arguments += tc.function.arguments;
      }
      if (choice.finish_reason) out.finish = choice.finish_reason;
    }
  }
  return out;
}

// The whole suite stays well under 30 s; a hang fails it instead of stalling CI.
describe('windrose through the openai npm package', { timeout: 25_000 }, () => {
  test('non-streamed completion', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello to the gateway' }] })
      .withResponse();
    assert.ok(data.choices[0].message.content.length > 0, 'content');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.model, 'model set');
    checkUsage(data.usage);
    const dep = response.headers.get('x-windrose-deployment');
    assert.ok(dep in DEPLOYMENTS, `X-Windrose-Deployment ${dep}`);
    assert.equal(response.headers.get('x-windrose-provider'), DEPLOYMENTS[dep]);
    assert.ok(response.headers.get('x-request-id'), 'X-Request-Id');
  });

  for (const dep of Object.keys(DEPLOYMENTS)) {
    test(`stream with usage via ${dep}`, async () => {
      const messages = [{ role: 'user', content: 'Stream these words back to me please' }];
      const whole = await client.chat.completions.create({ model: MODEL, messages }, pin(dep));
      const stream = await client.chat.completions.create(
        { model: MODEL, messages, stream: true, stream_options: { include_usage: true } },
        pin(dep),
      );
      const got = await collect(stream);
      assert.equal(got.content, whole.choices[0].message.content, 'streamed text equals the whole answer');
      assert.equal(got.finish, 'stop');
      checkUsage(got.usage);
    });

    // The model's own id, then one the client invented: both must survive
    // the gateway's id rewriting (the Mistral emulator rejects non-9-char ids).
    for (const idKind of ['model-issued', 'client-invented']) {
      for (const streaming of [false, true]) {
        test(`tool round trip via ${dep}, ${idKind} id, stream=${streaming}`, async () => {
          const messages = [{ role: 'user', content: 'Please use get_weather to look up Paris' }];
          const ask = async () => {
            const body = { model: MODEL, messages, tools: [weatherTool] };
            if (!streaming) {
              const r = await client.chat.completions.create(body, pin(dep));
              const c = r.choices[0];
              return { content: c.message.content ?? '', toolCalls: c.message.tool_calls ?? [], finish: c.finish_reason };
            }
            return collect(await client.chat.completions.create({ ...body, stream: true }, pin(dep)));
          };
          const first = await ask();
          assert.equal(first.finish, 'tool_calls');
          assert.equal(first.toolCalls.length, 1);
          const call = first.toolCalls[0];
          assert.equal(call.function.name, 'get_weather');
          assert.doesNotThrow(() => JSON.parse(call.function.arguments), 'arguments are JSON');
          const id = idKind === 'model-issued' ? call.id : INVENTED_ID;
          assert.ok(id, 'tool call id');
          messages.push(
            { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: call.function }] },
            { role: 'tool', tool_call_id: id, content: TOOL_RESULT },
          );
          const second = await ask();
          assert.equal(second.finish, 'stop');
          assert.equal(second.toolCalls.length, 0);
          assert.ok(second.content.includes(TOOL_RESULT), `answer ${JSON.stringify(second.content)} quotes the tool result`);
        });
      }
    }
  }

  test('unknown model is a NotFoundError', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, 'model_not_found');
        return true;
      },
    );
  });

  test('temperature 5 is a BadRequestError naming the param', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: MODEL, temperature: 5, messages: [{ role: 'user', content: 'hi' }] }),
      (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status, 400);
        assert.equal(err.param, 'temperature');
        return true;
      },
    );
  });
});
