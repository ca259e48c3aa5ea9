// The Responses API (/v1/responses) through the official `openai` npm
// package — client.responses.create, client.responses.stream and its event
// helpers, previous_response_id chains and a function-calling round trip —
// against a real windrose binary running `windrose demo`. Run with
// `node --test` from the parent directory (WINDROSE_BIN names the binary).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startDemo, DEPLOYMENTS } from '../demo.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer as createHTTPServer } from 'node:http';

const MODEL = 'mistral-medium';
const TOOL_RESULT = 'sunny and 21 degrees';

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
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
  assert.ok(u.input_tokens > 0 && u.output_tokens > 0, `usage ${JSON.stringify(u)} has both counts`);
  assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
}

// streamed runs client.responses.stream and returns what its helpers saw:
// the text from the output_text.delta events, every event type in order,
// and finalResponse().
async function streamed(params, opts) {
  const stream = client.responses.stream(params, opts);
  let text = '';
  const types = [];
  const seqs = [];
  stream.on('response.output_text.delta', (ev) => { text += ev.delta; });
  stream.on('event', (ev) => { types.push(ev.type); seqs.push(ev.sequence_number); });
  const final = await stream.finalResponse();
  seqs.forEach((s, i) => assert.equal(s, i, `sequence_number of event ${i} (${types[i]})`));
  return { text, types, final };
}

// respond is create or stream, returning the final response either way.
async function respond(streaming, params, opts) {
  if (!streaming) return client.responses.create(params, opts);
  return (await streamed(params, opts)).final;
}

const functionCall = (r) => r.output.find((it) => it.type === 'function_call');

