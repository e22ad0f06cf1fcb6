/**
 * A CountingReceiver in a process of its own (`fork` this file): it answers `{ type: 'start' }` with its URL and
 * `{ type: 'counts' }` with what it has received. Used by bench/export-instructions-child.ts, which runs under
 * callgrind: a forked process is not traced, so decoding the requests costs the measured process nothing and runs at
 * native speed.
 */
import { CountingReceiver } from './receiver.js';

const receiver = new CountingReceiver();
process.on('message', async (message: { type: string }) => {
  if (message.type === 'start') process.send?.({ type: 'url', url: await receiver.start() });
  else if (message.type === 'counts')
    process.send?.({ type: 'counts', points: receiver.points, requests: receiver.requests, bytes: receiver.bytes });
  else if (message.type === 'stop') {
    await receiver.stop();
    process.disconnect?.();
  }
});
// The measured process gone (its last message may not have arrived): stop listening, so that this process ends and
// its parent's stdout closes (execFile waits for it).
process.on('disconnect', () => {
  void receiver.stop();
});
