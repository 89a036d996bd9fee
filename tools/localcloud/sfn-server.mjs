// The local cloud's Step Functions endpoint: answers StartSyncExecution (AWS JSON 1.0 protocol)
// by running the project's real statemachine/*.asl.json with aws-local-stepfunctions.
//
//   node tools/localcloud/sfn-server.mjs --config .local-cloud/sfn.json
//
// The config (written by scripts/local-cloud) names the host and port, the Lambda endpoint (cargo
// lambda watch), the SQS endpoint (moto), the state machines (name -> ASL file) and the
// DefinitionSubstitutions. Task states run as in AWS:
//   - a Lambda function ARN (or `arn:aws:states:::lambda:invoke`) -> the Invoke API of the
//     function named by the ARN; a function error is rethrown with its errorType as the error
//     name and Lambda's error document as the cause, so Retry/Catch match and `$.error.Cause`
//     is what Step Functions would put there;
//   - `arn:aws:states:::sqs:sendMessage` -> SendMessage on moto, an object MessageBody sent as
//     its JSON text.
// Retry intervals are waited for real. See docs/local-cloud.md for where this differs from AWS.

import "./polyfill.mjs";
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { AwsError, functionNameOf, invokeLambda, log, parseArgs, sqsClient } from "./aws.mjs";

// Loaded after the polyfill: it needs Promise.withResolvers on Node 20.
const { StateMachine, ExecutionError, ExecutionTimeoutError } = await import("aws-local-stepfunctions");

const EXPRESS_MAX_SECONDS = 300; // an Express execution runs five minutes at most
const DEFAULT_TASK_TIMEOUT_SECONDS = 60; // the library's default for a Task without TimeoutSeconds

const args = parseArgs(process.argv.slice(2), ["config"]);
const configPath = path.resolve(args.config);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const baseDir = path.dirname(configPath);
const region = config.region ?? "us-east-1";
const account = config.account ?? "123456789012";
const sqs = sqsClient({ endpoint: config.sqsEndpoint, region });

const machineArn = (name) => `arn:aws:states:${region}:${account}:stateMachine:${name}`;

// name -> { file, mtimeMs, definition, machine, handlers } ; (re)loaded when the file changes.
const machines = new Map();
for (const [name, file] of Object.entries(config.stateMachines)) {
  machines.set(machineArn(name), { name, file: path.resolve(baseDir, file) });
}

/** Fills the DefinitionSubstitutions as SAM does (text replacement) and rejects leftovers. */
function substitute(text, file) {
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
    if (!(key in config.substitutions)) return whole;
    return JSON.stringify(String(config.substitutions[key])).slice(1, -1);
  });
  const left = [...new Set(out.match(/\$\{[A-Za-z0-9_]+\}/g) ?? [])];
  if (left.length) throw new Error(`${file}: no substitution for ${left.join(", ")}`);
  return out;
}

/** Every Task state, nested Parallel branches and Map processors included, by name. */
function taskStates(definition, out = new Map()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type === "Task") {
      const seen = out.get(name);
      if (seen && seen.Resource !== state.Resource) {
        throw new Error(`two Task states named ${name} with different resources`);
      }
      out.set(name, state);
    }
    for (const branch of state.Branches ?? []) taskStates(branch, out);
    for (const sub of [state.Iterator, state.ItemProcessor]) if (sub) taskStates(sub, out);
  }
  return out;
}

function lambdaError(result) {
  // Real Step Functions: Error = the function's errorType, Cause = its error document.
  return new AwsError(result.errorType, result.raw);
}

function handlerFor(stateName, state) {
  const timeoutMs = (state.TimeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS) * 1000 + 1000;
  const resource = state.Resource;
  const fn = functionNameOf(resource);
  if (fn) {
    return async (input) => {
      const result = await invokeLambda(config.lambdaEndpoint, fn, input, { timeoutMs });
      if (!result.ok) throw lambdaError(result);
      return result.payload;
    };
  }
  if (resource === "arn:aws:states:::lambda:invoke") {
    return async (input) => {
      const name = functionNameOf(String(input?.FunctionName ?? ""));
      if (!name) throw new AwsError("Lambda.ResourceNotFoundException", `bad FunctionName in ${stateName}`);
      const result = await invokeLambda(config.lambdaEndpoint, name, input.Payload, { timeoutMs });
      if (!result.ok) throw lambdaError(result);
      return { ExecutedVersion: "$LATEST", Payload: result.payload, StatusCode: 200 };
    };
  }
  if (resource === "arn:aws:states:::sqs:sendMessage") {
    return async (input) => {
      const params = { ...input };
      if (typeof params.MessageBody !== "string") params.MessageBody = JSON.stringify(params.MessageBody);
      return await sqs("SendMessage", params, { timeoutMs });
    };
  }
  throw new Error(`${stateName}: Resource ${resource} is not supported by the local Step Functions`);
}

/** Returns the loaded machine for an ARN, reloading its file when it changed; null if unknown. */
function load(arn) {
  const entry = machines.get(arn);
  if (!entry) return null;
  const mtimeMs = statSync(entry.file).mtimeMs;
  if (entry.machine && entry.mtimeMs === mtimeMs) return entry;
  const definition = JSON.parse(substitute(readFileSync(entry.file, "utf8"), entry.file));
  definition.TimeoutSeconds = Math.min(definition.TimeoutSeconds ?? EXPRESS_MAX_SECONDS, EXPRESS_MAX_SECONDS);
  const machine = new StateMachine(definition); // validates (asl-validator) or throws
  const handlers = {};
  for (const [name, state] of taskStates(definition)) handlers[name] = handlerFor(name, state);
  Object.assign(entry, { mtimeMs, definition, machine, handlers });
  return entry;
}

