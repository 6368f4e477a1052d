// A TCP proxy between the service and MariaDB (or Redis) that a test can cut and heal.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones (connection reset) until heal(). */
  cut(): void;
  heal(): void;
  /** Open connections on which the server has answered at least once (a client that reconnected and was heard). */
  answered(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort = 3306, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true;
  const sockets = new Set<Socket>();
  const heard = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.once('data', () => heard.add(client));
    client.on('close', () => heard.delete(client));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    cut() {
      open = false;
      for (const s of sockets) s.resetAndDestroy();
    },
    heal() {
      open = true;
    },
    answered: () => heard.size,
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
