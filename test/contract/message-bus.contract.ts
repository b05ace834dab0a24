import { afterAll, describe, expect, it } from 'vitest';
import type { ConsumedMessage, MessageBus } from '../../infrastructure/bus/message-bus.js';
import { uniqueName } from '../support/services.js';

/** Waits until `condition` holds, polling; fails with `what` after `ms`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The MessageBus port's contract, run against every adapter (test/contract/message-buses.test.ts). */
export function messageBusContract(name: string, open: () => Promise<MessageBus>, skip = false): void {
  describe.skipIf(skip)(`MessageBus contract: ${name}`, () => {
    const buses: MessageBus[] = [];
    const bus = async () => {
      const opened = await open();
      buses.push(opened);
      return opened;
    };
    afterAll(async () => {
      for (const b of buses) await b.close();
    });

    it('creates topics once, however often asked', async () => {
      const b = await bus();
      const topic = uniqueName('bus.topics');
      await b.ensureTopics([topic]);
      await b.ensureTopics([topic]);
    });

    it('delivers every message to each group, in order per key', async () => {
      const b = await bus();
      const topic = uniqueName('bus.order');
      await b.ensureTopics([topic]);
      const seen: Record<string, ConsumedMessage[]> = { a: [], b: [] };
      const subscriptions = [
        await b.subscribe(uniqueName('group-a'), [topic], async (m) => void seen.a!.push(m)),
        await b.subscribe(uniqueName('group-b'), [topic], async (m) => void seen.b!.push(m)),
      ];
      const messages = Array.from({ length: 20 }, (_, i) => ({
        key: `tenant-${i % 2}`,
        value: JSON.stringify({ i }),
        headers: { 'ce-id': String(i) },
      }));
      await b.publish(topic, messages.slice(0, 10));
      await b.publish(topic, messages.slice(10));
      await eventually(() => seen.a!.length >= 20 && seen.b!.length >= 20, 'both groups to receive 20 messages');
      for (const group of Object.values(seen)) {
        for (const key of ['tenant-0', 'tenant-1']) {
          const order = group.filter((m) => m.key === key).map((m) => (JSON.parse(m.value) as { i: number }).i);
          expect(order).toEqual([...order].sort((x, y) => x - y));
          expect(new Set(order).size).toBe(10);
        }
        expect(group[0]).toMatchObject({ topic, headers: { 'ce-id': expect.any(String) as string } });
      }
      for (const s of subscriptions) await s.close();
    });

    it('gives a message again to a handler that failed on it', async () => {
      const b = await bus();
      const topic = uniqueName('bus.retry');
      await b.ensureTopics([topic]);
      let failures = 0;
      const handled: string[] = [];
      const subscription = await b.subscribe(uniqueName('group-retry'), [topic], async (m) => {
        if (failures < 2) {
          failures++;
          throw new Error('not now');
        }
        handled.push(m.value);
      });
      // In process, the publisher learns of the failure and sends again: that is how it redelivers.
      const send = async (): Promise<void> => {
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            return await b.publish(topic, [{ key: 'k', value: 'once' }]);
          } catch {
            // published again below
          }
        }
      };
      await send();
      await eventually(() => handled.length >= 1, 'the message to be handled after two failures');
      expect(failures).toBe(2);
      expect(handled[0]).toBe('once');
      await subscription.close();
    });
  });
}
