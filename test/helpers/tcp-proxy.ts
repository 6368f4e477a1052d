// A TCP proxy between the service and MariaDB (or Redis) that a test can cut and heal.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones (connection reset) until heal(). */
  cut(): void;
  heal(): void;
  /**
   * A hung server for this proxy's clients only (as `CLIENT PAUSE` makes one, but without stalling
   * every other user of the real server): what the clients send is held for `ms`, then passed on.
   */
  stall(ms: number): void;
  /** Open connections on which the server has answered at least once (a client that reconnected and was heard). */
  answered(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort = 3306, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let open = true;
  let stalledUntil = 0;
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const hold = (client: Socket, upstream: Socket, ms: number) => {
    client.unpipe(upstream);
    setTimeout(() => client.pipe(upstream), ms);
  };
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
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    client.pipe(upstream);
    upstream.pipe(client);
    if (Date.now() < stalledUntil) hold(client, upstream, stalledUntil - Date.now());
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
    stall(ms) {
      stalledUntil = Date.now() + ms;
      for (const [client, upstream] of pairs) hold(client, upstream, ms);
    },
    answered: () => heard.size,
    async close() {
      open = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
