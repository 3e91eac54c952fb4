// Group commit: QoS 1/2 submits are collected and committed in ONE transaction
// per batch — at most `maxDelayMs` after the first pending submit, or as soon as
// `maxMessages` are pending, whichever comes first — so throughput does not pay one fsync per
// message. This class only holds the pending lines and decides *when*; the outbox commits.
//
// With maxDelayMs 0 (the default) a batch is committed at the end of the current turn of the
// event loop: everything read in that turn goes in one transaction, and while a commit (and
// its fsync under durability: full) holds the loop, new lines wait in the kernel's buffers
// and form the next batch. Batches grow with load by themselves, and a lone line — a
// stop-and-wait device — is not held back 20 ms for company it will never get.

export interface GroupCommitOptions {
  maxMessages: number;
  maxDelayMs: number;
  /** Commits everything pending (called by the timer or when the batch is full). */
  flush: () => void;
}

export class GroupCommit<Line> {
  private lines: Line[] = [];
  private messages = 0;
  private bytes = 0;
  /** Cancels the armed flush, if any. */
  private cancel: (() => void) | undefined;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Messages and bytes waiting in the batch (they occupy queue space already). */
  get pendingMessages(): number {
    return this.messages;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  get pendingLines(): number {
    return this.lines.length;
  }

  add(line: Line, messages: number, bytes: number): void {
    this.lines.push(line);
    this.messages += messages;
    this.bytes += bytes;
    if (this.messages >= this.options.maxMessages) this.options.flush();
    else this.arm();
  }

  /** Makes sure a flush happens within `delayMs` (other work, such as acks, waits for it too). */
  arm(delayMs: number = this.options.maxDelayMs): void {
    if (this.cancel !== undefined) return;
    const fire = (): void => {
      this.cancel = undefined;
      this.options.flush();
    };
    if (delayMs <= 0) {
      const immediate = setImmediate(fire);
      this.cancel = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(fire, delayMs);
      this.cancel = () => clearTimeout(timeout);
    }
  }

  /** Everything pending, leaving the batch empty and the timer stopped. */
  take(): Line[] {
    const lines = this.lines;
    this.lines = [];
    this.messages = 0;
    this.bytes = 0;
    this.stop();
    return lines;
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}
