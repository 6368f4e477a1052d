import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import { loggerOptions } from './logger.js';
import { compileTrust } from './pipeline/proxy-trust.js';
import { BODY_LIMIT } from './pipeline/beacon-schema.js';
import adminPlugin from './plugins/admin.js';
import bodyParsers from './plugins/body-parsers.js';
import configPlugin from './plugins/config.js';
import geoipPlugin from './plugins/geoip.js';
import ingestEventsPlugin from './plugins/ingest-events.js';
import corsPlugin from './plugins/cors.js';
import metricsPlugin from './plugins/metrics.js';
import pressurePlugin from './plugins/pressure.js';
import retentionPlugin from './plugins/retention.js';
import pipelinePlugin from './plugins/pipeline.js';
import queryStripPlugin from './plugins/query-strip.js';
import sessionsPlugin from './plugins/sessions.js';
import sinkPlugin from './plugins/sink.js';
import writerPlugin from './plugins/writer.js';
import writerEventsPlugin from './plugins/writer-events.js';
import collectRoutes, { PIXEL } from './routes/collect.js';
import scriptRoute from './routes/script.js';
import trackerRoutes from './routes/trackers.js';


export interface BuildOptions {
  /** A logger instance or pino options; default: from config (LOG_LEVEL, LOG_PRETTY). */
  logger?: FastifyServerOptions['loggerInstance'] | FastifyServerOptions['logger'];
  /** Socket inactivity that closes a connection (tests shorten it). */
  idleTimeoutMs?: number;
  /** A cluster worker: /metrics answers every worker's sum, collected through the primary. */
  clusterMetrics?: (registry: Registry) => () => Promise<{ text: string; contentType: string }>;
}

// A beacon is at most 64 KiB: a client that has not sent a whole request in 10 s is stalling
// (slowloris). On Node 20 a trickled body was cut off only by headersTimeout (60 s), checked every
// 30 s, so it lived 85-90 s: both limits are 10 s here, checked every second.
const REQUEST_TIMEOUT_MS = 10_000;
const TIMEOUT_CHECK_MS = 1000;
// A socket silent this long is closed. Longer than Node's keep-alive timeout (72 s in Fastify), so
// idle keep-alive connections from a load balancer are closed by the keep-alive rule, not this one.
const IDLE_TIMEOUT_MS = 75_000;

// No route declares a JSON schema: a beacon is checked by TypeBox's compiled checker in the pipeline
// (src/pipeline/validate-beacon.ts), whatever its body parser. So Fastify's default compilers, ajv and
// fast-json-stringify, would only be loaded (~75 ms of CPU at every start, and their memory), never
// used; these stand in, and a route given a schema stops the start, saying so.
function noRouteSchemas(): never {
  throw new Error('a route declares a schema, but Fastify\'s schema compilers are not loaded (src/app.ts, noRouteSchemas)');
}

/** Builds the service from a validated config, ready to listen. Reads no environment. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? loggerOptions(config);
  const isInstance = typeof logger === 'object' && logger !== null && 'child' in logger;
  const app = Fastify({
    ...(isInstance ? { loggerInstance: logger as FastifyServerOptions['loggerInstance'] } : { logger: logger as FastifyServerOptions['logger'] }),
    // Request logs would carry every visitor's full IP whatever IP_STORAGE says; rejections are logged with a reason instead.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger,
    trustProxy: compileTrust(config.trustProxy),
    bodyLimit: BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    connectionTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    // Beacons arriving on open connections while closing are still taken (and drained), not 503ed.
    return503OnClosing: false,
    clientErrorHandler: clientErrorHandler(config),
    schemaController: { compilersFactory: { buildValidator: noRouteSchemas, buildSerializer: noRouteSchemas } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(configPlugin, { config });
  await app.register(metricsPlugin);
  if (options.clusterMetrics) app.metrics.collect = options.clusterMetrics(app.metrics.registry);
  await app.register(queryStripPlugin);
  // Before everything that reports: their onClose hooks run first, so the last rejections are summarised.
  await app.register(ingestEventsPlugin);
  await app.register(writerEventsPlugin);
  await app.register(pressurePlugin);
  await app.register(geoipPlugin);
  await app.register(sinkPlugin);
  await app.register(sessionsPlugin);
  await app.register(writerPlugin);
  await app.register(pipelinePlugin);
  await app.register(corsPlugin);
  await app.register(bodyParsers);
  await app.register(collectRoutes);
  await app.register(scriptRoute);
  await app.register(trackerRoutes);
  await app.register(retentionPlugin);
  await app.register(adminPlugin);
  return app;
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Log = (this: FastifyBaseLogger, ...args: unknown[]) => void;

/**
 * A request's logger (req.log), whose pino child with the request id is made only when the
 * request logs something. Fastify made the child for every request (a serialised bindings string
 * and an object per request, ~2.5 µs per beacon, issue 18), and almost no request logs.
 */
class LazyChildLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Record<string, unknown>;
  readonly #options: object;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Record<string, unknown>, options: object) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #log(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  get level(): string {
    return this.#log.level;
  }

  set level(level: string) {
    this.#log.level = level;
  }

  #call(method: LogMethod, args: unknown[]): void {
    const log = this.#log;
    (log[method] as Log).apply(log, args);
  }

  fatal(...args: unknown[]): void { this.#call('fatal', args); }
  error(...args: unknown[]): void { this.#call('error', args); }
  warn(...args: unknown[]): void { this.#call('warn', args); }
  info(...args: unknown[]): void { this.#call('info', args); }
  debug(...args: unknown[]): void { this.#call('debug', args); }
  trace(...args: unknown[]): void { this.#call('trace', args); }
  silent(): void {}
  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.#log.child(bindings, options);
  }
}

/**
 * Malformed requests and oversized headers (Node's 400/431) never reach a route: for COLLECT_PATH
 * answer 204 all the same and count the beacon, for PLAUSIBLE_PATH Plausible's `202 ok`, for
 * UMAMI_PATH Umami's 400 (counted); anything else gets Node's usual answer.
 */
function clientErrorHandler({ collectPath, plausiblePath, umamiPath }: Pick<Config, 'collectPath' | 'plausiblePath' | 'umamiPath'>) {
  const escape = (path: string): string => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const escaped = escape(collectPath);
  const collectRequest = new RegExp(`^(POST|OPTIONS) ${escaped}[ ?]`);
  const pixelRequest = new RegExp(`^GET ${escaped}\\.gif[ ?]`);
  const trackerRequest = (path: string | null): RegExp | null => (path === null ? null : new RegExp(`^POST ${escape(path)}[ ?]`));
  const answers: [RegExp | null, string][] = [
    [trackerRequest(plausiblePath), 'HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'],
    [trackerRequest(umamiPath), 'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 23\r\nConnection: close\r\n\r\n{"error":"bad request"}'],
  ];
  return function (this: FastifyInstance, err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy(); // nobody is reading an answer on a stalled connection
      return;
    }
    const head = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, 160).toString('latin1') : '';
    const trackerAnswer = answers.find(([request]) => request?.test(head))?.[1];
    if (pixelRequest.test(head)) {
      // A mangled or oversized pixel request still gets its image (and is counted).
      this.ingestEvents?.received(1);
      this.ingestEvents?.rejected(err.code === 'HPE_HEADER_OVERFLOW' ? 'too_large' : 'invalid_json', 1, err.code ?? 'client error');
      if (socket.writable) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: ${PIXEL.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n`);
        socket.write(PIXEL);
      }
    } else if (collectRequest.test(head)) {
      const reason = err.code === 'HPE_HEADER_OVERFLOW' ? 'too_large' : 'invalid_json';
      this.ingestEvents?.received(1);
      this.ingestEvents?.rejected(reason, 1, err.code ?? 'client error');
      if (socket.writable) socket.write('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    } else if (trackerAnswer !== undefined) {
      this.ingestEvents?.received(1);
      this.ingestEvents?.rejected(err.code === 'HPE_HEADER_OVERFLOW' ? 'too_large' : 'invalid_json', 1, err.code ?? 'client error');
      if (socket.writable) socket.write(trackerAnswer);
    } else if (socket.writable) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  };
}
