// Commands to a device run one at a time, in the order they were asked for, so two writes
// never interleave on the wire (the bindings themselves do not queue: MockBinding rejects
// overlapping writes and bindings-cpp would interleave them). A failed write does not stop
// the ones behind it.
export class WriteQueue {
  private tail: Promise<void> = Promise.resolve();

  run(task: () => Promise<void>): Promise<void> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
