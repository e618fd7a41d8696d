/** Why the network dropped a message. */
export type DropReason =
  /** Lost at random (`lossProbability`). */
  | "loss"
  /** The link was cut (partition, isolation, asymmetric cut) at send or delivery time. */
  | "partition"
  /** A message filter matched it. */
  | "filter"
  /** The sender was crashed when sending, or the receiver when it arrived. */
  | "nodeDown"
  /** No transport was open for the receiver when `run` tried to hand it over. */
  | "noReceiver"
  /** The sender's transport was closed. */
  | "closed"
  /** The codec hook could not decode the bytes (only with a codec). */
  | "undecodable";

/** Every `DropReason`, in a fixed order (for reports and counters). */
export const dropReasons: readonly DropReason[] = [
  "loss",
  "partition",
  "filter",
  "nodeDown",
  "noReceiver",
  "closed",
  "undecodable",
];

/** Counters of a `Network` since it was created (`Network.stats()`). */
export type NetworkStats = {
  /** Calls to `send`, including the dropped ones. */
  readonly sent: number;
  readonly delivered: number;
  /** Extra copies scheduled by `duplicateProbability`. */
  readonly duplicated: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Messages still on the wire. */
  readonly inFlight: number;
};

export function emptyDropCounts(): Record<DropReason, number> {
  return {
    loss: 0,
    partition: 0,
    filter: 0,
    nodeDown: 0,
    noReceiver: 0,
    closed: 0,
    undecodable: 0,
  };
}
