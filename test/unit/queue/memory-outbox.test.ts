import { MemoryOutbox } from '../../../src/queue/memory-outbox.ts';
import { outboxContract } from '../../helpers/outbox-contract.ts';

outboxContract(
  'MemoryOutbox',
  (o) =>
    new MemoryOutbox({
      maxMessages: o.maxMessages ?? 1000,
      maxBytes: o.maxBytes ?? 1_000_000,
      maxAgeMs: o.maxAgeMs ?? 86_400_000,
      whenFull: o.whenFull ?? 'drop_oldest',
      ...(o.now === undefined ? {} : { now: o.now }),
    }),
);
