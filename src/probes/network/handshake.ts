import { connect } from 'node:net';

export type HandshakeOutcome =
  /** SYN, SYN-ACK, ACK: the path works both ways. */
  | { delivered: true; rttMs: number; refused: boolean }
  /** No answer within the deadline (a SYN or SYN-ACK lost), or the network said no route. */
  | { delivered: false; reason: string };

/**
 * One TCP handshake under a deadline shorter than the kernel's 1 s SYN retransmit, so a lost
 * packet is seen as lost rather than hidden by a retransmission. A refused connection (RST)
 * proves the packets crossed the path both ways: it counts as delivered.
 */
export function handshake(host: string, port: number, timeoutMs: number): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    const done = (outcome: HandshakeOutcome) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      // RST rather than FIN once connected: thousands of probes must not leave sockets in
      // TIME_WAIT. Still connecting (no answer yet), resetAndDestroy would wait for the connect,
      // which against a blackholed host keeps the socket for minutes: destroy it now.
      if (socket.connecting) socket.destroy();
      else if (!socket.destroyed) socket.resetAndDestroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ delivered: false, reason: 'timeout' }), timeoutMs);
    socket.once('connect', () => done({ delivered: true, rttMs: performance.now() - started, refused: false }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') done({ delivered: true, rttMs: performance.now() - started, refused: true });
      else done({ delivered: false, reason: e.code ?? e.message });
    });
  });
}
