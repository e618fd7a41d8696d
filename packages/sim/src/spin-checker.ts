import type { Event, Message, NodeId } from "@flotilla/core";
import type { SimulationOptions } from "./options.js";

// Nothing spins. A leader whose follower rejects an AppendEntries may probe again at once only
// when the rejection moved its probe back (fast backtracking, §5.3: a lower prevLogIndex each
// round trip, so the repair ends). A probe that answers a rejection without moving back asks the
// same question again; sent at network speed it is a livelock: the lost-log spin of issue 9,
// where a follower shorter than the match its leader recorded was probed for ever at one index
// (~30,000 datagrams/s between two processes). Such a probe may go out only with a heartbeat.
// Streaming, the leader answers the first rejection that shows a gap by resending from it (once
// per loss: the rejections of the messages sent before the resend are stale by seq); answering
// each of them would be a retransmission storm, the same spin.
//
// The checker watches every leader step that receives a rejection and sends the rejecter an
// AppendEntries: a reactive probe. It makes no progress when its prevLogIndex is not below the
// previous reactive probe to that peer since the peer last acknowledged anything (or since the
// term began). The bound: in every simulated second, at most as many such probes per leader and
// peer as that leader's heartbeats (on the fastest clock the skew allows), plus a little slack.
//
// It also keeps, per node, the most messages sent to it in any one simulated second: a figure
// for tests that bound the traffic to one peer (an amnesiac node must not be flooded).

type PeerWatch = {
  term: number;
  /** The prevLogIndex of the last reactive probe since the peer last acknowledged, or -1. */
  lastProbe: number;
  second: number;
  count: number;
};

export class SpinChecker {
  /** Reactive probes without progress allowed per leader and peer in one simulated second. */
  readonly boundPerSecond: number;
  /** The most such probes seen in one second to one peer. */
  maxPerSecond = 0;
  /** Per leader, per peer (maps, not a joined string key: this runs on every acknowledgement). */
  readonly #watch = new Map<NodeId, Map<NodeId, PeerWatch>>();
  readonly #ids: readonly NodeId[];
  readonly #receivedSecond: number[];
  readonly #receivedCount: number[];
  /** Per node: the most messages sent to it in one simulated second. */
  readonly peakMessagesPerSecond: number[];

  constructor(options: SimulationOptions, ids: readonly NodeId[]) {
    const fastestTickMs = Math.max(1, Math.round(options.tickMs * (1 - options.clockSkew)));
    const heartbeatsPerSecond = 1000 / (options.heartbeatIntervalTicks * fastestTickMs);
    this.boundPerSecond = Math.ceil(heartbeatsPerSecond) + 5;
    this.#ids = ids;
    this.#receivedSecond = ids.map(() => -1);
    this.#receivedCount = ids.map(() => 0);
    this.peakMessagesPerSecond = ids.map(() => 0);
  }

  /** A message left for `to` (counted per simulated second). */
  sent(to: NodeId, nowMs: number): void {
    const i = this.#ids.indexOf(to);
    if (i < 0) return;
    const second = Math.floor(nowMs / 1000);
    if (this.#receivedSecond[i] !== second) {
      this.#receivedSecond[i] = second;
      this.#receivedCount[i] = 0;
    }
    const count = (this.#receivedCount[i] as number) + 1;
    this.#receivedCount[i] = count;
    if (count > (this.peakMessagesPerSecond[i] as number)) this.peakMessagesPerSecond[i] = count;
  }

  /**
   * One step of `node`: `event` in, `messages` out (those sent at once). Returns a description of
   * the spin when the bound is broken, else null.
   */
  stepped(node: NodeId, event: Event, messages: readonly Message[], nowMs: number): string | null {
    if (event.type !== "receive") return null;
    const answer = event.message;
    if (answer.type !== "appendEntriesResponse") return null;
    let peers = this.#watch.get(node);
    if (peers === undefined) {
      peers = new Map();
      this.#watch.set(node, peers);
    }
    let watch = peers.get(answer.from);
    if (watch === undefined || watch.term !== answer.term) {
      watch = { term: answer.term, lastProbe: -1, second: -1, count: 0 };
      peers.set(answer.from, watch);
    }
    if (answer.success) {
      watch.lastProbe = -1;
      return null;
    }
    const probe = messages.find((m) => m.type === "appendEntries" && m.to === answer.from);
    if (probe === undefined || probe.type !== "appendEntries") return null;
    const movedBack = watch.lastProbe < 0 || probe.prevLogIndex < watch.lastProbe;
    watch.lastProbe = probe.prevLogIndex;
    if (movedBack) return null;
    const second = Math.floor(nowMs / 1000);
    if (watch.second !== second) {
      watch.second = second;
      watch.count = 0;
    }
    watch.count++;
    if (watch.count > this.maxPerSecond) this.maxPerSecond = watch.count;
    if (watch.count <= this.boundPerSecond) return null;
    return (
      `n${node} probed n${answer.from} at ${probe.prevLogIndex} again on its rejection ` +
      `${watch.count} times within one second of term ${answer.term}, without moving back ` +
      `(at most ${this.boundPerSecond}: one per heartbeat)`
    );
  }
}
