// Shared helpers of the local cloud's Node processes (sfn-server.mjs, sqs-poller.mjs): the two
// calls they make, in the wire formats the real services use.
//
// - SQS on moto through the AWS JSON 1.0 protocol. moto routes a request by the service named in
//   the Authorization header's credential scope (without one it answers as S3), so a dummy,
//   unsigned header naming `sqs` and the region is sent; moto does not check signatures.
// - Lambda through cargo lambda watch's Invoke API. It answers a function error with HTTP 500 and
//   the function's `{errorType, errorMessage}` (real Lambda: 200 + `X-Amz-Function-Error`); both
//   are understood.

/** An error the local cloud raises with an AWS-style name (the Step Functions error name). */
export class AwsError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

export function sqsClient({ endpoint, region }) {
  const auth =
    `AWS4-HMAC-SHA256 Credential=testing/20200101/${region}/sqs/aws4_request, ` +
    "SignedHeaders=host;x-amz-target, Signature=0000";
  return async function call(action, params, { timeoutMs = 30_000 } = {}) {
    let res;
    try {
      res = await fetch(new URL("/", endpoint), {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.0",
          "X-Amz-Target": `AmazonSQS.${action}`,
          Authorization: auth,
        },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new AwsError("SQS.SdkClientException", `SQS ${action}: ${e.cause?.code ?? e.message}`);
    }
    const text = await res.text();
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new AwsError("SQS.SdkClientException", `SQS ${action}: HTTP ${res.status}, not JSON`);
    }
    if (!res.ok) {
      const type = String(body.__type ?? "ServiceException").split("#").pop();
      throw new AwsError(`SQS.${type}`, body.message ?? body.Message ?? `HTTP ${res.status}`);
    }
    return body;
  };
}

/**
 * Invokes a function on cargo lambda watch (or anything answering the Lambda Invoke API).
 * Resolves to `{ ok: true, payload }` or `{ ok: false, errorType, raw }` for a function error,
 * `raw` being the function's error document as Lambda returns it (the Step Functions `Cause`).
 * Throws an AwsError named like the Lambda service errors when the call itself fails.
 */
export async function invokeLambda(endpoint, functionName, payload, { timeoutMs = 900_000 } = {}) {
  const url = new URL(`/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, endpoint);
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload ?? null),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    // Connection refused, reset, timed out: the SDK's client-side failure.
    throw new AwsError("Lambda.SdkClientException", `invoke ${functionName}: ${e.cause?.code ?? e.name}`);
  }
  const raw = await res.text();
  let doc;
  try {
    doc = raw ? JSON.parse(raw) : null;
  } catch {
    doc = undefined;
  }
  const functionError = res.headers.get("x-amz-function-error");
  const isErrorDoc = doc && typeof doc === "object" && !Array.isArray(doc) && typeof doc.errorType === "string";
  if ((res.status === 200 && functionError) || (res.status === 500 && isErrorDoc)) {
    return { ok: false, errorType: (isErrorDoc && doc.errorType) || "Lambda.Unknown", raw };
  }
  if (res.status === 200 && doc !== undefined) {
    return { ok: true, payload: doc };
  }
  // Anything else is the emulator (or the service) failing, not the function.
  const name =
    res.status === 404 || res.status === 400
      ? "Lambda.ResourceNotFoundException"
      : res.status === 429
        ? "Lambda.TooManyRequestsException"
        : "Lambda.ServiceException";
  throw new AwsError(name, `invoke ${functionName}: HTTP ${res.status} ${raw.slice(0, 300)}`);
}

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name -> NAME. */
export function functionNameOf(arnOrName) {
  const m = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(arnOrName);
  if (m) return m[1];
  if (/^[A-Za-z0-9_-]+$/.test(arnOrName)) return arnOrName;
  return null;
}

/** Parses `--name value` pairs into an object (no positional arguments). */
export function parseArgs(argv, known) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "");
    if (!argv[i]?.startsWith("--") || !known.includes(key) || argv[i + 1] === undefined) {
      throw new Error(`usage: --${known.join(" VALUE --")} VALUE (got ${argv[i]})`);
    }
    out[key] = argv[i + 1];
  }
  return out;
}

export function log(component, fields) {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : v}`);
  process.stdout.write(`${new Date().toISOString()} ${component} ${parts.join(" ")}\n`);
}
