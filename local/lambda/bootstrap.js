'use strict';
// Local Lambda execution environment: one process, one invocation at a time (like a Lambda sandbox).
// Plain CommonJS so children need no TypeScript loader. Talks to the host over the IPC channel.
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSpec = process.env._HANDLER;
let currentRequestId;

// The host's death closes the IPC channel: never outlive it (no orphans, whatever killed the parent).
process.on('disconnect', () => process.exit(0));

// Lambda's Node runtime prefixes console output with time, request id and level.
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  const target = level === 'WARN' || level === 'ERROR' ? process.stderr : process.stdout;
  console[method] = (...args) => {
    target.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${util.format(...args)}\n`);
  };
}

function send(message) {
  if (process.connected) process.send(message);
}

function errorShape(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, stack: String(err.stack || '').split('\n') };
  }
  return { errorType: typeof err, errorMessage: typeof err === 'string' ? err : JSON.stringify(err) };
}

function splitHandler(spec) {
  // "dir/index.handler" -> module "dir/index", export path "handler" (Lambda splits after the last "/")
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (dot < 0)
    throw Object.assign(new Error(`Bad handler "${spec}": expected "<file>.<export>"`), { name: 'Runtime.MalformedHandlerName' });
  return { modulePath: spec.slice(0, dot), exportPath: spec.slice(dot + 1) };
}

function resolveModuleFile(modulePath) {
  const base = path.resolve(taskRoot, modulePath);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (fs.existsSync(base + ext)) return base + ext;
  }
  if (fs.existsSync(base)) return base;
  throw Object.assign(new Error(`Cannot find module '${modulePath}' in ${taskRoot}`), { name: 'Runtime.ImportModuleError' });
}

async function loadHandler() {
  const { modulePath, exportPath } = splitHandler(handlerSpec);
  const file = resolveModuleFile(modulePath);
  let mod;
  if (file.endsWith('.mjs')) {
    mod = await import(pathToFileURL(file).href);
  } else {
    try {
      mod = require(file);
    } catch (err) {
      if (err && err.code === 'ERR_REQUIRE_ESM') mod = await import(pathToFileURL(file).href);
      else throw err;
    }
  }
  let fn = mod;
  for (const key of exportPath.split('.')) fn = fn == null ? undefined : fn[key];
  if (typeof fn !== 'function' && mod && mod.default && typeof mod.default === 'object') {
    fn = mod.default;
    for (const key of exportPath.split('.')) fn = fn == null ? undefined : fn[key];
  }
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${modulePath}.${exportPath} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return { fn, file };
}

function makeContext(c) {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: c.functionName,
    functionVersion: c.functionVersion,
    invokedFunctionArn: c.invokedFunctionArn,
    memoryLimitInMB: String(c.memoryLimitInMB),
    awsRequestId: c.awsRequestId,
    logGroupName: c.logGroupName,
    logStreamName: c.logStreamName,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(0, c.deadlineMs - Date.now()),
  };
  return context;
}

let handler;

async function invoke(message) {
  const { id, event, context: ctx } = message;
  currentRequestId = ctx.awsRequestId;
  let settled = false;
  const finish = (ok, value) => {
    if (settled) return;
    settled = true;
    currentRequestId = undefined;
    if (ok) {
      let json;
      try {
        json = value === undefined ? undefined : JSON.stringify(value);
      } catch (err) {
        send({
          type: 'result',
          id,
          ok: false,
          error: { errorType: 'Runtime.ResponseSerializationError', errorMessage: String(err instanceof Error ? err.message : err) },
        });
        return;
      }
      send({ type: 'result', id, ok: true, resultJson: json });
    } else {
      send({ type: 'result', id, ok: false, error: errorShape(value) });
    }
  };
  const context = makeContext(ctx);
  context.succeed = (v) => finish(true, v);
  context.fail = (e) => finish(false, e);
  context.done = (e, v) => (e ? finish(false, e) : finish(true, v));
  try {
    const callback = (err, value) => (err ? finish(false, err) : finish(true, value));
    const out = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
    if (out && typeof out.then === 'function') finish(true, await out);
    else if (handler.length < 3) finish(true, out);
  } catch (err) {
    finish(false, err);
  }
}

process.on('message', (message) => {
  if (message && message.type === 'invoke') void invoke(message);
});

loadHandler().then(
  (loaded) => {
    handler = loaded.fn;
    send({ type: 'ready', file: loaded.file });
  },
  (err) => {
    const shape = errorShape(err);
    let file;
    try {
      file = resolveModuleFile(splitHandler(handlerSpec).modulePath);
    } catch {
      file = path.join(taskRoot, handlerSpec);
    }
    send({ type: 'init-error', file, error: shape });
    // let the message flush, then die like a failed Lambda init
    setTimeout(() => process.exit(1), 50);
  },
);