async function startSyncExecution(req) {
  if (typeof req.stateMachineArn !== "string") {
    throw new ClientError("ValidationException", "stateMachineArn is required");
  }
  let entry;
  try {
    entry = load(req.stateMachineArn);
  } catch (e) {
    throw new ClientError("InvalidDefinition", e.message);
  }
  if (!entry) throw new ClientError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${req.stateMachineArn}'`);
  const name = req.name ?? randomUUID();
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ClientError("InvalidName", `Invalid Name: '${name}'`);
  const inputText = req.input ?? "{}";
  let input;
  try {
    input = JSON.parse(inputText);
  } catch {
    throw new ClientError("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON");
  }

  const executionArn = `arn:aws:states:${region}:${account}:express:${entry.name}:${name}:${randomUUID()}`;
  const started = Date.now();
  const run = entry.machine.run(input, {
    overrides: { taskResourceLocalHandlers: entry.handlers },
    context: {
      Execution: { Id: executionArn, Name: name },
      StateMachine: { Id: req.stateMachineArn, Name: entry.name },
    },
  });
  const trace = [];
  const traced = (async () => {
    for await (const ev of run.eventLogs) {
      if (ev.type === "StateEntered" && ev.state.type !== "Choice") trace.push(ev.state.name);
      if (ev.type === "StateRetried") trace.push(`retry(${ev.state.name})`);
    }
  })().catch(() => {});

  const out = {
    executionArn,
    stateMachineArn: req.stateMachineArn,
    name,
    startDate: started / 1000,
    input: inputText,
    inputDetails: { included: true },
  };
  try {
    const output = await run.result;
    out.status = "SUCCEEDED";
    out.output = JSON.stringify(output);
    out.outputDetails = { included: true };
  } catch (e) {
    if (e instanceof ExecutionTimeoutError) {
      out.status = "TIMED_OUT";
      out.error = "States.Timeout";
    } else if (e instanceof ExecutionError && e.cause instanceof Error) {
      out.status = "FAILED";
      Object.assign(out, errorAndCause(e.cause));
    } else {
      out.status = "FAILED";
      out.error = "States.Runtime";
      out.cause = String(e?.message ?? e);
    }
  }
  const stopped = Date.now();
  out.stopDate = stopped / 1000;
  out.billingDetails = { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, stopped - started) };
  await Promise.race([traced, new Promise((r) => setTimeout(r, 50))]);
  log("sfn", {
    machine: entry.name,
    execution: name,
    status: out.status,
    error: out.error,
    ms: stopped - started,
    states: trace.join(">"),
  });
  return out;
}

function errorAndCause(err) {
  // A Fail state without Error/Cause: AWS reports neither; the library fills in placeholders.
  const isFailState = err.constructor?.name === "FailStateError";
  const out = {};
  if (!(isFailState && err.name === "FailStateError")) out.error = err.name;
  if (!(isFailState && err.message === "Execution failed because of a Fail state")) out.cause = err.message;
  return out;
}

function describeStateMachine(req) {
  const entry = load(req.stateMachineArn ?? "");
  if (!entry) throw new ClientError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${req.stateMachineArn}'`);
  return {
    stateMachineArn: req.stateMachineArn,
    name: entry.name,
    status: "ACTIVE",
    definition: JSON.stringify(entry.definition),
    roleArn: `arn:aws:iam::${account}:role/local-cloud-states`,
    type: "EXPRESS",
    creationDate: startedAt / 1000,
  };
}

function listStateMachines() {
  return {
    stateMachines: [...machines.entries()].map(([arn, e]) => ({
      stateMachineArn: arn,
      name: e.name,
      type: "EXPRESS",
      creationDate: startedAt / 1000,
    })),
  };
}

class ClientError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

const operations = {
  StartSyncExecution: startSyncExecution,
  DescribeStateMachine: describeStateMachine,
  ListStateMachines: listStateMachines,
};

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/x-amz-json-1.0",
    "Content-Length": Buffer.byteLength(text),
    "x-amzn-RequestId": randomUUID(),
  });
  res.end(text);
}

const startedAt = Date.now();
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const target = req.headers["x-amz-target"] ?? "";
  if (req.method === "GET" && (req.url === "/" || req.url === "/health")) {
    return send(res, 200, { service: "local-stepfunctions", stateMachines: [...machines.keys()] });
  }
  const op = target.startsWith("AWSStepFunctions.") ? operations[target.slice("AWSStepFunctions.".length)] : undefined;
  if (req.method !== "POST" || !op) {
    return send(res, 400, {
      __type: "com.amazonaws.states#UnknownOperationException",
      message: `The local Step Functions does not implement '${target || `${req.method} ${req.url}`}'`,
    });
  }
  let body;
  try {
    body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
  } catch {
    return send(res, 400, { __type: "com.amazonaws.states#SerializationException", message: "body is not JSON" });
  }
  try {
    send(res, 200, await op(body));
  } catch (e) {
    if (e instanceof ClientError) {
      log("sfn", { operation: target, rejected: e.type, message: e.message.slice(0, 200) });
      return send(res, 400, { __type: `com.amazonaws.states#${e.type}`, message: e.message });
    }
    log("sfn", { operation: target, internal: String(e?.stack ?? e).split("\n")[0] });
    send(res, 500, { __type: "com.amazonaws.states#InternalServerError", message: String(e?.message ?? e) });
  }
});
server.keepAliveTimeout = 65_000;

// Fail at start, not at the first request, when a definition is invalid.
for (const arn of machines.keys()) load(arn);
server.listen(config.port, config.host ?? "127.0.0.1", () => {
  log("sfn", { listening: `http://${config.host ?? "127.0.0.1"}:${server.address().port}`, machines: [...machines.keys()].join(",") });
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref());
