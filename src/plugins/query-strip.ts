import fp from 'fastify-plugin';
import { QueryStripper } from '../pipeline/query-strip.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** URL_QUERY_STRIP: blanks the listed parameters in stored URLs and in every excerpt that is logged. */
    queryStrip: QueryStripper;
  }
}

/** One stripper for the pipeline and for the log lines, so a secret never reaches either. */
export default fp(
  async (app) => {
    app.decorate('queryStrip', new QueryStripper(app.config.urlQueryStrip));
  },
  { name: 'query-strip', dependencies: ['config'] },
);
