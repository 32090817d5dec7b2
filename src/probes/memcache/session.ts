import { type Socket, connect } from 'node:net';
import { DeadlineError } from '../../util/deadline';
import { parseReply, ProtocolError, type Reply, type ReplyShape } from './protocol';

/** `stats` is a few KiB and canary values are small: a reply past this is not one we asked for. */
const MAX_REPLY_BYTES = 256 * 1024;

/**
 * One TCP connection to a memcached node, one request at a time, each under its own deadline.
 * A node that accepts the connection (the kernel does, even for a SIGSTOPped process) and never
 * answers fails the request at its deadline; the session is then dead and must be replaced.
 */
export class MemcacheSession {
  private buffer = Buffer.alloc(0);
  private pending?: { shape: ReplyShape; resolve: (r: Reply) => void; reject: (e: Error) => void };
  private failure?: Error;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      // A node (or something posing as one) that never ends its reply must not grow our memory.
      if (this.buffer.length > MAX_REPLY_BYTES) this.fail(new ProtocolError(`reply over ${MAX_REPLY_BYTES / 1024} KiB without an end: not a memcached reply`));
      else this.deliver();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by the node')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<MemcacheSession> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DeadlineError(`connect ${host}:${port}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new MemcacheSession(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      });
    });
  }

  get alive(): boolean {
    return !this.failure && !this.socket.destroyed;
  }

  request(command: string | Buffer, shape: ReplyShape, timeoutMs: number): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('a request is already in flight'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new DeadlineError(`${String(command).split(/[\s]/)[0]}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        shape,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(command);
      this.deliver();
    });
  }

  close(): void {
    this.failure ??= new Error('session closed');
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.pending || this.buffer.length === 0) return;
    try {
      const parsed = parseReply(this.buffer, this.pending.shape);
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.used);
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(parsed.reply);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }
}
