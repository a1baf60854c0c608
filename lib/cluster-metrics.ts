import cluster, { type Worker } from 'node:cluster';
import type * as PromClient from 'prom-client';

/**
 * The IPC between a `stackware serve --workers N` worker answering a scrape and the primary, which
 * asks every worker for its metrics (prom-client's `AggregatorRegistry`) and answers with the sum.
 * prom-client's own cluster support only lets the primary ask; this lets any worker serve `/metrics`.
 */
const REQUEST = 'stackware:cluster-metrics-request';
const REPLY = 'stackware:cluster-metrics-reply';
/** Set by `stackware serve` in the environment of its workers: a primary that answers is there. */
export const CLUSTER_METRICS_ENV = 'STACKWARE_CLUSTER_METRICS';

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  contentType?: string;
  error?: string;
}

function isRequest(message: unknown): message is MetricsRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === REQUEST;
}
function isReply(message: unknown): message is MetricsReply {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === REPLY;
}

/** Whether this process is a `stackware serve` worker whose primary aggregates metrics. */
export function aggregatesAcrossWorkers(): boolean {
  return cluster.isWorker && process.env[CLUSTER_METRICS_ENV] === '1' && typeof process.send === 'function';
}

/**
 * In the primary: answers workers' scrape requests with the metrics summed over all workers.
 * prom-client is loaded on the first request only, so a cluster without metrics never loads it.
 */
export function answerClusterMetrics(): void {
  let aggregator: PromClient.AggregatorRegistry<PromClient.PrometheusContentType> | undefined;
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const reply = (answer: Omit<MetricsReply, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...answer });
    };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      aggregator ??= new (require('prom-client') as typeof PromClient).AggregatorRegistry();
      const registry = aggregator;
      registry.clusterMetrics().then(
        (text) => reply({ text, contentType: registry.contentType }),
        (error: unknown) => reply({ error: String(error) }),
      );
    } catch (error) {
      reply({ error: String(error) });
    }
  });
}

let nextId = 0;

/** In a worker: the metrics of every worker, summed, from the primary; rejects after `timeoutMs`. */
export function requestClusterMetrics(timeoutMs: number): Promise<{ text: string; contentType: string }> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isReply(message) || message.id !== id) return;
      done();
      if (message.text !== undefined && message.contentType !== undefined) resolve({ text: message.text, contentType: message.contentType });
      else reject(new Error(`The cluster primary could not aggregate the metrics: ${message.error ?? 'no answer'}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`The cluster primary did not answer the metrics request within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
  });
}
