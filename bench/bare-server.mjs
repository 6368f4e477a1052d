// The ceiling: bare Fastify 5 answering 204 to the same POST, storing nothing.
import Fastify from 'fastify';

const app = Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/collect', async (_req, reply) => reply.code(204).send());
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
