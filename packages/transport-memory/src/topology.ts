import type { MessageType, NodeId } from "@flotilla/core";

// Who can reach whom. Links are directed: cutting a->b leaves b->a flowing (asymmetric faults
// such as a one-way firewall rule, the case that breaks naive leader leases). Nodes get a small
// integer on first sight so a link is one number and every check is a Set lookup, not a scan.

/** Drops every message matching all the given fields; omitted fields match anything. */
export type MessageFilter = {
  readonly from?: NodeId;
  readonly to?: NodeId;
  readonly messageType?: MessageType;
};

const NODE_SLOTS = 0x10_0000;

export class Topology {
  readonly #indexOf = new Map<NodeId, number>();
  readonly #cut = new Set<number>();
  readonly #down = new Set<NodeId>();
  #filters: MessageFilter[] = [];

  indexOf(node: NodeId): number {
    let index = this.#indexOf.get(node);
    if (index === undefined) {
      index = this.#indexOf.size;
      this.#indexOf.set(node, index);
    }
    return index;
  }

  #key(from: NodeId, to: NodeId): number {
    return this.indexOf(from) * NODE_SLOTS + this.indexOf(to);
  }

  cut(from: NodeId, to: NodeId): void {
    this.#cut.add(this.#key(from, to));
  }

  restore(from: NodeId, to: NodeId): void {
    this.#cut.delete(this.#key(from, to));
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.#cut.size > 0 && this.#cut.has(this.#key(from, to));
  }

  /** Cuts both directions between every two listed nodes that share no group. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const listed = [...new Set(groups.flat())];
    for (const a of listed) {
      for (const b of listed) {
        if (a !== b && !groups.some((group) => group.includes(a) && group.includes(b))) {
          this.cut(a, b);
        }
      }
    }
  }

  healLinks(): void {
    this.#cut.clear();
  }

  crash(node: NodeId): void {
    this.#down.add(node);
  }

  restart(node: NodeId): void {
    this.#down.delete(node);
  }

  isUp(node: NodeId): boolean {
    return this.#down.size === 0 || !this.#down.has(node);
  }

  addFilter(filter: MessageFilter): () => void {
    const entry = { ...filter };
    this.#filters = [...this.#filters, entry];
    return () => {
      this.#filters = this.#filters.filter((f) => f !== entry);
    };
  }

  clearFilters(): void {
    this.#filters = [];
  }

  isFiltered(from: NodeId, to: NodeId, type: MessageType): boolean {
    for (const f of this.#filters) {
      if (
        (f.from === undefined || f.from === from) &&
        (f.to === undefined || f.to === to) &&
        (f.messageType === undefined || f.messageType === type)
      ) {
        return true;
      }
    }
    return false;
  }
}
