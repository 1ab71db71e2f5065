/**
 * Rough numbers for the client core through a real relay process (not a
 * test; run with `npx tsx shared/client/testing/measure.ts [count]`):
 * one-way throughput for one pair (sendText calls until the recipient has
 * stored them all), and the median round trip of a message and its reply.
 */
import { RelayProcess } from '../../../edge/testing/relay-process.ts';
import type { ParleyClient } from '../client.ts';
import { registerUser, waitFor } from './harness.ts';

async function count(client: ParleyClient, conversationId: string): Promise<number> {
  try {
    return (await client.getConversation(conversationId)).unread;
  } catch {
    return 0; // not created yet
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 500);
  const relay = await RelayProcess.start({
    env: {
      RATE_LIMIT_FRAMES_PER_DEVICE: '100000/1',
      RATE_LIMIT_COPIES_PER_DEVICE: '1000000/60',
      RATE_LIMIT_SENDS_PER_RECIPIENT: '1000000/60',
    },
  });
  try {
    const alice = await registerUser(relay.url, 'measure_alice');
    const bob = await registerUser(relay.url, 'measure_bob');
    const chat = await alice.client.startConversation('measure_bob');
    const bobChat = `u:${alice.userId}`;
    await alice.client.sendText({ conversationId: chat.id, text: 'warm up' });
    await waitFor(async () => (await count(bob.client, bobChat)) === 1, 'warm up', 30_000);
    await bob.client.sendText({ conversationId: bobChat, text: 'warm up reply' });
    await waitFor(async () => (await count(alice.client, chat.id)) === 1, 'warm up reply', 30_000);

    const start = performance.now();
    for (let i = 0; i < total; i++) {
      await alice.client.sendText({ conversationId: chat.id, text: `message ${i}` });
    }
    const queued = performance.now();
    await waitFor(
      async () => (await count(bob.client, bobChat)) === total + 1,
      'all delivered',
      300_000,
    );
    const delivered = performance.now();

    const rounds: number[] = [];
    for (let i = 0; i < 30; i++) {
      const arrived = new Promise<void>((resolveArrival) => {
        const off = alice.client.on('message', (m) => {
          if (!m.outgoing) {
            off();
            resolveArrival();
          }
        });
      });
      const t0 = performance.now();
      await bob.client.sendText({ conversationId: bobChat, text: `ping ${i}` });
      await arrived;
      rounds.push(performance.now() - t0);
    }
    rounds.sort((a, b) => a - b);
    const seconds = (delivered - start) / 1000;
    console.log(
      JSON.stringify(
        {
          messages: total,
          queueMsPerMessage: +((queued - start) / total).toFixed(2),
          endToEndSeconds: +seconds.toFixed(2),
          messagesPerSecond: Math.round(total / seconds),
          oneWayMedianMs: +(rounds[Math.floor(rounds.length / 2)] ?? 0).toFixed(1),
        },
        null,
        2,
      ),
    );
    await alice.client.stop();
    await bob.client.stop();
  } finally {
    await relay.dispose();
  }
}

await main();
