// The logger's options from the config: shared by the app (Fastify's logger) and the cluster's
// primary, which logs with pino directly and loads the app only to replay a spool.
import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

export function loggerOptions(config: Pick<Config, 'logLevel' | 'logPretty'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(config.logPretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
  };
}
