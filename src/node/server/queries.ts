// The answers to a client's read-only queries (`hist`, `pres`), whatever the transport. The
// session checks `subscribe` permission first.
import { AnywireError } from '../../core/errors.js';
import type { HistoryFrame, PresenceFrame } from '../../core/frames.js';
import type { ServerCore } from './core.js';
import { historyAnswerFrame } from './history.js';
import { CLIENT_LIST_LIMIT } from './presence.js';

export async function answerQuery(core: ServerCore, f: HistoryFrame | PresenceFrame): Promise<object> {
  if (f.t === 'hist') return historyAnswerFrame(core.broker, f);
  const presence = core.presence;
  if (!presence?.enabled(f.ch)) throw new AnywireError('BAD_REQUEST', `presence is not enabled on "${f.ch}"`);
  const list = await presence.list(f.ch, CLIENT_LIST_LIMIT);
  return { t: 'presd', id: f.id, m: list.members, n: list.total };
}
