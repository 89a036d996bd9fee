// The local cloud's SQS event source mapping: delivers batches from a moto queue to a function on
// cargo lambda watch the way Lambda's event source mapping does with ReportBatchItemFailures.
//
//   node tools/localcloud/sqs-poller.mjs --config .local-cloud/poller.json
//
// Config: sqsEndpoint, region, queueUrl, queueArn, lambdaEndpoint, functionName, batchSize (10),
// waitTimeSeconds (0: short polls every idleMs, 200), failureVisibilitySeconds (1; -1 keeps the
// queue's visibility timeout).
//
// Each round: ReceiveMessage (up to batchSize, all system and message attributes) -> invoke the
// function with an SQS event -> DeleteMessageBatch of the messages it did not report in
// `batchItemFailures`. A function error, an unreadable response or an unknown itemIdentifier fail
// the whole batch, as in AWS. Failed messages stay in the queue and come back after their
// visibility timeout (shortened to failureVisibilitySeconds so tests need not wait the queue's
// 180 s). moto applies the queue's RedrivePolicy itself: a message received maxReceiveCount times
// is moved to the dead-letter queue at the next ReceiveMessage (checked: it is delivered 5 times
// with maxReceiveCount 5). Should a message ever arrive with a receive count above
// maxReceiveCount, the poller moves it to the DLQ itself rather than deliver it again.

import { readFileSync } from "node:fs";
import { invokeLambda, log, parseArgs, sqsClient } from "./aws.mjs";

const args = parseArgs(process.argv.slice(2), ["config"]);
const config = JSON.parse(readFileSync(args.config, "utf8"));
const region = config.region ?? "us-east-1";
const batchSize = Math.min(Math.max(Number(config.batchSize ?? 10), 1), 10);
// 0 = short polling, sleeping idleMs between empty receives: a long poll would hold the
// serialised moto (tools/localcloud/moto_serial.py) for its whole wait, stalling every other
// request.
const waitTimeSeconds = Number(config.waitTimeSeconds ?? 0);
const idleMs = Number(config.idleMs ?? 200);
const failureVisibility = Number(config.failureVisibilitySeconds ?? 1);
const sqs = sqsClient({ endpoint: config.sqsEndpoint, region });

let stopping = false;
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    stopping = true;
    setTimeout(() => process.exit(0), (waitTimeSeconds + 2) * 1000).unref();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function redrive() {
  const { Attributes: a = {} } = await sqs("GetQueueAttributes", {
    QueueUrl: config.queueUrl,
    AttributeNames: ["RedrivePolicy", "VisibilityTimeout"],
  });
  if (!a.RedrivePolicy) return { visibility: Number(a.VisibilityTimeout) };
  const policy = JSON.parse(a.RedrivePolicy);
  const dlqName = String(policy.deadLetterTargetArn).split(":").pop();
  const { QueueUrl: dlqUrl } = await sqs("GetQueueUrl", { QueueName: dlqName });
  return { visibility: Number(a.VisibilityTimeout), maxReceiveCount: Number(policy.maxReceiveCount), dlqUrl };
}

function toRecord(m) {
  const messageAttributes = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[k] = {
      stringValue: v.StringValue,
      binaryValue: v.BinaryValue,
      stringListValues: v.StringListValues ?? [],
      binaryListValues: v.BinaryListValues ?? [],
      dataType: v.DataType,
    };
  }
  const record = {
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    attributes: m.Attributes ?? {},
    messageAttributes,
    md5OfBody: m.MD5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: config.queueArn,
    awsRegion: region,
  };
  if (m.MD5OfMessageAttributes) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  return record;
}

/** The ids the function reported as failed, or null when the whole batch counts as failed. */
function reportedFailures(payload, ids) {
  if (payload === null || payload === undefined) return new Set();
  if (typeof payload !== "object" || Array.isArray(payload)) return null;
  const list = payload.batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return null;
  const failed = new Set();
  for (const item of list) {
    const id = item?.itemIdentifier;
    if (typeof id !== "string" || !ids.has(id)) return null; // AWS: invalid -> whole batch failed
    failed.add(id);
  }
  return failed;
}

async function moveToDlq(q, m) {
  await sqs("SendMessage", {
    QueueUrl: q.dlqUrl,
    MessageBody: m.Body,
    ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
  });
  await sqs("DeleteMessage", { QueueUrl: config.queueUrl, ReceiptHandle: m.ReceiptHandle });
}

async function round(q) {
  const { Messages: received = [] } = await sqs(
    "ReceiveMessage",
    {
      QueueUrl: config.queueUrl,
      MaxNumberOfMessages: batchSize,
      WaitTimeSeconds: waitTimeSeconds,
      AttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    },
    { timeoutMs: (waitTimeSeconds + 30) * 1000 },
  );
  if (!received.length) {
    if (waitTimeSeconds === 0) await sleep(idleMs);
    return;
  }

  const batch = [];
  for (const m of received) {
    const count = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    if (q.dlqUrl && count > q.maxReceiveCount) {
      await moveToDlq(q, m);
      log("poller", { moved_to_dlq: m.MessageId, receives: count });
    } else {
      batch.push(m);
    }
  }
  if (!batch.length) return;

  const ids = new Set(batch.map((m) => m.MessageId));
  const started = Date.now();
  let failed;
  let why = "";
  try {
    const result = await invokeLambda(config.lambdaEndpoint, config.functionName, {
      Records: batch.map(toRecord),
    });
    if (result.ok) {
      failed = reportedFailures(result.payload, ids);
      if (failed === null) why = "invalid batchItemFailures";
    } else {
      failed = null;
      why = `function error ${result.errorType}`;
    }
  } catch (e) {
    failed = null;
    why = `${e.name}: ${e.message}`.slice(0, 200);
  }
  if (failed === null) failed = ids;

  const done = batch.filter((m) => !failed.has(m.MessageId));
  const retry = batch.filter((m) => failed.has(m.MessageId));
  if (done.length) {
    const r = await sqs("DeleteMessageBatch", {
      QueueUrl: config.queueUrl,
      Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    });
    if (r.Failed?.length) log("poller", { delete_failed: r.Failed.length });
  }
  if (retry.length && failureVisibility >= 0) {
    await sqs("ChangeMessageVisibilityBatch", {
      QueueUrl: config.queueUrl,
      Entries: retry.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: failureVisibility })),
    });
  }
  log("poller", {
    function: config.functionName,
    messages: batch.length,
    deleted: done.length,
    failed: retry.length,
    receives: retry.map((m) => m.Attributes?.ApproximateReceiveCount ?? "?").join(","),
    error: why,
    ms: Date.now() - started,
  });
}

let q;
while (!q && !stopping) {
  try {
    q = await redrive();
  } catch (e) {
    log("poller", { waiting_for_queue: config.queueUrl, error: e.message });
    await sleep(1000);
  }
}
if (q) {
  log("poller", {
    polling: config.queueUrl,
    function: config.functionName,
    maxReceiveCount: q.maxReceiveCount,
    dlq: q.dlqUrl,
    failureVisibilitySeconds: failureVisibility,
  });
}
while (!stopping) {
  try {
    await round(q);
  } catch (e) {
    log("poller", { error: `${e.name}: ${e.message}`.slice(0, 300) });
    await sleep(1000);
  }
}
log("poller", { stopped: true });
process.exit(0);
