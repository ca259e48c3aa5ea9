// The `openai` npm package's `.stream()` helper against `windrose demo`, once
// per deployment of the demo model (read from GET /v1/windrose/status, so
// every adapter the demo serves is covered). The helper's state machine
// fires `content.done` and `tool_calls.function.arguments.done` only when
// the finish reason arrives in a chunk of its own, as OpenAI sends it; a
// provider that bundles a whole tool call with its finish reason (Mistral)
// must still produce both events through windrose.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startDemo } from '../demo.mjs';

const MODEL = 'mistral-medium';
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

// deployments lists the demo model's deployments from the status view.
async function deployments() {
  const res = await fetch(`${base}/v1/windrose/status`);
  assert.equal(res.status, 200);
  const body = await res.json();
  const model = body.models.find((m) => m.name === MODEL);
  assert.ok(model, `status lists ${MODEL}`);
  return model.deployments.map((d) => d.name);
}

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
