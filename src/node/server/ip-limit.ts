// Requests that stay open (SSE streams, held long polls) counted per remote IP address, so one
// client cannot hold every socket and file descriptor of the server. Counts only what is open:
// the map holds one entry per address with something open, and forgets it when the count is 0.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class IpLimit {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * Counts `req` against its address until `res` closes; false (nothing counted) when the
   * address already holds `max`.
   */
  acquire(req: IncomingMessage, res: ServerResponse): boolean {
    const ip = req.socket.remoteAddress ?? '';
    const n = this.open.get(ip) ?? 0;
    if (n >= this.max) return false;
    this.open.set(ip, n + 1);
    res.once('close', () => {
      const left = (this.open.get(ip) ?? 1) - 1;
      if (left > 0) this.open.set(ip, left);
      else this.open.delete(ip);
    });
    return true;
  }
}