describe('the Responses API through the openai npm package', { timeout: 25_000 }, () => {
  for (const dep of Object.keys(DEPLOYMENTS)) {
    test(`responses.create via ${dep}`, async () => {
      const { data, response } = await client.responses
        .create({ model: MODEL, input: 'Say hello to the gateway' }, pin(dep))
        .withResponse();
      assert.equal(data.object, 'response');
      assert.equal(data.status, 'completed');
      assert.ok(data.id.startsWith('resp_'), `id ${data.id}`);
      assert.ok(data.output_text.length > 0, 'output_text');
      assert.ok(data.model && data.model !== MODEL, `model ${data.model} is the upstream model`);
      checkUsage(data.usage);
      assert.equal(response.headers.get('x-windrose-deployment'), dep);
      assert.equal(response.headers.get('x-windrose-provider'), DEPLOYMENTS[dep]);
    });

    test(`responses.stream via ${dep}`, async () => {
      const params = { model: MODEL, input: 'Stream these words back to me please' };
      const whole = await client.responses.create(params, pin(dep));
      const got = await streamed(params, pin(dep));
      assert.equal(got.types[0], 'response.created');
      assert.equal(got.types[1], 'response.in_progress');
      assert.equal(got.types.at(-1), 'response.completed');
      for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.done',
        'response.content_part.done', 'response.output_item.done']) {
        assert.ok(got.types.includes(t), `${t} in ${got.types}`);
      }
      assert.equal(got.text, whole.output_text, 'streamed text equals the whole answer');
      assert.equal(got.final.output_text, whole.output_text, 'finalResponse().output_text');
      assert.equal(got.final.status, 'completed');
      checkUsage(got.final.usage);
    });

    for (const streaming of [false, true]) {
      test(`function calling with previous_response_id via ${dep}, stream=${streaming}`, async () => {
        const first = await respond(streaming,
          { model: MODEL, input: 'Please use get_weather to look up Paris', tools: [weatherTool] }, pin(dep));
        const call = functionCall(first);
        assert.ok(call, `a function_call in ${JSON.stringify(first.output)}`);
        assert.equal(call.name, 'get_weather');
        assert.doesNotThrow(() => JSON.parse(call.arguments), 'arguments are JSON');
        const second = await respond(streaming, {
          model: MODEL, previous_response_id: first.id, tools: [weatherTool],
          input: [{ type: 'function_call_output', call_id: call.call_id, output: TOOL_RESULT }],
        }, pin(dep));
        assert.equal(second.previous_response_id, first.id);
        assert.ok(second.output_text.includes(TOOL_RESULT), `answer ${JSON.stringify(second.output_text)} quotes the tool result`);

        // The chain goes on: a third turn still sees the whole conversation.
        const third = await respond(streaming, { model: MODEL, previous_response_id: second.id, input: 'Thanks!' }, pin(dep));
        assert.equal(third.status, 'completed');
      });
    }

    test(`stateless round trip (store: false) via ${dep}`, async () => {
      const input = [{ role: 'user', content: 'Please use get_weather to look up Paris' }];
      const first = await client.responses.create({ model: MODEL, input, tools: [weatherTool], store: false }, pin(dep));
      const call = functionCall(first);
      assert.ok(call, 'a function_call');
      input.push(...first.output, { type: 'function_call_output', call_id: call.call_id, output: TOOL_RESULT });
      const second = await client.responses.create({ model: MODEL, input, tools: [weatherTool], store: false }, pin(dep));
      assert.ok(second.output_text.includes(TOOL_RESULT), `answer ${JSON.stringify(second.output_text)} quotes the tool result`);
      await assert.rejects(client.responses.retrieve(second.id), OpenAI.NotFoundError);
    });
  }

  test('retrieve and delete a stored response', async () => {
    const made = await client.responses.create({ model: MODEL, input: 'Remember this' });
    const got = await client.responses.retrieve(made.id);
    assert.equal(got.id, made.id);
    assert.equal(got.output_text, made.output_text);
    await client.responses.delete(made.id);
    await assert.rejects(client.responses.retrieve(made.id), OpenAI.NotFoundError);
  });

  test('max_output_tokens cuts to status incomplete', async () => {
    const params = { model: MODEL, input: 'Tell me a long story about gateways', max_output_tokens: 2 };
    const whole = await client.responses.create(params);
    assert.equal(whole.status, 'incomplete');
    assert.equal(whole.incomplete_details.reason, 'max_output_tokens');
    const got = await streamed(params);
    assert.equal(got.types.at(-1), 'response.incomplete');
    assert.equal(got.final.status, 'incomplete');
  });

  const refused = [
    // Hosted tools run nowhere behind windrose.
    ['built-in web_search tool', { tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    // Reasoning settings are refused, never silently dropped.
    ['reasoning', { reasoning: { effort: 'high' } }, 'reasoning'],
    // An item type windrose does not model.
    ['unknown item type', { input: [{ type: 'computer_call_output', call_id: 'c', output: {} }] }, 'input[0].type'],
    // Wrong JSON type.
    ['temperature as a string', { temperature: 'hot' }, 'temperature'],
    // A chain to nothing.
    ['unknown previous_response_id', { previous_response_id: 'resp_missing' }, 'previous_response_id'],
  ];
  for (const [name, extra, param] of refused) {
    test(`${name} is a BadRequestError naming ${param}`, async () => {
      await assert.rejects(client.responses.create({ model: MODEL, input: 'hi', ...extra }), (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
        assert.equal(err.status, 400);
        assert.equal(err.param, param);
        return true;
      });
    });
  }

  // The encoder's golden streams (internal/responsesapi/testdata), served
  // as they are to the SDK's own stream helper: what the Go tests pin down
  // is what the official client understands, the failure case included.
  test('golden streams through responses.stream', async () => {
    let body;
    const srv = createHTTPServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const local = new OpenAI({ baseURL: `http://127.0.0.1:${srv.address().port}/v1`, apiKey: 'x', maxRetries: 0 });
    const golden = (name) => readFileSync(fileURLToPath(new URL(`../../../responsesapi/testdata/${name}`, import.meta.url)));
    try {
      const cases = [
        ['stream_text.txt', 'completed', 'Hello', ['message']],
        ['stream_incomplete.txt', 'incomplete', 'Sun', ['message']],
        ['stream_tool_calls.txt', 'completed', 'Checking.', ['message', 'function_call', 'function_call']],
      ];
      for (const [name, status, text, types] of cases) {
        body = golden(name);
        const final = await local.responses.stream({ model: MODEL, input: 'x' }).finalResponse();
        assert.equal(final.status, status, name);
        assert.equal(final.output_text, text, name);
        assert.deepEqual(final.output.map((o) => o.type), types, name);
        if (types.length > 1) assert.equal(final.output[1].arguments, '{"city":"Paris"}', 'fragments reassembled');
      }
      // A stream that broke after its first byte: finalResponse rejects.
      body = golden('stream_failed.txt');
      await assert.rejects(local.responses.stream({ model: MODEL, input: 'x' }).finalResponse(), (err) => {
        assert.equal(err.type, 'error');
        assert.match(err.message, /closed the stream/);
        return true;
      });
    } finally {
      srv.close();
    }
  });
});
